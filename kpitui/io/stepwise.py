"""Reading a big tree file's TOML in steps of a few hundred node tables, not in one call.

The TOML readers (toml-rs, rtoml: Rust) hold Python's interpreter lock for the whole call: on a
50k-node file about a second, during which the TUI cannot answer a key (q must end it at
once while it loads). Read in pieces, the lock is free between pieces, and the loader
can say how many nodes it has read.

A piece begins at a line `[nodes.<id>]`. The result is the whole document's, or the whole
document is read in one call instead (`read_toml`, with its exact error positions):
- a cut inside a multi-line string, array or inline table leaves the piece before it
  unterminated, which the reader refuses;
- what the pieces cannot see of each other is checked when they are joined: each piece
  after the first holds only node tables, no node is defined in two pieces, and nothing
  before the first node table (a `nodes = {...}`, a `[nodes]` table) defines `nodes` itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import rtoml
import toml_rs

from kpitui.io.toml_read import read_toml, shallow

NODES_PER_STEP = 500  # about 10 ms of reading on this machine

# A node table's header on a line of its own, where a piece may begin (found from the
# newline before it: a literal prefix the regular expression engine searches for quickly).
_HEADER = re.compile(r'\n\[nodes\.(?:[A-Za-z0-9_-]+|"[^"\\\n]*")\][ \t]*(?:#[^\n]*)?\r?(?=\n|\Z)')
# A `[nodes]` table: two pieces could each define it, which only the whole document reveals.
_NODES_TABLE = re.compile(r"""\n[ \t]*\[[ \t]*(?:nodes|"nodes"|'nodes')[ \t]*\]""")

Step = Callable[[int, int], None]


def read_toml_in_steps(
    text: str, name: str, step: Step | None = None, per_step: int = NODES_PER_STEP, *, bounded: bool = False
) -> dict[str, Any]:
    """The parsed TOML document as `read_toml(text, name)` gives it, read `per_step` node tables at a time.

    Args:
        step: called after each piece with the node tables read so far and their number in all.
        bounded: `shallow` has proved the whole text shallow, and so every piece: such a text has
            no multi-line string, its strings and comments end on their line, and a run of whole
            lines nests its brackets no deeper than the text does. Pieces are then not proved again.
    """

    def whole() -> dict[str, Any]:  # the document in one call, with its exact error positions
        return read_toml(text, name, bounded=bounded)

    # Each search below is one short call: the lock is free between them, and between pieces.
    cuts = [m.start() + 1 for m in _HEADER.finditer(text)]
    if len(cuts) <= per_step:
        return whole()
    total = len(cuts)
    starts = [0, *cuts[::per_step]]
    try:
        doc: dict[str, Any] = {}
        nodes: dict[str, Any] = {}
        for number, (begin, end) in enumerate(zip(starts, [*starts[1:], len(text)], strict=True)):
            piece = text[begin:end]
            if _NODES_TABLE.search(piece) or piece.startswith("[nodes]"):
                return whole()
            part = _read_piece(piece, bounded)
            if number == 0:  # what precedes the first node table
                if "nodes" in part:
                    return whole()
                doc = part
                doc["nodes"] = nodes
                continue
            more = part.pop("nodes", None)
            if part or not isinstance(more, dict) or not nodes.keys().isdisjoint(more):
                return whole()
            nodes.update(more)
            if step is not None:
                step(len(nodes), total)
    except ValueError:  # rtoml.TomlParsingError: the whole document says where
        return whole()
    return doc  # `nodes` after what precedes its first table: the whole document's key order


def _read_piece(piece: str, bounded: bool) -> dict[str, Any]:
    """A piece as toml-rs reads it where `shallow` proves that safe (as `read_toml` does), else
    as rtoml does; ValueError (rtoml.TomlParsingError) when rtoml refuses it."""
    try:
        if bounded or shallow(piece.encode("utf-8")):
            part: dict[str, Any] = toml_rs.loads(piece)
            return part
    except Exception:  # refused (or a lone surrogate): rtoml says so, or reads it
        pass
    read: dict[str, Any] = rtoml.loads(piece)
    return read
