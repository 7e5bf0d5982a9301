"""The net under everything the TUI draws: no control character reaches the terminal.

Screens and widgets show file text escaped (`safe_text`): a name holding `\\x1b]0;x\\x07`
reads `\\x1b]0;x\\x07`, so the user sees what the file holds. This line filter, applied by
Textual to every line of every widget, is the net under that: a character `safe_text` would
escape that still reaches a line (a widget showing a value nobody escaped) is left out. Each
such character is zero cells wide, so the line keeps its width and layout.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from kpitui.common.text import without_unsafe


class NoControlCharacters(LineFilter):
    """Leaves out of each line's text every control, separator and bidi character (`safe_text`'s)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(text.isprintable() for text, _, _ in segments):  # the usual line: nothing to leave out
            return segments
        kept: list[Segment] = []
        for segment in segments:
            text, style, control = segment
            if control or text.isprintable():
                kept.append(segment)
            elif text := without_unsafe(text):
                kept.append(Segment(text, style, control))
        return kept


NO_CONTROL_CHARACTERS = NoControlCharacters()
