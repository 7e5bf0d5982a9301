"""`kpitui record` (all rows or none) and `kpitui review` (the weekly check-in), docs/guides/check-in.md."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from kpitui.cli import main
from tests.conftest import SAMPLES

TREE = """\
[tree]
as_of = 2026-01-22
period = { start = 2026-01-01, end = 2026-01-29 }
{measurements}
[nodes.g]
name = "Goal"
kind = "goal"

[nodes.k]
name = "Sales"
parent = "g"
owner = "Sales team"
pacing = "linear"
unit = "EUR"
target = 13

[nodes.c]
name = "Cost"
parent = "g"
direction = "decrease"
target = 5
"""


def make(tmp_path: Path, measurements: bool) -> Path:
    tree = tmp_path / "tree.toml"
    line = 'measurements = "m.csv"' if measurements else ""
    tree.write_text(TREE.replace("{measurements}", line), encoding="utf-8")
    if measurements:
        (tmp_path / "m.csv").write_text("node,date,value,note\nk,2026-01-01,1,\n", encoding="utf-8")
    return tree


def rows(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_record_appends_every_row_to_the_measurements_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = make(tmp_path, measurements=True)
    before = tree.read_bytes()
    data = rows(tmp_path, "node,date,value,note\nk,2026-01-08,4,week 2\nc,2026-01-08,9.5,\nk,2026-01-15,5,\n")
    assert main(["record", str(tree), str(data)]) == 0
    assert "3 row(s) for 2 node(s) appended to" in capsys.readouterr().out
    assert (tmp_path / "m.csv").read_text() == (
        "node,date,value,note\nk,2026-01-01,1,\nk,2026-01-08,4,week 2\nc,2026-01-08,9.5,\nk,2026-01-15,5,\n"
    )
    assert tree.read_bytes() == before


def test_record_lists_every_bad_row_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = make(tmp_path, measurements=True)
    before, measured = tree.read_bytes(), (tmp_path / "m.csv").read_bytes()
    data = rows(
        tmp_path,
        "node,date,value\nk,2026-01-08,4\nsales,2026-01-08,4\nk,31-06-2026,4\nc,2026-01-08,lots\n\nk,2026-01-15,5\n"
        ',2026-01-15,1\nc,2026-01-09,"7,930"\n',
    )
    assert main(["record", str(tree), str(data)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{data}:3: names node 'sales', which is not in the tree (did you mean 'k'?)",
        f"{data}:4: date '31-06-2026': there is no day 31 in month 6 of 2026",
        f"{data}:5: value 'lots' is not a number; write for example 1500, 1 500, 1,5, 1.234,5, 25k or 3M",
        f"{data}:8: has no node id",
        f"{data}:9: value '7,930' is ambiguous: 7930 (',' grouping thousands) or 7,93 (',' as the decimal "
        "separator)? Write 7930 for the one, 7,93 for the other",
        "5 problems; nothing was written.",
    ]
    assert tree.read_bytes() == before and (tmp_path / "m.csv").read_bytes() == measured


def test_record_refuses_a_row_with_more_cells_than_the_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 716,000 written with a thousands separator fell apart into value 716 and note 000, recorded as such.
    tree = make(tmp_path, measurements=True)
    measured = (tmp_path / "m.csv").read_bytes()
    data = rows(
        tmp_path, 'node,date,value,note\nk,2026-01-08,716,000,\nk,2026-01-15,5,"late, but in"\nc,2026-01-15,4,a,b\n'
    )
    assert main(["record", str(tree), str(data)]) == 2
    hint = "write numbers without thousands separators (716000, 2.11) and quote a note holding a comma"
    assert capsys.readouterr().err.splitlines() == [
        f"{data}:2: has 5 cells, the header names 4 ('k', '2026-01-08', '716', '000', ''): {hint}",
        f"{data}:4: has 5 cells, the header names 4 ('c', '2026-01-15', '4', 'a', 'b'): {hint}",
        "2 problems; nothing was written.",
    ]
    assert (tmp_path / "m.csv").read_bytes() == measured


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('node,date,value,note\nk,2026-01-08,4,ok\nx,2026-01-08,1,\nk,2026-01-15,5,"' + "y" * 140_000 + "\n", 4),
        ("node,date,value,note\nk,2026-01-08,4," + "y" * 140_000 + "\n", 2),
        ("node,date,value," + "n" * 140_000 + "\nk,2026-01-08,4,\n", 1),
    ],
    ids=["an-open-quote", "a-long-note", "a-long-header"],
)
def test_record_reports_a_cell_too_long_for_csv_at_its_line(
    text: str, line: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Python's CSV reader refuses a cell over 131,072 characters (most often a quote never
    # closed, which makes the rest of the file one cell): it was an internal error, exit 3.
    tree = make(tmp_path, measurements=True)
    before = (tmp_path / "m.csv").read_bytes()
    data = rows(tmp_path, "")
    data.write_text(text, encoding="utf-8")
    assert main(["record", str(tree), str(data)]) == 2
    err = capsys.readouterr().err
    assert f"{data}:{line}: has a cell of more than 131,072 characters: a quote opened and never closed" in err
    assert "internal error" not in err
    if line == 4:
        assert f"{data}:3: names node 'x'" in err and "2 problems; nothing was written." in err
    assert (tmp_path / "m.csv").read_bytes() == before


def test_record_leaves_out_rows_the_measurements_file_already_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same week's file recorded twice (a job run again) would count each observation twice in
    # the trend: a narrower interval than the data supports. A correction (another value) is new.
    tree = make(tmp_path, measurements=True)
    data = rows(tmp_path, "node,date,value,note\nk,2026-01-08,4,week 2\nc,2026-01-08,9.5,\nk,2026-01-08,4,again\n")
    assert main(["record", str(tree), str(data)]) == 0
    assert capsys.readouterr().out == (
        f"{tree}: 2 row(s) for 2 node(s) appended to {tmp_path / 'm.csv'}; "
        "1 row(s) already there (same node, date and value) left out\n"
    )
    once = "node,date,value,note\nk,2026-01-01,1,\nk,2026-01-08,4,week 2\nc,2026-01-08,9.5,\n"
    assert (tmp_path / "m.csv").read_text() == once
    assert main(["record", str(tree), str(data)]) == 0
    assert capsys.readouterr().out == (
        f"{tree}: nothing new: all 3 row(s) are already in {tmp_path / 'm.csv'} (same node, date and value)\n"
    )
    assert (tmp_path / "m.csv").read_text() == once
    fixed = rows(tmp_path, "node,date,value\nk,2026-01-08,4.5\nk,2026-01-01,1.0\n")
    assert main(["record", str(tree), str(fixed)]) == 0
    assert (tmp_path / "m.csv").read_text() == once + "k,2026-01-08,4.5,\n"


def test_record_suggests_a_close_node_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = make(tmp_path, measurements=True)
    assert main(["record", str(tree), str(rows(tmp_path, "node,date,value\ncost,2026-01-08,4\n"))]) == 2
    assert "did you mean 'c'?" in capsys.readouterr().err


def test_record_needs_the_header_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = make(tmp_path, measurements=True)
    assert main(["record", str(tree), str(rows(tmp_path, "id,day,value\nk,2026-01-08,4\n"))]) == 2
    assert "the header lacks node, date" in capsys.readouterr().err
    # A spreadsheet's CSV in a Dutch locale: cells separated by ';', decimal commas.
    semi = rows(tmp_path, "node;date;value\nk;2026-01-08;4,5\n")
    assert main(["record", str(tree), str(semi)]) == 2
    assert capsys.readouterr().err == (
        f"{semi}:1: the header lacks node, date, value; the first line must name node,date,value[,note] "
        "(this file separates its cells with ';': save it as comma-separated CSV, with '.' decimals)\n"
    )


def test_record_without_measurements_stores_each_nodes_newest_row_inline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = make(tmp_path, measurements=False)
    data = rows(tmp_path, "node,date,value\nk,2026-01-15,5\nk,2026-01-08,4\nc,2026-01-08,9.5\n")
    assert main(["record", str(tree), str(data)]) == 0
    assert "3 row(s) for 2 node(s) stored inline" in capsys.readouterr().out
    text = tree.read_text()
    assert "actual = 5\nmeasured = 2026-01-15" in text
    assert "actual = 9.5\nmeasured = 2026-01-08" in text


def test_record_inline_never_replaces_a_newer_actual(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = make(tmp_path, measurements=False)
    tree.write_text(tree.read_text() + "actual = 6\nmeasured = 2026-01-20\n", encoding="utf-8")
    before = tree.read_bytes()
    assert main(["record", str(tree), str(rows(tmp_path, "node,date,value\nc,2026-01-08,9\n"))]) == 2
    assert "already has an actual measured 2026-01-20, newer than 2026-01-08" in capsys.readouterr().err
    assert tree.read_bytes() == before


def test_review_text_lists_changes_findings_and_who_acts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = make(tmp_path, measurements=True)
    # k: 1, 4, 5, 9 on days 0, 7, 14, 21 — at 2026-01-15 (f = 0.5, expected 6.5): 5/6.5 = 0.77 off track;
    # at 2026-01-22 (expected 9.75): 9/9.75 = 0.92 at risk, forecast 11 at the period end (off track): a miss.
    (tmp_path / "m.csv").write_text(
        "node,date,value,note\nk,2026-01-01,1,\nk,2026-01-08,4,\nk,2026-01-15,5,\nk,2026-01-22,9,\n"
    )
    assert main(["review", str(tree)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Weekly review — tree.toml — 2026-01-15 → 2026-01-22"
    # A goal's own status is unknown: its line shows what changed below it. A KPI without children has
    # the same rolled-up status as its own: said once.
    assert "Status changes (2)\n        Goal  below: ✖→▲\n  ✖→▲  Sales\n\n" in out
    assert (
        "New findings (2)\n  warning forecast_miss                Sales\n  info    at_risk                      Sales\n"
        in out
    )
    assert "Cleared findings (1)\n  warning off_track                    Sales\n" in out
    # Needs per week: (13 − 9) / (7 days / 7) = 4; since the first row (the cut-off 2025-12-25 is before
    # it): (9 − 1) / 3 weeks = 2.67, said over the 3 weeks the rows cover, not "the last 4 weeks".
    assert "  Sales — Sales team — ▲ at risk, forecast to miss: 11 EUR by 2026-01-29\n" in out
    assert (
        "      0.75 EUR behind the 9.75 EUR expected by now; 4 EUR per week needed to reach 13 EUR; "
        "averaged +2.67 EUR per week over the 3 weeks measured\n"
    ) in out


def test_review_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = make(tmp_path, measurements=True)
    (tmp_path / "m.csv").write_text(
        "node,date,value,note\nk,2026-01-01,1,\nk,2026-01-08,4,\nk,2026-01-15,5,\nk,2026-01-22,9,\n"
    )
    assert main(["review", str(tree), "--since", "2026-01-08", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["since"], doc["as_of"]) == ("2026-01-08", "2026-01-22")
    assert [c["node"] for c in doc["status_changes"]] == ["g", "k"]
    assert doc["status_changes"][1]["status"] == {"before": "on_track", "after": "at_risk"}
    assert [f["code"] for f in doc["findings_appeared"]] == ["forecast_miss", "at_risk"]
    (item,) = doc["attention"]
    assert (item["node"], item["owner"], item["status"], item["forecast_status"]) == (
        "k",
        "Sales team",
        "at_risk",
        "off_track",
    )
    assert (item["forecast"], item["needed_per_week"]) == (pytest.approx(11.0), pytest.approx(4.0))


def test_review_refuses_a_since_not_before_its_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A check-in from a later date back to an earlier one would list every change reversed.
    tree = make(tmp_path, measurements=True)
    for since in ("2026-01-22", "2026-02-01"):
        assert main(["review", str(tree), "--since", since]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (
            f"kpitui review: --since {since} is not before the review's date 2026-01-22 "
            "(--as-of, else tree.as_of, else today): give an earlier --since\n"
        )
    assert main(["review", str(tree), "--since", "2026-02-01", "--as-of", "2026-02-02"]) == 0


def test_review_of_the_webshop_sample_names_the_hidden_miss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for f in SAMPLES.glob("webshop*"):
        shutil.copy(f, tmp_path / f.name)
    assert main(["review", str(tmp_path / "webshop.toml")]) == 0
    out = capsys.readouterr().out
    # 710,000 sessions against 1.5M x 180/364 = 741,758 expected (95.7%: on track), but the line through the
    # weekly totals reaches 1,255,375 by 2026-12-31 (83.7%: off track). Needed: 790,000 over 184/7 weeks = 30,054
    # a week; the last four weeks: (710,000 - 638,500 on 2026-05-29) / 4 = 17,875.
    assert "Bezoeken (sessies) — Marketingteam — ✔ on track, forecast to miss: 1.26M sessies by 2026-12-31" in out
    assert (
        "31.8k sessies behind the 742k sessies expected by now; 30.1k sessies per week needed to reach 1.5M "
        "sessies; averaged +17.9k sessies per week over the 4 weeks measured\n"
    ) in out
    # A rate in % moves in points: 2.1% against 2.6% is 0.5 points behind, not "0.5% behind" (of 2.6%).
    assert (
        "0.498 points behind the 2.6% expected by now; 0.0266 points per week needed to reach 2.8%; "
        "averaged −0.0225 points per week over the 4 weeks measured\n"
    ) in out
    assert "Online omzet €1,2M — Directie — ▲ at risk, forecast to miss: 796k EUR by 2026-12-31" in out


LEVEL_TREE = """\
[tree]
as_of = 2026-03-26
period = { start = 2026-01-01, end = 2026-12-31 }
measurements = "m.csv"
[nodes.g]
name = "Goal"
kind = "goal"

[nodes.conv]
name = "Conversion"
parent = "g"
owner = "Shop team"
unit = "%"
target = 2.8
frequency = "weekly"

[nodes.cpa]
name = "Cost per order"
parent = "g"
owner = "Ads team"
direction = "decrease"
unit = "EUR"
target = 12
"""


def level_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree.toml"
    tree.write_text(LEVEL_TREE, encoding="utf-8")
    # conv falls 2.4 → 2.1 over 4 weeks (−0.075 a week); cpa rises 13 → 14.5 over 3 weeks (+0.5 a week).
    (tmp_path / "m.csv").write_text(
        "node,date,value\nconv,2026-02-26,2.4\nconv,2026-03-05,2.3\nconv,2026-03-12,2.3\nconv,2026-03-19,2.2\n"
        "conv,2026-03-26,2.1\ncpa,2026-03-05,13\ncpa,2026-03-26,14.5\n",
        encoding="utf-8",
    )
    return tree


def test_review_of_a_level_kpi_states_its_gap_to_the_target_level_and_its_trend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A rate has no weekly amount to add: no "needed per week", but how far from the level and which way it moves.
    assert main(["review", str(level_tree(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "needed per week" not in out
    # 2.1% is 0.7 percentage points below 2.8%: "0.7% below" would read as 2.78%.
    assert "  Conversion — Shop team — ✖ off track\n      0.7 points below the 2.8% target level; " in out
    assert "averaged −0.075 points per week over the 4 weeks measured, away from the target\n" in out
    # Lower is better: 14.5 is 2.5 above the 12 level; 2026-02-26 is the cut-off, cpa's first row (03-05) is
    # used: its average covers 3 weeks, and says so.
    assert (
        "  Cost per order — Ads team — ✖ off track\n      2.5 EUR above the 12 EUR target level; "
        "averaged +0.5 EUR per week over the 3 weeks measured, away from the target\n" in out
    )


def test_review_json_of_a_level_kpi_has_no_needed_pace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(level_tree(tmp_path)), "--format", "json"]) == 0
    items = {a["node"]: a for a in json.loads(capsys.readouterr().out)["attention"]}
    assert (items["conv"]["pacing"], items["conv"]["needed_per_week"]) == ("level", None)
    assert items["conv"]["gap"] == pytest.approx(0.7)
    assert (items["conv"]["recent_per_week"], items["conv"]["recent_days"]) == (pytest.approx(-0.075), 28)
    assert (items["cpa"]["recent_per_week"], items["cpa"]["recent_days"]) == (pytest.approx(0.5), 21)
    assert items["cpa"]["gap"] == pytest.approx(2.5)


def test_review_screen_says_the_level_gap_too(tmp_path: Path) -> None:
    from kpitui.io.loader import load_tree
    from kpitui.services.review import review
    from kpitui.tui.screens.review import review_lines

    lines = dict(review_lines(review(load_tree(level_tree(tmp_path)))))
    line = next(text for text, node in lines.items() if node == "conv" and "Conversion —" in text)
    assert line == (
        "  ✖ Conversion — Shop team — off track; 0.7 points below the 2.8% target level; "
        "averaged −0.075 points per week over the 4 weeks measured, away from the target"
    )


def test_record_refuses_a_measurements_file_with_another_name_outside_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A hard link inside the tree's folder to a file elsewhere let `record` write there unasked.
    folder, elsewhere = tmp_path / "trees", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    tree = make(folder, measurements=True)
    (folder / "m.csv").unlink()
    victim = elsewhere / "victim.csv"
    victim.write_text("node,date,value,note\n", encoding="utf-8")
    os.link(victim, folder / "m.csv")
    data = rows(folder, "node,date,value\nk,2026-01-08,4\n")
    assert main(["record", str(tree), str(data)]) == 2
    err = capsys.readouterr().err
    assert "has 2 names (hard links)" in err and "--force" in err
    assert victim.read_text() == "node,date,value,note\n"
    assert main(["record", str(tree), str(data), "--force"]) == 0
    assert victim.read_text() == "node,date,value,note\nk,2026-01-08,4,\n"


def test_record_refuses_a_measurements_file_linked_out_of_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, elsewhere = tmp_path / "trees", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    tree = make(folder, measurements=True)
    (folder / "m.csv").unlink()
    victim = elsewhere / "victim.csv"
    victim.write_text("node,date,value,note\n", encoding="utf-8")
    (folder / "m.csv").symlink_to(victim)
    data = rows(folder, "node,date,value\nk,2026-01-08,4\n")
    assert main(["record", str(tree), str(data)]) == 2
    assert "is outside the tree's folder" in capsys.readouterr().err
    assert victim.read_text() == "node,date,value,note\n"


# ── dates and values read as typed; implausible values questioned ──


def test_record_reads_dates_and_values_as_the_tui_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = make(tmp_path, measurements=True)
    data = rows(tmp_path, 'node,date,value\nk,08-01-2026,"4,5"\nc,2026-01-08,1 250\nk,2026-01-15,5.125\n')
    assert main(["record", str(tree), str(data)]) == 0
    assert (tmp_path / "m.csv").read_text() == (
        "node,date,value,note\nk,2026-01-01,1,\nk,2026-01-08,4.5,\nc,2026-01-08,1250,\nk,2026-01-15,5.125,\n"
    )


def test_record_questions_implausible_values_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `7.930` (a Dutch 7,930) for a running total near 8,000 was recorded with exit 0; `check` then showed
    # an attainment of -800%.
    tree = make(tmp_path, measurements=True)
    (tmp_path / "m.csv").write_text("node,date,value,note\nk,2026-01-01,7912,\nc,2026-01-01,4,\n", encoding="utf-8")
    before = (tmp_path / "m.csv").read_bytes()
    data = rows(tmp_path, "node,date,value\nk,2026-01-08,7.930\nc,2026-01-08,4.2\nc,2026-01-15,42\n")
    assert main(["record", str(tree), str(data)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{data}:2: node 'k': 7.93 EUR on 2026-01-08 is below 7912 EUR on 2026-01-01, but a linear KPI counted "
        "from zero is a running total for the period, which only rises (7.93 typed for 7930? a thousands "
        "separator read as a decimal point)",
        f"{data}:4: node 'c': 42 on 2026-01-15 is 10 times larger than 4.2 on 2026-01-08",
        "2 values questioned; nothing was written: use --force if they are right.",
    ]
    assert (tmp_path / "m.csv").read_bytes() == before
    assert main(["record", str(tree), str(data), "--force"]) == 0
    capsys.readouterr()
    assert main(["check", str(tree), "--format", "json"]) == 1
    found = [(f["node"], f["code"]) for f in json.loads(capsys.readouterr().out)["findings"]]
    assert ("k", "implausible_value") in found and ("c", "implausible_value") in found
