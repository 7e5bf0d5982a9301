"""Benchmarks as ratios measured in one run (these machines are noisy; absolute times are not).

Prints, for generated trees of 1k, 10k and 100k nodes:
- `kpitui check` against the standard library's `tomllib` merely parsing the same file;
- `kpitui export` against `kpitui check`;
- how time per node grows from 10k to 100k nodes (1.0 is perfectly linear);
- `check` with 100k measurement rows against `check` without;
- peak memory (max RSS) of each process.

Usage: python benchmarks/run.py [--quick]   (--quick skips 100k nodes)
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

from benchmarks.generate import measurements_csv, tree_text

PY = sys.executable


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
    parser.add_argument("--quick", action="store_true", help="skip the 100k-node tree")
    options = parser.parse_args()
    sizes = [1_000, 10_000] if options.quick else [1_000, 10_000, 100_000]
    parse = "import sys, tomllib; tomllib.load(open(sys.argv[1], 'rb'))"
    per_node: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        print(
            f"{'nodes':>8} {'MB':>6} {'tomllib s':>10} {'check s':>8} {'check/parse':>12} "
            f"{'export/check':>13} {'check MiB':>10} {'parse MiB':>10}"
        )
        for n in sizes:
            path = base / f"tree{n}.toml"
            path.write_text(tree_text(n), encoding="utf-8")
            repeat = 3 if n <= 10_000 else 1
            parse_s, parse_mb = measure([PY, "-c", parse, str(path)], repeat)
            check_s, check_mb = measure([PY, "-m", "kpitui", "check", str(path), "--fail-on", "never"], repeat)
            export_s, _ = measure([PY, "-m", "kpitui", "export", str(path), "-o", str(base / "out.csv")], repeat)
            per_node[n] = check_s / n
            print(
                f"{n:>8} {path.stat().st_size / 1e6:>6.1f} {parse_s:>10.2f} {check_s:>8.2f} "
                f"{check_s / parse_s:>12.2f} {export_s / check_s:>13.2f} {check_mb:>10} {parse_mb:>10}"
            )
        if 100_000 in per_node:
            print(f"time per node, 100k vs 10k nodes: {per_node[100_000] / per_node[10_000]:.2f} (1.00 = linear)")
        rows = 100_000
        with_m = base / "measured.toml"
        with_m.write_text(tree_text(10_000, measurements="measured.csv"), encoding="utf-8")
        (base / "measured.csv").write_text(measurements_csv(10_000, rows))
        plain_s, _ = measure([PY, "-m", "kpitui", "check", str(base / "tree10000.toml"), "--fail-on", "never"], 3)
        measured_s, measured_mb = measure([PY, "-m", "kpitui", "check", str(with_m), "--fail-on", "never"], 3)
        print(
            f"check of 10k nodes with {rows} measurement rows vs without: {measured_s / plain_s:.2f} "
            f"({measured_mb} MiB peak)"
        )
        ratio = save_ratio(base / "tree10000.toml")
        print(f"save of a 10k-node tree after one edit vs loading it: {ratio:.2f} (target <= 0.25)")
    # Editing speed is counted in keys, not timed: its own script, in its own process.
    subprocess.run([PY, str(Path(__file__).with_name("keystrokes.py"))], check=True)


def save_ratio(path: Path) -> float:
    """Saving after one edit, against loading the same file (in one process, best of 3)."""
    from kpitui.core.document import Document
    from kpitui.core.loader import load_tree

    load_s = save_s = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        load_tree(path)
        load_s = min(load_s, time.perf_counter() - start)
        doc = Document.open(path)
        doc.set_fields(next(iter(doc.tables)), {"owner": "Benchmark"})
        start = time.perf_counter()
        doc.save()
        save_s = min(save_s, time.perf_counter() - start)
    return save_s / load_s


if __name__ == "__main__":
    main()
