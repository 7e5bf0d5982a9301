"""The measurements file on disk: where it may be, and appending rows to it safely (docs/contract.md#saving).

`tree.measurements` is a literal path relative to the tree file (no globs), naming a
regular `.csv` or `.parquet` file. Rows are appended only to a regular `.csv` file in
the tree's folder or below; anywhere else needs the user's consent (`outside_ok`: the
TUI asks, `record --force`). Where the bytes live decides, not the name: a symbolic link
leading out is outside, and so may be a file with several hard links (its other names
cannot be found without searching every folder), so such a file needs consent too; the
check is made again under the save lock, just before the file is written. Rows are
written with a CSV writer, so an id holding a comma, a quote or a newline stays one cell.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from kpitui.io.filesafe import OutsideFolder, SaveError, Write, commit, real_path

SUFFIXES = (".csv", ".parquet")
HEADER = ("node", "date", "value", "note")
_GLOB = frozenset("*?[")

# A row: (node, date, value) or (node, date, value, note).
Row = tuple[str, date, float] | tuple[str, date, float, str | None]


def measurements_path(tree_file: Path, value: str) -> tuple[Path | None, str | None]:
    """The measurements file a tree names, or why it cannot be used (for reading).

    Returns:
        (path, None) when it may be read; (None, problem) otherwise. A path that does
        not exist is returned as a path (the reader reports it missing).
    """
    if not value.strip():
        return None, "tree.measurements is empty; name a .csv or .parquet file or remove the key"
    if _GLOB.intersection(value):
        return None, (
            f"tree.measurements {value!r} holds a wildcard (* ? [); it must name one file literally, "
            "relative to the tree file"
        )
    path = tree_file.parent / value
    if path.suffix.lower() not in SUFFIXES:
        return None, f"tree.measurements {value!r} must end with .csv or .parquet"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return path, None
    except OSError as exc:
        return None, f"measurements file {value!r} cannot be read ({exc.strerror or exc})"
    if not stat.S_ISREG(st.st_mode):
        return None, f"measurements file {value!r} is not a regular file; name a .csv or .parquet file"
    return path, None


def append_target(tree_file: Path, value: str, outside_ok: bool = False) -> Path:
    """The measurements file rows may be appended to, checked before anything is written.

    Raises:
        OutsideFolder: it is outside the tree's folder, or has several names (hard links)
            that may be (and not `outside_ok`).
        SaveError: anything else that prevents appending (not .csv, not a regular file,
            its folder missing).
    """
    path, problem = measurements_path(tree_file, value)
    if path is None:
        raise SaveError(f"not saved: {problem}")
    if path.suffix.lower() != ".csv":
        raise SaveError(f"not saved: rows can be appended to a .csv measurements file only, not to {value!r}")
    if not path.parent.is_dir():
        raise SaveError(f"not saved: the folder of the measurements file {value!r} does not exist")
    home = real_path(tree_file).parent
    if not real_path(path).is_relative_to(home) and not outside_ok:
        raise OutsideFolder(
            f"not saved: the measurements file {value!r} is outside the tree's folder "
            f"({real_path(path)}); append to it only with --force"
        )
    if not outside_ok:
        try:
            links = os.stat(path).st_nlink
        except FileNotFoundError:
            links = 1
        if links > 1:
            raise OutsideFolder(
                f"not saved: the measurements file {value!r} has {links} names (hard links), and the others "
                "may be outside the tree's folder; append to it only with --force, or give it one name "
                "(copy it and use the copy)"
            )
    return path


def _confine(tree_file: Path, outside_ok: bool) -> Path | None:
    """The folder appended bytes must stay in (checked again under the lock), or None with consent."""
    return None if outside_ok else real_path(tree_file).parent


def csv_rows(rows: Sequence[Row], columns: Sequence[str] = HEADER) -> str:
    """Rows as CSV text (quoted where needed), in the given column order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        node, day, value = row[0], row[1], row[2]
        note = row[3] if len(row) > 3 else None
        cells = {"node": node, "date": day.isoformat(), "value": number_text(value), "note": note or ""}
        writer.writerow([cells.get(c.strip().lower(), "") for c in columns])
    return out.getvalue()


def number_text(value: float) -> str:
    """A number as written in a measurements file: integers without `.0`, floats exactly."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def appended(old: bytes | None, rows: Sequence[Row]) -> bytes:
    """The file's new contents: its rows, then the new ones in its own column order."""
    if not old or not old.strip():
        return (",".join(HEADER) + "\n" + csv_rows(rows)).encode("utf-8")
    first = old.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    columns = next(csv.reader([first]), list(HEADER))
    if not {"node", "date", "value"} <= {c.strip().lower() for c in columns}:
        columns = list(HEADER)
    text = csv_rows(rows, columns)
    if not old.endswith(b"\n"):
        old += b"\n"
    return old + text.encode("utf-8")


def rows_write(tree_file: Path, value: str, rows: Sequence[Row], outside_ok: bool = False) -> Write:
    """The Write that appends rows to a tree's measurements file (for `commit`)."""
    path = append_target(tree_file, value, outside_ok)
    return Write(
        path,
        b"",
        backup=False,
        transform=lambda old: appended(old, rows),
        confine=_confine(tree_file, outside_ok),
    )


def append_rows(tree_file: Path, value: str, rows: Sequence[Row], outside_ok: bool = False) -> tuple[Path, int]:
    """Append rows to a tree's measurements file, under its save lock, atomically; a row the file
    already holds (same node, date and value: the same week's file recorded twice) is left out, so
    it does not count twice in the trend.

    For `kpitui record` (with `outside_ok` from `--force`).

    Returns:
        The measurements file written, and how many rows were left out as already there.

    Raises:
        OutsideFolder: outside the tree's folder and not `outside_ok`; nothing written.
        SaveError: why the rows could not be appended; nothing written.
    """
    path = append_target(tree_file, value, outside_ok)
    repeated: list[int] = []

    def transform(old: bytes | None) -> bytes:
        fresh = new_rows(old, rows)  # read under the lock, as the file is when our turn comes
        repeated[:] = [len(rows) - len(fresh)]
        return appended(old, fresh) if fresh else (old or b"")

    commit([Write(path, b"", backup=False, transform=transform, confine=_confine(tree_file, outside_ok))], force=False)
    return path, repeated[0] if repeated else 0


def new_rows(old: bytes | None, rows: Sequence[Row]) -> list[Row]:
    """The rows not already in a measurements file's contents (nor earlier among `rows`), by node,
    date and value; the file's rows that cannot be read do not count."""
    seen: set[tuple[str, date, float]] = set()
    if old:
        reader = csv.reader(old.decode("utf-8-sig", errors="replace").splitlines())
        header = [c.strip().lower() for c in next(reader, [])]
        if {"node", "date", "value"} <= set(header):
            at = [header.index(c) for c in ("node", "date", "value")]
            for cells in reader:
                if len(cells) <= max(at):
                    continue
                try:
                    seen.add((cells[at[0]], date.fromisoformat(cells[at[1]].strip()), float(cells[at[2]])))
                except ValueError:
                    continue
    fresh: list[Row] = []
    for row in rows:
        key = (row[0], row[1], float(row[2]))
        if key not in seen:
            seen.add(key)
            fresh.append(row)
    return fresh


__all__ = ["OutsideFolder", "Row", "SaveError", "append_rows", "append_target", "appended", "measurements_path"]
