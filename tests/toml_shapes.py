"""Random valid tree files in the shapes that have fooled the source map before.

Every string form TOML has (basic, literal, multi-line basic ending in one or two quotes of its
own, multi-line literal ending in apostrophes, escapes, line-ending backslashes), nodes as
`[nodes.<id>]` tables, as inline tables (`nodes.x = { … }`) and with quoted ids, comments holding
quotes and brackets, CRLF line ends and a byte-order mark. Each string is checked to read back
as the text it was made from, so a failing test is the scanner's fault, not the generator's.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass

# Characters that matter to a scanner, and some that do not.
ALPHABET = ['"', '"', "'", "'", "\\", "\n", "#", "[", "]", "{", "}", "=", ".", ",", " ", "a", "b", "é", "€", "\t"]
BOM = "\ufeff"


def _basic(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _multiline_basic(rng: random.Random, text: str) -> str:
    out = []
    run = 0  # quotes written raw in a row
    for i, ch in enumerate(text):
        if ch == '"':
            if run < 2 and rng.random() < 0.7:
                out.append('"')
                run += 1
                continue
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\t" and rng.random() < 0.5:
            out.append("\\t")
        else:
            if i and not ch.isspace() and rng.random() < 0.1:
                out.append("\\\n   ")  # a line-ending backslash: the break and spaces are dropped
            out.append(ch)
        run = 0
    body = "".join(out)
    return '"""' + ("\n" if text.startswith("\n") or rng.random() < 0.3 else "") + body + '"""'


def _multiline_literal(rng: random.Random, text: str) -> str | None:
    if "'''" in text or text.endswith("'''"):
        return None
    lead = "\n" if text.startswith("\n") or rng.random() < 0.3 else ""
    literal = "'''" + lead + text + "'''"
    return literal if len(text) - len(text.rstrip("'")) <= 2 else None


def string(rng: random.Random, text: str) -> str:
    """`text` as a TOML string in a form chosen at random among those that can hold it."""
    forms = ["basic", "ml_basic"]
    if "'" not in text and "\n" not in text:
        forms.append("literal")
    if "'''" not in text:
        forms.append("ml_literal")
    form = rng.choice([*forms, "ml_basic", "ml_literal"] if "'''" not in text else [*forms, "ml_basic"])
    if form == "literal":
        written = "'" + text + "'"
    elif form == "ml_literal":
        written = _multiline_literal(rng, text) or _basic(text)
    elif form == "ml_basic":
        written = _multiline_basic(rng, text)
    else:
        written = _basic(text)
    assert tomllib.loads(f"s = {written}")["s"] == text, (text, written)
    return written


def words(rng: random.Random, most: int = 12) -> str:
    text = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(most)))
    if rng.random() < 0.5:
        text += rng.choice(['"', '""', "'", "''"])  # a string ending in its own quotes
    return text


def one_line(rng: random.Random) -> str:
    return words(rng).replace("\n", " ")


@dataclass
class Shape:
    text: str  # the file's text (with its BOM, if any, and its line ends)
    ids: list[str]


def tree(rng: random.Random, nodes: int | None = None) -> Shape:
    """A valid tree file of 2 to 7 nodes in random shapes."""
    count = nodes if nodes is not None else rng.randrange(2, 8)
    ids = []
    for i in range(count):
        ids.append(rng.choice([f"n{i}", f"n-{i}", f'"n {i}"', f"'n.{i}'"]))
    plain = [tomllib.loads(f"{i} = 0").popitem()[0] for i in ids]
    inline = {i for i in range(count) if rng.random() < 0.3}
    lines: list[str] = ["version = 1"]

    def fields(i: int) -> list[tuple[str, str]]:
        out = [("name", string(rng, f"N{i} " + words(rng)))]
        if i == 0:
            out.append(("kind", '"goal"'))
        else:
            parent = rng.randrange(i)
            out.append(("parent", string(rng, plain[parent])))
        for key in ("unit", "owner", "description"):
            if rng.random() < 0.5:
                out.append((key, string(rng, words(rng))))
        if rng.random() < 0.3:
            out.append(("target", str(rng.randrange(1, 1000))))
        return out

    def comment() -> str:
        return "# " + one_line(rng) if rng.random() < 0.3 else ""

    for i in sorted(inline):
        body = ", ".join(f"{k} = {v}" for k, v in fields(i))
        lines.append(f"nodes.{ids[i]} = {{ {body} }} {comment()}".rstrip())
    lines += ["", "[tree]", f"title = {string(rng, words(rng))}", "as_of = 2026-06-30", comment()]
    for i in range(count):
        if i in inline:
            continue
        lines += ["", f"[nodes.{ids[i]}] {comment()}".rstrip()]
        lines += [f"{k} = {v} {comment()}".rstrip() for k, v in fields(i)]
        if rng.random() < 0.2:
            lines += [f"[nodes.{ids[i]}.thresholds]", "on_track = 0.9"]
    text = "\n".join(lines) + "\n"
    if rng.random() < 0.2:
        text = text.replace("\n", "\r\n")
    if rng.random() < 0.1:
        text = BOM + text
    tomllib.loads(text.removeprefix(BOM))  # valid, or the generator is wrong
    return Shape(text, plain)
