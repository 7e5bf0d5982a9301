"""The real entry point: exit codes, reports, export and error messages (docs/contract.md#outputs)."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpitui.cli import main
from kpitui.outputs.export import COLUMNS
from tests.conftest import ROOT, SAMPLES

GOLDEN = Path(__file__).parent / "golden"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kpitui", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.toml")))
def test_export_matches_golden_csv(sample: str) -> None:
    result = run("export", f"sample_trees/{sample}")
    assert result.returncode == 0, result.stderr
    golden = GOLDEN / sample.replace(".toml", ".csv")
    if os.environ.get("KPITUI_UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_export_header_and_one_row_per_node() -> None:
    result = run("export", "sample_trees/webshop.toml")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) - 1 == 22
    assert len({r[0] for r in rows[1:]}) == 22


def test_export_to_file(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert run("export", "sample_trees/sales.toml", "-o", str(out)).returncode == 0
    assert out.read_text(encoding="utf-8") == (GOLDEN / "sales.csv").read_text(encoding="utf-8")


def test_export_escapes_formulas_unless_raw(write_tree) -> None:  # type: ignore[no-untyped-def]
    path = write_tree('[nodes.g]\nname = "=HYPERLINK(1)"\nkind = "goal"\nowner = "@me"\nbaseline = -5\n')
    escaped = next(iter(csv.DictReader(io.StringIO(run("export", str(path)).stdout))))
    assert (escaped["name"], escaped["owner"], escaped["path"], escaped["baseline"]) == (
        "'=HYPERLINK(1)",
        "'@me",
        "'=HYPERLINK(1)",
        "-5",
    )
    raw = next(iter(csv.DictReader(io.StringIO(run("export", str(path), "--raw").stdout))))
    assert (raw["name"], raw["owner"]) == ("=HYPERLINK(1)", "@me")


def test_export_tree_order_visits_each_node_once(write_tree) -> None:  # type: ignore[no-untyped-def]
    path = write_tree(
        """
[nodes.lost]
name = "Lost"
[nodes.g]
name = "G"
kind = "goal"
[nodes.x]
name = "X"
parent = ["a", "g"]
[nodes.a]
name = "A"
parent = "g"
[nodes.lost-child]
name = "LC"
parent = "lost"
"""
    )
    rows = list(csv.DictReader(io.StringIO(run("export", str(path)).stdout)))
    assert [(r["id"], r["depth"], r["path"]) for r in rows] == [
        ("g", "0", "G"),
        ("x", "1", "G > X"),
        ("a", "1", "G > A"),
        ("lost", "0", "Lost"),
        ("lost-child", "1", "Lost > LC"),
    ]


def test_check_exit_codes_follow_fail_on() -> None:
    sample = "sample_trees/spijkerfabriek.toml"  # warnings, no errors
    assert run("check", sample).returncode == 1
    assert run("check", sample, "--fail-on", "error").returncode == 0
    assert run("check", sample, "--fail-on", "never").returncode == 0
    # The repaired factory declares nail weight as the counter-metric: only info is left.
    repaired = "sample_trees/spijkerfabriek_hersteld.toml"
    assert run("check", repaired).returncode == 0
    assert run("check", repaired, "--fail-on", "info").returncode == 1
    assert run("check", "sample_trees/sales.toml", "--fail-on", "error").returncode == 1


def test_check_json_shape() -> None:
    result = run("check", "sample_trees/sales.toml", "--format", "json")
    doc = json.loads(result.stdout)
    assert set(doc) == {"file", "as_of", "findings", "summary"}
    assert doc["as_of"] == "2026-05-15"
    assert doc["summary"]["cycle"] == 2
    assert sum(doc["summary"].values()) == len(doc["findings"])
    # The target gap is one finding on the team, naming the four whose targets fall short.
    [gap] = [f for f in doc["findings"] if f["code"] == "target_gap"]
    assert gap["node"] == "teamomzet" and "kind" not in gap
    assert gap["related"] == ["omzet-anouk", "omzet-joel", "omzet-sanne", "omzet-mehmet"]
    assert gap["message"].startswith(
        "'Teamomzet' has a target gap: its children's targets ('Omzet Anouk de Vries', 'Omzet Joël Bakker', "
        "'Omzet Sanne Jansen', 'Omzet Mehmet Y\u0131lmaz') add up to 2.7M EUR, short of its 3M EUR"
    )
    assert not [f for f in doc["findings"] if f["code"] == "conflict" and "teamomzet" in (f["node"], *f["related"])]


def test_check_as_of_option() -> None:
    doc = json.loads(run("check", "sample_trees/sales.toml", "--format", "json", "--as-of", "2026-12-31").stdout)
    assert doc["as_of"] == "2026-12-31"


def test_check_text_groups_and_summarises() -> None:
    out = run("check", "sample_trees/sales.toml").stdout
    assert out.index("Errors (3)") < out.index("Warnings (") < out.index("Info (")
    assert "\033[" not in out  # not a terminal: no colour
    assert out.rstrip().splitlines()[-1].startswith("16 nodes: 3 error(s)")
    assert "Omzet €3M > Nieuwe klanten binnenhalen > Nieuwe business Q2" in out


def test_load_errors_exit_2_listing_all(write_tree) -> None:  # type: ignore[no-untyped-def]
    path = write_tree('[nodes.a]\nname = "A"\nkind = "goa"\ntarget = "x"\n')
    for command in ("check", "export"):
        result = run(command, str(path))
        assert result.returncode == 2
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines[0].startswith(f"{path}:3: `kind` is 'goa'")
        assert lines[1].startswith(f"{path}:4: `target` must be a number")
        assert "Traceback" not in result.stderr


def test_missing_file_exit_2() -> None:
    result = run("check", "no/such/tree.toml")
    assert result.returncode == 2
    assert result.stderr.startswith("no/such/tree.toml: no such file")


def test_bad_as_of_is_a_usage_error() -> None:
    result = run("check", "sample_trees/sales.toml", "--as-of", "June")
    assert result.returncode == 2
    assert "'June' is not a date like 2026-06-30" in result.stderr


@pytest.mark.parametrize("command", ["check", "export", "set"])
def test_every_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: kpitui {command}")


@pytest.mark.parametrize("columns", [50, 120])
def test_help_fits_the_width_the_terminal_gives(columns: int) -> None:
    # The help formatter reads $COLUMNS (then the terminal) itself, without importing shutil.
    result = run("check", "--help", env={"COLUMNS": str(columns)})
    lines = [line for line in result.stdout.splitlines() if "{" not in line]  # choices are never split
    assert max(len(line) for line in lines) <= columns - 2
    assert max(len(line) for line in lines) > columns - 20  # the text fills it


def test_top_level_help() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "kpitui check FILE" in result.stdout


def test_main_returns_2_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("= nope")
    assert main(["check", str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f"{bad}:1:1: not valid TOML")


def test_no_file_opens_a_copy_of_the_sample(tmp_path: Path) -> None:
    from kpitui.cli import sample_path

    path = sample_path()
    assert path == tmp_path / "data" / "kpitui" / "sample" / "webshop.toml"
    assert path.read_bytes() == (SAMPLES / "webshop.toml").read_bytes()
    assert (path.parent / "webshop_measurements.csv").exists()
    # The copy's `#:schema` line leads to the schema, so an editor completes it as well.
    first = path.read_text(encoding="utf-8").partition("\n")[0]
    schema = path.parent / first.removeprefix("#:schema ")
    from kpitui.model.json_schema import schema_text

    assert schema.read_text(encoding="utf-8") == schema_text()
    path.write_text("# my edits\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert sample_path().read_text(encoding="utf-8").startswith("# my edits")  # never overwritten


def test_every_command_word_has_its_handler() -> None:
    from kpitui import cli

    assert set(cli._HANDLERS) == set(cli.COMMANDS)


def test_check_process_ends_at_once_with_its_whole_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The process ends without freeing what the analysis built: nothing written may be lost,
    # nor the exit code, whatever the format.
    from benchmarks.generate import tree_text

    big = tmp_path / "t.toml"
    big.write_text(tree_text(2000), encoding="utf-8")
    for tree in (big, SAMPLES / "sales.toml"):  # a report far larger than a pipe's buffer, and a small one
        for fmt in ("text", "json", "sarif", "github"):
            result = subprocess.run(
                [sys.executable, "-m", "kpitui", "check", str(tree), "--format", fmt],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},  # output held in a buffer
                check=False,
            )
            code = main(["check", str(tree), "--format", fmt])
            assert (result.returncode, result.stdout) == (code, capsys.readouterr().out)
            assert code == 1 and result.stdout.count("\n") > 10


def test_check_makes_its_report_without_garbage_collections(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gc

    from kpitui.outputs import ci as annotations
    from kpitui.outputs import text_report as report

    seen: list[bool] = []
    for module, name in ((annotations, "as_json"), (annotations, "as_sarif"), (report, "as_text")):
        made = getattr(module, name)

        def watched(*args: object, made: object = made, **kwargs: object) -> str:
            seen.append(gc.isenabled())
            return made(*args, **kwargs)  # type: ignore[operator,no-any-return]

        monkeypatch.setattr(module, name, watched)
    assert gc.isenabled()
    for fmt in ("json", "sarif", "text"):
        assert main(["check", str(SAMPLES / "sales.toml"), "--format", fmt]) == 1
    capsys.readouterr()
    assert seen == [False, False, False]
    assert gc.isenabled(), "as it was before"
