"""TUI fixtures: sample trees copied into a temporary folder, and a running app."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A private copy of the sample trees (tests may edit them)."""
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target)
    return target
