"""The tree's own settings: title, as_of, period, thresholds and the measurements file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from kpitui.common.text import editable, edited, safe_text
from kpitui.io.tree_table import check_measurements
from kpitui.model.inputs import InputError, parse_date, parse_number, parse_period, shown_number
from kpitui.model.schema import THRESHOLD_KEYS, read_settings
from kpitui.tui.screens.dialogs import ConfirmDialog
from kpitui.tui.screens.form import ESCAPED_NOTE, shown_value


@dataclass(frozen=True)
class Setting:
    """One field: `key` is a dotted path in `[tree]`; `how` is text, date, period, share, count or file."""

    key: str
    label: str
    how: str
    hint: str = ""


SETTINGS: tuple[Setting, ...] = tuple(
    s
    for s in (
        Setting("title", "Title", "text", "shown in the header"),
        Setting("period", "Period", "period", "2026 · H1 2026 · 1-1-2026..30-6-2026"),
        Setting("as_of", "As of", "date", "empty or today: always today · 30-06-2026 · -7d"),
        Setting("thresholds.on_track", "On track at", "share", "attainment: 0.95 or 95%"),
        Setting("thresholds.at_risk", "At risk at", "share", "attainment: 0.85 or 85%"),
        Setting("thresholds.max_children", "Max children", "count", "more children: a finding (7)"),
        Setting("thresholds.max_kpis", "Max KPIs", "count", "more KPIs below a goal: a finding (12)"),
        Setting("measurements", "Measurements", "file", "a .csv or .parquet file beside the tree"),
    )
    if not s.key.startswith("thresholds.") or s.key.split(".")[1] in THRESHOLD_KEYS
)


def _field_id(setting: Setting) -> str:
    return "setting-" + setting.key.replace(".", "-")


def _get(table: Mapping[str, Any], dotted: str) -> Any:
    value: Any = table
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def read_setting(setting: Setting, text: str, today: date, folder: Path) -> Any:
    """The value a settings field's text means (None: remove the key).

    Raises:
        InputError: the text cannot be read, or names an unusable measurements file.
    """
    text = text.strip()
    if not text:
        return None
    if setting.how == "date":
        return None if text.casefold() in ("today", "vandaag") else parse_date(text, today)
    if setting.how == "period":
        period = parse_period(text, today)
        return {"start": period.start, "end": period.end}
    if setting.how == "share":
        percent = text.endswith("%")
        value = parse_number(text.removesuffix("%"))
        return value / 100 if percent else value
    if setting.how == "count":
        value = parse_number(text)
        if not isinstance(value, int) or value < 1:
            raise InputError(f"{text!r}: a whole number of at least 1 is needed")
        return value
    if setting.how == "file":
        problem = check_measurements(folder, text)
        if problem:
            raise InputError(problem)
    return text


class TreeSettingsScreen(ModalScreen[dict[str, Any] | None]):
    """Edit the `[tree]` table; dismissed with the new table once valid, or None."""

    AUTO_FOCUS = "#setting-title"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Apply", priority=True, id="settings.apply"),
        Binding("escape", "cancel", "Cancel", id="settings.cancel"),
    ]

    def __init__(self, table: Mapping[str, Any], folder: Path, today: date | None = None) -> None:
        super().__init__()
        self.original = {k: dict(v) if isinstance(v, dict) else v for k, v in table.items()}
        self.folder = folder
        self.today = today or date.today()
        self.initial: dict[str, str] = {}
        # Each field's value as it opened; a control character in it is shown escaped (`editable`).
        self.opened = {s.key: shown_value(s.how, _get(self.original, s.key)) for s in SETTINGS}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog settings"):
            yield Static(Text("Tree settings — tab: next field, ctrl+s: apply, esc: cancel", style="bold"))
            with VerticalScroll(classes="settings-fields"):
                for setting in SETTINGS:
                    shown = editable(self.opened[setting.key])
                    with Horizontal(classes="form-line"):
                        yield Label(setting.label)
                        yield Input(shown, placeholder=setting.hint, id=_field_id(setting))
                    yield Static(id="note-" + _field_id(setting), classes="field-note")

    def on_mount(self) -> None:
        self.initial = self.texts()
        for setting in SETTINGS:
            self._note(setting)

    def texts(self) -> dict[str, str]:
        """The text of every field."""
        return {s.key: self.query_one("#" + _field_id(s), Input).value for s in SETTINGS}

    def meant(self, setting: Setting, text: str) -> str:
        """What a field's text stands for: escapes of control characters read back (`edited`)."""
        return edited(text, self.opened[setting.key])

    def build(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The new `[tree]` table (unknown keys kept) and setting key -> what is wrong."""
        table = {k: dict(v) if isinstance(v, dict) else v for k, v in self.original.items()}
        problems: dict[str, str] = {}
        texts = self.texts()
        for setting in SETTINGS:
            if texts[setting.key] == self.initial.get(setting.key):
                continue  # untouched: kept exactly as written
            try:
                value = read_setting(setting, self.meant(setting, texts[setting.key]), self.today, self.folder)
            except InputError as exc:
                problems[setting.key] = str(exc)
                continue
            where, last = table, setting.key.split(".")[-1]
            if "." in setting.key:
                sub = setting.key.split(".")[0]
                where = table.setdefault(sub, {})
            if value is None:
                where.pop(last, None)
            else:
                where[last] = value
        if isinstance(table.get("thresholds"), dict) and not table["thresholds"]:
            del table["thresholds"]
        _settings, errors = read_settings({"tree": table})
        for error in errors:
            dotted = error.key.removeprefix("tree.")
            known = next((s.key for s in SETTINGS if dotted.startswith(s.key)), "title")
            problems.setdefault(known, error.message)
        return table, problems

    def _note(self, setting: Setting, problem: str | None = None) -> None:
        note = self.query_one("#note-" + _field_id(setting), Static)
        text = self.query_one("#" + _field_id(setting), Input).value
        if problem is None and text != self.initial.get(setting.key):
            try:
                value = read_setting(setting, self.meant(setting, text), self.today, self.folder)
            except InputError as exc:
                problem = str(exc)
            else:
                shown = self._understood(setting, text, value)
                if shown:
                    note.update(Text(f"= {shown}", style="green"))
                    note.display = True
                    return
        if not problem and editable(self.opened[setting.key]) != self.opened[setting.key]:
            note.update(Text(ESCAPED_NOTE, style="dim"))  # the value is shown escaped: say why
            note.display = True
            return
        note.update(Text(safe_text(problem or ""), style="bold red"))
        note.display = bool(problem)

    def _understood(self, setting: Setting, text: str, value: Any) -> str:
        if setting.how == "date":
            return "today's date, whatever day it is" if value is None and text.strip() else ""
        if setting.how == "period" and value:
            return f"{value['start']} → {value['end']}"
        if setting.how in ("share", "count") and value is not None and str(value) != text.strip():
            return shown_number(value)
        return ""

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        setting = next((s for s in SETTINGS if _field_id(s) == event.input.id), None)
        if setting is not None and self.initial:
            self._note(setting)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_submit(self) -> None:
        table, problems = self.build()
        for setting in SETTINGS:
            if setting.key in problems:
                self._note(setting, problems[setting.key])
        if problems:
            first = next(s for s in SETTINGS if s.key in problems)
            self.query_one("#" + _field_id(first), Input).focus()
            self.notify(f"{len(problems)} setting(s) need fixing; nothing was changed.", severity="error")
            return
        self.dismiss(table)

    def action_cancel(self) -> None:
        if self.texts() == self.initial:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        question = ConfirmDialog("Discard the changes to the tree settings?", "Discard", "Keep editing")
        self.app.push_screen(question, answered)
