"""The TUI in a real terminal (tmux, private socket), as a user sees it: ratios in one run.

- first frame (header, "Loading…") of kpitui at 10 and 10k nodes (100k with --full) ÷ the
  first frame of a minimal Textual app: goal ≤ 1.5;
- tree shown and usable ÷ `kpitui check` of the same file (goal ≤ 1.5 at 100k), and the
  app's peak memory ÷ a process that merely parses the file into a dict (goal ≤ 3 at 100k);
- q while a 50k-node tree loads until the process is gone, at five moments of the load
  (reading, checking, analysing): goal ≤ 500 ms (issue 8: "quits at once");
- key-to-frame latency of a cursor move (goal ≤ 20 ms at 100k) and of an edit (undo/redo of a
  recorded actual; goal ≤ 50 ms at 100k): from the key sent to the frame arriving in tmux.

Without --full the tree-shown, memory and latency lines are measured at 10k nodes (the goals
are held at 100k, where one run takes minutes on this machine).
"""

from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.check import PARSE, check_args
from benchmarks.generate import tree_text
from benchmarks.harness import PY, Ratio, interleaved, print_ratio, seconds
from benchmarks.terminal import Terminal, TerminalGone

MINIMAL = """\
from textual.app import App
from textual.widgets import Static


class Minimal(App):
    def compose(self):
        yield Static("minimal app")


Minimal().run()
"""


def first_frames(term: Terminal, script: Path, trees: dict[int, Path], runs: int) -> dict[str, list[float]]:
    """Seconds from start to the first frame in the terminal, per app, `runs` times interleaved."""
    times: dict[str, list[float]] = {"minimal": [], **{str(n): [] for n in trees}}

    def first(args: list[str], *needles: bytes) -> float:
        for _ in range(3):  # a run under which tmux crashed is measured again (see Terminal.start)
            started = term.start(args)
            try:
                return term.wait_for(*needles, timeout=120) - started
            except TerminalGone:
                continue
        raise TerminalGone("tmux ended under three runs in a row")

    for _ in range(runs):
        times["minimal"].append(first([PY, str(script)], b"minimal app"))
        for n, path in trees.items():
            times[str(n)].append(first([PY, "-m", "kpitui", str(path)], b"Loading", b"Benchmark"))
    term.stop_program()
    return times


# Parse the file into a dict, then print the process's own peak memory (VmHWM, KiB). Not the
# rusage of the child: its max RSS counts the memory of the process it was started from (the
# benchmark, big after the in-process edit runs at 100k), which an exec does not reset.
PARSE_PEAK = PARSE + "; print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1])"


def parsed_dict_mib(path: Path) -> float:
    """The peak memory of a process that merely parses the file into a dict, as it measures it."""
    done = subprocess.run([PY, "-c", PARSE_PEAK, str(path)], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1]) / 1024


def peak_rss_mib(pid: int) -> float:
    """A running process's peak resident memory (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def shown_and_latency(term: Terminal, path: Path, presses: int) -> tuple[float, float, list[float], list[float]]:
    """Start kpitui on `path`; seconds until the tree is shown and usable, peak MiB then,
    and the latencies (s) of cursor moves and of edits (undo / redo of one recorded actual)."""
    started = term.start([PY, "-m", "kpitui", str(path)])
    term.wait_screen("Goal 0", timeout=600)
    term.settle(0.2, limit=5)
    # Usable: a key is answered (the cursor moves and its frame arrives).
    term.keys("j")
    shown = term.next_output(timeout=600) - started
    pid = int(term.tmux(["display-message", "-p", "-t", "bench", "#{pane_pid}"]).strip())
    memory = peak_rss_mib(pid)
    term.settle(0.5, limit=5)
    cursor = []
    for i in range(presses):
        sent = term.keys("j" if i % 2 else "k")
        cursor.append(term.next_output(timeout=60) - sent)
        term.settle(0.1, limit=5)
    # One edit to undo and redo: record an actual on the highlighted node.
    term.keys("j")
    term.settle(0.3, limit=5)
    term.keys("v")
    term.settle(0.5, limit=5)
    # The value, then its date (cleared and typed: the analysis date, so the edit counts).
    for key in ("4", "2", "Enter", "C-u", "2026-06-30", "Enter"):
        term.keys(key)
        term.settle(0.3, limit=5)
    term.wait_screen("unsaved", timeout=600)
    term.settle(0.5, limit=5)
    edits = []
    for i in range(max(2, presses // 4)):
        sent = term.keys("u" if i % 2 == 0 else "C-r")
        edits.append(term.next_output(timeout=600) - sent)
        term.settle(0.3, limit=5)
    term.stop_program()
    return shown, memory, cursor, edits


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return not stat.rsplit(") ", 1)[-1].startswith("Z")


def quit_while_loading(term: Terminal, path: Path, delays: list[float]) -> list[float]:
    """Seconds from q to the process gone, q pressed `delays` seconds after the "Loading" frame."""
    took = []
    for delay in delays:
        for _ in range(3):  # a run under which tmux crashed is measured again
            term.start([PY, "-m", "kpitui", str(path)])
            try:
                term.wait_for(b"Loading", timeout=120)
                break
            except TerminalGone:
                continue
        time.sleep(delay)
        pid = int(term.tmux(["display-message", "-p", "-t", "bench", "#{pane_pid}"]).strip())
        sent = term.keys("q")
        while _alive(pid) and time.perf_counter() - sent < 120:
            time.sleep(0.002)
        took.append(time.perf_counter() - sent)
        term.stop_program()
    return took


def run(base: Path, full: bool, runs: int) -> list[Ratio]:
    """Measure and print every ratio of this module."""
    found: list[Ratio] = []
    script = base / "minimal_app.py"
    script.write_text(MINIMAL)
    sizes = [10, 10_000, 100_000] if full else [10, 10_000]
    trees = {}
    for n in sizes:
        trees[n] = base / f"tui{n}.toml"
        trees[n].write_text(tree_text(n), encoding="utf-8")
    term = Terminal(socket=f"kpitui-bench-{time.time_ns()}")
    try:
        frames = first_frames(term, script, trees, runs)
        minimal = statistics.median(frames["minimal"])
        for n in sizes:
            first = statistics.median(frames[str(n)])
            found.append(
                print_ratio(
                    Ratio(
                        f"TUI first frame in tmux, {n} nodes ÷ a minimal Textual app",
                        first / minimal,
                        1.5,
                        f"{seconds(first)} vs {seconds(minimal)}",
                    )
                )
            )
        # q while a 50k-node tree loads (issue 8): while it is read, checked and analysed.
        loading = base / "tui50000.toml"
        loading.write_text(tree_text(50_000), encoding="utf-8")
        quits = quit_while_loading(term, loading, [0.3, 0.8, 1.5, 2.5, 4.0])
        found.append(
            print_ratio(
                Ratio(
                    "q while a 50k-node tree loads to the process gone, worst of 5 moments (ms)",
                    max(quits) * 1000,
                    500,
                    "each: " + ", ".join(f"{q * 1000:.0f}" for q in quits),
                )
            )
        )
        n = sizes[-1]
        shown, memory, cursor, edits = shown_and_latency(term, trees[n], 20)
    finally:
        term.close()
    label = f"{n // 1000}k"
    at_goal = n == 100_000
    base_times = interleaved({"check": check_args(trees[n])}, 1 if at_goal else runs)
    parsed = parsed_dict_mib(trees[n])
    found.append(
        print_ratio(
            Ratio(
                f"TUI tree shown and usable, {label} nodes ÷ check of the same file",
                shown / base_times["check"].seconds,
                1.5 if at_goal else None,
                f"{seconds(shown)} vs {seconds(base_times['check'].seconds)}",
            )
        )
    )
    found.append(
        print_ratio(
            Ratio(
                f"TUI peak memory, {label} nodes ÷ tomllib parsing the file into a dict",
                memory / parsed,
                3 if at_goal else None,
                f"{memory:.0f} MiB vs {parsed:.0f} MiB",
            )
        )
    )
    cursor_ms = statistics.median(cursor) * 1000
    edit_ms = statistics.median(edits) * 1000
    found.append(
        print_ratio(Ratio(f"cursor key to frame in tmux, {label} nodes (ms)", cursor_ms, 20 if at_goal else None))
    )
    found.append(
        print_ratio(
            Ratio(f"edit (undo/redo) key to frame in tmux, {label} nodes (ms)", edit_ms, 50 if at_goal else None)
        )
    )
    return found
