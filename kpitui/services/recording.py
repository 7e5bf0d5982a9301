"""`kpitui record`: many actuals at once (docs/guides/check-in.md), every row or none.

The rows file is CSV with a header naming `node`, `date`, `value` and optionally `note`.
Dates and values are read as the TUI and `kpitui set` read them (kpitui.model.inputs), a lone
`.` being the decimal point, as programs write CSV. Every row is checked first — unknown
node, bad date, bad value — and every bad row is reported with its line; then every value
its node's history makes implausible (kpitui.rules.plausible) is questioned, unless forced;
nothing is written unless all are good. Then, under the tree's save lock, the rows are
appended to the tree's measurements file, or, when the tree has none, each node's newest
row is stored inline as its `actual` and `measured`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kpitui.analysis.results import compute
from kpitui.io.appending import Row, append_rows
from kpitui.io.filesafe import SaveError, locked
from kpitui.io.loader import KpiTree, load_tree
from kpitui.model.domain import LoadError, Location, TreeLoadError
from kpitui.model.inputs import InputError, parse_date, parse_number
from kpitui.rules.checks import Suggester
from kpitui.services.document import Document, EditError
from kpitui.services.entry import doubted

COLUMNS = ("node", "date", "value")


class RecordError(Exception):
    """`kpitui record` refused; nothing was written. Carries every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    @property
    def summary(self) -> str | None:
        """The line said after the problems, if any."""
        return f"{len(self.problems)} problems; nothing was written." if len(self.problems) > 1 else None


class Implausible(RecordError):
    """Values their nodes' history makes implausible: written only with --force."""

    @property
    def summary(self) -> str:
        count = len(self.problems)
        return (
            f"{count} value{'s' if count > 1 else ''} questioned; nothing was written: use --force if they are right."
        )


@dataclass(frozen=True)
class Recorded:
    """What `record` did."""

    rows: int
    nodes: int
    written: Path  # the measurements file appended to, or the tree file
    inline: bool
    ignored: int  # rows dated after the tree's as_of (written, but not counted until then)
    repeated: int = 0  # rows the measurements file already held (same node, date, value): not written again

    def __str__(self) -> str:
        if self.repeated == self.rows:
            return f"nothing new: all {self.rows} row(s) are already in {self.written} (same node, date and value)"
        where = f"stored inline in {self.written}" if self.inline else f"appended to {self.written}"
        text = f"{self.rows - self.repeated} row(s) for {self.nodes} node(s) {where}"
        if self.repeated:
            text += f"; {self.repeated} row(s) already there (same node, date and value) left out"
        if self.ignored:
            text += f"; {self.ignored} dated after the tree's as_of count only from that date"
        return text


def read_rows(path: Path, known: set[str], suggest: Suggester, today: date | None = None) -> list[tuple[int, Row]]:
    """The rows of a record file with the line each starts on, or RecordError listing every bad row by line.

    Dates and values are read as typed values are (`30-06-2026`, `1 500`, `"2,5"`), `today` being
    what `today` and `-7d` count from; a lone `.` is the decimal point.
    """
    today = today or date.today()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RecordError([f"{path}: no such file"]) from None
    except UnicodeDecodeError:
        raise RecordError([f"{path}: not UTF-8 text; save it as UTF-8 CSV"]) from None
    except OSError as exc:
        raise RecordError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [c.strip().lower() for c in next(reader, [])]
    except csv.Error as exc:
        raise RecordError([f"{path}:1: {_unreadable(exc)}"]) from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        hint = ""
        if len(header) == 1 and ";" in header[0]:  # a spreadsheet's CSV in a locale with decimal commas
            hint = " (this file separates its cells with ';': save it as comma-separated CSV, with '.' decimals)"
        raise RecordError(
            [f"{path}:1: the header lacks {', '.join(missing)}; the first line must name node,date,value[,note]{hint}"]
        )
    at = {name: header.index(name) for name in (*COLUMNS, "note") if name in header}
    rows: list[tuple[int, Row]] = []
    problems: list[str] = []
    line = 1
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            # The rows after it cannot be told apart: those found so far are reported with it.
            problems.append(f"{path}:{line + 1}: {_unreadable(exc)}")
            break
        if cells is None:
            break
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue  # a blank line
        cell = {name: cells[i].strip() if i < len(cells) else "" for name, i in at.items()}
        node, day_text, value_text = cell["node"], cell["date"], cell["value"]
        why = []
        if len(cells) > len(header):
            # `716,000` or a note with an unquoted comma: the cells no longer line up with the header,
            # and reading them as they fall would record 716 for 716,000.
            why.append(
                f"has {len(cells)} cells, the header names {len(header)} ({', '.join(repr(c) for c in cells)}): "
                "write numbers without thousands separators (716000, 2.11) and quote a note holding a comma"
            )
        if not node:
            why.append("has no node id")
        elif node not in known:
            why.append(f"names node {node!r}, which is not in the tree{suggest.hint(node)}")
        try:
            day = parse_date(day_text, today)
        except InputError as exc:
            why.append(f"date {exc}")
        try:
            value = float(parse_number(value_text, decimal_point=True))
        except InputError as exc:
            why.append(f"value {exc}")
        if why:
            problems.append(f"{path}:{start}: {'; '.join(why)}")
            continue
        rows.append((start, (node, day, value, cell.get("note") or None)))
    if problems:
        raise RecordError(problems)
    if not rows:
        raise RecordError([f"{path}: no rows to record below the header"])
    return rows


def _unreadable(exc: csv.Error) -> str:
    """What to do about a row the CSV reader gives up on."""
    if "field larger than field limit" in str(exc):
        return (
            f"has a cell of more than {csv.field_size_limit():,} characters: a quote opened and never closed "
            "makes the rest of the file one cell; close the quote, or shorten the note"
        )
    return f"is not CSV ({exc}); save the file as comma-separated CSV"


def record(tree_file: Path, rows_file: Path, force: bool = False) -> Recorded:
    """Validate every row, then write them all in one step under the tree's save lock.

    Args:
        force: write values their nodes' history makes implausible, a read-only tree, and a
            measurements file outside the tree's folder.

    Raises:
        TreeLoadError: the tree could not be loaded.
        Implausible: values questioned (not with `force`); nothing was written.
        RecordError: a bad row, or the write was refused; nothing was written.
    """
    if not tree_file.exists():
        raise TreeLoadError([LoadError(Location(str(tree_file)), "no such file")])
    with locked(tree_file):
        tree = load_tree(tree_file)
        lines = read_rows(rows_file, set(tree.nodes), Suggester(tree.nodes))
        rows = [row for _line, row in lines]
        if not force:
            _question(rows_file, tree, lines)
        as_of = tree.settings.as_of or date.today()
        ignored = sum(1 for r in rows if r[1] > as_of)
        nodes = len({r[0] for r in rows})
        measurements = tree.settings.measurements
        try:
            if measurements:
                written, repeated = append_rows(tree_file, measurements, rows, outside_ok=force)
                return Recorded(len(rows), nodes, written, False, ignored, repeated)
            _store_inline(tree_file, rows, force)
        except (SaveError, EditError) as exc:
            raise RecordError([f"{exc}; nothing was written"]) from None
        return Recorded(len(rows), nodes, tree_file, True, ignored)


def _question(rows_file: Path, tree: KpiTree, lines: list[tuple[int, Row]]) -> None:
    """Raise Implausible naming each row whose value its node's history makes implausible."""
    analysis = compute(tree)
    entries = [(row[0], row[1], row[2]) for _line, row in lines]
    doubts = doubted(analysis, entries)
    if not doubts:
        return
    # The last row of a node, day and value is the one that counts.
    line_of = {entry: line for entry, (line, _row) in zip(entries, lines, strict=True)}
    raise Implausible([f"{rows_file}:{line_of[d.entry]}: node {d.entry[0]!r}: {d.why}" for d in doubts])


def _store_inline(tree_file: Path, rows: list[Row], force: bool) -> None:
    """Each node's newest row as its inline actual/measured (the later row wins a tie), in one save.

    A node whose inline actual is already newer than every row for it would lose that newer
    value: refused, so nothing a user wrote is overwritten by older data.
    """
    newest: dict[str, Row] = {}
    for row in rows:
        if row[0] not in newest or row[1] >= newest[row[0]][1]:
            newest[row[0]] = row
    document = Document.open(tree_file)
    nodes = document.tree.nodes
    older = [
        f"node {node_id!r} already has an actual measured {nodes[node_id].measured}, newer than {row[1]}"
        for node_id, row in newest.items()
        if (measured := nodes[node_id].measured) is not None and measured > row[1]
    ]
    if older:
        raise RecordError([*older, "nothing was written; the tree has no measurements file to keep older rows in"])
    for node_id, row in newest.items():
        value = int(row[2]) if row[2].is_integer() and abs(row[2]) < 1e15 else row[2]
        document.set_fields(node_id, {"actual": value, "measured": row[1]})
    document.save(read_only_ok=force)
