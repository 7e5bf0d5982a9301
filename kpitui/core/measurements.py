"""The measurements file: a long table of dated observations per node (CSV or Parquet)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REQUIRED = ("node", "date", "value")


@dataclass
class Measurements:
    """Observations per node, oldest first, and what was wrong with the file."""

    path: Path
    history: dict[str, list[tuple[date, float]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the file could not be used
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    first_line: dict[str, int] = field(default_factory=dict)  # node -> first line it is on


def load_measurements(path: Path) -> Measurements:
    """Read a measurements file; never raises for bad content, it is reported instead."""
    import polars as pl  # only trees with measurements pay for importing polars

    result = Measurements(path)
    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
            frame = frame.with_columns(pl.all().cast(pl.String))
        else:
            frame = pl.read_csv(path, infer_schema=False)
    except FileNotFoundError:
        result.problems.append(f"measurements file {str(path)!r} does not exist; fix tree.measurements")
        return result
    except (OSError, pl.exceptions.PolarsError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        result.problems.append(f"measurements file {str(path)!r} cannot be read ({reason})")
        return result
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        result.problems.append(
            f"measurements file {str(path)!r} lacks the column(s) {', '.join(missing)}; "
            "it needs node, date, value (and optionally note)"
        )
        return result
    parsed = frame.select(
        pl.col("node"),
        pl.col("date").str.strip_chars().str.to_date("%Y-%m-%d", strict=False).alias("day"),
        pl.col("value").str.strip_chars().cast(pl.Float64, strict=False).alias("number"),
        pl.col("date").alias("date_text"),
        pl.col("value").alias("value_text"),
    ).with_row_index("row")
    for row, node, day, number, date_text, value_text in parsed.iter_rows():
        line = row + 2  # the header is line 1
        if node is None or not node.strip():
            result.bad_rows.append((line, "has no node id"))
            continue
        if day is None:
            result.bad_rows.append((line, f"has date {date_text!r}, not an ISO date like 2026-06-30"))
            continue
        if number is None:
            result.bad_rows.append((line, f"has value {value_text!r}, not a number"))
            continue
        result.history.setdefault(node, []).append((day, number))
        result.first_line.setdefault(node, line)
    for observations in result.history.values():
        observations.sort(key=lambda obs: obs[0])
    return result
