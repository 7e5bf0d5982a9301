"""The node form: every field of a node, validated as the loader does, errors at the field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from kpitui.core.editing import parse_value
from kpitui.core.schema import CHOICES, read_node

# (field id, key in the table, label, how the text is read)
FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("id", "", "Id", "id"),
    ("name", "name", "Name", "text"),
    ("kind", "kind", "Kind", "text"),
    ("parent", "parent", "Parent id(s), comma separated", "ids"),
    ("owner", "owner", "Owner", "text"),
    ("owner_type", "owner_type", "Owner type", "text"),
    ("unit", "unit", "Unit", "text"),
    ("direction", "direction", "Direction", "text"),
    ("pacing", "pacing", "Pacing", "text"),
    ("baseline", "baseline", "Baseline", "value"),
    ("target", "target", "Target", "value"),
    ("actual", "actual", "Actual", "value"),
    ("measured", "measured", "Measured on (YYYY-MM-DD)", "value"),
    ("period_start", "period.start", "Period start (YYYY-MM-DD)", "value"),
    ("period_end", "period.end", "Period end (YYYY-MM-DD)", "value"),
    ("frequency", "frequency", "Frequency", "text"),
    ("horizon", "horizon", "Horizon", "text"),
    ("rollup", "rollup", "Rollup", "text"),
    ("conflicts", "conflicts", "Conflicts with id(s), comma separated", "ids"),
    ("description", "description", "Description", "text"),
)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def form_values(table: Mapping[str, Any]) -> dict[str, str]:
    """The text each field shows for a table."""
    raw = table.get("period")
    period: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    values = {}
    for field_id, key, _label, _how in FIELDS:
        if key.startswith("period."):
            values[field_id] = _shown(period.get(key.split(".")[1]))
        elif key:
            values[field_id] = _shown(table.get(key))
    return values


def build_table(original: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """The table the form describes; keys the form does not show are kept as they were."""
    table = dict(original)
    period: dict[str, Any] = {}
    for field_id, key, _label, how in FIELDS:
        if not key:
            continue
        text = values.get(field_id, "").strip()
        if key.startswith("period."):
            if text:
                period[key.split(".")[1]] = parse_value(text)
            continue
        table.pop(key, None)
        if not text:
            continue
        if how == "ids":
            ids = [part.strip() for part in text.split(",") if part.strip()]
            table[key] = ids[0] if key == "parent" and len(ids) == 1 else ids
        elif how == "value":
            table[key] = parse_value(text)
        else:
            table[key] = text
    table.pop("period", None)
    if period:
        table["period"] = period
    return table


class NodeForm(ModalScreen[tuple[str, dict[str, Any]] | None]):
    """Edit or create a node; dismissed with (id, table) once valid, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Apply", id="form.apply"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(
        self,
        title: str,
        node_id: str,
        table: Mapping[str, Any],
        taken: set[str],
        auto_id: Callable[[str], str] | None = None,
    ) -> None:
        """`auto_id` makes the id from the name when the user leaves the suggested id alone."""
        super().__init__()
        self.auto_id = auto_id
        self.title_text = title
        self.node_id = node_id
        self.original = dict(table)
        self.taken = taken  # ids of other nodes

    def compose(self) -> ComposeResult:
        values = form_values(self.original)
        values["id"] = self.node_id
        with Vertical(classes="dialog form"):
            yield Static(
                Text(f"{self.title_text} — enter: next field, ctrl+s: apply, esc: cancel", style="bold"),
            )
            with VerticalScroll(id="form-fields"):
                for field_id, key, label, _how in FIELDS:
                    hint = f"  ({' | '.join(CHOICES[key])})" if key in CHOICES else ""
                    yield Label(f"{label}{hint}")
                    yield Input(values.get(field_id, ""), id=f"field-{field_id}")
                    yield Static(id=f"error-{field_id}", classes="field-error")

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == f"field-{FIELDS[-1][0]}":
            self.action_submit()
        else:
            self.focus_next()

    def values(self) -> dict[str, str]:
        """The text of every field (the id made from the name where it was left alone)."""
        values = {field_id: self.query_one(f"#field-{field_id}", Input).value for field_id, *_ in FIELDS}
        if self.auto_id is not None and values["id"].strip() == self.node_id and values["name"].strip():
            values["id"] = self.auto_id(values["name"])
        return values

    def errors(self) -> dict[str, str]:
        """Field id -> what is wrong with it; empty when the node is valid."""
        values = self.values()
        node_id = values["id"].strip()
        problems: dict[str, str] = {}
        if not node_id:
            problems["id"] = "an id is needed (letters, digits, - and _ read best)"
        elif node_id in self.taken:
            problems["id"] = f"id {node_id!r} is taken by another node"
        _node, errors = read_node(node_id or "new", build_table(self.original, values))
        by_key = {key: field_id for field_id, key, *_ in FIELDS if key}
        for error in errors:
            field_id = by_key.get(error.key) or by_key.get(error.key.split(".")[0]) or "period_start"
            if error.key == "period":
                field_id = "period_start"
            problems.setdefault(field_id, error.message)
        return problems

    def action_submit(self) -> None:
        problems = self.errors()
        for field_id, *_ in FIELDS:
            error = self.query_one(f"#error-{field_id}", Static)
            error.update(Text(problems.get(field_id, ""), style="bold red"))
            error.display = field_id in problems
        if problems:
            first = next(f for f, *_ in FIELDS if f in problems)
            self.query_one(f"#field-{first}", Input).focus()
            self.notify(f"{len(problems)} field(s) need fixing; nothing was changed.", severity="error")
            return
        values = self.values()
        self.dismiss((values["id"].strip(), build_table(self.original, values)))

    def action_cancel(self) -> None:
        self.dismiss(None)
