"""The node form: the fields that matter for the node's kind up front, the rest behind "more".

Choices are picked with one key, numbers and dates are read as people type them (what
was understood is shown under the field), and parents, conflicts and influences are
picked from the tree. Values are validated as the loader does, errors shown at the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from kpitui.common.format import plain
from kpitui.common.text import editable, edited, safe_text
from kpitui.model.domain import Period
from kpitui.model.inputs import (
    InputError,
    parse_date,
    parse_number,
    parse_period,
    shown_number,
    shown_period,
)
from kpitui.model.schema import CHOICES, read_node
from kpitui.services.entry import Current
from kpitui.tui.screens.dialogs import ChoiceDialog, ConfirmDialog
from kpitui.tui.screens.picker import NO_PARENT, NodePicker
from kpitui.tui.widgets.fields import ChoiceField, RefsField

NUMBER_HINT = "1500 · 1 500 · 1,5 · 1.234,5 · 25k · 3M"
# Under a field whose value holds a control character (shown escaped, see `editable`).
ESCAPED_NOTE = "control characters shown as \\x1b, \\n (\\\\ is a backslash): kept unless you delete them"


@dataclass(frozen=True)
class Field:
    """One field of the form: `how` is text, number, date, period, choice, refs, influences or id."""

    id: str
    label: str
    how: str
    hint: str | None = None  # choices: how "not set" reads (None: a value is required); else a placeholder


FIELDS: tuple[Field, ...] = (
    Field("name", "Name", "text"),
    Field("kind", "Kind", "choice"),
    Field("parent", "Parent", "refs", "enter picks · + adds another · del removes"),
    Field("target", "Target", "number", NUMBER_HINT),
    Field("actual", "Actual", "number", NUMBER_HINT),
    Field("unit", "Unit", "text", "EUR, %, orders, …"),
    Field("direction", "Direction", "choice", "not set: increase"),
    Field("pacing", "Pacing", "choice", "not set: level"),
    Field("owner", "Owner", "text"),
    Field("owner_type", "Owner type", "choice", "not set"),
    Field("period", "Period", "period", "2026 · Q3 2026 · H2 · 2026-07 · 1-1-2026..30-6-2026"),
    Field("measured", "Measured on", "date", "date of the actual: 2026-06-30, 30-06-2026, today, -7d"),
    Field("baseline", "Baseline", "number", "value at the period's start"),
    Field("frequency", "Frequency", "choice", "not set"),
    Field("horizon", "Horizon", "choice", "not set"),
    Field("rollup", "Rollup", "choice", "no"),
    Field("conflicts", "Conflicts", "refs", "enter adds · del removes"),
    Field("influences", "Influences", "influences", "enter adds · del removes"),
    Field("description", "Description", "text"),
    Field("id", "Id", "id"),
)
BY_ID = {f.id: f for f in FIELDS}

# What each kind needs up front, in the order that reads (and types) best; the rest is behind "more".
UP_FRONT: dict[str, tuple[str, ...]] = {
    "goal": ("name", "owner", "description", "period", "kind"),
    "objective": ("name", "owner", "period", "description", "kind", "parent"),
    "kpi": ("name", "target", "actual", "unit", "pacing", "direction", "owner", "period", "kind", "parent"),
}


@dataclass(frozen=True)
class Actual:
    """What the form knows of a node's actual beyond its table: its value now (which may be a
    measurement row newer than the inline one), the date a new value gets, and the measurements
    CSV a new value is recorded in as a row (for a node whose value comes from that file)."""

    current: Current
    day: date  # the analysis date: today, or the as_of shown
    rows: str | None = None


def understood(how: str, text: str, today: date, year: int | None = None) -> Any:
    """The value a number, date or period field's text means (None when empty).

    Raises:
        InputError: the text cannot be read.
    """
    if not text.strip():
        return None
    if how == "number":
        return parse_number(text)
    if how == "date":
        return parse_date(text, today)
    period = parse_period(text, today, year)
    return {"start": period.start, "end": period.end}


def shown_value(how: str, value: Any) -> str:
    if value is None:
        return ""
    if how == "period" and isinstance(value, dict):
        start, end = value.get("start"), value.get("end")
        if isinstance(start, date) and isinstance(end, date) and start <= end:
            return shown_period(Period(start, end))
        return ""
    return str(value)


def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class NodeForm(ModalScreen[tuple[str, dict[str, Any]] | None]):
    """Edit or create a node; dismissed with (id, table) once valid, or None."""

    AUTO_FOCUS = "#field-name"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Apply", priority=True, id="form.apply"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+o", "more", "More fields", id="form.more"),
    ]

    def __init__(
        self,
        title: str,
        node_id: str,
        table: Mapping[str, Any],
        taken: set[str],
        names: dict[str, str],
        auto_id: Callable[[str], str] | None = None,
        today: date | None = None,
        year: int | None = None,
        actual: Actual | None = None,
    ) -> None:
        """`names`: every other node's name by id (for the pickers); `auto_id` makes the id from the name;
        `actual`: the node's value now and where a new one goes (see `Actual`)."""
        super().__init__()
        self.actual = actual
        # The node's value is the newest row of its measurements file: Actual and Measured on show
        # that row (not an older inline actual), and a value typed there is a new observation.
        self.measured_now = actual is not None and actual.current.measured and actual.current.value is not None
        self.row: tuple[float, date] | None = None  # a new value to record as a measurement row
        self.said: str | None = None  # what happened to a new value, to be told once applied
        self.auto_id = auto_id
        self.title_text = title
        self.node_id = node_id
        self.original = dict(table)
        self.taken = taken  # ids of other nodes
        self.names = names
        self.today = today or date.today()
        self.year = year  # of a quarter or half typed without one (the tree's period)
        self.show_more = False
        self.initial: dict[str, Any] = {}
        self.opened: dict[str, str] = {}  # each typed field's value as it opened, before `editable`

    # ── building ───────────────────────────────────────────────────────

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Static(
                Text(safe_text(f"{self.title_text} — tab: next field, ctrl+s: apply, esc: cancel"), style="bold"),
                id="form-title",
            )
            with VerticalScroll(id="form-fields"):
                for spec in FIELDS:
                    with Vertical(id=f"row-{spec.id}", classes="form-row"):
                        with Horizontal(classes="form-line"):
                            yield Label(spec.label)
                            yield self._editor(spec)
                        yield Static(id=f"note-{spec.id}", classes="field-note")
                yield Static(id="form-more", classes="form-more")

    def _editor(self, spec: Field) -> Widget:
        value = self.node_id if spec.id == "id" else self.original.get(spec.id)
        if self.measured_now and self.actual is not None and spec.id in ("actual", "measured"):
            now = self.actual.current
            value = plain(now.value) if spec.id == "actual" and now.value is not None else now.day
        if spec.how == "choice":
            options = CHOICES[spec.id]
            default = "kpi" if spec.id == "kind" else ""
            return ChoiceField(options, str(value or default), spec.hint, id=f"field-{spec.id}")
        if spec.how in ("refs", "influences"):
            raw = value if isinstance(value, dict) else {}
            ids = list(raw) if spec.how == "influences" else _ids(value)
            signs = {k: str(v) for k, v in raw.items()} if spec.how == "influences" else None
            return RefsField(ids, self.names, signs, hint=spec.hint or "", id=f"field-{spec.id}")
        # A control character in the value is shown escaped; `field_text` reads the field back.
        self.opened[spec.id] = shown_value(spec.how, value)
        return Input(editable(self.opened[spec.id]), placeholder=spec.hint or "", id=f"field-{spec.id}")

    def on_mount(self) -> None:
        self._arrange()
        for spec in FIELDS:
            if spec.how in ("number", "date", "period"):
                self._note(spec)
            else:
                self._escaped_note(spec)
        self.initial = self.raw_values()

    def kind(self) -> str:
        """The kind chosen in the form."""
        return self.query_one("#field-kind", ChoiceField).value or "kpi"

    def _arrange(self) -> None:
        """Show the kind's fields (and any with a value) up front, in its order; the rest with "more"."""
        container = self.query_one("#form-fields", VerticalScroll)
        front = list(UP_FRONT.get(self.kind(), UP_FRONT["kpi"]))
        filled = [f.id for f in FIELDS if f.id not in front and f.id != "id" and self._has_value(f)]
        order = front + filled
        rest = [f.id for f in FIELDS if f.id not in order]
        more = self.query_one("#form-more", Static)
        for field_id in order:
            container.move_child(self.query_one(f"#row-{field_id}"), before=more)
        for field_id in rest:
            row = self.query_one(f"#row-{field_id}")
            container.move_child(row, after=container.children[-1])
            row.display = self.show_more
        for field_id in order:
            self.query_one(f"#row-{field_id}").display = True
        count = len(rest)
        label = f"▾ {count} more fields (ctrl+o hides them)" if self.show_more else f"▸ {count} more fields: ctrl+o"
        more.update(Text(label, style="dim"))

    def _has_value(self, spec: Field) -> bool:
        if spec.how in ("refs", "influences"):
            return bool(self.query_one(f"#field-{spec.id}", RefsField).ids)
        if spec.how == "choice":
            return bool(self.query_one(f"#field-{spec.id}", ChoiceField).value) and spec.hint is not None
        return spec.id in self.original or bool(self.opened.get(spec.id))

    # ── reading the fields ─────────────────────────────────────────────

    def raw_values(self) -> dict[str, Any]:
        """What each field holds now: text, a choice, or ids (with signs)."""
        values: dict[str, Any] = {}
        for spec in FIELDS:
            widget = self.query_one(f"#field-{spec.id}")
            if isinstance(widget, Input | ChoiceField):
                values[spec.id] = widget.value
            elif isinstance(widget, RefsField):
                values[spec.id] = (tuple(widget.ids), tuple(sorted((widget.signs or {}).items())))
        return values

    def field_text(self, field_id: str) -> str:
        """What a text field stands for: the value it opened with while untouched (a control
        character in it shown escaped), else its text with those escapes read back (`edited`)."""
        return edited(self.query_one(f"#field-{field_id}", Input).value, self.opened[field_id])

    def changed(self) -> bool:
        """Whether anything was changed since the form opened."""
        return self.raw_values() != self.initial

    def new_id(self) -> str:
        """The node's id: as typed, or made from the name where the suggestion was left alone."""
        typed = self.field_text("id").strip()
        name = self.field_text("name").strip()
        if self.auto_id is not None and typed == self.node_id and name:
            return self.auto_id(name)
        return typed

    def build(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The table the form describes, and field id -> what cannot be read.

        Keys the form does not show are kept as they were, in their place.
        """
        table = dict(self.original)
        problems: dict[str, str] = {}
        for spec in FIELDS:
            if spec.id == "id":
                continue
            widget = self.query_one(f"#field-{spec.id}")
            value: Any = None
            if isinstance(widget, RefsField):
                if spec.how == "influences":
                    value = {i: (widget.signs or {}).get(i, "+") for i in widget.ids} or None
                elif spec.id == "parent" and len(widget.ids) == 1:
                    value = widget.ids[0]
                else:
                    value = widget.ids or None
            elif isinstance(widget, ChoiceField):
                value = widget.value or None
                if spec.id == "kind" and value == "kpi" and "kind" not in self.original:
                    value = None
            elif isinstance(widget, Input):
                text = self.field_text(spec.id).strip()
                if spec.how in ("number", "date", "period"):
                    try:
                        value = understood(spec.how, text, self.today, self.year)
                    except InputError as exc:
                        problems[spec.id] = str(exc)
                        continue
                else:
                    value = text or None
            if value is None:
                table.pop(spec.id, None)
            else:
                table[spec.id] = value
        self._new_actual(table, problems)
        if self.auto_id is not None:  # a new node: its keys in the form's order
            order = {spec.id: index for index, spec in enumerate(FIELDS)}
            table = dict(sorted(table.items(), key=lambda item: order.get(item[0], len(order))))
        return table, problems

    def _typed(self, field_id: str) -> bool:
        """Whether a field's text differs from what it opened with."""
        return self.field_text(field_id).strip() != self.opened[field_id].strip()

    def _new_day(self) -> date | None:
        """The date a new actual gets: Measured on where it was typed, else the analysis date."""
        if self._typed("measured"):
            try:
                typed = understood("date", self.field_text("measured"), self.today)
            except InputError:
                return None
            if isinstance(typed, date):
                return typed
        return self.actual.day if self.actual is not None else None

    def _new_actual(self, table: dict[str, Any], problems: dict[str, str]) -> None:
        """A new actual typed in the form gets a date, and is never hidden by a newer measurement.

        Left untouched, Actual and Measured on keep the table's values. A new value is dated
        (Measured on, where typed; else the analysis date). For a node whose value is the newest
        row of its measurements CSV, a new value (or date) is recorded as a row of that file, the
        newest of its day (`row`), and the table keeps its inline values; without a CSV to record
        it in, it is stored inline, refused where a measurement as new would still win.
        """
        self.row, self.said = None, None
        if "actual" in problems or "measured" in problems or self.actual is None:
            return
        now = self.actual.current
        typed = self._typed("actual") or (self.measured_now and self._typed("measured"))
        value = table.get("actual")
        if self.measured_now:
            for key in ("actual", "measured"):  # the fields showed the measurement, not the inline values
                if key in self.original:
                    table[key] = self.original[key]
                else:
                    table.pop(key, None)
            if not typed:
                return
            if value is None:  # emptied: the older inline actual goes
                table.pop("actual", None)
                table.pop("measured", None)
                return
        elif not typed or value is None:
            return
        day = self._new_day()
        if day is None:
            return
        shown = plain(value)
        if self.measured_now and self.actual.rows:
            self.row = (value, day)
            newest = " (the newest)" if now.day is None or day >= now.day else f" (not the newest: {now})"
            self.said = f"{shown} recorded as a row of {self.actual.rows} dated {day}{newest}; ctrl+s writes it."
            return
        if self.measured_now and now.day is not None and day <= now.day:
            problems["actual"] = (
                f"{now.where} has a value on {now.day} ({now}), which counts over an inline one of that date or "
                "earlier; record this value in that file, or date it later in Measured on"
            )
            return
        table["actual"], table["measured"] = value, day
        self.said = f"{shown} stored as the actual, measured {day}."

    def errors(self) -> dict[str, str]:
        """Field id -> what is wrong with it; empty when the node is valid."""
        table, problems = self.build()
        node_id = self.new_id()
        if not node_id:
            problems["id"] = "an id is needed (letters, digits, - and _ read best)"
        elif node_id in self.taken:
            problems["id"] = f"id {node_id!r} is taken by another node"
        _node, errors = read_node(node_id or "new", table)
        for error in errors:
            field_id = error.key.split(".")[0]
            problems.setdefault(field_id if field_id in BY_ID else "name", error.message)
        return problems

    # ── showing what was understood ─────────────────────────────────────

    def _escaped_note(self, spec: Field) -> None:
        """Say so under a text field whose value is shown escaped."""
        if spec.id in self.opened and editable(self.opened[spec.id]) != self.opened[spec.id]:
            note = self.query_one(f"#note-{spec.id}", Static)
            note.update(Text(ESCAPED_NOTE, style="dim"))
            note.display = True

    def _note(self, spec: Field) -> None:
        note = self.query_one(f"#note-{spec.id}", Static)
        said = self._understood(spec)
        if spec.id == "actual":
            context = self._actual_note()
            if context:
                said = Text("\n").join([said, context]) if said else context
        note.update(said or "")
        note.display = said is not None

    def _understood(self, spec: Field) -> Text | None:
        """What a number, date or period field's text was understood as, or why it cannot be read."""
        text = self.query_one(f"#field-{spec.id}", Input).value
        try:
            value = understood(spec.how, text, self.today, self.year)
        except InputError as exc:
            return Text(str(exc), style="bold red")
        if value is None or (spec.how != "number" and text.strip() == shown_value(spec.how, value)):
            return None
        if spec.how == "number":
            if text.strip() == str(value):
                return None
            shown = shown_number(value)
        elif spec.how == "date":
            shown = f"{value} ({value:%A})"
        else:
            shown = f"{value['start']} → {value['end']}"
        return Text(f"= {shown}", style="green")

    def _actual_note(self) -> Text | None:
        """Under Actual: the node's value now, with its date and source, and where a new one goes."""
        if self.actual is None or not self.opened:
            return None
        now = self.actual.current
        said = [f"now {now}"] if now.value is not None else []
        typed = self._typed("actual") or (self.measured_now and self._typed("measured"))
        day = self._new_day()
        if typed and day is not None and self.field_text("actual").strip():
            if self.measured_now and self.actual.rows:
                said.append(f"the new value becomes a row of {self.actual.rows} dated {day}")
            else:
                said.append(f"the new value is measured {day}")
        return Text(safe_text(" · ".join(said)), style="dim") if said else None

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        field_id = (event.input.id or "").removeprefix("field-")
        spec = BY_ID.get(field_id)
        if spec is not None and spec.how in ("number", "date", "period"):
            self._note(spec)
            if field_id == "measured" and self.actual is not None:
                self._note(BY_ID["actual"])  # where a new actual goes depends on its date

    @on(ChoiceField.Changed, "#field-kind")
    def _kind_changed(self) -> None:
        if self.is_mounted and self.initial:
            self._arrange()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # ── pickers ─────────────────────────────────────────────────────────

    @on(RefsField.Pick)
    def _pick(self, event: RefsField.Pick) -> None:
        event.stop()
        field = event.field
        field_id = (field.id or "").removeprefix("field-")
        own = {self.node_id, self.new_id()}
        if event.how == "remove":
            if len(field.ids) <= 1:
                self._set_refs(field, [])
                return
            choices = [(i, self.names.get(i, f"{i} (missing)")) for i in field.ids]
            self.app.push_screen(
                NodePicker(f"Remove which {field_id}?", choices),
                lambda gone: self._set_refs(field, [i for i in field.ids if i != gone]) if gone else None,
            )
            return
        choices = [(i, n) for i, n in self.names.items() if i not in own and i not in field.ids]
        none = "(no parent: a goal, or an orphan)" if field_id == "parent" and event.how == "set" else None
        replace = field_id == "parent" and event.how == "set"
        title = {"parent": "Parent", "conflicts": "Conflicts with", "influences": "Influences"}[field_id]

        def picked(node_id: str | None) -> None:
            if node_id is None:
                return
            if node_id == NO_PARENT:
                self._set_refs(field, [])
            elif field.signs is not None:
                self._ask_sign(field, node_id)
            else:
                self._set_refs(field, [node_id] if replace else [*field.ids, node_id])

        self.app.push_screen(NodePicker(f"{title}…", choices, none), picked)

    def _ask_sign(self, field: RefsField, node_id: str) -> None:
        def signed(sign: str | None) -> None:
            if sign:
                self._set_refs(field, [*field.ids, node_id], {**(field.signs or {}), node_id: sign})

        answers = [("+", "plus", "Pushes it up (+)"), ("-", "minus", "Pushes it down (−)")]
        name = self.names.get(node_id, node_id)
        self.app.push_screen(ChoiceDialog(f"How does this node influence '{name}'?", answers), signed)

    def _set_refs(self, field: RefsField, ids: list[str], signs: dict[str, str] | None = None) -> None:
        if signs is not None:
            signs = {k: v for k, v in signs.items() if k in ids}
        elif field.signs is not None:
            signs = {k: v for k, v in field.signs.items() if k in ids}
        field.set_ids(ids, signs)
        field.focus()

    # ── actions ────────────────────────────────────────────────────────

    def action_more(self) -> None:
        self.show_more = not self.show_more
        self._arrange()
        if self.show_more:
            self.call_after_refresh(self.query_one("#form-more").scroll_visible)

    def action_submit(self) -> None:
        problems = self.errors()
        for spec in FIELDS:
            if spec.how in ("number", "date", "period") and spec.id not in problems:
                self._note(spec)
                continue
            note = self.query_one(f"#note-{spec.id}", Static)
            note.update(Text(safe_text(problems.get(spec.id, "")), style="bold red"))
            note.display = spec.id in problems
            if spec.id not in problems:
                self._escaped_note(spec)
        if problems:
            first = next(f for f in FIELDS if f.id in problems)
            row = self.query_one(f"#row-{first.id}")
            if not row.display:
                self.show_more = True
                self._arrange()
            self.query_one(f"#field-{first.id}").focus()
            self.notify(f"{len(problems)} field(s) need fixing; nothing was changed.", severity="error")
            return
        table, _ = self.build()
        self.dismiss((self.new_id(), table))

    def action_cancel(self) -> None:
        if not self.changed():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog("Discard the changes in this form?", "Discard", "Keep editing"), answered)
