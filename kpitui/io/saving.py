"""Saving (docs/contract.md#saving): rewrite only the nodes that changed, atomically, keeping `FILE~`.

Every byte outside a changed node's own lines stays as it was: comments, blank lines,
key order, unknown keys. A changed node is rewritten with tomli-w; a new node is
written right after the table of the node it follows in the tree's order (appended
where that node has no table of its own); a deleted node's lines are removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import tomli_w

from kpitui.io.filesafe import (
    ExternalChange,
    OutsideFolder,
    ReadOnly,
    SaveError,
    Write,
    commit,
    digest,
    locked,
    write_atomic,
)
from kpitui.io.source import SourceMap

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key(name: str) -> str:
    """A TOML key: bare where it can be, quoted otherwise."""
    if _BARE_KEY.fullmatch(name):
        return name
    # tomli_w quotes the key; cut the " = 0" it writes after it (the key itself may hold " = ").
    return tomli_w.dumps({name: 0}).removesuffix(" = 0\n")


def inline_value(value: Any) -> str:
    """A one-line TOML rendering of a value (tables and arrays inline)."""
    if isinstance(value, dict):
        parts = [f"{key(k)} = {inline_value(v)}" for k, v in value.items()]
        return "{ " + ", ".join(parts) + " }" if parts else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(inline_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).split(" = ", 1)[1].rstrip("\n")


def render_node(node_id: str, table: Mapping[str, Any]) -> str:
    """A node as a `[nodes.<id>]` table, keys in their order, nested values inline."""
    lines = [f"[nodes.{key(node_id)}]", *(f"{key(name)} = {inline_value(value)}" for name, value in table.items())]
    return "\n".join(lines) + "\n"


def layout_changes(source: SourceMap, changed: set[str]) -> list[str]:
    """Nodes that saving moves to a `[nodes.<id>]` table of their own, as sentences."""
    notes = []
    for node_id in sorted(changed):
        src = source.nodes.get(node_id)
        if src is not None and src.form != "table":
            notes.append(
                f"node '{node_id}' is written as {'an inline table' if src.form == 'inline' else 'dotted keys'}; "
                f"saving moves it to a [nodes.{node_id}] table at the end of the file"
            )
    return notes


def placements(base: Mapping[str, Any], nodes: Mapping[str, Any]) -> list[tuple[str | None, list[str]]]:
    """The nodes of `nodes` that `base` does not have, in runs of neighbours, each run with the
    node of `base` right before it in `nodes` (None: the run comes first). A run at the very
    end of `nodes` is left out: it is appended to the file, after anything at its end."""
    runs: list[tuple[str | None, list[str]]] = []
    previous: str | None = None
    in_run = False  # the node before this one is new too
    for node_id in nodes:
        if node_id in base:
            previous, in_run = node_id, False
        elif in_run:
            runs[-1][1].append(node_id)
        else:
            runs.append((previous, [node_id]))
            in_run = True
    return runs[:-1] if in_run else runs


def placed_after(source: SourceMap, base: Mapping[str, Any], nodes: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """The runs of new nodes saving writes right after the table of the node they follow (see
    `placements`): that node must be written as a `[nodes.<id>]` table of its own; the others
    are appended."""
    placed: list[tuple[str, list[str]]] = []
    for anchor, run in placements(base, nodes):
        src = source.nodes.get(anchor) if anchor is not None else None
        if anchor is not None and src is not None and src.form == "table":
            placed.append((anchor, run))
    return placed


def render_file(
    text: str,
    source: SourceMap,
    base: Mapping[str, Mapping[str, Any]],
    nodes: Mapping[str, Mapping[str, Any]],
    changed: set[str] | None = None,
    data: bytes | memoryview | None = None,
) -> tuple[str, bytes]:
    """The new file text and its UTF-8 bytes: `base` is the nodes as loaded, `nodes` as they are now.

    `changed`, when the caller knows it, is the ids of `base` changed or deleted in `nodes`
    (else every node is compared).

    `data`, when given, must be `text` in UTF-8: the new bytes are then that with the same
    pieces replaced (encoding a 10k-node file anew cost a quarter of a save).

    Raises:
        SaveError: a changed node is written in several places of the file.
    """
    if changed is None:
        changed = {n for n in base if n not in nodes or nodes[n] != base[n]}
    new_ids = nodes.keys() - base.keys()
    edits: list[tuple[int, int, str]] = []
    moved: list[str] = []
    placed: set[str] = set()
    # A new node goes where the tree shows it: right after the table of the node before it.
    for anchor, run in placed_after(source, base, nodes) if new_ids else ():
        end = source.nodes[anchor].end
        # A rewritten anchor ends with a newline; one left alone may be the file's last line without it.
        block = "" if anchor in changed or text[end - 1 : end] == "\n" else "\n"
        block += "".join("\n" + render_node(node_id, nodes[node_id]) for node_id in run)
        edits.append((end, end, block))
        placed.update(run)
    for node_id in changed:
        src = source.nodes.get(node_id)
        if src is None or src.form == "scattered":
            raise SaveError(
                f"node '{node_id}' is written in several places of the file; gather its keys into one "
                f"[nodes.{node_id}] table by hand, then edit it"
            )
        replacement = ""
        if node_id in nodes:
            if src.form == "table":
                replacement = render_node(node_id, nodes[node_id])
            else:
                moved.append(node_id)
        edits.append((src.start, src.end, replacement))
    edits.sort(reverse=True)
    result = text
    for start, end, replacement in edits:
        result = result[:start] + replacement + result[end:]
    spliced = len(result)
    appended = [n for n in nodes if (n in new_ids and n not in placed) or n in moved] if new_ids or moved else []
    if appended:
        if result and not result.endswith("\n"):
            result += "\n"
        for node_id in appended:
            result += ("\n" if result else "") + render_node(node_id, nodes[node_id])
    if data is None:
        return result, result.encode("utf-8")
    return result, _splice(text, data, edits, result[spliced:].encode("utf-8"))


def differences(written: Mapping[str, Any], intended: Mapping[str, Any], most: int = 10) -> list[str]:
    """Where two parsed TOML documents differ, as dotted paths (at most `most`); [] when equal.

    NaN equals NaN here (a float read twice is not `==` itself), and an empty `nodes` or
    `tree` table equals none: deleting every node leaves no `[nodes]` behind. Iterative, so a
    deep value cannot exhaust the stack.
    """
    a, b = dict(written), dict(intended)
    for name in ("nodes", "tree"):
        for doc in (a, b):
            if doc.get(name) == {}:
                del doc[name]
    try:
        if a == b:
            return []
    except RecursionError:
        pass
    found: list[str] = []
    stack: list[tuple[str, Any, Any]] = [("", a, b)]
    while stack and len(found) < most:
        path, x, y = stack.pop()
        if isinstance(x, dict) and isinstance(y, dict):
            inner = []
            for k in sorted(x.keys() | y.keys()):
                where = f"{path}.{k}" if path else str(k)
                if k not in x:
                    found.append(f"{where} missing")
                elif k not in y:
                    found.append(f"{where} added")
                else:
                    inner.append((where, x[k], y[k]))
            stack.extend(reversed(inner))
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            pairs = list(enumerate(zip(x, y, strict=True)))
            stack.extend((f"{path}[{i}]", v, w) for i, (v, w) in reversed(pairs))
        elif type(x) is not type(y) or (x != y and not (isinstance(x, float) and x != x and y != y)):
            found.append(f"{path} changed")
    return found


def _splice(text: str, data: bytes | memoryview, edits: list[tuple[int, int, str]], tail: bytes) -> bytes:
    """`data` (`text` in UTF-8) with the edits (start, end, replacement in `text`; last first)
    made, and `tail` added."""
    pieces: list[bytes | memoryview] = [tail]
    view, kept_to = memoryview(data), len(data)
    for start, end, replacement in edits:
        # The byte offset of a character, counted from the nearer end of the text.
        if start <= len(text) // 2:
            at = len(text[:start].encode("utf-8"))
        else:
            at = len(data) - len(text[start:].encode("utf-8"))
        pieces += (view[at + len(text[start:end].encode("utf-8")) : kept_to], replacement.encode("utf-8"))
        kept_to = at
    pieces.append(view[:kept_to])
    return b"".join(reversed(pieces))


__all__ = [
    "ExternalChange",
    "OutsideFolder",
    "ReadOnly",
    "SaveError",
    "Write",
    "commit",
    "differences",
    "digest",
    "key",
    "layout_changes",
    "locked",
    "placed_after",
    "placements",
    "render_file",
    "render_node",
    "write_atomic",
]
