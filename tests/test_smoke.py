"""Smoke tests: every command a user runs first, on the bundled samples, and one start of the TUI.

`make test-lowest` runs this file in a second environment holding the lowest versions
pyproject.toml admits (`uv pip install --resolution lowest-direct`), so a minimum that is
declared but too old to run kpitui fails here. Keep it fast: it runs in CI twice.
Each test that guards a floor in pyproject.toml says which.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

GOLDEN = ROOT / "tests" / "cli" / "golden"


def kpitui(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The real entry point in a process of its own, as a user or a hook runs it."""
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "FORCE_COLOR", "NO_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "kpitui", *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target)
    return target


@pytest.mark.parametrize(
    ("sample", "code"),
    [
        ("webshop.toml", 1),
        ("saas.toml", 1),
        ("sales.toml", 1),
        ("spijkerfabriek_hersteld.toml", 0),
    ],
)
def test_check_every_sample(sample: str, code: int) -> None:
    result = kpitui("check", f"sample_trees/{sample}")
    assert (result.returncode, result.stderr) == (code, "")
    assert " error(s), " in result.stdout.splitlines()[-1]


def test_check_formats_on_a_tree_with_measurements() -> None:
    as_json = kpitui("check", "sample_trees/webshop.toml", "--format", "json")
    assert as_json.returncode == 1, as_json.stderr
    report = json.loads(as_json.stdout)
    assert (report["file"], report["as_of"]) == ("sample_trees/webshop.toml", "2026-06-30")
    assert report["summary"]["off_track"] == 6
    sarif = json.loads(kpitui("check", "sample_trees/webshop.toml", "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    github = kpitui("check", "sample_trees/webshop.toml", "--format", "github").stdout.splitlines()
    assert github and all(line.startswith(("::error ", "::warning ", "::notice ")) for line in github)


def test_export_csv_and_xlsx(tmp_path: Path) -> None:
    result = kpitui("export", "sample_trees/webshop.toml")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (GOLDEN / "webshop.csv").read_text(encoding="utf-8")
    out = tmp_path / "webshop.xlsx"
    result = kpitui("export", "sample_trees/webshop.toml", "-o", str(out))
    assert (result.returncode, result.stderr) == (0, "")
    import openpyxl

    sheet = openpyxl.load_workbook(out)["KPIs"]
    assert sheet.max_row == 23 and sheet["A1"].value == "id"


def test_record_review_whatif_and_diagram(samples: Path) -> None:
    rows = samples / "week27.csv"
    rows.write_text("node,date,value\nsessies,2026-06-30,712000\n", encoding="utf-8")
    result = kpitui("record", str(samples / "webshop.toml"), str(rows))
    assert (result.returncode, result.stderr) == (0, "")
    measured = (samples / "webshop_measurements.csv").read_text(encoding="utf-8")
    assert measured.endswith("sessies,2026-06-30,712000,\n")
    review = kpitui("review", str(samples / "webshop.toml"))
    assert review.returncode == 0, review.stderr
    assert "Online omzet" in review.stdout
    whatif = kpitui("whatif", str(samples / "webshop.toml"), "conversieratio=2.6")
    assert whatif.returncode == 0, whatif.stderr
    assert "omzet" in whatif.stdout.lower()
    diagram = kpitui("diagram", str(samples / "sales.toml"))
    assert diagram.returncode == 0, diagram.stderr
    assert diagram.stdout.startswith("flowchart")


def test_check_reports_bad_measurement_rows_at_their_lines(samples: Path) -> None:
    # Older polars crashed (join(maintain_order=...)) or refused the whole file (is_in) on a bad
    # row, and refused it for a row with a trailing empty cell.
    measured = samples / "webshop_measurements.csv"
    rows = measured.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = ["   ,2026-06-29,1,\n", "sessies,2026-06-29,lots,\n", "sessies,2026-06-29,1,late,\n"]
    measured.write_text("".join([*rows, *bad]), encoding="utf-8")
    result = kpitui("check", str(samples / "webshop.toml"), "--format", "json")
    assert result.returncode == 1, result.stderr
    found = [f["message"] for f in json.loads(result.stdout)["findings"] if f["code"] == "bad_measurement"]
    assert found == [
        f"webshop_measurements.csv line {len(rows) + 1} has no node id: fix or delete the row",
        f"webshop_measurements.csv line {len(rows) + 2} has value 'lots', not a number: fix or delete the row",
    ]


def test_a_key_of_many_parts_is_refused_within_bounded_memory(tmp_path: Path) -> None:
    # tomli before 2.3.1 took all memory on a key of 100,000 parts: the process was killed.
    tree = tmp_path / "many.toml"
    tree.write_text('[nodes.g]\nname = "G"\nkind = "goal"\nk' + ".k" * 100_000 + " = 1\n", encoding="utf-8")
    gib = 1 << 30

    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * gib, 3 * gib))

    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "FORCE_COLOR", "NO_COLOR")}
    result = subprocess.run(
        [sys.executable, "-m", "kpitui", "check", str(tree)],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=bounded,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"{tree}:4")


async def test_tui_starts_on_a_tree_with_measurements(samples: Path) -> None:
    from textual.widgets import Footer

    from kpitui.tui.app import make_app
    from kpitui.tui.widgets.detail import DetailPanel
    from kpitui.tui.widgets.tree_view import KpiTreeView

    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):
            await pilot.pause()
            if app.main.analysis is not None and app.main.query_one(KpiTreeView).cursor_node is not None:
                break
            await asyncio.sleep(0.02)
        tree = app.main.query_one(KpiTreeView)
        assert tree.current() == "omzet"
        assert app.main.query(Footer)
        await pilot.press("j")
        await pilot.pause()
        assert tree.current() == "sea"
        assert "SEA: winstgevend adverteren" in app.main.query_one(DetailPanel).plain
