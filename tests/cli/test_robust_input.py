"""Input that used to end in a traceback gets a message with file and line, and exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kpitui.cli import main
from tests.conftest import SAMPLES

HEAD = '[nodes.a]\nname = "A"\n'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[" * 5000 + "]" * 5000, "nested more than the allowed 400 levels"),
        ("{a=" * 5000 + "1" + "}" * 5000, "nested more than the allowed 400 levels"),
        ("[" * 390 + "]" * 390, "nest deeper than 250 levels"),
    ],
)
def test_deep_nesting_is_a_syntax_error_at_its_line(
    value: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(f"{HEAD}x = {value}\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3: ") and expected in err
    assert "Traceback" not in err and "internal error" not in err


def test_a_key_of_many_parts_is_a_syntax_error_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(HEAD + ".".join(["k"] * 1500) + " = 1\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3: ") and "more than the allowed 1000 parts" in err


def test_set_refuses_a_value_nested_too_deep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "webshop.toml"
    shutil.copy(SAMPLES / "webshop.toml", path)
    before = path.read_bytes()
    assert main(["set", str(path), "sea", "x=" + "[" * 3000 + "]" * 3000]) == 2
    assert "too deep" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_set_refuses_an_integer_beyond_a_float(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "webshop.toml"
    shutil.copy(SAMPLES / "webshop.toml", path)
    before = path.read_bytes()
    assert main(["set", str(path), "sea", "target=1" + "0" * 400]) == 2
    assert "out of range" in capsys.readouterr().err
    assert path.read_bytes() == before


@pytest.mark.parametrize(("word", "hint"), [("import", "did you mean `kpitui export`?"), ("chek", "`kpitui check`")])
def test_a_mistyped_command_is_an_error_not_a_new_file(
    word: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([word]) == 2
    err = capsys.readouterr().err
    assert f"{word!r} is not a command nor an existing file" in err and hint in err
    assert not (tmp_path / word).exists()


def test_the_browser_refuses_to_start_without_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    # Under pytest stdin/stdout are not terminals.
    assert main([str(SAMPLES / "webshop.toml")]) == 2
    err = capsys.readouterr().err
    assert "needs a terminal" in err and "kpitui check" in err and "kpitui export" in err


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    fifo = tmp_path / "tree.toml"
    os.mkfifo(fifo)
    assert main(["check", str(fifo)]) == 2
    assert "is not a regular file (a pipe or a device)" in capsys.readouterr().err
