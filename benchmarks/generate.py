"""Generate realistic KPI trees of N nodes (and measurement files of M rows) for benchmarks."""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

UNITS = ("EUR", "%", "orders", "leads", "uur", "stuks")
OWNERS = ("Marketing", "Sales", "Klantenservice", "Operations", "Finance", "HR")


def tree_text(n: int, seed: int = 1, measurements: str | None = None) -> str:
    """A tree of `n` nodes: goals, objectives two levels deep, KPIs with drivers, some problems."""
    rng = random.Random(seed)
    out = [
        "# Generated benchmark tree.",
        "version = 1",
        "",
        "[tree]",
        f'title = "Benchmark {n}"',
        "as_of = 2026-06-30",
        "period = { start = 2026-01-01, end = 2026-12-31 }",
    ]
    if measurements:
        out.append(f'measurements = "{measurements}"')
    out.append("")
    goals = max(1, n // 200)
    ids: list[str] = []
    parents_pool: list[str] = []
    kpis: list[str] = []
    for i in range(n):
        node_id = f"n{i}"
        if i < goals:
            kind, parent = "goal", None
        elif i < goals * 6:
            kind, parent = "objective", ids[rng.randrange(goals)]
        else:
            kind = "kpi"
            parent = rng.choice(parents_pool) if rng.random() < 0.7 or not kpis else rng.choice(kpis)
            if rng.random() < 0.002:
                parent = None  # an orphan now and then
        ids.append(node_id)
        if kind == "objective":
            parents_pool.append(node_id)
        out.append(f"# node {i}")
        out.append(f"[nodes.{node_id}]")
        out.append(f'name = "{kind.capitalize()} {i} — ë€"')
        out.append(f'kind = "{kind}"')
        if parent:
            out.append(f'parent = "{parent}"')
        out.append(f'owner = "{rng.choice(OWNERS)}"')
        out.append('owner_type = "team"')
        if kind == "kpi":
            kpis.append(node_id)
            target = rng.randrange(10, 10_000)
            out.append(f'unit = "{rng.choice(UNITS)}"')
            out.append(f'pacing = "{rng.choice(("linear", "level"))}"')
            out.append(f"target = {target}")
            out.append(f"actual = {round(target * rng.uniform(0.3, 1.2), 1)}")
            out.append(f"measured = {date(2026, 6, 1) + timedelta(days=rng.randrange(29))}")
            out.append('frequency = "monthly"')
            if len(kpis) > 2 and rng.random() < 0.02:
                out.append(f'conflicts = ["{rng.choice(kpis[:-1])}"]')
            if len(kpis) > 2 and rng.random() < 0.02:
                out.append(f'influences = {{ {rng.choice(kpis[:-1])} = "{rng.choice("+-")}" }}')
            out.append(f'description = "Generated KPI number {i}."')
        out.append("")
    return "\n".join(out)


def measurements_csv(n: int, rows: int, seed: int = 2) -> str:
    """`rows` weekly observations spread over the KPIs of a tree of `n` nodes."""
    rng = random.Random(seed)
    first_kpi = max(1, n // 200) * 6
    lines = ["node,date,value,note"]
    start = date(2026, 1, 2)
    for _ in range(rows):
        node = f"n{rng.randrange(first_kpi, n)}" if n > first_kpi else "n0"
        day = start + timedelta(weeks=rng.randrange(26))
        lines.append(f"{node},{day},{rng.randrange(0, 10_000)},")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("nodes", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--measurements", type=int, default=0, metavar="ROWS")
    args = parser.parse_args()
    csv_name = None
    if args.measurements:
        csv_name = args.out.with_suffix(".csv").name
        args.out.with_suffix(".csv").write_text(measurements_csv(args.nodes, args.measurements))
    args.out.write_text(tree_text(args.nodes, measurements=csv_name), encoding="utf-8")


if __name__ == "__main__":
    main()
