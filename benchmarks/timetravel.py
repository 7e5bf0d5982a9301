"""The TUI's time-travel step (`<` / `>`) on a 10k-node tree with 100k measurement rows, against a full
analysis (reading the tree and its measurements, then analysing). Goal: step ÷ full ≤ 1.0.

The step is what the TUI does: analyse the tree at another date on the measurements already read.

Usage: python benchmarks/timetravel.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import measurements_csv, tree_text

GOAL = 1.0


def main() -> None:
    from kpitui.analysis.graph import KpiGraph
    from kpitui.engine import analyze
    from kpitui.io.loader import load_tree

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "tree.toml"
        path.write_text(tree_text(10_000, measurements="m.csv"), encoding="utf-8")
        (folder / "m.csv").write_text(measurements_csv(10_000, 100_000))
        full = step = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            tree = load_tree(path)
            first = analyze(tree)
            full = min(full, time.perf_counter() - start)
            graph, rows = KpiGraph(tree.nodes), first.measurements
            start = time.perf_counter()
            analyze(tree, first.as_of - timedelta(days=7), graph, measurements=rows)
            step = min(step, time.perf_counter() - start)
        ratio = step / full
        print(
            f"time-travel step, 10k nodes: {step:.2f} s vs full analysis {full:.2f} s: {ratio:.2f} "
            f"(goal <= {GOAL}) {'ok' if ratio <= GOAL else 'OVER'}"
        )


if __name__ == "__main__":
    main()
