"""The pre-commit hook, run the way a user's repository runs it: `pre-commit try-repo`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.org", "-c", "user.name=CI", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_the_hook_is_declared() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "- id: kpitui-check\n" in text
    assert "entry: kpitui check --only-trees\n" in text
    assert "files: \\.(toml|csv|parquet)$\n" in text


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")
def test_try_repo_checks_trees_and_skips_other_toml(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    git(scratch, "init", "-q")
    (scratch / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n', encoding="utf-8")
    shutil.copy(SAMPLES / "spijkerfabriek_hersteld.toml", scratch / "good.toml")
    shutil.copy(SAMPLES / "spijkerfabriek.toml", scratch / "bad.toml")
    git(scratch, "add", "-A")
    git(scratch, "commit", "-qm", "trees")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    result = subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(ROOT), "kpitui-check", "--all-files", "--verbose", "--color", "never"],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "kpitui check" in out and "Failed" in out
    assert "bad.toml — as of" in out  # the report of the tree with warnings
    assert "unmeasured_goal" in out
    assert "good.toml — as of" in out
    assert "pyproject.toml: not a KPI tree, skipped" in out
    assert "pyproject.toml:" not in out.replace("pyproject.toml: not a KPI tree, skipped", "")


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")
def test_a_commit_of_measurements_alone_checks_the_tree_that_reads_them(tmp_path: Path) -> None:
    # The hook watched *.toml only: a commit that changed nothing but the measurements CSV was
    # never checked, whatever it did to the tree's findings.
    scratch = tmp_path / "scratch"
    (scratch / "kpis").mkdir(parents=True)
    git(scratch, "init", "-q")
    for name in ("webshop.toml", "webshop_measurements.csv"):
        shutil.copy(SAMPLES / name, scratch / "kpis" / name)
    (scratch / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    git(scratch, "add", "-A")
    git(scratch, "commit", "-qm", "the tree")
    measured = scratch / "kpis" / "webshop_measurements.csv"
    rows = measured.read_text(encoding="utf-8").splitlines(keepends=True)
    measured.write_text("".join([*rows, "sessies,2026-06-30,lots,\n"]), encoding="utf-8")
    (scratch / "notes.csv").write_text("a,b\n3,4\n", encoding="utf-8")
    git(scratch, "add", "-A")  # staged: the measurements and a CSV no tree reads
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    result = subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(ROOT), "kpitui-check", "--verbose", "--color", "never"],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "kpis/webshop.toml — as of 2026-06-30" in out
    assert f"webshop_measurements.csv line {len(rows) + 1} has value 'lots', not a number" in out
    assert "notes.csv: no tree in its folder reads it, skipped" in out
