"""Reading TOML text into a document, fast where that is safe: the readers and their guard.

`shallow` proves from the bytes that a document nests little enough for toml-rs (which crashes
on deep nesting); `read_toml` picks the reader and turns a refusal into a TreeLoadError at the
line and column of the first error. The tree loader and the stepwise reader both build on it.
"""

from __future__ import annotations

import re
from typing import Any

import toml_rs

from kpitui.model.domain import LoadError, Location, TreeLoadError

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
