"""A hang-up or a kill ends kpitui at every moment of its life, journaling unsaved edits first."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.generate import tree_text
from tests.conftest import ROOT, SAMPLES

TMUX = shutil.which("tmux")
KPITUI = str(Path(sys.executable).parent / "kpitui")
TRIES = int(os.environ.get("HANGUP_TRIES", "6"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


@pytest.mark.skipif(TMUX is None, reason="needs tmux")
def test_closing_the_terminal_at_random_moments_leaves_no_process(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text(tree_text(int(os.environ.get("HANGUP_NODES", "20000"))), encoding="utf-8")
    small = tmp_path / "webshop.toml"
    shutil.copy(SAMPLES / "webshop.toml", small)
    socket = f"kpitui-test-{os.getpid()}"
    rng = random.Random(6)
    left: list[str] = []
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    try:
        for attempt in range(TRIES):
            # A server of its own each time: a `new` racing the previous server's exit fails.
            socket = f"kpitui-test-{os.getpid()}-{attempt}"
            tree = big if attempt % 2 else small
            delay = rng.uniform(0.05, 4.0)
            subprocess.run(
                [TMUX, "-L", socket, "new", "-d", "-s", "t", "-x", "100", "-y", "30", f"exec {KPITUI} {tree}"],
                check=True,
                cwd=ROOT,
                env=env,
            )
            time.sleep(delay)
            pane = subprocess.run(
                [TMUX, "-L", socket, "list-panes", "-t", "t", "-F", "#{pane_pid}"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            subprocess.run([TMUX, "-L", socket, "kill-session", "-t", "t"], check=False)
            if not pane:
                continue
            deadline = time.monotonic() + 5
            while _alive(int(pane)) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(int(pane)):
                left.append(f"{tree.name} after {delay:.2f}s")
                os.kill(int(pane), signal.SIGKILL)
            subprocess.run([TMUX, "-L", socket, "kill-server"], check=False, capture_output=True)
    finally:
        subprocess.run([TMUX, "-L", socket, "kill-server"], check=False, capture_output=True)
    assert left == []


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_a_hang_up_with_unsaved_edits_journals_then_ends(signum: int, tmp_path: Path) -> None:
    marker = tmp_path / "journaled"
    code = (
        "import os, signal, time\n"
        "from kpitui.tui import hangup\n"
        f"hangup.install(lambda: open({str(marker)!r}, 'w').write('x'))\n"
        "hangup.arm(True)\n"
        f"os.kill(os.getpid(), {int(signum)})\n"
        "time.sleep(10)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=20, check=False, cwd=ROOT)
    assert result.returncode == 128 + signum
    assert marker.read_text() == "x"


@pytest.mark.skipif(TMUX is None, reason="needs tmux")
def test_q_while_a_big_tree_loads_ends_at_once(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text(tree_text(30_000), encoding="utf-8")
    socket = f"kpitui-q-{os.getpid()}"
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    try:
        subprocess.run(
            [TMUX, "-L", socket, "new", "-d", "-s", "t", "-x", "100", "-y", "30", f"exec {KPITUI} {big}"],
            check=True,
            cwd=ROOT,
            env=env,
        )
        time.sleep(1.5)
        pane = subprocess.run(
            [TMUX, "-L", socket, "list-panes", "-t", "t", "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        subprocess.run([TMUX, "-L", socket, "send-keys", "-t", "t", "q"], check=True)
        deadline = time.monotonic() + 8  # the TOML reader may hold the interpreter a few seconds
        while _alive(int(pane)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(int(pane)), "q while loading did not end kpitui"
    finally:
        subprocess.run([TMUX, "-L", socket, "kill-server"], check=False, capture_output=True)
