"""kpitui in a real terminal (tmux): keys typed ahead with small gaps from the moment it
starts, and a hang-up or kill while a dialog is open or a save is under way."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.generate import tree_text
from kpitui.io.journal import read_journals
from kpitui.services.document import Document
from tests.conftest import SAMPLES
from tests.tui.test_typeahead import TREE as PLAIN

TREE = PLAIN.replace("[tree]\n", '[tree]\ntitle = "Typed ahead"\n')

TMUX = shutil.which("tmux")
KPITUI = str(Path(sys.executable).parent / "kpitui")

pytestmark = pytest.mark.skipif(TMUX is None, reason="needs tmux")


class Terminal:
    """One tmux server on a private socket, one session running kpitui."""

    def __init__(self, tmp_path: Path) -> None:
        self.socket = f"kpitui-moments-{os.getpid()}"
        self.env = {
            **os.environ,
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        }
        self.pid = 0
        self.starts = 0

    def tmux(self, *args: str, check: bool = True) -> str:
        assert TMUX is not None
        done = subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, check=check, env=self.env
        )
        return done.stdout

    def start(self, tree: Path) -> None:
        self.tmux("kill-server", check=False)
        self.starts += 1  # a server of its own each time: a `new` racing the last one's exit fails
        self.socket = f"kpitui-moments-{os.getpid()}-{self.starts}"
        self.tmux("new", "-d", "-s", "t", "-x", "100", "-y", "30", f"exec {KPITUI} {tree}")
        self.pid = int(self.tmux("list-panes", "-t", "t", "-F", "#{pane_pid}").strip())

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t", check=False)

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.screen():
                return
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared:\n{self.screen()}")

    def type(self, keys: list[str], gaps: tuple[float, float] = (0.05, 0.1), seed: int = 7) -> None:
        """Each key with a small random gap: one character, or a tmux key name (Enter, Tab, C-s)."""
        rng = random.Random(seed)
        for key in keys:
            if len(key) == 1:
                self.tmux("send-keys", "-t", "t", "-l", key)
            else:
                self.tmux("send-keys", "-t", "t", key)
            time.sleep(rng.uniform(*gaps))

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        stat = Path(f"/proc/{self.pid}/stat")
        return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))

    def gone_within(self, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while self.alive() and time.monotonic() < end:
            time.sleep(0.05)
        return not self.alive()

    def close(self) -> None:
        if self.pid and self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.tmux("kill-server", check=False)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(tmp_path)
    try:
        yield term
    finally:
        term.close()


def journaled(tree: Path, env: dict[str, str]) -> list[dict[str, dict[str, object]]]:
    """The changed tables of every journal left for `tree`."""
    old = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = env["XDG_STATE_HOME"]
    try:
        return [j.changed for j in read_journals(tree).journals]
    finally:
        if old is None:
            del os.environ["XDG_STATE_HOME"]
        else:
            os.environ["XDG_STATE_HOME"] = old


def test_a_form_typed_ahead_from_the_start_with_small_gaps(tmp_path: Path, terminal: Terminal) -> None:
    """The issue's keys at 0.05–0.1 s gaps, typed from the moment kpitui starts, without looking."""
    tree = tmp_path / "t.toml"
    tree.write_text(TREE, encoding="utf-8")
    terminal.start(tree)
    terminal.type(["G", "a", *"Conversion rate", "Enter", "Enter", "Enter", *"Web team", "C-s", "C-s", "q"])
    assert terminal.gone_within(20), terminal.screen()
    assert Document.open(tree).tables["conversion-rate"] == {
        "name": "Conversion rate",
        "parent": "o",
        "unit": "Web team",
        "owner": "Team",
    }


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_a_hang_up_while_a_dialog_is_open_ends_kpitui_and_keeps_the_edit(
    signum: int, tmp_path: Path, terminal: Terminal
) -> None:
    tree = tmp_path / "t.toml"
    tree.write_text(TREE, encoding="utf-8")
    terminal.start(tree)
    terminal.wait_for("Typed ahead")
    terminal.type(["G", "e", "Tab", *"Sales", "C-s"])  # an unsaved edit: o's owner
    terminal.wait_for("unsaved")
    terminal.type(["e", *"half typed"])  # the form open again, something typed in it
    terminal.wait_for("half typed")
    if signum == signal.SIGHUP:
        terminal.tmux("kill-session", "-t", "t")  # the terminal closes: SIGHUP
    else:
        os.kill(terminal.pid, signum)
    assert terminal.gone_within(5)
    assert [changed["o"]["owner"] for changed in journaled(tree, terminal.env)] == ["Sales"]
    assert tree.read_text(encoding="utf-8") == TREE


def test_a_hang_up_while_a_big_tree_is_being_saved_loses_nothing(tmp_path: Path, terminal: Terminal) -> None:
    """The terminal closes at several moments of a save of a 20,000-node tree: no process is
    left, and the edit is in the file or in a journal each time."""
    original = tree_text(20_000)
    left: list[str] = []
    lost: list[str] = []
    for attempt, delay in enumerate((0.0, 0.1, 0.3, 0.6, 1.0)):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        tree = folder / "big.toml"
        tree.write_text(original, encoding="utf-8")
        terminal.env["XDG_STATE_HOME"] = str(folder / "state")
        terminal.start(tree)
        terminal.wait_for("Benchmark 20000", timeout=120)
        terminal.type(["e", "Tab", *"Zed", "C-s"])  # the first goal's owner
        terminal.wait_for("unsaved")
        terminal.tmux("send-keys", "-t", "t", "C-s")
        time.sleep(delay)
        terminal.tmux("kill-session", "-t", "t")
        if not terminal.gone_within(5):
            left.append(f"after {delay}s")
            os.kill(terminal.pid, signal.SIGKILL)
        saved = Document.open(tree).tables["n0"].get("owner") == "Zed"
        kept = any(changed.get("n0", {}).get("owner") == "Zed" for changed in journaled(tree, terminal.env))
        if not (saved or kept):
            lost.append(f"after {delay}s")
    assert left == []
    assert lost == []


def test_the_cycle_mark_is_whole_at_100_columns(tmp_path: Path, terminal: Terminal) -> None:
    """sales.toml has a parent cycle: its line ends in `↻ cycle`, never cut, at 100×30."""
    tree = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", tree)
    terminal.start(tree)
    terminal.wait_for("Omzet")
    terminal.type(["p"])  # problems only: the cycle's loop is shown, expanded
    terminal.wait_for("↻ cycle")
    lines = [line for line in terminal.screen().splitlines() if "↻" in line]
    assert lines
    assert all("↻ cycle" in line for line in lines)
