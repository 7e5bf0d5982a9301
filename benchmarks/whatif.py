"""A what-if step against a full analysis, on a 10k-node tree with 2k formula nodes (issue 11).

A what-if step is what one + in the TUI's what-if mode or one `kpitui whatif` value costs:
replace one driver's actual and recompute what depends on it (values, statuses, rollup
statuses, forecasts). Goal: ≤ 0.2 of a full analysis of the same tree, in the same process. The
same step with the scenario's findings recomputed is printed too.

Usage: python benchmarks/whatif.py
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import tree_text

NODES, FORMULAS = 10_000, 2_000
GOAL = 0.2


def formula_tree(n: int = NODES, formulas: int = FORMULAS, seed: int = 3) -> str:
    """The generated tree with `formulas` KPIs computed from earlier KPIs instead of measured."""
    rng = random.Random(seed)
    blocks = tree_text(n).split("\n\n")
    kpi_blocks = [i for i, b in enumerate(blocks) if 'kind = "kpi"' in b]
    chosen = set(rng.sample(kpi_blocks[len(kpi_blocks) // 5 :], formulas))
    earlier: list[str] = []
    for i, block in enumerate(blocks):
        if i not in kpi_blocks:
            continue
        node_id = block.split("[nodes.", 1)[1].split("]", 1)[0]
        if i in chosen and len(earlier) >= 3:
            a, b, c = rng.sample(earlier[-400:], 3)
            text = rng.choice([f"{a} * {b} / 100", f"{a} + {b} - {c}", f"max({a}, {b}) + {c} / 10", f"({a} + {b}) / 2"])
            lines = [line for line in block.splitlines() if not line.startswith(("actual =", "measured =", "pacing ="))]
            lines.insert(lines.index(f"[nodes.{node_id}]") + 1, f'formula = "{text}"')
            blocks[i] = "\n".join(lines)
        earlier.append(node_id)
    return "\n\n".join(blocks)


def main() -> None:
    from kpitui.drivers.questions import what_if
    from kpitui.engine import analyze
    from kpitui.io.loader import load_tree

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "formulas.toml"
        path.write_text(formula_tree(), encoding="utf-8")
        tree = load_tree(path)
        full = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            analysis = analyze(tree)
            full = min(full, time.perf_counter() - start)
        assert analysis.values is not None
        formula_nodes = sum(1 for node in tree.nodes.values() if node.formula is not None)
        drivers = [n for n, d in analysis.values.dependents.items() if d and analysis.layers["actual"].value(n)]
        rng = random.Random(4)
        sample = rng.sample(drivers, 50)
        steps, with_findings, affected = [], [], []
        for driver in sample:
            value = analysis.layers["actual"].value(driver)
            assert value is not None
            start = time.perf_counter()
            scenario = what_if(analysis, {driver: value * 1.01})
            steps.append(time.perf_counter() - start)
            affected.append(len(scenario.hypothetical))
        for driver in sample[:5]:
            value = analysis.layers["actual"].value(driver)
            assert value is not None
            start = time.perf_counter()
            what_if(analysis, {driver: value * 1.01}).analysis()
            with_findings.append(time.perf_counter() - start)
    step = statistics.median(steps)
    print(
        f"what-if step, {len(tree.nodes)} nodes with {formula_nodes} formulas "
        f"(median of {len(steps)} drivers, {statistics.median(affected):.0f} nodes affected): "
        f"{step * 1000:.2f} ms vs full analysis {full * 1000:.0f} ms: {step / full:.4f} (goal <= {GOAL})"
    )
    print(
        f"  the same step with the scenario's findings recomputed: {statistics.median(with_findings) / full:.2f} "
        "of a full analysis (what `kpitui whatif` and the what-if screen's detail do)"
    )


if __name__ == "__main__":
    main()
