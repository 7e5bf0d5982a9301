"""Text from a tree file made safe for a terminal (docs/contract.md#outputs): control characters escaped.

A name, title, id or owner is the file author's text; printed raw, `\\x1b]0;…\\x07` retitles
the terminal, `\\x1b[2J` clears it, OSC 52 writes the clipboard, `\\x9b` (a C1 control) starts
a sequence on its own and U+202E shows the rest of a line backwards. Every place that shows
file text — `check` output, error messages, the TUI — passes it through `safe_text`; JSON
output through `safe_json`; an edit field shows `editable` text and reads it back with `edited`.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; the line and paragraph separators; and the bidirectional
# controls (embeddings, overrides, isolates, the marks LRM, RLM and ALM) that make text
# display in another order than it is stored ("Trojan Source").
_SPECIAL = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_SPECIAL}]")
_UNSAFE_OR_NEWLINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_SPECIAL}]")
# What `json.dumps(ensure_ascii=False)` leaves raw of the above (it escapes C0 itself).
_JSON_RAW = re.compile(f"[\x7f-\x9f{_SPECIAL}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNNAMED = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}
_ESCAPED = re.compile(r"\\(\\|[ntr]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: str, newlines: bool = False) -> str:
    """The text with every control character shown as an escape (`\\x1b`, `\\t`, `\\u202e`).

    Args:
        text: text that came from a tree file (or holds some).
        newlines: keep line breaks (descriptions, multi-line messages); else `\\n`.
    """
    if text.isprintable():  # no control, separator or format character at all: nothing to escape
        return text
    pattern = _UNSAFE if newlines else _UNSAFE_OR_NEWLINE
    return pattern.sub(_escape, text) if pattern.search(text) else text


def without_unsafe(text: str) -> str:
    """The text with every character `safe_text` escapes (line breaks and tabs too) left out."""
    return _UNSAFE_OR_NEWLINE.sub("", text)


def safe_json(text: str) -> str:
    """JSON text made by `json.dumps(..., ensure_ascii=False)` with DEL, C1 controls and the
    characters above written as `\\u` escapes: the same JSON value, nothing a terminal acts on.

    JSON escapes C0 controls itself; these it leaves raw (`\\x9b` is a CSI to a terminal).
    Outside strings JSON text is ASCII, so every one replaced is inside a string.
    """
    if text.isprintable() or not _JSON_RAW.search(text):
        return text
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def editable(text: str) -> str:
    """The text an edit field shows for a value: the value itself, or, where it holds a
    character `safe_text` escapes (a line break too: the field has one line), that text with
    every backslash doubled and those characters escaped, which `edited` reads back exactly."""
    if text.isprintable() or not _UNSAFE_OR_NEWLINE.search(text):
        return text
    return _UNSAFE_OR_NEWLINE.sub(_escape, text.replace("\\", "\\\\"))


def edited(shown: str, original: str) -> str:
    """The value an edit field opened on `editable(original)` stands for now.

    Untouched, it is `original`, exactly. A field shown as it was holds what it says. A field
    shown escaped is read back: `\\\\` is a backslash and `\\x1b`, `\\n`, `\\u202e` are the
    characters they name, so a control character left in stays and one deleted is gone.
    """
    escaped = editable(original)
    if shown == escaped:
        return original
    if escaped == original:
        return shown
    return _ESCAPED.sub(_unescape, shown)


def _unescape(match: re.Match[str]) -> str:
    what = match.group(1)
    return _UNNAMED[what] if what in _UNNAMED else chr(int(what[1:], 16))
