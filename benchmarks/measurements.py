"""Measurements at scale: `kpitui check` of a 10k-node tree with 1M (and 10M) measurement rows,
against polars merely reading the same file (whole processes, best of a few runs).

Goal (issue 14 / issue 10): check ÷ read ≤ 1.5 for 1M rows, CSV and Parquet, and the same at 10M.
The 10M-row files (about 250 MB of CSV) take a while to write and read; they are measured
with --large (`make bench-full`), in a temporary folder removed afterwards.

Usage: python benchmarks/measurements.py [--large] [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import tree_text
from benchmarks.harness import PY, Ratio, compile_bytecode, interleaved, print_ratio, seconds

GOAL = 1.5
NODES = 10_000


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


def ratio(folder: Path, data: Path, runs: int) -> Ratio:
    """`check` of a 10k-node tree whose measurements are `data` ÷ polars merely reading `data`,
    and the same tree's check without measurements for scale (interleaved runs, medians)."""
    tree = folder / f"tree-{data.name}.toml"
    tree.write_text(tree_text(NODES, measurements=data.name), encoding="utf-8")
    plain = folder / "tree-plain.toml"
    plain.write_text(tree_text(NODES), encoding="utf-8")
    reader = "read_parquet" if data.suffix == ".parquet" else "read_csv"
    check = [PY, "-m", "kpitui", "check", "--fail-on", "never"]
    timed = interleaved(
        {
            "read": [PY, "-c", f"import sys, polars; polars.{reader}(sys.argv[1])", str(data)],
            "check": [*check, str(tree)],
            "plain": [*check, str(plain)],
        },
        runs,
        warmup=0,
    )
    read_s, check_s, plain_s = timed["read"].seconds, timed["check"].seconds, timed["plain"].seconds
    rows = int(data.stem.removeprefix("m"))
    return Ratio(
        f"check of 10k nodes with {rows / 1e6:g}M rows ({data.suffix[1:]}) ÷ polars reading them",
        check_s / read_s,
        GOAL,
        f"{seconds(check_s)} vs {seconds(read_s)}; the same tree without measurements: {seconds(plain_s)}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", help="also measure 10M rows (minutes; files in a temp dir)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (median kept; default 3)")
    options = parser.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory() as name:  # removed afterwards, with the 10M-row files
        folder = Path(name)
        for rows in (1_000_000, 10_000_000):
            if rows > 1_000_000 and not options.large:
                print(f"{'':>8}  10M rows: measured with --large (make bench-full)", flush=True)
                continue
            for data in write_rows(folder, rows):
                print_ratio(ratio(folder, data, options.runs if rows <= 1_000_000 else 1))
                data.unlink()


if __name__ == "__main__":
    main()
