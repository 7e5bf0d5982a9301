"""Where each node sits in the tree file: lines and character spans of its TOML.

The TOML reader gives values without positions, so this module scans the (already
validated) text line by line for table headers and top-level keys. It is what lets
errors name a line and saving rewrite only the nodes that changed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Tokens that change the scanner's state: strings, comments and brackets.
_TOKEN = re.compile(r'"""|\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]')
_KEY_PART = re.compile(r'\s*(?:([A-Za-z0-9_-]+)|("(?:[^"\\]|\\.)*")|(\'[^\']*\'))\s*')
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_INTERESTING = frozenset("\"'#[]{}")
# The rest of a multi-line string from just after its opening quotes, through its closing
# ones. A basic string (""") reads escapes (`\"` is a quote; a backslash at the end of a line
# joins it to the next); a literal one (''') none. Either may end in one or two quotes of its
# own right before its closing three: `"""say "hi"""""` is `say "hi""`.
_BASIC_REST = re.compile(r'(?:[^"\\]++|\\[\s\S]|"(?!""))*+"""(?:""|")?')
_LITERAL_REST = re.compile(r"(?:[^']++|'(?!''))*+'''(?:''|')?")


def string_end(text: str, pos: int, quotes: str) -> int:
    """Where a multi-line string opened by `quotes` before `pos` ends in `text` (the offset
    after its closing quotes), or -1 when it does not end there."""
    m = (_BASIC_REST if quotes == '"""' else _LITERAL_REST).match(text, pos)
    return -1 if m is None else m.end()


@dataclass
class NodeSource:
    """Where one node is written.

    `form` is "table" when the node is one `[nodes.<id>]` table (its sub-tables right
    after it), the only form saving can rewrite in place; "inline" or "dotted" when it
    is written inside another table, "scattered" when its parts are apart.
    """

    line: int
    start: int = 0  # character offset of the header line
    end: int = 0  # character offset after its last key line
    form: str = "table"
    key_lines: dict[str, int] = field(default_factory=dict)


@dataclass
class SourceMap:
    """Lines of the things in a tree file that errors and saving need."""

    nodes: dict[str, NodeSource] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)  # "tree.title" -> line, top level
    text: str = ""
    complete: bool = True  # False: key lines inside nodes are found on demand

    def line_of(self, node_id: str | None, key: str | None = None) -> int:
        """The line of a node's key (or of the node, or of a top-level key), 0 if unknown."""
        if node_id is None:
            if key is None:
                return 0
            while key:
                if key in self.keys:
                    return self.keys[key]
                key = key.rpartition(".")[0]
            return 0
        src = self.nodes.get(node_id)
        if src is None:
            return 0
        if not self.complete and key and not src.key_lines:
            part = _Scanner(self.text[src.start : src.end]).run()
            if node_id in part.nodes:
                src.key_lines = {k: v + src.line - 1 for k, v in part.nodes[node_id].key_lines.items()}
        while key:
            if key in src.key_lines:
                return src.key_lines[key]
            key = key.rpartition(".")[0]
        return src.line


def parse_key(text: str) -> list[str] | None:
    """Split a dotted TOML key (`nodes."a b".name`) into its parts; None if it is not one."""
    if '"' not in text and "'" not in text:
        parts = [part.strip() for part in text.split(".")]
        return parts if all(_BARE.fullmatch(part) for part in parts) else None
    parts = []
    pos = 0
    while True:
        m = _KEY_PART.match(text, pos)
        if not m:
            return None
        bare, basic, literal = m.groups()
        if bare is not None:
            parts.append(bare)
        elif literal is not None:
            parts.append(literal[1:-1])
        else:
            parts.append(tomllib.loads(f"k = {basic}")["k"])
        pos = m.end()
        if pos == len(text):
            return parts
        if text[pos] != ".":
            return None
        pos += 1


def _split_key(line: str) -> tuple[list[str] | None, str]:
    """The key path at the start of a key/value line, and what follows `=`."""
    eq = line.find("=")
    if eq > 0 and '"' not in line[:eq] and "'" not in line[:eq]:
        return [part.strip() for part in line[:eq].split(".")], line[eq + 1 :]
    m = re.match(r'((?:[^=\s"\']|"(?:[^"\\]|\\.)*"|\'[^\']*\'|[ \t])+?)\s*=(.*)', line, re.S)
    if not m:
        return None, ""
    return parse_key(m.group(1).strip()), m.group(2)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.result = SourceMap()
        self.depth = 0  # bracket depth of a multi-line array or inline table
        self.in_string: str | None = None  # the delimiter of an open multi-line string
        self.table: list[str] = []
        self.last_node: str | None = None  # node whose table the current line is in
        self.header_node: str | None = None  # node of the last table header

    def run(self) -> SourceMap:
        offset = 0
        for number, line in enumerate(toml_lines(self.text), start=1):
            self.line(number, offset, line)
            offset += len(line)
        return self.result

    def line(self, number: int, offset: int, line: str) -> None:
        if self.in_string is not None:
            close = string_end(line, 0, self.in_string)
            if close < 0:
                return
            self.in_string = None
            self.tokens(line, close)
            self.extend(offset, line)
            return
        if self.depth:
            self.tokens(line)
            self.extend(offset, line)
            return
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return
        if stripped.startswith("["):
            self.header(number, offset, line)
            return
        path, rest = _split_key(line)
        if path:
            self.key(number, offset, path)
        self.extend(offset, line)
        self.tokens(rest)

    def tokens(self, text: str, pos: int = 0) -> None:
        """Follow the strings, comments and brackets of `text` from `pos` on."""
        if not _INTERESTING.intersection(text):
            return
        while (m := _TOKEN.search(text, pos)) is not None:
            tok = m.group()
            pos = m.end()
            if tok in ('"""', "'''"):
                pos = string_end(text, pos, tok)
                if pos < 0:
                    self.in_string = tok
                    return
            elif tok in "[{":
                self.depth += 1
            elif tok in "]}":
                self.depth -= 1

    def header(self, number: int, offset: int, line: str) -> None:
        m = _HEADER.match(line)
        path = parse_key(m.group(2)) if m else None
        self.table = path or []
        self.last_node = None
        previous, self.header_node = self.header_node, None
        if len(self.table) >= 2 and self.table[0] == "nodes":
            node_id = self.table[1]
            src = self.result.nodes.get(node_id)
            if src is None:
                src = NodeSource(line=number, start=offset, end=offset + len(line))
                self.result.nodes[node_id] = src
                if len(self.table) > 2:
                    src.form = "dotted"
            elif previous != node_id or src.form != "table" or not _blank(self.text[src.end : offset]):
                src.form = "scattered"
            if len(self.table) > 2:
                src.key_lines.setdefault(".".join(self.table[2:]), number)
            self.last_node = self.header_node = node_id
            src.end = offset + len(line)
        elif self.table and self.table[0] != "nodes":
            self.result.keys.setdefault(".".join(self.table), number)

    def key(self, number: int, offset: int, path: list[str]) -> None:
        full = self.table + path
        if len(full) >= 2 and full[0] == "nodes":
            node_id = full[1]
            src = self.result.nodes.get(node_id)
            inline = len(full) == 2
            if src is None:
                src = NodeSource(line=number, start=offset, form="inline" if inline else "dotted")
                self.result.nodes[node_id] = src
            elif node_id != self.last_node:
                src.form = "scattered"
            if len(full) > 2:
                src.key_lines.setdefault(".".join(full[2:]), number)
                src.key_lines.setdefault(full[2], number)
            self.last_node = node_id
        else:
            self.last_node = None
            self.result.keys.setdefault(".".join(full), number)

    def extend(self, offset: int, line: str) -> None:
        if self.last_node is not None:
            self.result.nodes[self.last_node].end = offset + len(line)


# A table header: `[` or `[[`, then a dotted key — bare, "basic" (with escapes, so `]`,
# `.` and `"` may be inside) or 'literal' parts, spaces or tabs around the dots — then `]`.
_KEY_ATOM = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_DOTTED = rf"[ \t]*{_KEY_ATOM}(?:[ \t]*\.[ \t]*{_KEY_ATOM})*[ \t]*"
_HEADER = re.compile(rf"^[ \t]*\[(\[?)({_DOTTED})\]", re.M)


def _blank(text: str) -> bool:
    """Whether a stretch of TOML holds only blank lines and comments."""
    return all(not line.strip(" \t\r") or line.lstrip(" \t").startswith("#") for line in text.split("\n"))


def toml_lines(text: str) -> list[str]:
    """The lines of a TOML text with their ends; only `\\n` ends a line in TOML (not U+2028)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def scan(text: str, doc: dict[str, Any] | None = None) -> SourceMap:
    """Locate every node and top-level key of a tree file that is valid TOML.

    With the parsed `doc`, a file whose nodes are all `[nodes.<id>]` tables and that has
    no multi-line strings is scanned by its headers alone (fast); anything else line by line.
    """
    if doc is not None and '"""' not in text and "'''" not in text:
        fast = _scan_headers(text, doc)
        if fast is not None:
            return fast
    result = _Scanner(text).run()
    result.text = text
    return result


def _is_table(doc: dict[str, Any], path: list[str], array: bool) -> bool:
    value: Any = doc
    for part in path:
        if isinstance(value, list):
            value = value[-1] if value else None
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return isinstance(value, list) if array else isinstance(value, dict)


def table_headers(text: str, doc: dict[str, Any], pos: int = 0) -> Iterator[tuple[re.Match[str], list[str]]]:
    """The table headers from `pos` on, with their key paths; lines of multi-line arrays that
    only look like headers (`[1, 2]`) are skipped by checking the parsed document."""
    for m in _HEADER.finditer(text, pos):
        path = parse_key(m.group(2))
        if path is not None and _is_table(doc, path, bool(m.group(1))):
            yield m, path


def _scan_headers(text: str, doc: dict[str, Any]) -> SourceMap | None:
    result = SourceMap(text=text, complete=False)
    headers: list[tuple[int, int, int, list[str]]] = []  # (line, start, end of line, path)
    line, last = 1, 0
    for m, path in table_headers(text, doc):
        line += text.count("\n", last, m.start())
        last = m.start()
        eol = text.find("\n", m.end())
        headers.append((line, m.start(), len(text) if eol < 0 else eol + 1, path))
    stops = [h[1] for h in headers[1:]] + [len(text)]  # where each header's table ends
    first_node = next((h[1] for h in headers if h[3][0] == "nodes"), len(text))
    result.keys = _Scanner(text[:first_node]).run().keys
    nodes = doc.get("nodes")
    for index, (number, start, eol, path) in enumerate(headers):
        stop = stops[index]
        if path[0] != "nodes":
            if start >= first_node:
                for key, key_line in _Scanner(text[start:stop]).run().keys.items():
                    result.keys.setdefault(key, key_line + number - 1)
            continue
        if len(path) < 2:
            if content_end(text, eol, stop) > eol:
                return None  # nodes written as keys of [nodes]: scan line by line
            continue
        node_id = path[1]
        src = result.nodes.get(node_id)
        if src is None:
            if len(path) > 2:
                return None
            src = result.nodes[node_id] = NodeSource(line=number, start=start)
        elif (src.end != start and text[src.end : start].strip()) or headers[index - 1][3][:2] != path[:2]:
            src.form = "scattered"
        src.end = content_end(text, eol, stop)
    if isinstance(nodes, dict) and len(result.nodes) != len(nodes):
        return None
    return result


def content_end(text: str, start: int, stop: int) -> int:
    """The end of the last line between start and stop that is not blank or a comment."""
    end = stop
    while end > start:
        line_start = max(start, text.rfind("\n", start, end - 1) + 1)
        piece = text[line_start:end].strip()
        if piece and not piece.startswith("#"):
            return end
        end = line_start
    return start


def _header_lines(text: str, node_id: str) -> list[re.Match[str]]:
    """The lines that are exactly the header `[nodes.<id>]` (a comment may follow).

    Each place the header's text occurs is found by `str.find` and only there is the
    line matched: one pass of a regular expression over a big file costs far more.
    """
    needle = f"[nodes.{node_id}]"
    line = re.compile(rf"[ \t]*{re.escape(needle)}[ \t]*(?:#[^\n]*)?(?=\n|$)")
    found: list[re.Match[str]] = []
    at = text.find(needle)
    while at >= 0:
        match = line.match(text, text.rfind("\n", 0, at) + 1)
        if match is not None and match.end() > at and (not found or found[-1].start() != match.start()):
            found.append(match)
        at = text.find(needle, at + 1)
    return found


def locate(text: str, doc: dict[str, Any], ids: set[str]) -> SourceMap:
    """Where some nodes are written: a targeted search when it is unambiguous, else a full scan.

    Saving needs only the nodes it rewrites; finding their headers directly is much
    cheaper than scanning a big file. A node is taken from the targeted search only when
    its one `[nodes.<id>]` header lies before any multi-line string (inside one, a line
    that looks like a header is text) and the lines from that header to the next table of
    another node read back, alone, as the node's whole table: a part of it written
    elsewhere (`[nodes.<id>.thresholds]` above its header, say, in any spelling) would be
    left behind by a rewrite, so such a file is scanned and the node found scattered.
    """
    if not all(_BARE.fullmatch(i) for i in ids):
        return scan(text, doc)
    tables = doc.get("nodes")
    result = SourceMap(text=text, complete=False)
    for node_id in ids:
        found = _header_lines(text, node_id)
        if len(found) != 1:
            return scan(text, doc)
        start = found[0].start()
        if text.find('"""', 0, start) >= 0 or text.find("'''", 0, start) >= 0:
            return scan(text, doc)
        eol = text.find("\n", found[0].end())
        eol = len(text) if eol < 0 else eol + 1
        stop = next(
            (m.start() for m, path in table_headers(text, doc, eol) if path[:2] != ["nodes", node_id]), len(text)
        )
        end = content_end(text, eol, stop)
        if not isinstance(tables, dict) or not _reads_as(text[start:end], node_id, tables.get(node_id)):
            return scan(text, doc)
        line = text.count("\n", 0, start) + 1
        result.nodes[node_id] = NodeSource(line=line, start=start, end=end)
    return result


def _reads_as(section: str, node_id: str, table: Any) -> bool:
    """Whether the text of a node's section, read alone, is exactly the node's table."""
    try:
        return tomllib.loads(section) == {"nodes": {node_id: table}}
    except (tomllib.TOMLDecodeError, RecursionError):
        return False
