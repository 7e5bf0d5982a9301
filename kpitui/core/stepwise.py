"""Reading a big tree file's TOML in steps of a few hundred node tables, not in one call.

The TOML reader (rtoml, Rust) holds Python's interpreter lock for the whole call: on a
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

from kpitui.core.loader import read_toml

NODES_PER_STEP = 500  # about 10 ms of reading on this machine

# A node table's header on a line of its own, where a piece may begin.
_HEADER = re.compile(r'^\[nodes\.(?:[A-Za-z0-9_-]+|"[^"\\\n]*")\][ \t]*(?:#[^\n]*)?$', re.MULTILINE)
# A `[nodes]` table anywhere: two pieces could each define it, which only the whole document reveals.
_NODES_TABLE = re.compile(r"""^[ \t]*\[[ \t]*(?:nodes|"nodes"|'nodes')[ \t]*\]""", re.MULTILINE)

Step = Callable[[int, int], None]


def read_toml_in_steps(
    text: str, name: str, step: Step | None = None, per_step: int = NODES_PER_STEP
) -> dict[str, Any]:
    """The parsed TOML document as `read_toml(text, name)` gives it, read `per_step` node tables at a time.

    Args:
        step: called after each piece with the node tables read so far and their number in all.
    """
    cuts = [m.start() for m in _HEADER.finditer(text)]
    if len(cuts) <= per_step or _NODES_TABLE.search(text):
        return read_toml(text, name)
    total = len(cuts)
    starts = [0, *cuts[::per_step]]
    pieces = zip(starts, [*starts[1:], len(text)], strict=True)
    try:
        doc = rtoml.loads(text[: starts[1]])
        if "nodes" in doc:
            return read_toml(text, name)
        nodes: dict[str, Any] = {}
        doc["nodes"] = nodes
        next(pieces)
        for begin, end in pieces:
            part = rtoml.loads(text[begin:end])
            more = part.pop("nodes", None)
            if part or not isinstance(more, dict) or not nodes.keys().isdisjoint(more):
                return read_toml(text, name)
            nodes.update(more)
            if step is not None:
                step(len(nodes), total)
    except ValueError:  # rtoml.TomlParsingError: the whole document says where
        return read_toml(text, name)
    return doc  # `nodes` after what precedes its first table: the whole document's key order
