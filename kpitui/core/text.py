"""Text from a tree file made safe for a terminal (SPEC 5): control characters escaped.

A name, title, id or owner is the file author's text; printed raw, `\\x1b]0;…\\x07` retitles
the terminal, `\\x1b[2J` clears it and OSC 52 writes the clipboard. Every place that
shows file text — `check` output, error messages, the TUI — passes it through `safe_text`.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, line/paragraph separators, and the bidirectional overrides
# that make text display in another order than it is stored ("Trojan Source").
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_OR_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


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
