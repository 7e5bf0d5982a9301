"""`check` on pathological but valid shapes ÷ `check` on a flat tree of as many nodes (goal ≤ 3x).

A 20,000-deep chain, a 10,000-node parent loop and a 400-node influence clique (every
node influencing every other): before the fix 493 s and a MemoryError, a MemoryError,
and 32 s with 17 MB of output.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from benchmarks import shapes
from benchmarks.harness import Ratio, print_ratio

KPITUI = [sys.executable, "-m", "kpitui", "check", "--fail-on", "never"]
CASES = (("20,000-deep chain", shapes.chain, 20_000), ("10,000-node loop", shapes.loop, 10_000))
CLIQUE = ("400-node influence clique", shapes.clique, 400)
GOAL = 3.0


def _time(path: Path, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*KPITUI, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def run(base: Path, runs: int) -> list[Ratio]:
    """One ratio per shape, each against a flat tree of the same node count."""
    found: list[Ratio] = []
    for name, make, n in (*CASES, CLIQUE):
        shape, flat = base / f"shape-{n}.toml", base / f"flat-{n}.toml"
        shape.write_text(make(n), encoding="utf-8")
        flat.write_text(shapes.flat(n), encoding="utf-8")
        t_shape, t_flat = _time(shape, runs), _time(flat, runs)
        detail = f"{t_shape:.2f} s vs {t_flat:.2f} s flat"
        found.append(print_ratio(Ratio(f"check on a {name} ÷ a flat tree", t_shape / t_flat, GOAL, detail)))
    return found


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder), 1)
