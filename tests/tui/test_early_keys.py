"""Keys typed while kpitui starts (before Textual has the terminal) reach it as typed."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT

CHILD = """
import os, sys
from kpitui.tui import early_keys
before = __import__("termios").tcgetattr(0)
{take}
os.write(1, b"ready\\n")
data = b""
while not data.endswith(b"END"):
    data += os.read(0, 100)
os.write(1, repr(data).encode() + b"\\n")
early_keys.give_back(taken)
os.write(1, str(__import__("termios").tcgetattr(0) == before).encode() + b"\\n")
"""


def _read_until(fd: int, marker: bytes, timeout: float = 20.0) -> bytes:
    out = b""
    end = time.monotonic() + timeout
    while marker not in out and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 1000)
            except OSError:
                break
    return out


def _typed_in_a_terminal(take: str) -> list[str]:
    """Run CHILD on a fresh terminal, type ctrl+s, Enter, backspace and ctrl+c ahead, and return what it printed."""
    master, slave = os.openpty()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(take=take)],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    try:
        assert b"ready" in _read_until(master, b"ready")
        os.write(master, b"a\x13b\rc\x7fd\x03END")
        out = _read_until(master, b"\n", 10.0) + _read_until(master, b"e\r\n", 5.0)
        return [line for line in out.decode(errors="replace").splitlines() if line.strip()]
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        os.close(master)


def test_taken_terminal_passes_every_key_as_typed_and_is_given_back() -> None:
    lines = _typed_in_a_terminal("taken = early_keys.take_terminal()")
    assert lines[-2:] == [repr(b"a\x13b\rc\x7fd\x03END"), "True"]


def test_without_it_the_line_discipline_eats_keys() -> None:
    """What `take_terminal` prevents: ctrl+s stops output, Enter becomes a line feed, backspace
    edits a buffer, ctrl+c interrupts."""
    lines = _typed_in_a_terminal("taken = None")
    assert repr(b"a\x13b\rc\x7fd\x03END") not in lines


def test_the_tui_command_takes_the_terminal_before_importing_textual(tmp_path: Path) -> None:
    tree = tmp_path / "t.toml"
    tree.write_text('[nodes.g]\nname = "G"\nkind = "goal"\n', encoding="utf-8")
    code = (
        "import os, sys\n"
        "from kpitui.tui import early_keys\n"
        "early_keys.take_terminal = lambda: (os.write(1, f'textual loaded: {\"textual\" in sys.modules}\\n'.encode()),"
        " os._exit(0))\n"
        "from kpitui.cli import main\n"
        f"main([{str(tree)!r}])\n"
    )
    master, slave = os.openpty()
    child = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave, cwd=ROOT)
    os.close(slave)
    try:
        out = _read_until(master, b"\n")
    finally:
        child.wait(timeout=30)
        os.close(master)
    assert b"textual loaded: False" in out
