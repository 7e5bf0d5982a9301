"""`make bench`: every benchmark, each ratio printed next to its goal as soon as it is measured.

These machines are shared and noisy: absolute times mean little, so every goal is a ratio of
two things measured in the same run (whole processes where a user waits for a process, run
in turn, medians compared). The one entry point: each benchmark module is called from here.

- benchmarks/check.py   start-up, `check` at 10k (and 100k), export, measurements rows, save
- benchmarks/tui.py     the TUI in a real terminal (tmux): first frame, tree shown, memory,
                        key-to-frame latency
- benchmarks/edits.py    one edit (incremental analysis, journal) ÷ a full analysis, 10k (and 100k)
- benchmarks/measurements.py  `check` with 1M measurement rows ÷ polars reading them
- benchmarks/keystrokes.py    keys to build a tree in the TUI
- benchmarks/pathological.py  `check` on a deep chain, a long loop, an influence clique ÷ flat
- benchmarks/toml_readers.py  the TOML readers compared (only with --readers)

Usage: python benchmarks/run.py [--full] [--runs N] [--only NAME ...] [--readers]
  --full   also the 100k-node cases and 10M measurement rows (many minutes on a 2-core machine)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import check, edits, pathological, tui
from benchmarks.harness import PY, Ratio, compile_bytecode

HERE = Path(__file__).resolve().parent
SECTIONS = ("check", "edits", "tui", "measurements", "keystrokes", "whatif", "shapes")


def measure(args: list[str], repeat: int) -> tuple[float, int]:
    """Best wall time in seconds and the largest max RSS in MiB over `repeat` runs."""
    best, peak = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(args)} failed with exit code {proc.returncode}")
        best = min(best, elapsed)
        peak = max(peak, usage.ru_maxrss // 1024)
    return best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="also measure 100k-node trees (takes minutes)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (median kept; default 5)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="run only these")
    parser.add_argument("--readers", action="store_true", help="also compare the TOML readers")
    options = parser.parse_args()
    compile_bytecode()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min) on {os.cpu_count()} cores")
    print("   ratio  goal         what (median of interleaved runs, whole processes)")
    found: list[Ratio] = []
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        if "check" in options.only:
            found += check.run(base, options.full, options.runs)
        if "edits" in options.only:
            found += edits.run([10_000, 100_000] if options.full else [10_000])
        if "shapes" in options.only:
            found += pathological.run(base, 3)
        if "tui" in options.only:
            found += tui.run(base, options.full, max(3, options.runs // 2))
    if options.readers:
        subprocess.run([PY, str(HERE / "toml_readers.py")], check=True)
    if "measurements" in options.only:
        subprocess.run([PY, str(HERE / "measurements.py"), *(["--large"] if options.full else [])], check=True)
    if "keystrokes" in options.only:
        subprocess.run([PY, str(HERE / "keystrokes.py")], check=True)
    if "whatif" in options.only:
        # A what-if step on a tree of formulas against a full analysis (issue 11), in its own process.
        subprocess.run([PY, str(HERE / "whatif.py")], check=True)
    missed = [r.name for r in found if r.goal is not None and r.value > r.goal]
    print(f"{len(missed)} of {sum(r.goal is not None for r in found)} timed goals above this module's goal line missed")


if __name__ == "__main__":
    main()
