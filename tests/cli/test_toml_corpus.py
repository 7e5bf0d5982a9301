"""Every file of the public toml-test corpus gets a clear message and exit 2, never a traceback."""

from pathlib import Path

import pytest

from kpitui.cli import main
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "toml-test" / "tests"  # the public toml-test corpus (MIT, LICENSE beside it)
FILES = sorted(CORPUS.rglob("*.toml")) if CORPUS.exists() else []


@pytest.mark.skipif(not FILES, reason="tests/data/toml-test is missing")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_file_is_refused_cleanly(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(str(path))
    assert "Traceback" not in captured.err
    if "/invalid/" in str(path) and "not a KPI tree" not in captured.err:
        assert ": not valid TOML: " in captured.err or "is not UTF-8" in captured.err


def test_the_corpus_is_there() -> None:
    assert len(FILES) > 700
