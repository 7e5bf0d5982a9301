"""The header: the tree's title, its reference date, and counts of what is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from kpitui.common.text import safe_text
from kpitui.tui.marks import CONFLICT, ERROR, MARK_STYLE, ORPHAN, STATUS_GLYPH

if TYPE_CHECKING:
    from pathlib import Path

    from kpitui.analysis.results import Analysis
    from kpitui.services.outline import Outline


class TreeHeader(Static):
    """Title · as of · orphans · conflicts · off track · errors (and unsaved changes)."""

    DEFAULT_CSS = """
    TreeHeader { height: 2; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(
        self,
        analysis: Analysis | None,
        outline: Outline | None,
        note: str = "",
        path: Path | None = None,
        travelled: bool = False,
    ) -> None:
        """Describe the tree (in the file `path`, default the analysed tree's); `note` replaces the
        counts while loading or on errors. `travelled`: the date shown was moved with < or >, and
        the first line says it is not today, next to the date (a line too long for the terminal
        is cut at its end, the file name first, never wrapped out of sight)."""
        if analysis is None or outline is None:
            self.update(Text(safe_text(note) or "kpitui", style="bold"))
            return
        counts = outline.counts()
        text = Text(safe_text(analysis.tree.display_name), style="bold")
        text.append(f"  as of {analysis.as_of}", style="dim")
        if travelled:
            text.append(" ⏱ not today (< >)", style=MARK_STYLE["note"])
        text.append(f"  {safe_text((path or analysis.tree.path).name)}\n", style="dim")
        for glyph, count, word, style in (
            (ORPHAN, counts["orphans"], "orphan", MARK_STYLE["orphan"]),
            (CONFLICT, counts["conflicts"], "conflict", MARK_STYLE["conflict"]),
            (STATUS_GLYPH["off_track"], counts["off_track"], "off track", MARK_STYLE["off_track"]),
            (ERROR, counts["errors"], "error", MARK_STYLE["error"]),
        ):
            plural = "s" if count != 1 and word != "off track" else ""
            text.append(f"{glyph} {count} {word}{plural}", style=style if count else MARK_STYLE["quiet"])
            text.append("   ")
        if note:
            text.append(f"  {safe_text(note)}", style=MARK_STYLE["note"])
        self.update(text)
