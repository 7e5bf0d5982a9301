"""Measurements in CI: a measurements file named to `check` checks the trees that read it, and
findings about its rows point at their lines in GitHub annotations and SARIF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpitui.cli import main

TREE = """\
[tree]
as_of = 2026-01-31
measurements = "{name}"

[nodes.g]
name = "G"
kind = "goal"

[nodes.k]
name = "K"
parent = "g"
target = 10
"""
ROWS = "node,date,value\nk,2026-01-10,4\nk,2026-01-17,lots\nghost,2026-01-17,1\nghost,2026-01-24,2\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository's folder of trees, the current folder as in a pre-commit run or a CI job."""
    kpis = tmp_path / "kpis"
    kpis.mkdir()
    (kpis / "tree.toml").write_text(TREE.format(name="m.csv"), encoding="utf-8")
    (kpis / "m.csv").write_text(ROWS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return kpis


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_row_findings_are_annotated_on_the_measurements_file_and_line(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "kpis/tree.toml", "--format", "github")
    assert code == 1
    rows = [line for line in out.splitlines() if "measurement" in line.split("::")[1]]
    assert rows == [
        "::warning file=kpis/m.csv,line=3,title=kpitui bad_measurement::m.csv line 3 has value 'lots', not a "
        "number: fix or delete the row",
        "::notice file=kpis/m.csv,line=4,title=kpitui unknown_node_in_measurements::m.csv has 2 row(s) for node "
        "'ghost' (first on line 4), which is not in the tree: fix the id or add the node",
    ]


def test_row_findings_have_the_measurements_file_as_their_sarif_location(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "kpis/tree.toml", "--format", "sarif")
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    where = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]
        for r in results
        if r["ruleId"] in ("bad_measurement", "unknown_node_in_measurements", "not_smart")
    }
    assert where == {
        "bad_measurement": {"artifactLocation": {"uri": "kpis/m.csv"}, "region": {"startLine": 3}},
        "unknown_node_in_measurements": {"artifactLocation": {"uri": "kpis/m.csv"}, "region": {"startLine": 4}},
        "not_smart": {"artifactLocation": {"uri": "kpis/tree.toml"}, "region": {"startLine": 9}},
    }


def test_a_measurements_file_checks_the_trees_in_its_folder_that_read_it(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "other.toml").write_text(TREE.format(name="other.csv"), encoding="utf-8")  # reads another file
    (folder / "sub").mkdir()
    (folder / "also.toml").write_text(TREE.format(name="sub/../m.csv"), encoding="utf-8")
    (folder / "pyproject.toml").write_text('[tool.x]\ndata = "m.csv"\n', encoding="utf-8")  # no tree
    (folder / "broken.toml").write_text('measurements = "m.csv\n', encoding="utf-8")  # not TOML: passed by
    code, out, err = run(capsys, "kpis/m.csv", "--format", "json")
    assert (code, err) == (1, "")
    assert [report["file"] for report in json.loads(out)] == ["kpis/also.toml", "kpis/tree.toml"]
    # A tree named as well, before or after its measurements, is checked once.
    code, out, _ = run(capsys, "kpis/tree.toml", "kpis/m.csv", "--format", "json")
    assert [report["file"] for report in json.loads(out)] == ["kpis/tree.toml", "kpis/also.toml"]


def test_a_measurements_file_no_tree_reads(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "notes.csv").write_text("a,b\n", encoding="utf-8")
    code, out, err = run(capsys, "kpis/notes.csv")
    assert (code, out) == (2, "")
    assert err == (
        "kpis/notes.csv: no tree in its folder reads it (`measurements` in a tree's [tree] table): name the tree "
        "to check, or check with --only-trees, which passes it by\n"
    )
    assert run(capsys, "--only-trees", "kpis/notes.csv") == (
        0,
        "",
        "kpis/notes.csv: no tree in its folder reads it, skipped\n",
    )


def test_a_parquet_row_is_annotated_on_the_file_without_a_line(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import polars as pl

    pl.DataFrame({"node": ["k", "ghost"], "date": ["2026-01-10", "2026-01-11"], "value": [4.0, 1.0]}).write_parquet(
        folder / "m.parquet"
    )
    (folder / "tree.toml").write_text(TREE.format(name="m.parquet"), encoding="utf-8")
    code, out, _ = run(capsys, "kpis/m.parquet", "--format", "github")
    assert code == 1
    assert "::notice file=kpis/m.parquet,title=kpitui unknown_node_in_measurements::" in out
