"""Reading a tree file: bytes → TOML → validated nodes and settings, or every error at once."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import toml_rs

from kpitui.core.model import LoadError, Location, Node, NotATreeError, TreeLoadError, TreeSettings
from kpitui.core.schema import (
    UnknownKey,
    node_unknown_keys,
    read_node,
    read_settings,
    settings_unknown_keys,
)

if TYPE_CHECKING:
    from kpitui.core.source import SourceMap

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
            from kpitui.core.source import scan  # imported only by trees that need positions

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
    from kpitui.core.filesafe import interrupted_write

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


# What `shallow` takes out of a document's bytes: what TOML allows outside strings and comments
# other than quotes, comment marks, newlines, brackets and dots, which stay. So does everything
# else, which a reader takes for an error outside strings and comments (toml-rs reads on after
# one, and may read a string where the skeleton has none: non-ASCII, other punctuation).
_PLAIN = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+:=, \t\r"
# The control characters TOML allows nowhere, not even in strings (toml-rs ends a string at one).
_CONTROL = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_ANY_CONTROL = re.compile(b"[" + re.escape(_CONTROL) + b"]")
_STRINGS_AND_COMMENTS = re.compile(rb"\"[^\"\n]*\"|'[^'\n]*'|#[^\n]*")
# Basic strings with their escapes, literal strings and comments, read in the bytes themselves.
_ESCAPED_STRINGS_AND_COMMENTS = re.compile(rb"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|#[^\n]*")
_INNERMOST_BRACKETS = re.compile(rb"\[\]|\{\}")
SHALLOW_DOTS = 8  # at most this many dots on a line of keys and values (strings and comments aside)
SHALLOW_BRACKETS = 16  # and arrays and inline tables at most this deep
# A header of k parts nests at most 2k levels (arrays of tables: a list and its table per
# part), a dotted key k-1 more, each bracket one plus its key's dots: within DEPTH_LIMIT.
SHALLOW_DEPTH = 1 + 2 * (SHALLOW_DOTS + 1) + SHALLOW_DOTS + SHALLOW_BRACKETS * (SHALLOW_DOTS + 1)
_MANY_DOTS = re.compile(rb"\.(?:[^.\n]*\.){%d}" % SHALLOW_DOTS)


def shallow(data: bytes) -> bool:
    """Whether the TOML document in `data` surely nests no deeper than SHALLOW_DEPTH levels.

    Proved from the bytes at C speed (about 8 ms for a 10k-node file): strings and comments
    are taken out as a TOML reader reads them; then no line may hold more than SHALLOW_DOTS
    dots (headers and dotted keys, which never span lines, floats) and brackets may nest at
    most SHALLOW_BRACKETS deep. Any doubt is False: a multi-line string (a reader tells its
    quotes apart by which are adjacent, which the skeleton below does not keep), unbalanced
    or too deep brackets, too many dots, and what toml-rs reads on past where a TOML reader
    stops: it goes on after an error, so the bytes must not let it read strings or comments
    where this reading does not. A lone carriage return ends a comment for it, a control
    character a string; a backslash outside a basic string (whose `\\"` this reading took
    for an escaped quote) starts no string for it.
    """
    if b"\r" in data and b"\r" in data.replace(b"\r\n", b""):
        return False
    if b"\\" in data:
        # Escapes are read only inside basic strings, which go (with literal strings and
        # comments) from the bytes themselves; a backslash left anywhere else is in doubt.
        if b'"""' in data or b"'''" in data:
            return False
        data = _ESCAPED_STRINGS_AND_COMMENTS.sub(b"", data)
        if b"\\" in data:
            return False
    skeleton = data.translate(None, _PLAIN)
    if _ANY_CONTROL.search(skeleton):
        return False
    # Three quotes in a row in the bytes are three in a row in the skeleton too (which is
    # 7x shorter and searched first: a search of the bytes for them is 4 ms at 10k nodes).
    if (b'"""' in skeleton or b"'''" in skeleton) and (b'"""' in data or b"'''" in data):
        return False
    # Single-line strings and comments are read by the order of quotes, comment marks and
    # newlines only: everything else can go. Two quotes in a row are then an empty string
    # (or within a comment, or a string's end and the next one's start with no bracket, dot
    # or newline between them).
    skeleton = skeleton.replace(b'""', b"").replace(b"#\n", b"\n")
    skeleton = _STRINGS_AND_COMMENTS.sub(b"", skeleton)
    if _MANY_DOTS.search(skeleton):
        return False
    brackets = skeleton.translate(None, b"\n.")
    for _ in range(SHALLOW_BRACKETS):  # one level a round (`{[]}` is two)
        if not brackets:
            return True
        brackets = _INNERMOST_BRACKETS.sub(b"", brackets)
    return not brackets


def read_toml(text: str, name: str, *, bounded: bool = False) -> dict[str, Any]:
    """The parsed TOML document, or a TreeLoadError at the line and column of the first error.

    A `bounded` document (one `shallow` has proved to nest no deeper than SHALLOW_DEPTH) is
    read by toml-rs (Rust), about 15x faster than the standard library; toml-rs must not see
    any other, since one nested thousands of levels deep crashes the process. Else, and for a
    document toml-rs refuses, rtoml (Rust) reads it, about 8x faster than the standard library;
    a document rtoml refuses (also one nested deeper than its recursion limit) is read again by
    tomli, whose message and position kpitui reports, and whose reading wins should the two
    ever disagree. All read TOML 1.1; on the toml-test corpus the three agree. Measured choice:
    see benchmarks/toml_readers.py.
    """
    if bounded:
        try:
            fast: dict[str, Any] = toml_rs.loads(text)
            return fast
        except Exception:  # toml_rs.TOMLDecodeError, or anything else: the others say why
            pass
    import rtoml  # only for a document toml-rs may not or did not read

    try:
        doc: dict[str, Any] = rtoml.loads(text)
        return doc
    except ValueError:  # rtoml.TomlParsingError
        pass
    import tomli

    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        lineno, colno = getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        reason = getattr(exc, "msg", str(exc))
        message = f"not valid TOML: {reason}; fix the syntax there"
        raise TreeLoadError([LoadError(Location(name, lineno, colno), message)]) from None
    except RecursionError as exc:
        # tomli refuses nesting deeper than it can read (arrays/tables, keys of many parts).
        line = too_deep_line(text)
        message = f"not valid TOML here: {exc}; flatten it"
        raise TreeLoadError([LoadError(Location(name, line), message)]) from None


# A file of more than READ_WHOLE node tables is read in pieces of PIECE_NODES (`stepwise`):
# toml-rs holds about 20x a text's size while it reads it (a 100k-node file: 580 MB), and a
# piece's share is freed and used again by the next. Read in one call, `check` of 100k nodes
# took 10% longer, in page faults (system time 0.95 s against 0.45 s) and in everything after
# the reading. Up to 10k node tables one call is the faster (pieces: +2% at 10k) and holds
# about 50 MB more.
READ_WHOLE = 10_000
PIECE_NODES = 2_000

NESTING_LIMIT = 400
KEY_PARTS_LIMIT = 1000


# Deeper values than this are refused on load: no tree needs them, and saving, the
# journal and the JSON report then never meet a value deeper than they can write.
DEPTH_LIMIT = 250


def nesting(doc: dict[str, Any]) -> int:
    """How many levels of tables and arrays the document has, counted without recursion.

    Level by level: each level's tables and arrays are gathered by one comprehension per
    container (a stack of (value, depth) pairs walked the 200,000 values of a 10k-node tree
    four times slower).
    """
    containers = (dict, list)
    level: list[Any] = [doc]
    depth = 0
    while level:
        depth += 1
        below: list[Any] = []
        for value in level:
            items = value.values() if isinstance(value, dict) else value
            below += [v for v in items if isinstance(v, containers)]
        level = below
    return depth


def too_deep_line(text: str, limit: int = NESTING_LIMIT) -> int:
    """The first line where arrays/inline tables nest too deep or a key has too many parts.

    A scan that skips strings and comments; used only to place the reader's refusal.
    """
    depth, line, quote, i = 0, 1, "", 0
    while i < len(text):
        char = text[i]
        if char == "\n":
            line += 1
            if quote in ('"', "'"):
                quote = ""
        elif quote:
            if char == "\\" and quote == '"':
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif char in "[{":
            depth += 1
            if depth > limit:
                return line
        elif char in "]}":
            depth = max(0, depth - 1)
        i += 1
    for number, row in enumerate(text.splitlines(), 1):
        if row.count(".") >= min(limit, KEY_PARTS_LIMIT):
            return number
    return 0


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
        from kpitui.core.stepwise import read_toml_in_steps  # imports rtoml: only for big files

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
