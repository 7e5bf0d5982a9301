"""Hostile text in `check`, and exit code 3 for internal errors (issue 7 items 12, 13)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kpitui.cli import main
from tests.tui.test_safety import CONTROLS, HOSTILE, HOSTILE_ID, PAYLOAD, hostile_tree, leaks


class Tty(io.TextIOWrapper):
    """A terminal for `sys.stdout` or `sys.stderr`: says it is one, and keeps the bytes written."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8")

    def isatty(self) -> bool:
        return True

    def written(self) -> str:
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue().decode("utf-8")


def commands(tree: Path) -> list[list[str]]:
    """Every command that prints, each way it prints, on the hostile tree (and two it refuses)."""
    folder = tree.parent
    rows = folder / "rows.csv"
    rows.write_text(f'node,date,value,note\nsessies,2026-06-30,700000,"note{PAYLOAD}"\n')
    bad = folder / f"bad{CONTROLS}.csv"
    bad.write_text(f'node,date,value\n"{HOSTILE_ID}",2026-06-30,1\n"not-there{CONTROLS}",x,y\n')
    file = str(tree)
    return [
        *(["check", file, "--fail-on", "never", "--format", form] for form in ("text", "json", "github", "sarif")),
        ["review", file],
        ["review", file, "--format", "json"],
        ["whatif", file, "sessies=1600000"],
        ["whatif", file, "sessies=1600000", "--format", "json"],
        ["whatif", file, "--seek", "omzet", "--via", "sessies"],
        ["whatif", file, "--seek", "omzet", "--via", "sessies", "--format", "json"],
        ["whatif", file, "--seek", HOSTILE_ID, "--via", "sessies"],
        ["record", file, str(rows)],
        ["record", file, str(bad)],
        ["export", file],
        ["diagram", file],
        ["diagram", file, "--format", "dot"],
        ["set", file, HOSTILE_ID, "owner=Stagiair"],
    ]


def test_no_command_prints_a_control_character_from_the_file(tmp_path: Path) -> None:
    """Each command on a tree whose every text holds escape sequences, C1 and bidi controls,
    printing to a terminal: nothing a terminal acts on beyond colour, and text shows them escaped."""
    tree = hostile_tree(tmp_path)
    problems: dict[str, list[str]] = {}
    for argv in commands(tree):
        out, err = Tty(), Tty()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(argv)
        written = out.written() + err.written()
        found = leaks(written)
        if "json" in argv or "sarif" in argv:
            json.loads(out.written())  # the same JSON, its controls written as \u escapes
        elif "x1b]0;x" not in written and "Stagiair" not in written:  # escaped (DOT doubles the \\)
            found.append(f"the file's text is not shown: {written[:200]!r}")
        if found:
            problems[" ".join(argv[:1] + argv[2:])] = found
    assert problems == {}


def test_json_escapes_what_a_terminal_acts_on_and_keeps_every_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = hostile_tree(tmp_path)
    main(["whatif", str(tree), "sessies=1600000", "--format", "json"])
    out = capsys.readouterr().out
    assert "\\u009b" in out and "\\u202e" in out and "\x9b" not in out
    names = {c["node"]: c["name"] for c in json.loads(out)["changes"]}
    assert names["sessies"] == "Bezoeken (sessies)" + PAYLOAD


def test_check_escapes_control_characters_from_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE, encoding="utf-8")
    main(["check", str(path), "--fail-on", "never"])
    out = capsys.readouterr().out
    assert "\\x1b]2;PWNED\\x07Title\\x1b[2J" in out
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in out


def test_load_errors_escape_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[nodes.a]\nname = "A"\nkind = "\\u001b]0;x\\u0007"\n', encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err


def test_set_output_escapes_the_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[nodes."a\\u001b[2J"]\nname = "A"\n', encoding="utf-8")
    assert main(["set", str(path), "a\x1b[2J", "owner=X"]) == 0
    assert "\x1b" not in capsys.readouterr().out


def test_an_internal_error_exits_3_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[nodes.a]\nname = "A"\n', encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.delenv("KPITUI_DEBUG", raising=False)
    monkeypatch.setattr("kpitui.engine.analyze", broken)
    assert main(["check", str(path)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("kpitui: internal error (a bug in kpitui, not in your file): ZeroDivisionError")
    assert "Traceback" not in err
    monkeypatch.setenv("KPITUI_DEBUG", "1")
    assert main(["export", str(path)]) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_crash_in_a_real_process_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[nodes.a]\nname = "A"\n', encoding="utf-8")
    script = (
        "import sys, kpitui.engine as a\n"
        "def broken(*x, **y): raise RuntimeError('boom')\n"
        "a.analyze = broken\n"
        "from kpitui.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KPITUI_DEBUG"}
    proc = subprocess.run([sys.executable, "-c", script, "check", str(path)], capture_output=True, text=True, env=env)
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        "kpitui: internal error (a bug in kpitui, not in your file): RuntimeError: boom; "
        "run again with KPITUI_DEBUG=1 for the traceback and report it"
    ]


def test_a_crash_inside_the_tui_exits_3_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[nodes.a]\nname = "A"\n', encoding="utf-8")
    script = (
        "import sys\n"
        "from kpitui.tui.screens import main as m\n"
        "def broken(self, *a, **k): raise RuntimeError('boom in the TUI')\n"
        "m.MainScreen.compute = broken\n"
        "from kpitui import cli\n"
        "raise SystemExit(cli.main(sys.argv[1:]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KPITUI_DEBUG"}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), TERM="xterm-256color", COLUMNS="80", LINES="24")
    master, slave = pty.openpty()  # a terminal, as a user's (Textual draws on stderr)
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(master, chunks), daemon=True)
    reader.start()
    assert proc.wait(timeout=120) == 3
    reader.join(timeout=10)
    output = b"".join(chunks).decode(errors="replace")
    assert "Traceback" not in output and "╭" not in output
    assert "kpitui: internal error (a bug in kpitui, not in your file): RuntimeError: boom in the TUI" in output


def _drain(fd: int, chunks: list[bytes]) -> None:
    with contextlib.suppress(OSError):
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
