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
    assert "`target` must be a number, not a string" in result.stderr
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
