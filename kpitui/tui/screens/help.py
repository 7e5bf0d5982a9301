"""Help: every key of the screen below, and what each mark means."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kpitui.tui.marks import LEGEND, MARK_STYLE


class HelpScreen(ModalScreen[None]):
    """Lists the active key bindings (as remapped, if the user did) and the legend."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close help", id="help.close"),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        keys = Table(title="Keys", show_header=False, box=None, padding=(0, 2))
        for key, description in self.keys:
            keys.add_row(Text(key, style="bold"), description)
        legend = Table(title="Marks", show_header=False, box=None, padding=(0, 2))
        for glyph, style, meaning in LEGEND:
            legend.add_row(Text(glyph, style=MARK_STYLE[style]), meaning)
        with VerticalScroll(id="help-body"):
            yield Static(keys)
            yield Static(legend)
            yield Static(Text("esc, q, ? or F1 closes this help.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
