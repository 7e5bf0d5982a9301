"""Form fields that fit their values: a one-key choice, and node references picked from the tree."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from kpitui.common.text import safe_text


class ChoiceField(Widget, can_focus=True):
    """One of a few values: space or → next, ← previous, a first letter picks (again: the next)."""

    DEFAULT_CSS = """
    ChoiceField { height: 1; padding: 0 1; background: $boost; }
    ChoiceField:focus { background: $accent 30%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,right", "step(1)", "Next choice", show=False, id="choice.next"),
        Binding("left", "step(-1)", "Previous choice", show=False, id="choice.previous"),
    ]

    value: reactive[str] = reactive("", layout=False)

    class Changed(Message):
        """The value changed."""

        def __init__(self, field: ChoiceField) -> None:
            super().__init__()
            self.field = field

        @property
        def control(self) -> ChoiceField:
            """The field that changed."""
            return self.field

    def __init__(
        self,
        options: tuple[str, ...],
        value: str,
        unset: str | None,
        *,
        id: str | None = None,  # noqa: A002 - Textual's name
    ) -> None:
        """`unset` labels the empty value ("not set: level"); None where a value is required."""
        super().__init__(id=id)
        self.options = ("", *options) if unset is not None else options
        self.unset = unset or ""
        self.set_reactive(ChoiceField.value, value if value in self.options else self.options[0])

    def render(self) -> Text:
        text = Text()
        for option in self.options:
            label = option or self.unset
            if option == self.value:
                text.append(f"[{label}]", style="bold reverse")
            else:
                text.append(f" {label} ", style="dim")
            text.append(" ")
        return text

    def watch_value(self) -> None:
        self.post_message(self.Changed(self))

    def action_step(self, step: int) -> None:
        index = self.options.index(self.value)
        self.value = self.options[(index + step) % len(self.options)]

    def on_key(self, event: events.Key) -> None:
        char = event.character
        if not char or not char.isalpha() or len(char) != 1:
            return
        event.stop()
        event.prevent_default()
        starting = [o for o in self.options if o.casefold().startswith(char.casefold())]
        if not starting:
            self.app.bell()
            return
        after = [o for o in starting if self.options.index(o) > self.options.index(self.value)]
        self.value = (after or starting)[0] if self.value in starting else starting[0]

    def on_click(self) -> None:
        self.action_step(1)


class RefsField(Widget, can_focus=True):
    """Node ids picked from the tree: enter adds (or, for one parent, replaces), delete removes.

    The form answers the `Pick` message with a picker and sets `ids` (and `signs` for
    influences). Ids of nodes that no longer exist are shown as missing and can be removed.
    """

    DEFAULT_CSS = """
    RefsField { height: auto; min-height: 1; padding: 0 1; background: $boost; }
    RefsField:focus { background: $accent 30%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "pick('set')", "Pick", show=False, id="refs.pick"),
        Binding("plus", "pick('add')", "Add another", show=False, id="refs.add"),
        Binding("delete,backspace,minus", "pick('remove')", "Remove", show=False, id="refs.remove"),
    ]

    class Pick(Message):
        """The user asks to set, add or remove a reference."""

        def __init__(self, field: RefsField, how: str) -> None:
            super().__init__()
            self.field = field
            self.how = how

    def __init__(
        self,
        ids: list[str],
        names: dict[str, str],
        signs: dict[str, str] | None = None,
        *,
        hint: str = "",
        id: str | None = None,  # noqa: A002 - Textual's name
    ) -> None:
        super().__init__(id=id)
        self.hint = hint
        self.ids = list(ids)
        self.names = names
        self.signs = signs  # None: not an influence field

    def render(self) -> Text:
        text = Text()
        for index, node_id in enumerate(self.ids):
            if index:
                text.append(", ")
            if self.signs is not None:
                text.append("+ " if self.signs.get(node_id) == "+" else "− ")
            if node_id in self.names:
                text.append(safe_text(self.names[node_id]))
                text.append(safe_text(f" ({node_id})"), style="dim")
            else:
                text.append(safe_text(f"{node_id} (missing)"), style="bold red")
        if not self.ids:
            text.append(f"none — {self.hint}" if self.hint else "none", style="dim")
        return text

    def set_ids(self, ids: list[str], signs: dict[str, str] | None = None) -> None:
        """Show new ids (and signs)."""
        self.ids = list(dict.fromkeys(ids))
        if signs is not None:
            self.signs = signs
        self.refresh(layout=True)

    def action_pick(self, how: str) -> None:
        self.post_message(self.Pick(self, how))
