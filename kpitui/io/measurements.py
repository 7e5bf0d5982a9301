"""The measurements file: a long table of dated observations per node (CSV or Parquet).

The file is read once by a polars lazy scan into a frame of good rows; every question the
analysis asks of it afterwards (the newest value per node at a date, the least-squares sums
per node within its period, one node's history) is a polars expression over that frame, so
a million rows cost what polars costs, not a Python loop per row.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from kpitui.common.trend import Sums

if TYPE_CHECKING:
    import polars as pl

REQUIRED = ("node", "date", "value")


class Spread(NamedTuple):
    """What a node's values within its window span, and its newest row: enough to tell the few
    nodes whose newest value might be implausible (kpitui.rules.plausible) from the rest."""

    last_day: date  # the newest row on or before as_of, its value (window or not)
    last_value: float
    high: float  # the highest and lowest value within the window
    low: float


class Step(NamedTuple):
    """A node's newest value within its window (one value a day: the row written last) and what
    came before it: the value of the day before, and the highest and lowest of the days before,
    each as (day, value), None where there is no day before."""

    last: tuple[date, float]
    previous: tuple[date, float] | None
    highest: tuple[date, float] | None
    lowest: tuple[date, float] | None


class WindowSums(NamedTuple):
    """A node's least-squares sums within its window, and the first and last x seen."""

    sums: Sums
    x_min: float
    x_max: float


@dataclass
class Measurements:
    """The good rows of a measurements file, and what was wrong with it."""

    path: Path
    frame: pl.DataFrame | None = None  # node, day, value, line — good rows in file order
    problems: list[str] = field(default_factory=list)  # the file could not be used
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    def newest(self, as_of: date) -> dict[str, tuple[date, float]]:
        """Each node's newest observation on or before `as_of` (the later row wins a tie)."""
        return self.summary(as_of, {})[0]

    def window_sums(self, windows: Mapping[str, tuple[date, date]], as_of: date) -> dict[str, WindowSums]:
        """Per node, the sums of (x, value) for rows dated within its window and on or before `as_of`.

        `x` is the number of days since the window's start (docs/contract.md#forecast).
        """
        return self.summary(as_of, windows)[1]

    def summary(
        self, as_of: date, windows: Mapping[str, tuple[date, date]], spread: dict[str, Spread] | None = None
    ) -> tuple[dict[str, tuple[date, float]], dict[str, WindowSums]]:
        """Both at once, in one pass over the rows: each node's newest observation on or before `as_of`,
        and the least-squares sums of its rows within its window (start, end) and on or before `as_of`;
        with `spread`, also what its values within its window span (filled in, by node).

        One polars query grouped by node, whose result (a row per node) comes back to Python a
        column at a time. When every node shares one window (one period for the whole tree, the
        usual case) the window is a constant of the query rather than a join on node ids.
        """
        import polars as pl

        if self.frame is None or self.frame.is_empty():
            return {}, {}
        day, x, y = pl.col("day"), pl.col("x"), pl.col("y")
        rows = self.frame.lazy().filter(day <= as_of)
        aggregates = [day.max().alias("last_day"), pl.col("value").sort_by("day", "line").last().alias("last_value")]
        spans = {(start, min(end, as_of)) for start, end in windows.values()}
        if spans:
            if len(spans) == 1:
                ((start, end),) = spans
                first, last = pl.lit(start, pl.Date), pl.lit(end, pl.Date)
            else:
                starts = pl.DataFrame(
                    {
                        "node": list(windows),
                        "start": [w[0] for w in windows.values()],
                        "end": [min(w[1], as_of) for w in windows.values()],
                    },
                    schema={"node": pl.String, "start": pl.Date, "end": pl.Date},
                )
                rows = rows.join(starts.lazy(), on="node", how="left", maintain_order="left")
                first, last = pl.col("start"), pl.col("end")
            inside = (day >= first) & (day <= last)
            rows = rows.with_columns(pl.when(inside).then((day - first).dt.total_days().cast(pl.Float64)).alias("x"))
            rows = rows.with_columns(pl.when(x.is_not_null()).then(pl.col("value")).alias("y"))
            aggregates += [
                x.count().alias("n"),
                x.sum().alias("sx"),
                y.sum().alias("sy"),
                (x * x).sum().alias("sxx"),
                (x * y).sum().alias("sxy"),
                (y * y).sum().alias("syy"),
                x.min().alias("x_min"),
                x.max().alias("x_max"),
            ]
            if spread is not None:  # a plain maximum and minimum: no sort, nearly free
                aggregates += [y.max().alias("high"), y.min().alias("low")]
        found = rows.group_by("node").agg(*aggregates).collect()
        nodes = found["node"].to_list()
        days, values = found["last_day"].to_list(), found["last_value"].to_list()
        newest = dict(zip(nodes, zip(days, values, strict=True), strict=True))
        if not spans:
            return newest, {}
        columns = (found[c].to_list() for c in ("n", "sx", "sy", "sxx", "sxy", "syy", "x_min", "x_max"))
        sums = {
            node: WindowSums(Sums(n, sx, sy, sxx, sxy, syy), low, high)
            for node, n, sx, sy, sxx, sxy, syy, low, high in zip(nodes, *columns, strict=True)
            if n and node in windows  # a node without a window has no trend (a constant window counted it)
        }
        if spread is not None:
            highs, lows = found["high"].to_list(), found["low"].to_list()
            spread.update(
                (node, Spread(day, value, high, low))
                for node, day, value, high, low in zip(nodes, days, values, highs, lows, strict=True)
                if node in sums
            )
        shaky = [node for node, found_sums in sums.items() if _rounded_away(found_sums.sums)]
        if shaky:
            # Summed again less a value of their own, in Python: only these few nodes' rows.
            again = rows.filter(pl.col("node").is_in(shaky) & x.is_not_null()).select("node", "x", "y").collect()
            shifted: dict[str, Sums] = {}
            for node, at, value in again.iter_rows():
                total = shifted.get(node) or Sums(shift=value)
                shifted[node] = total.plus(at, value)
            for node, total in shifted.items():
                sums[node] = sums[node]._replace(sums=total)
        return newest, sums

    def history(self, node_id: str, as_of: date) -> list[tuple[date, float]]:
        """One node's observations on or before `as_of`, oldest first (file order within a day)."""
        import polars as pl

        if self.frame is None:
            return []
        rows = (
            self.frame.lazy()
            .filter((pl.col("node") == node_id) & (pl.col("day") <= as_of))
            .sort("day", maintain_order=True)
            .select("day", "value")
            .collect()
        )
        return list(rows.iter_rows())

    def histories(self, ids: Collection[str]) -> dict[str, list[tuple[date, float]]]:
        """The observations of some nodes, every date, oldest first (file order within a day), in one query."""
        import polars as pl

        if self.frame is None or not ids:
            return {}
        rows = (
            self.frame.lazy()
            .filter(pl.col("node").is_in(sorted(ids)))
            .sort("day", "line")
            .select("node", "day", "value")
            .collect()
        )
        found: dict[str, list[tuple[date, float]]] = {}
        for node, day, value in rows.iter_rows():
            found.setdefault(node, []).append((day, value))
        return found

    def newest_steps(
        self, windows: Mapping[str, tuple[date, date]], extra: Iterable[tuple[str, date, float]] = ()
    ) -> dict[str, Step]:
        """For each node of `windows`, its newest value within its window (start, end) and the
        values before it (see `Step`), from its rows and the `extra` observations (each before
        the rows of its day: a dated inline actual), in one query grouped without sorting.
        """
        import polars as pl

        if self.frame is None or not windows:
            return {}
        day, value, line = pl.col("day"), pl.col("value"), pl.col("line")
        bounds = pl.DataFrame(
            {"node": list(windows), "start": [w[0] for w in windows.values()], "end": [w[1] for w in windows.values()]},
            schema={"node": pl.String, "start": pl.Date, "end": pl.Date},
        )
        rows = self.frame.lazy().filter(pl.col("node").is_in(list(windows)))
        more = list(extra)
        if more:
            added = pl.DataFrame(
                {
                    "node": [e[0] for e in more],
                    "day": [e[1] for e in more],
                    "value": [float(e[2]) for e in more],
                    "line": [0] * len(more),  # before every row of the file
                },
                schema=_SCHEMA(),
            )
            rows = pl.concat([rows, added.lazy()])
        rows = rows.join(bounds.lazy(), on="node", how="inner").filter(
            (day >= pl.col("start")) & (day <= pl.col("end"))
        )
        # One value a day, the row written last; then the newest day against the days before it.
        days = rows.group_by("node", "day").agg(value.get(line.arg_max()))
        days = days.with_columns(day.max().over("node").alias("last_day"))
        last = days.filter(day == pl.col("last_day")).select("node", "day", "value")
        before = (
            days.filter(day < pl.col("last_day"))
            .group_by("node")
            .agg(
                day.max().alias("previous_day"),
                value.get(day.arg_max()).alias("previous"),
                day.get(value.arg_max()).alias("highest_day"),
                value.max().alias("highest"),
                day.get(value.arg_min()).alias("lowest_day"),
                value.min().alias("lowest"),
            )
        )
        found = last.join(before, on="node", how="left").collect()
        steps: dict[str, Step] = {}
        for node, at, newest, *earlier in found.iter_rows():
            pairs = [(earlier[i], earlier[i + 1]) if earlier[i] is not None else None for i in (0, 2, 4)]
            steps[node] = Step((at, newest), *pairs)
        return steps

    def unknown_nodes(self, known: Collection[str]) -> list[tuple[str, int, int]]:
        """(node, rows, first line) for each node id in the file that is not in `known`, by first line."""
        import polars as pl

        if self.frame is None or self.frame.is_empty():
            return []
        strangers = (
            self.frame.lazy()
            .filter(~pl.col("node").is_in(list(known)))
            .group_by("node")
            .agg(pl.len().alias("rows"), pl.col("line").min().alias("first"))
            .sort("first")
            .collect()
        )
        return [(node, rows, first) for node, rows, first in strangers.iter_rows()]

    def with_rows(self, rows: Iterable[tuple[str, date, float]]) -> Measurements:
        """These measurements plus rows recorded but not yet saved, numbered after the file's last
        line: where saving appends them, so a row recorded for a day the file has wins that day
        before the save as it does after it."""
        import polars as pl

        extra = list(rows)
        if not extra:
            return self
        last = 1 if self.frame is None or self.frame.is_empty() else int(self.frame["line"].max() or 1)  # type: ignore[arg-type]
        added = pl.DataFrame(
            {
                "node": [r[0] for r in extra],
                "day": [r[1] for r in extra],
                "value": [float(r[2]) for r in extra],
                "line": list(range(last + 1, last + 1 + len(extra))),
            },
            schema=_SCHEMA(),
        )
        frame = added if self.frame is None else pl.concat([self.frame, added])
        return Measurements(self.path, frame, list(self.problems), list(self.bad_rows))


def _rounded_away(sums: Sums) -> bool:
    """Whether raw sums lost a series' variation to rounding: values far from zero that vary
    little (a level KPI around 1e9 that moves by tens), whose squares' sum is 10^8 times their
    variation or more. Its interval was then 8% off at 1e9, 12x at 1e10 (see Sums.shift)."""
    if sums.n < 2 or sums.syy <= 0.0:  # two rows and an inline actual make a line too
        return False
    return sums.syy - sums.sy * sums.sy / sums.n <= 1e-8 * sums.syy


def _SCHEMA() -> dict[str, pl.DataType]:
    import polars as pl

    return {"node": pl.String(), "day": pl.Date(), "value": pl.Float64(), "line": pl.Int64()}


LIMIT_VARIABLE = "KPITUI_MAX_MEASUREMENTS"
DEFAULT_LIMIT = 1 << 30  # 1 GiB: about 30 million rows of CSV
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)
SPARSE_FROM = 1 << 20  # a sparse file smaller than this costs nothing to read: not looked at
_ZEROS_READ = 1 << 16


def size_limit() -> int | str:
    """The largest measurements file read, in bytes: $KPITUI_MAX_MEASUREMENTS (`2G`, `500M`,
    a number of bytes), else DEFAULT_LIMIT; the problem when the variable is not a size."""
    text = os.environ.get(LIMIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_LIMIT
    match = _SIZE.match(text)
    if match is None:
        return f"{LIMIT_VARIABLE}={text!r} is not a size like 2G, 500M or 1073741824 (bytes)"
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def too_big(path: Path) -> str | None:
    """Why a measurements file is not read, or None to read it.

    polars holds several times a file's size while it reads it (a 2 GB file: 21 GB): a file
    over the size limit is refused, and so is a sparse one, whose size costs nothing on disk
    (`truncate -s 2G`) and whose unwritten part reads as zero bytes, which no CSV or Parquet
    file holds.
    """
    name = str(path)
    limit = size_limit()
    if isinstance(limit, str):
        return f"measurements file {name!r} was not read: {limit}"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return f"measurements file {name!r} cannot be read ({exc.strerror or exc})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return f"measurements file {name!r} is not a regular file; fix tree.measurements"
        size = info.st_size
        unwritten = _unwritten(fd, size) if size >= SPARSE_FROM else 0
        if unwritten * 2 > size:
            return (
                f"measurements file {name!r} is sparse: {_size(size)} long with only {_size(size - unwritten)} "
                "written (the rest, never written, reads as zero bytes); it is not a measurements file: "
                "fix tree.measurements, or write the file again"
            )
        if size > limit:
            return (
                f"measurements file {name!r} is {_size(size)}, more than the {_size(limit)} kpitui reads: "
                f"if it is the right file, raise the limit ({LIMIT_VARIABLE}={(size >> 30) + 1}G), "
                "else fix tree.measurements"
            )
        return None
    finally:
        os.close(fd)


def _unwritten(fd: int, size: int, extents: int = 4096) -> int:
    """How many bytes of an open file are holes (never written), as the file system says
    (SEEK_DATA / SEEK_HOLE); 0 where it cannot say.

    A file system that reports no holes gives 0, never a false sparse file; what it reports
    is also read back (the first block of the first hole must be zeros), so a file system
    that calls data not yet flushed a hole does not have a good file refused. At most
    `extents` pieces of data are looked at; the rest counts as written.
    """
    seek_data, seek_hole = getattr(os, "SEEK_DATA", None), getattr(os, "SEEK_HOLE", None)
    if seek_data is None or seek_hole is None:
        return 0
    holes, at, first = 0, 0, -1
    try:
        for _ in range(extents):
            if at >= size:
                break
            try:
                data = os.lseek(fd, at, seek_data)
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
                data = size  # no data after `at`: a hole to the end
            if data > at and first < 0:
                first = at
            holes += min(data, size) - at
            if data >= size:
                break
            at = os.lseek(fd, data, seek_hole)
        if first >= 0 and os.pread(fd, _ZEROS_READ, first).strip(b"\0"):
            return 0
    except OSError:  # the file system cannot say
        return 0
    return holes


def load_measurements(path: Path) -> Measurements:
    """Read a measurements file; never raises for bad content, it is reported instead."""
    import polars as pl  # only trees with measurements pay for importing polars

    result = Measurements(path)
    try:
        if path.suffix.lower() not in (".csv", ".parquet"):
            what = "is not a .csv or .parquet file"
            result.problems.append(f"measurements file {str(path)!r} {what}; fix tree.measurements")
            return result
        if not path.is_file():  # a FIFO or a device is never opened: reading it could hang
            what = "does not exist" if not path.exists() else "is not a regular file"
            result.problems.append(f"measurements file {str(path)!r} {what}; fix tree.measurements")
            return result
        refused = too_big(path)
        if refused:
            result.problems.append(refused)
            return result
        # glob=False: the path is literal (docs/contract.md#observations); `*` in it never reads other files.
        if path.suffix.lower() == ".parquet":
            scan = pl.scan_parquet(path, glob=False)
        else:
            scan = pl.scan_csv(path, infer_schema=False, glob=False)
        columns = scan.collect_schema()
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            result.problems.append(
                f"measurements file {str(path)!r} lacks the column(s) {', '.join(missing)}; "
                "it needs node, date, value (and optionally note)"
            )
            return result
        lines = scan.with_row_index("line", offset=2)  # the header is line 1
        parsed = lines.select(
            pl.col("line").cast(pl.Int64),
            pl.col("node").cast(pl.String),
            _day(columns["date"]).alias("day"),
            _number(columns["value"]).alias("value"),
        ).collect()
        node = pl.col("node")
        unread = node.is_null() | pl.col("day").is_null() | pl.col("value").is_null()
        # A blank id (empty or only spaces) is empty or begins with a space or another control
        # character (below "!") or with a non-ASCII one (from U+0080): two comparisons of every
        # id find those, and only they are matched exactly (a regex on every id cost a third of
        # the whole reading of a 10M-row file).
        suspects = parsed.filter(unread | (node < "!") | (node >= "\u0080"))
        bad = suspects.filter(unread | node.str.contains(r"^\s*$"))
        if not bad.is_empty():
            # The text of the few bad rows, for their messages (never kept for the good ones:
            # a million strings of dates and numbers cost as much as reading them).
            texts = (
                lines.filter(pl.col("line").is_in(bad["line"].implode()))
                .select(
                    pl.col("line").cast(pl.Int64),
                    pl.col("date").cast(pl.String).alias("date_text"),
                    pl.col("value").cast(pl.String).alias("value_text"),
                )
                .collect()
            )
            bad = bad.join(texts, on="line", how="left", maintain_order="left")
    except (OSError, pl.exceptions.PolarsError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        result.problems.append(f"measurements file {str(path)!r} cannot be read ({reason})")
        return result
    if bad.is_empty():
        good = parsed
    else:
        columns_read = ("line", "node", "day", "value", "date_text", "value_text")
        for line, node, day, _value, date_text, value_text in bad.select(*columns_read).iter_rows():
            if node is None or not node.strip():
                result.bad_rows.append((line, "has no node id"))
            elif day is None:
                result.bad_rows.append((line, f"has date {date_text!r}, not an ISO date like 2026-06-30"))
            else:
                result.bad_rows.append((line, f"has value {value_text!r}, not a number"))
        good = parsed.filter(~pl.col("line").is_in(bad["line"].implode()))
    result.frame = good.select("node", "day", "value", "line")
    return result


def _day(dtype: pl.DataType) -> pl.Expr:
    """The `date` column as dates: parsed from ISO text, or taken as it is from a typed (Parquet) column."""
    import polars as pl

    column = pl.col("date")
    if dtype == pl.Date:
        return column
    if isinstance(dtype, pl.Datetime):
        return column.dt.date()
    return _retried(column.cast(pl.String), lambda text: text.str.to_date("%Y-%m-%d", strict=False))


def _number(dtype: pl.DataType) -> pl.Expr:
    """The `value` column as floats; text that is not a number becomes null (a bad row)."""
    import polars as pl

    column = pl.col("value")
    if dtype.is_numeric():
        return column.cast(pl.Float64)
    number = _retried(column.cast(pl.String), lambda text: text.cast(pl.Float64, strict=False))
    return pl.when(number.is_finite()).then(number).otherwise(None)


def _retried(text: pl.Expr, parse: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """`parse` of the text as it is, and, only where that fails, of the text without surrounding spaces.

    The same as parsing every stripped text, at a fraction of the cost: stripping a million
    cells copies a million strings, while the few that fail are the ones that may need it.
    """
    import polars as pl

    first = parse(text)
    return pl.coalesce(first, parse(pl.when(first.is_null()).then(text).str.strip_chars()))
