"""The header: the tree's title, its reference date, and counts of what is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from kpitui.tui.marks import CONFLICT, ERROR, ORPHAN, STATUS_GLYPH

if TYPE_CHECKING:
    from kpitui.core.analysis import Analysis
    from kpitui.core.outline import Outline


class TreeHeader(Static):
    """Title · as of · orphans · conflicts · off track · errors (and unsaved changes)."""

    DEFAULT_CSS = """
    TreeHeader { height: 2; background: $panel; padding: 0 1; }
    """

    def show(self, analysis: Analysis | None, outline: Outline | None, note: str = "") -> None:
        """Describe the tree; `note` replaces the counts while loading or on errors."""
        if analysis is None or outline is None:
            self.update(Text(note or "kpitui", style="bold"))
            return
        counts = outline.counts()
        text = Text(analysis.tree.display_name, style="bold")
        text.append(f"  as of {analysis.as_of}  {analysis.tree.path.name}\n", style="dim")
        for glyph, count, word, style in (
            (ORPHAN, counts["orphans"], "orphan", "bold red"),
            (CONFLICT, counts["conflicts"], "conflict", "magenta"),
            (STATUS_GLYPH["off_track"], counts["off_track"], "off track", "bold red"),
            (ERROR, counts["errors"], "error", "bold red"),
        ):
            plural = "s" if count != 1 and word != "off track" else ""
            text.append(f"{glyph} {count} {word}{plural}", style=style if count else "dim")
            text.append("   ")
        if note:
            text.append(f"  {note}", style="bold yellow")
        self.update(text)
