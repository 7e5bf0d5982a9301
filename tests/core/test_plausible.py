"""Implausible values: a running total that goes back, a tenfold jump (`implausible_value`)."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from kpitui.analysis.results import compute
from kpitui.engine import analyze
from kpitui.engine.incremental import update
from kpitui.io.loader import load_tree
from kpitui.io.measurements import load_measurements
from kpitui.model.registry import RULES
from kpitui.rules.plausible import doubts
from kpitui.services.document import Document
from kpitui.services.entry import current, doubted

D = date


def test_a_running_total_may_not_go_back() -> None:
    history = [(D(2026, 11, 23), 7900.0), (D(2026, 11, 30), 7912.0)]
    assert doubts(history, [(D(2026, 12, 7), 7.93)], 1, "subs") == [
        (
            (D(2026, 12, 7), 7.93),
            "7.93 subs on 2026-12-07 is below 7912 subs on 2026-11-30, but a linear KPI counted from zero is a "
            "running total for the period, which only rises (7.93 typed for 7930? a thousands separator read as "
            "a decimal point)",
        )
    ]
    assert doubts(history, [(D(2026, 12, 7), 7911.0)], 1, None) != []  # any step back
    assert doubts(history, [(D(2026, 12, 7), 79120.0)], 1, None) == []  # a running total may grow fast
    # Between two known values, it must fit between them.
    assert [d[0] for d in doubts(history, [(D(2026, 11, 27), 8000.0)], 1, None)] == [(D(2026, 11, 27), 8000.0)]
    # Against the highest value before it, not only the last: a stray low value in between hides nothing.
    stray = [*history, (D(2026, 12, 1), 6.0)]
    assert doubts(stray, [(D(2026, 12, 7), 81.0)], 1, None) == [
        (
            (D(2026, 12, 7), 81.0),
            "81 on 2026-12-07 is below 7912 on 2026-11-30, but a linear KPI counted from zero is a running total "
            "for the period, which only rises",
        )
    ]


def test_any_other_value_may_not_jump_tenfold() -> None:
    history = [(D(2026, 6, 1), 40.0)]
    assert doubts(history, [(D(2026, 6, 8), 399.0)], None, None) == []
    assert doubts(history, [(D(2026, 6, 8), 400.0)], None, None) == [
        ((D(2026, 6, 8), 400.0), "400 on 2026-06-08 is 10 times larger than 40 on 2026-06-01")
    ]
    assert doubts(history, [(D(2026, 6, 8), 4.0)], None, "%")[0][1] == (
        "4% on 2026-06-08 is 10 times smaller than 40% on 2026-06-01"
    )
    assert doubts(history, [(D(2026, 6, 8), 0.0)], None, None) == []  # zero is compared with nothing
    assert doubts([(D(2026, 6, 1), 0.0)], [(D(2026, 6, 8), 5.0)], None, None) == []


def test_a_value_written_later_for_the_same_day_replaces_it() -> None:
    history = [(D(2026, 6, 1), 40.0), (D(2026, 6, 8), 4.0)]  # the slip, in the history already
    assert doubts(history, [(D(2026, 6, 8), 41.0)], None, None) == []  # its correction is plausible


TREE = """\
[tree]
as_of = 2026-12-07
period = { start = 2026-01-01, end = 2026-12-31 }
measurements = "m.csv"

[nodes.g]
name = "Goal"
kind = "goal"

[nodes.subs]
name = "Subscribers"
parent = "g"
pacing = "linear"
target = 9000

[nodes.conversion]
name = "Conversion"
parent = "g"
unit = "%"
pacing = "linear"
baseline = 2.4
target = 2.8

[nodes.level]
name = "Open tickets"
parent = "g"
direction = "decrease"
target = 10
"""


def tree_with(tmp_path: Path, rows: str, extra: str = "") -> Path:
    path = tmp_path / "t.toml"
    path.write_text(TREE + textwrap.dedent(extra), encoding="utf-8")
    (tmp_path / "m.csv").write_text("node,date,value\n" + textwrap.dedent(rows), encoding="utf-8")
    return path


def implausible(path: Path) -> dict[str, str]:
    return {f.node or "": f.message for f in analyze(load_tree(path)).findings if f.code == "implausible_value"}


def test_check_reports_a_newest_value_its_history_makes_doubtful(tmp_path: Path) -> None:
    path = tree_with(
        tmp_path,
        """\
        subs,2026-11-23,7900
        subs,2026-11-30,7912
        subs,2026-12-07,7.930
        conversion,2026-11-30,2.12
        conversion,2026-12-07,2.10
        level,2026-11-30,12
        level,2026-12-07,130
        """,
    )
    assert implausible(path) == {
        "subs": "'Subscribers': its newest value 7.93 on 2026-12-07 is below 7912 on 2026-11-30, but a linear KPI "
        "counted from zero is a running total for the period, which only rises (7.93 typed for 7930? a "
        "thousands separator read as a decimal point): check it; if it is wrong, record the right value for "
        "that date, and if it is right, accept this finding",
        # A conversion rate moving from a baseline of its own may dip: not a running total.
        "level": "'Open tickets': its newest value 130 on 2026-12-07 is 10.8 times larger than 12 on 2026-11-30: "
        "check it; if it is wrong, record the right value for that date, and if it is right, accept this "
        "finding",
    }
    assert next(r for r in RULES if r.code == "implausible_value").severity == "warning"


@pytest.mark.parametrize(
    ("rows", "extra", "found"),
    [
        # Corrected by a row written later for the same day: the correction counts.
        ("subs,2026-11-30,7912\nsubs,2026-12-07,7.93\nsubs,2026-12-07,7930\n", "", set()),
        # A slip corrected on its own day long ago no longer stands above the values after it.
        ("subs,2026-11-23,79120\nsubs,2026-11-23,7912\nsubs,2026-12-07,8000\n", "", set()),
        # Only the newest step counts: an old jump the values since have kept to is history.
        ("level,2026-10-01,12\nlevel,2026-10-08,130\nlevel,2026-10-15,125\n", "", set()),
        # The inline actual, newer than every row, is the newest value.
        ("level,2026-11-30,12\n", "actual = 130\nmeasured = 2026-12-07\n", {"level"}),
        ("level,2026-11-30,12\n", "actual = 13\nmeasured = 2026-12-07\n", set()),
        # A running total that fell, by less than tenfold; below its highest value, past a stray low one.
        ("subs,2026-11-23,7900\nsubs,2026-12-07,7000\n", "", {"subs"}),
        ("subs,2026-11-23,7900\nsubs,2026-11-30,6\nsubs,2026-12-07,81\n", "", {"subs"}),
        # A newest row after the period's end is not compared with the period's.
        ("subs,2026-12-01,7912\nsubs,2027-01-02,5\n", "", set()),
    ],
    ids=[
        "corrected-the-same-day",
        "corrected-before",
        "old-jump",
        "inline-newest",
        "inline-fine",
        "fall",
        "stray",
        "after-the-period",
    ],
)
def test_what_counts_as_the_newest_step(tmp_path: Path, rows: str, extra: str, found: set[str]) -> None:
    # (the inline actual of `extra` goes to the last node of TREE, `level`)
    path = tree_with(tmp_path, rows, extra)
    assert set(implausible(path)) == found


def test_the_finding_is_accepted_like_any_other(tmp_path: Path) -> None:
    path = tree_with(
        tmp_path,
        "level,2026-11-30,12\nlevel,2026-12-07,130\n",
        'accept = { implausible_value = "the backlog was merged in" }\n',
    )
    finding = next(f for f in analyze(load_tree(path)).findings if f.code == "implausible_value")
    assert (finding.accepted, finding.reason) == (True, "the backlog was merged in")


def test_recording_a_row_updates_the_finding_as_a_full_analysis_does(tmp_path: Path) -> None:
    path = tree_with(tmp_path, "level,2026-11-30,12\n")
    document = Document.open(path)
    base = load_measurements(tmp_path / "m.csv")
    analysis = analyze(document.current_tree(), measurements=base)
    document.take_changes()
    for value, codes in ((130.0, ["implausible_value"]), (13.0, [])):
        document.record_actual("level", value, D(2026, 12, 7), True)
        tree, rows = document.current_tree(), document.pending_rows()
        analysis = update(analysis, tree, document.take_changes(), extra_rows=rows, measurements=base).analysis
        full = analyze(tree, extra_rows=rows, measurements=base)
        assert [f.code for f in analysis.findings_of("level") if f.code == "implausible_value"] == codes
        assert analysis.findings == full.findings


def test_a_row_recorded_for_a_day_the_file_has_is_the_newest_before_the_save(tmp_path: Path) -> None:
    # Rows not yet saved were numbered line 0 and lost the day to the file's row; saved, they won it.
    path = tree_with(tmp_path, "subs,2026-12-07,8\n")
    base = load_measurements(tmp_path / "m.csv")
    analysis = compute(load_tree(path), extra_rows=[("subs", D(2026, 12, 7), 9.0)], measurements=base)
    assert str(current(analysis, "subs")) == "9 on 2026-12-07, from m.csv"


def test_doubted_reads_the_history_with_pending_rows_and_the_period(tmp_path: Path) -> None:
    path = tree_with(tmp_path, "subs,2026-11-30,7912\nsubs,2025-12-30,90000\n")
    base = load_measurements(tmp_path / "m.csv")
    analysis = compute(load_tree(path), extra_rows=[("subs", D(2026, 12, 1), 8000.0)], measurements=base)
    entries = [("subs", D(2026, 1, 2), 5.0), ("subs", D(2026, 12, 7), 7990.0), ("level", D(2026, 12, 7), 5.0)]
    # 7990 falls below the pending 8000; 5 follows last year's 90000, of another period; `level` has no history.
    assert [d.entry for d in doubted(analysis, entries)] == [("subs", D(2026, 12, 7), 7990.0)]
