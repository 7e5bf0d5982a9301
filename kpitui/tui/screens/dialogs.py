"""Small typed dialogs: a choice among a few answers, and one line of input."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from kpitui.common.text import editable, edited, safe_text


class ChoiceDialog(ModalScreen[str | None]):
    """A question with a few answers, each with its own key; escape answers None (or the answer
    whose key is escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "answer('')", "Cancel", id="dialog.cancel")]

    def __init__(self, question: str, answers: list[tuple[str, str, str]], default: str | None = None) -> None:
        """`answers`: (value, key, label) — `label` says what happens, `key` picks it; `default`: the
        value of the answer that has the focus first (enter picks it), else the first answer's."""
        super().__init__()
        self.question = question
        self.answers = answers
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(safe_text(self.question, newlines=True)), classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                for index, (_value, key, label) in enumerate(self.answers):
                    # A Text label: "[s]" as a markup string would be read as a style tag and vanish.
                    shown = "esc" if key == "escape" else key
                    yield Button(Text(f"{label} [{shown}]"), id=f"answer-{index}")

    def on_mount(self) -> None:
        values = [value for value, _key, _label in self.answers]
        index = values.index(self.default) if self.default in values else 0
        self.query_one(f"#answer-{index}", Button).focus()

    def on_key(self, event: events.Key) -> None:
        answer = {key: value for value, key, _label in self.answers}.get(event.key)
        if answer is not None:
            event.stop()
            self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        index = int((event.button.id or "answer-0").removeprefix("answer-"))
        self.dismiss(self.answers[index][0] or None)

    def action_answer(self, value: str) -> None:
        self.dismiss(value or None)


class LineDialog(ModalScreen[str | None]):
    """Ask for one line of text; enter answers it, escape cancels; `check` may refuse it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, question: str, value: str = "", check: object = None) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(safe_text(self.question, newlines=True)), classes="dialog-question")
            yield Input(editable(self.value), id="line")  # a control character in it shown escaped
            yield Static(id="line-error", classes="field-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = edited(event.value, self.value)  # untouched: the value given, exactly
        problem = self.check(value) if callable(self.check) else None
        if problem:
            error = self.query_one("#line-error", Static)
            error.update(Text(safe_text(str(problem), newlines=True), style="bold red"))
            error.display = True
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question: y or enter says yes, n or escape says no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(safe_text(self.question, newlines=True)), classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(Text(f"{self.yes} [y]"), id="confirm-yes", variant="error")
                yield Button(Text(f"{self.no} [n/esc]"), id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
