"""Measurements at scale: `kpitui check` of a 10k-node tree with 1M (and 10M) measurement rows,
against polars merely reading the same file (whole processes, best of a few runs).

Goal (issue 14 / issue 10): check ÷ read ≤ 1.5 for 1M rows, CSV and Parquet, and the same at 10M.
The 10M-row files take a while to write; they are measured only with --large (or when the
1M runs suggest the 10M ones fit in the time budget), else the line says it was skipped.

Usage: python benchmarks/measurements.py [--large]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import tree_text
from benchmarks.harness import compile_bytecode
from benchmarks.run import PY, measure

GOAL = 1.5
NODES = 10_000
BUDGET_S = 120.0  # the whole benchmark should stay under two minutes on a shared machine


def write_rows(folder: Path, rows: int) -> tuple[Path, Path]:
    """A CSV and a Parquet file of `rows` weekly observations over the tree's KPIs (polars writes them)."""
    import polars as pl

    first_kpi = max(1, NODES // 200) * 6
    frame = pl.DataFrame(
        {
            "node": (pl.int_range(0, rows, eager=True) * 7919 % (NODES - first_kpi) + first_kpi).cast(pl.String),
            "day": pl.date_range(pl.date(2026, 1, 2), pl.date(2026, 6, 26), "1w", eager=True).sample(
                rows, with_replacement=True, seed=3
            ),
            "value": pl.int_range(0, rows, eager=True) * 37 % 10_000,
        }
    ).select(("n" + pl.col("node")).alias("node"), pl.col("day").alias("date"), "value", pl.lit("").alias("note"))
    csv, parquet = folder / f"m{rows}.csv", folder / f"m{rows}.parquet"
    frame.write_csv(csv)
    frame.write_parquet(parquet)
    return csv, parquet


def ratio(folder: Path, data: Path, repeat: int) -> tuple[float, float, float]:
    """(check s, read s, check ÷ read) for a tree whose measurements are `data`."""
    tree = folder / f"tree-{data.name}.toml"
    tree.write_text(tree_text(NODES, measurements=data.name), encoding="utf-8")
    reader = "read_parquet" if data.suffix == ".parquet" else "read_csv"
    read_s, _ = measure([PY, "-c", f"import sys, polars; polars.{reader}(sys.argv[1])", str(data)], repeat)
    check_s, _ = measure([PY, "-m", "kpitui", "check", str(tree), "--fail-on", "never"], repeat)
    return check_s, read_s, check_s / read_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", help="also measure 10M rows, however long it takes")
    options = parser.parse_args()
    compile_bytecode()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for rows in (1_000_000, 10_000_000):
            spent = time.perf_counter() - started
            if rows > 1_000_000 and not options.large and spent * 12 > BUDGET_S:
                print(f"{rows:>10} rows: skipped (would exceed {BUDGET_S:.0f} s; run with --large)")
                continue
            files = write_rows(folder, rows)
            for data in files:
                check_s, read_s, r = ratio(folder, data, 3 if rows <= 1_000_000 else 1)
                verdict = "ok" if r <= GOAL else "OVER"
                print(
                    f"{rows:>10} rows {data.suffix[1:]:>7}: check {check_s:6.2f} s, polars read {read_s:6.2f} s, "
                    f"check/read {r:5.2f} (goal <= {GOAL}) {verdict}"
                )


if __name__ == "__main__":
    main()
