"""Shared helpers: write a tree into a temporary folder and load or analyse it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from kpitui.analysis.results import Analysis
from kpitui.engine import analyze
from kpitui.io.loader import KpiTree, load_tree

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_trees"


@pytest.fixture(autouse=True)
def private_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Journals and the sample copy go to the test's own folder, never the user's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def write_tree(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "tree.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def load(write_tree: Callable[[str], Path]) -> Callable[[str], KpiTree]:
    return lambda text: load_tree(write_tree(text))


@pytest.fixture
def analyse(load: Callable[[str], KpiTree]) -> Callable[..., Analysis]:
    def run(text: str, as_of: date | None = None) -> Analysis:
        return analyze(load(text), as_of)

    return run
