"""Reading a tree file: bytes → TOML → validated nodes and settings, or every error at once."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kpitui.io.toml_read import (
    DEPTH_LIMIT,
    PIECE_NODES,
    READ_WHOLE,
    nesting,
    read_toml,
    shallow,
    too_deep_line,
)
from kpitui.model.domain import LoadError, Location, Node, NotATreeError, TreeLoadError, TreeSettings
from kpitui.model.schema import (
    UnknownKey,
    node_unknown_keys,
    read_node,
    read_settings,
    settings_unknown_keys,
)

if TYPE_CHECKING:
    from kpitui.io.source import SourceMap

BOM = "\ufeff"


@dataclass
class KpiTree:
    """A loaded tree file: its settings, its nodes in file order, and where they are."""

    path: Path
    settings: TreeSettings
    nodes: dict[str, Node]
    text: str = ""  # the file as read (without a byte-order mark)
    bom: bool = False
    doc: dict[str, Any] = field(default_factory=dict)  # the whole parsed TOML document
    unknown: list[tuple[str | None, UnknownKey]] = field(default_factory=list)

    _source: SourceMap | None = field(default=None, repr=False)

    @property
    def source(self) -> SourceMap:
        """Where each node is written; scanned on first use (errors, unknown keys, saving)."""
        if self._source is None:
            from kpitui.io.source import scan  # imported only by trees that need positions

            self._source = scan(self.text, self.doc)
        return self._source

    @property
    def display_name(self) -> str:
        """The tree's title, or its file name."""
        return self.settings.title or self.path.name

    def location(self, node_id: str | None, key: str | None = None) -> Location:
        """Where a node (or one of its keys, or a top-level key) is written."""
        return Location(str(self.path), self.source.line_of(node_id, key))


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or a TreeLoadError saying why it cannot be read."""
    name = str(path)
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            # A FIFO or a device would be waited on (or read forever): refuse it.
            raise _fail(name, "is not a regular file (a pipe or a device); name a .toml file")
        data = path.read_bytes()
    except FileNotFoundError:
        raise _fail(name, "no such file; check the path, or run `kpitui FILE` to start a new tree") from None
    except IsADirectoryError:
        raise _fail(name, "is a directory, not a tree file; name a .toml file") from None
    except PermissionError:
        raise _fail(name, "cannot be read: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise _fail(name, f"cannot be read: {exc.strerror or exc}") from None
    problem = _interrupted_write(path, data)
    if problem is not None:
        raise _fail(name, problem)
    return data


def _interrupted_write(path: Path, data: bytes) -> str | None:
    """Why the file may be torn (a save writing it in place was killed), or None.

    One look for the copy such a save keeps beside the file (`.NAME.kpitui-inplace`); the
    saving machinery is imported only when there is one.
    """
    real = os.path.realpath(path)
    folder, name = os.path.split(real)
    if not os.path.lexists(os.path.join(folder, f".{name}.kpitui-inplace")):
        return None
    from kpitui.io.filesafe import interrupted_write

    return interrupted_write(path, data)


def decode(data: bytes, name: str) -> str:
    """The text of a tree file's bytes, or a TreeLoadError pointing at the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        raise TreeLoadError([LoadError(Location(name, line, col), message)]) from None


def _inside_string(text: str, location: Location, key: str, value: Any, offset: int) -> Location:
    """The column of character `offset` of a string value written on `location`'s line.

    Exact for a one-line string without escapes (every formula in practice); otherwise
    the column of the string's opening quote.
    """
    if not location.line or not isinstance(value, str):
        return location
    lines = text.splitlines()
    if location.line > len(lines):
        return location
    line = lines[location.line - 1]
    match = re.match(r"\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')\s*=\s*(\"|')", line)
    if match is None or match.group(0).strip().split("=")[0].strip().strip("\"'") != key:
        return location
    quote = match.end() - 1
    written = line[quote + 1 :]
    column = quote + 1  # 0-based position of the first character inside the quotes
    if written.startswith(value + match.group(1)):
        column += offset
    else:
        column -= 1
    return Location(location.file, location.line, column + 1)


def _fail(name: str, message: str) -> TreeLoadError:
    return TreeLoadError([LoadError(Location(name), message)])


def load_tree(path: str | os.PathLike[str]) -> KpiTree:
    """Load and validate a tree file.

    Raises:
        TreeLoadError: with every reason the file is not a usable KPI tree.
    """
    path = Path(path)
    data = read_bytes(path)
    return parse_tree(decode(data, str(path)), path, data=data)


class Reader(Protocol):
    """Reads a tree file's TOML as `read_toml` does (the TUI's reads in steps)."""

    def __call__(self, text: str, name: str, *, bounded: bool) -> dict[str, Any]: ...


def parse_tree(text: str, path: Path, reader: Reader | None = None, data: bytes | None = None) -> KpiTree:
    """Validate the text of a tree file; `path` names it in messages and anchors relative paths.

    Args:
        reader: reads the TOML (text, name, bounded: whether `shallow` proved the text shallow)
            as `read_toml` does; the TUI reads in steps.
        data: the UTF-8 bytes `text` was decoded from, if at hand (saves encoding it again).
    """
    name = str(path)
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    try:
        bounded = shallow(text.encode("utf-8") if data is None else data)
    except UnicodeEncodeError:  # a lone surrogate: no TOML, as the readers say
        bounded = False
    if reader is not None:
        doc = reader(text, name, bounded=bounded)
    elif bounded and (text.count("\n[nodes.") if data is None else data.count(b"\n[nodes.")) > READ_WHOLE:
        from kpitui.io.stepwise import read_toml_in_steps  # imports rtoml: only for big files

        doc = read_toml_in_steps(text, name, per_step=PIECE_NODES, bounded=True)
    else:
        doc = read_toml(text, name, bounded=bounded)
    if not bounded and nesting(doc) > DEPTH_LIMIT:
        message = f"values nest deeper than {DEPTH_LIMIT} levels of arrays and tables; flatten them"
        raise TreeLoadError([LoadError(Location(name, too_deep_line(text, DEPTH_LIMIT)), message)])
    if not any(key in doc for key in ("nodes", "tree", "version")):
        message = (
            "is TOML but not a KPI tree: it has no [nodes.<id>] tables (nor [tree] or version); "
            "see the tree format in the README"
        )
        raise NotATreeError([LoadError(Location(name), message)])
    tree = KpiTree(path=path, settings=TreeSettings(), nodes={}, text=text, bom=bom, doc=doc)
    errors: list[LoadError] = []
    settings, setting_errors = read_settings(doc)
    tree.settings = settings
    for err in setting_errors:
        errors.append(LoadError(tree.location(None, err.key), err.message))
    tree.unknown.extend((None, u) for u in settings_unknown_keys(doc))
    nodes = doc.get("nodes", {})
    if not isinstance(nodes, dict):
        errors.append(LoadError(tree.location(None, "nodes"), "`nodes` must be a table of [nodes.<id>] tables"))
        nodes = {}
    for node_id, table in nodes.items():
        if not isinstance(table, dict):
            errors.append(
                LoadError(
                    tree.location(node_id),
                    f"node {node_id!r} must be a table [nodes.{node_id}] with at least a name",
                )
            )
            continue
        node, node_errors = read_node(node_id, table)
        for err in node_errors:
            location = tree.location(node_id, err.key)
            if err.offset is not None:
                location = _inside_string(tree.text, location, err.key, table.get(err.key), err.offset)
            errors.append(LoadError(location, err.message))
        if node is not None:
            tree.nodes[node_id] = node
            if node.extra or "period" in table or "thresholds" in table:  # else it has none
                tree.unknown.extend((node_id, u) for u in node_unknown_keys(table))
    if errors:
        raise TreeLoadError(sorted(errors, key=lambda e: e.location.line))
    return tree
