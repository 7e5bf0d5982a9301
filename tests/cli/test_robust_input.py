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


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["export"],
        ["diagram"],
        ["review"],
        ["whatif", "conversieratio=2.6"],
        ["whatif", "--seek", "omzet", "--via", "conversieratio", "--to", "1200000"],
    ],
)
def test_every_command_works_at_either_end_of_the_calendar(
    command: list[str], day: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A level KPI's horizon four steps after 9999-12-31, and the week before 0001-01-01 that
    # `review` compares with, were beyond the dates Python has: OverflowError, exit 3.
    code = main([command[0], str(SAMPLES / "webshop.toml"), *command[1:], "--as-of", day])
    captured = capsys.readouterr()
    assert code == (1 if command == ["check"] else 0), captured.err
    assert "internal error" not in captured.err and captured.out


def test_a_tree_dated_at_the_end_of_the_calendar_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "far.toml"
    path.write_text(
        '[tree]\nas_of = 9999-12-31\nperiod = { start = 0001-01-01, end = 9999-12-31 }\nmeasurements = "m.csv"\n'
        '[nodes.g]\nname = "G"\nkind = "goal"\nrollup = "sum"\n'
        '[nodes.a]\nname = "A"\nparent = "g"\nowner = "Ops"\nunit = "x"\ntarget = 100\npacing = "level"\n'
        'frequency = "yearly"\n',
        encoding="utf-8",
    )
    (tmp_path / "m.csv").write_text("node,date,value\na,0001-01-01,1\na,5000-06-30,2\na,9999-12-30,3\n")
    for command in ("check", "review", "export"):
        assert main([command, str(path)]) in (0, 1)
        assert "internal error" not in capsys.readouterr().err


def test_a_sparse_measurements_file_is_refused_fast_in_little_memory(tmp_path: Path) -> None:
    import json
    import os
    import resource
    import subprocess
    import sys
    import time

    # A 2 GB measurements file that is all hole (`truncate -s 2G`, 0 bytes on disk) drove
    # `check` to 21 GB resident for 92 s. Run with 6 GB of address space at most, so that
    # reading it again fails this test instead of the machine.
    tree = tmp_path / "tree.toml"
    tree.write_text('[tree]\nmeasurements = "m.csv"\n[nodes.g]\nname = "G"\nkind = "goal"\n', encoding="utf-8")
    (tmp_path / "m.csv").write_bytes(b"")
    os.truncate(tmp_path / "m.csv", 2 << 30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))

    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "kpitui", "check", str(tree), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=cap,
        check=False,
    )
    assert time.monotonic() - started < 20
    # A measurements file that cannot be read is the error finding measurements_error, as a
    # missing one is: `check` fails (exit 1), and the TUI still shows the tree with it.
    assert proc.returncode == 1, proc.stderr
    errors = [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "measurements_error"]
    assert len(errors) == 1
    assert f"measurements file {str(tmp_path / 'm.csv')!r} is sparse: 2.0 GiB long" in errors[0]["message"]
