"""Pick a node by fuzzy search on its name or id."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from kpitui.common.text import safe_text

NO_PARENT = "\0none"
LIMIT = 60


class NodePicker(ModalScreen[str | None]):
    """Type to narrow the list; enter picks the highlighted node; escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="picker.down"),
        Binding("up", "move(-1)", "Up", show=False, id="picker.up"),
    ]

    def __init__(self, title: str, choices: list[tuple[str, str]], allow_none: str | None = None) -> None:
        """`choices`: (id, name); `allow_none` labels an extra choice meaning "no node"."""
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.allow_none = allow_none

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Static(Text(safe_text(self.title_text, newlines=True), style="bold"))
            yield Input(placeholder="type part of a name or id", id="picker-query")
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-query", Input).focus()

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        if query.strip():
            matcher = Matcher(query)
            scored = [(matcher.match(f"{name} {node_id}"), node_id, name) for node_id, name in self.choices]
            ranked = [(node_id, name) for score, node_id, name in sorted(scored, key=lambda s: -s[0]) if score > 0]
        else:
            ranked = list(self.choices)
        items = [Option(Text(safe_text(f"{name}  ({node_id})")), id=node_id) for node_id, name in ranked[:LIMIT]]
        if self.allow_none and not query.strip():
            items.insert(0, Option(self.allow_none, id=NO_PARENT))
        options.add_options(items)
        if items:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pick()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick()

    def _pick(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        self.dismiss(options.get_option_at_index(options.highlighted).id)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = ((options.highlighted or 0) + step) % options.option_count

    def action_cancel(self) -> None:
        self.dismiss(None)
