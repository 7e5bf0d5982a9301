"""`check` on pathological but valid shapes ÷ `check` on a flat tree of as many nodes (goal ≤ 3x).

A 20,000-deep chain, a 10,000-node parent loop and 400- and 800-node influence cliques
(every node influencing every other): before the fixes 493 s and a MemoryError, a
MemoryError, and 32 s with 17 MB of output (260 s at 800 nodes). Each pair of commands is
run in turn and the medians compared (a busy machine slows both alike).

A clique's file holds n·(n-1) influences (1.9 MB at 400 nodes, 7.6 MB at 800, against
37 KB and 75 KB for the flat trees), so merely reading it is already a multiple of the
flat tree's whole check; the last column says how much.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks import shapes
from benchmarks.harness import PY, Ratio, interleaved, print_ratio, seconds

KPITUI = [sys.executable, "-m", "kpitui", "check", "--fail-on", "never"]
CASES = (
    ("20,000-deep chain", shapes.chain, 20_000),
    ("10,000-node loop", shapes.loop, 10_000),
    ("400-node influence clique", shapes.clique, 400),
    ("800-node influence clique", shapes.clique, 800),
)
GOAL = 3.0
# Reading the file as check does: toml-rs, the clique being proved shallow (io/toml_read.py).
READ = "import sys, toml_rs; toml_rs.loads(open(sys.argv[1], encoding='utf-8').read())"


def run(base: Path, runs: int) -> list[Ratio]:
    """One ratio per shape, each against a flat tree of the same node count."""
    found: list[Ratio] = []
    for name, make, n in CASES:
        shape, flat = base / f"shape-{n}.toml", base / f"flat-{n}.toml"
        shape.write_text(make(n), encoding="utf-8")
        flat.write_text(shapes.flat(n), encoding="utf-8")
        commands = {"shape": [*KPITUI, str(shape)], "flat": [*KPITUI, str(flat)]}
        if "clique" in name:
            commands["read"] = [PY, "-c", READ, str(shape)]
        timed = interleaved(commands, runs, warmup=0)
        t_shape, t_flat = timed["shape"].seconds, timed["flat"].seconds
        detail = f"{seconds(t_shape)} vs {seconds(t_flat)} flat"
        if "read" in timed:
            detail += f"; reading its TOML alone: {timed['read'].seconds / t_flat:.1f}x flat"
        found.append(print_ratio(Ratio(f"check on a {name} ÷ a flat tree", t_shape / t_flat, GOAL, detail)))
    return found


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder), 3)
