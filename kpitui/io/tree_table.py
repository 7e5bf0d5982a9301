"""The `[tree]` table on its own: rewriting it in a file's text, and checking a measurements file.

Saving (docs/contract.md#saving) rewrites a changed `[tree]` alone: its header and its sub-tables
(`[tree.thresholds]`) are replaced in place, every other byte of the file stays.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kpitui.io.saving import SaveError, inline_value, key
from kpitui.io.source import content_end, table_headers

SUB_TABLES = ("thresholds",)  # written as [tree.<name>] tables, as the README shows them
MEASUREMENT_SUFFIXES = (".csv", ".parquet")
HEADER_CHARS = 1 << 16  # a measurements CSV's first line is read up to this many characters


def render_tree(table: Mapping[str, Any]) -> str:
    """`[tree]` with its keys in order, nested values inline, then `[tree.thresholds]`."""
    lines = ["[tree]"]
    lines += [f"{key(k)} = {inline_value(v)}" for k, v in table.items() if not _sub_table(k, v)]
    for name, value in table.items():
        if _sub_table(name, value):
            lines.append(f"[tree.{key(name)}]")
            lines += [f"{key(k)} = {inline_value(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


def _sub_table(name: str, value: Any) -> bool:
    return name in SUB_TABLES and isinstance(value, dict)


def replace_tree(text: str, doc: Mapping[str, Any], table: Mapping[str, Any]) -> str:
    """The file's text with its `[tree]` (and `[tree.*]` tables) replaced by `table`.

    `doc` is `text` parsed. Without a `[tree]`, one is put before the first table.

    Raises:
        SaveError: `[tree]` is written inline, with dotted keys, or in separate places.
    """
    headers = [(m.start(), m.end(), path) for m, path in table_headers(text, dict(doc))]
    mine = [i for i, (_s, _e, path) in enumerate(headers) if path[0] == "tree"]
    if not mine:
        if "tree" in doc:
            raise SaveError(
                "the [tree] settings are written inline or as dotted keys (tree.title = …); "
                "write them as a [tree] table to change them in kpitui"
            )
        block = render_tree(table)
        if not headers:
            return text + ("\n" if text and not text.endswith("\n") else "") + ("\n" if text.strip() else "") + block
        start = headers[0][0]
        return text[:start] + block + "\n" + text[start:]
    if mine != list(range(mine[0], mine[-1] + 1)) or any(len(headers[i][2]) > 2 for i in mine):
        raise SaveError("the [tree] settings are written in several places; gather them under one [tree] table first")
    if headers[mine[0]][2] != ["tree"] and any(headers[i][2] == ["tree"] for i in mine):
        raise SaveError("write [tree] before its [tree.thresholds] table to change the settings in kpitui")
    start = headers[mine[0]][0]
    last = mine[-1]
    stop = headers[last + 1][0] if last + 1 < len(headers) else len(text)
    end = content_end(text, headers[last][1], stop)
    return text[:start] + render_tree(table) + text[end:]


def check_measurements(folder: Path, name: str) -> str | None:
    """What is wrong with a measurements file chosen for a tree in `folder`, or None.

    It must be a literal path to a regular `.csv` or `.parquet` file; a CSV needs the
    columns node, date and value. A CSV that does not exist yet is fine: recording an
    actual creates it.
    """
    if not name.strip():
        return None
    if any(c in name for c in "*?["):
        return f"{name!r}: a literal file name is needed, not a pattern"
    path = folder / name
    if path.suffix.lower() not in MEASUREMENT_SUFFIXES:
        return f"{name!r}: measurements are a .csv or .parquet file"
    if not path.exists():
        if path.suffix.lower() == ".csv" and path.parent.is_dir():
            return None
        return f"{path} does not exist"
    if not path.is_file():
        return f"{path} is not a regular file"
    from kpitui.io.measurements import too_big

    refused = too_big(path)  # sparse, or beyond the size the analysis reads
    if refused:
        return refused
    if path.suffix.lower() == ".parquet":
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            # The first line only, and only so much of it: a file of zero bytes or one long
            # line was read whole (a 300 MB one: 620 MB), then refused by the CSV reader.
            header = next(csv.reader([handle.readline(HEADER_CHARS)]), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return f"{path} cannot be read: {exc}"
    missing = [c for c in ("node", "date", "value") if c not in [h.strip() for h in header]]
    if missing:
        return f"{path} has no column(s) {', '.join(missing)}; its first line must name node,date,value[,note]"
    return None
