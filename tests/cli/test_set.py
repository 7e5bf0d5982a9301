"""`kpitui set`: one node changed from a script, through the TUI's save path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kpitui.io.loader import load_tree
from tests.cli.test_cli import run
from tests.conftest import SAMPLES


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    path = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", path)
    return path


def test_set_values_read_as_toml_or_text(sales: Path) -> None:
    before = sales.read_text(encoding="utf-8")
    result = run("set", str(sales), "omzet-joel", "actual=250000", "measured=2026-05-20", "owner=Joël B.")
    assert result.returncode == 0, result.stderr
    node = load_tree(sales).nodes["omzet-joel"]
    assert (node.actual, str(node.measured), node.owner) == (250000, "2026-05-20", "Joël B.")
    after = sales.read_text(encoding="utf-8")
    # Everything outside the node's own lines is byte-for-byte the same.
    head, tail = before.split("[nodes.omzet-joel]")[0], before.split("[nodes.omzet-sanne]")[1]
    assert after.startswith(head) and after.endswith(tail)
    assert (sales.parent / "sales.toml~").read_text(encoding="utf-8") == before


def test_set_arrays_dotted_keys_and_unset(sales: Path) -> None:
    result = run(
        "set",
        str(sales),
        "pijplijn",
        'parent=["acquisitie","omzet"]',
        "--unset",
        "description",
        "period.start=2026-02-01",
        "period.end=2026-06-30",
    )
    assert result.returncode == 0, result.stderr
    node = load_tree(sales).nodes["pijplijn"]
    assert node.parents == ("acquisitie", "omzet")
    assert node.period is not None and str(node.period.start) == "2026-02-01"


def test_unknown_id_exits_2_file_untouched(sales: Path) -> None:
    before = sales.read_bytes()
    result = run("set", str(sales), "nope", "actual=1")
    assert result.returncode == 2
    assert "there is no node 'nope'" in result.stderr
    assert sales.read_bytes() == before and not (sales.parent / "sales.toml~").exists()


def test_refused_value_exits_2_file_untouched(sales: Path) -> None:
    before = sales.read_bytes()
    result = run("set", str(sales), "omzet-joel", "target=lots", "kind=goa")
    assert result.returncode == 2
    assert "`target`: 'lots' is not a number; write for example 1500, 1 500, 1,5, 1.234,5, 25k or 3M" in result.stderr
    assert "Traceback" not in result.stderr
    assert sales.read_bytes() == before


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("set", str(tmp_path / "none.toml"), "a", "actual=1")
    assert result.returncode == 2 and "no such file" in result.stderr


# ── keys the schema knows, dotted unsets, missing parents (issue: set said "saved" and did nothing) ──


def _copy(tmp_path: Path) -> Path:
    import shutil

    from tests.conftest import SAMPLES

    path = tmp_path / "webshop.toml"
    shutil.copy(SAMPLES / "webshop.toml", path)
    return path


def test_dotted_unset_removes_one_influence_and_then_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpitui.cli import main
    from kpitui.io.loader import load_tree

    path = _copy(tmp_path)
    assert main(["set", str(path), "sea-conversies", "--unset", "influences.roas"]) == 0
    assert "saved (-influences.roas)" in capsys.readouterr().out
    assert load_tree(path).nodes["sea-conversies"].influences == (("cpa", 1),)
    assert main(["set", str(path), "sea-conversies", "--unset", "influences.cpa"]) == 0
    node = load_tree(path).nodes["sea-conversies"]
    assert node.influences == () and "influences" not in node.raw


def test_unsetting_what_is_not_there_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    path = _copy(tmp_path)
    assert main(["set", str(path), "sea-conversies", "--unset", "influences.nps"]) == 0
    assert "node 'sea-conversies' has no `influences.nps`: nothing to remove" in capsys.readouterr().out


def test_a_dotted_unset_the_schema_refuses_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    path = _copy(tmp_path)
    assert main(["set", str(path), "sea-conversies", "period.start=2026-01-01", "period.end=2026-06-30"]) == 0
    before = path.read_bytes()
    assert main(["set", str(path), "sea-conversies", "--unset", "period.end"]) == 2
    assert "`period` needs" in capsys.readouterr().err
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ownr=X"], "unknown key `ownr` (did you mean `owner`?)"),
        (["--unset", "nosuchkey"], "unknown key `nosuchkey`;"),
        (["period.nd=2026-01-01"], "unknown key `period.nd` (did you mean `period.end`?)"),
    ],
)
def test_unknown_keys_are_refused_unless_forced(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpitui.cli import main

    path = _copy(tmp_path)
    before = path.read_bytes()
    assert main(["set", str(path), "sea-conversies", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "--force" in err
    assert path.read_bytes() == before


def test_force_writes_an_unknown_key(tmp_path: Path) -> None:
    from kpitui.cli import main
    from kpitui.io.loader import load_tree

    path = _copy(tmp_path)
    assert main(["set", str(path), "sea-conversies", "--force", "ownr=X"]) == 0
    assert load_tree(path).nodes["sea-conversies"].raw["ownr"] == "X"


def test_a_parent_that_does_not_exist_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    path = _copy(tmp_path)
    assert main(["set", str(path), "sea-conversies", "parent=omzte"]) == 0
    out = capsys.readouterr().out
    assert (
        "warning: node 'sea-conversies' now names parent 'omzte', which does not exist (did you mean 'omzet'?)" in out
    )


# ── numbers and dates read as the TUI reads them; a new actual dated and its predecessor said ──


def test_set_reads_numbers_and_dates_as_the_tui_does(sales: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    # `actual=2,2 measured=07-12-2026` was refused (2,2 read as text) while the TUI read both.
    assert main(["set", str(sales), "omzet-joel", "actual=2,2", "measured=07-12-2026", "target=1,2M"]) == 0
    node = load_tree(sales).nodes["omzet-joel"]
    assert (node.actual, str(node.measured), node.target) == (2.2, "2026-12-07", 1_200_000)
    assert main(["set", str(sales), "omzet-joel", "period=Q3 2026"]) == 0
    period = load_tree(sales).nodes["omzet-joel"].period
    assert period is not None and (str(period.start), str(period.end)) == ("2026-07-01", "2026-09-30")
    capsys.readouterr()
    before = sales.read_bytes()
    assert main(["set", str(sales), "omzet-joel", "actual=7.930"]) == 2
    assert capsys.readouterr().err == (
        f"{sales}: `actual`: '7.930' is ambiguous: 7930 ('.' grouping thousands) or 7.93 ('.' as the decimal "
        "separator)? Write 7930 for the one, 7.93 for the other; the file was not changed\n"
    )
    assert main(["set", str(sales), "omzet-joel", "measured=31-06-2026"]) == 2
    assert "`measured`: '31-06-2026': there is no day 31 in month 6 of 2026" in capsys.readouterr().err
    assert sales.read_bytes() == before


def test_set_dates_a_new_actual_and_says_what_it_replaces(sales: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    # The sales tree is analysed at its as_of, 2026-05-15: a new actual is dated so, not left on an old date.
    assert main(["set", str(sales), "omzet-joel", "actual=250000"]) == 0
    assert capsys.readouterr().out == (
        "actual of 'omzet-joel': 250000 on 2026-05-15 (was 221500 on 2026-05-15, inline in the tree file)\n"
        f"{sales}: node 'omzet-joel' saved (actual, measured)\n"
    )
    node = load_tree(sales).nodes["omzet-joel"]
    assert (node.actual, str(node.measured)) == (250000, "2026-05-15")


def test_set_warns_when_a_measurement_keeps_a_new_actual_from_counting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpitui.cli import main

    path = tmp_path / "t.toml"
    path.write_text(
        '[tree]\nas_of = 2026-12-07\nmeasurements = "m.csv"\n\n[nodes.k]\nname = "K"\nactual = 6\n'
        "measured = 2026-11-30\n",
        encoding="utf-8",
    )
    (tmp_path / "m.csv").write_text("node,date,value\nk,2026-12-07,8\n", encoding="utf-8")
    assert main(["set", str(path), "k", "actual=9"]) == 0
    assert capsys.readouterr().out == (
        "actual of 'k': 9 on 2026-12-07 (was 8 on 2026-12-07, from m.csv)\n"
        "warning: m.csv has 8 on 2026-12-07 for 'k', as new or newer: the analysis uses that value, not 9; "
        "record 9 as a row instead (`kpitui record`)\n"
        f"{path}: node 'k' saved (actual, measured)\n"
    )
