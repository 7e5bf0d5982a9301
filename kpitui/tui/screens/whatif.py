"""What-if mode: change drivers' values and watch every node that depends on them, nothing saved.

The screen works on a `Scenario` (drivers/questions.py) over the main screen's analysis: each
change recomputes only what depends on the changed values, and the lines of the nodes
that changed are redrawn, marked as hypothetical. `s` hands the scenario back to the main
screen, which turns it into real edits; esc leaves it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.widgets.tree import TreeNode

from kpitui.common.format import amount
from kpitui.common.text import safe_text
from kpitui.drivers.questions import DriverError, Scenario, Seek, seek_goal, what_if
from kpitui.model.inputs import number_problem, parse_number
from kpitui.outputs.whatif_report import exact, with_unit
from kpitui.tui.marks import HYPOTHETICAL, MARK_STYLE, STATUS_WORD, LabelParts, node_label_parts
from kpitui.tui.screens.dialogs import LineDialog
from kpitui.tui.screens.picker import NodePicker
from kpitui.tui.widgets.detail import describe
from kpitui.tui.widgets.tree_view import Entry, KpiTreeView

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis
    from kpitui.services.document import Document
    from kpitui.services.outline import Outline
    from kpitui.tui.screens.main import MainScreen

SMALL, BIG = 0.01, 0.10  # the + / − and > / < steps, as fractions of the value


class WhatIfTree(KpiTreeView):
    """The tree with hypothetical lines marked."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.marked: set[str] = set()

    def _add(self, parent: TreeNode[Entry], node_id: str, up: Entry | None) -> TreeNode[Entry]:
        added = super()._add(parent, node_id, up)
        if node_id in self.marked and added.id in self._parts:
            self._parts[added.id] = hypothetical(self._parts[added.id])
            added.set_label(self._parts[added.id].full())
        return added

    def relabel(self, analysis: Analysis, marked: set[str], before: set[str]) -> None:
        """Show a new scenario: redraw the lines of nodes marked now or before."""
        self.analysis, self.marked = analysis, marked
        redraw = marked | before
        stack = list(self.root.children)
        while stack:
            line = stack.pop()
            entry = line.data
            if entry is not None and entry.node_id in redraw:
                parts = node_label_parts(analysis, entry.node_id, cycle_back=entry.loop)
                if entry.node_id in marked:
                    parts = hypothetical(parts)
                self._parts[line.id] = parts
                line.set_label(parts.full())
            stack.extend(line.children)


def shown(name: str, value: object, unit: str | None) -> str:
    """A changed field's value in the detail panel: an amount, or a status in words; `none` where missing."""
    if value is None and name.startswith("forecast"):
        return "none"
    if name in ("actual", "target", "forecast"):
        return amount(value if isinstance(value, int | float) else None, unit)
    return STATUS_WORD.get(str(value), str(value))


def hypothetical(parts: LabelParts) -> LabelParts:
    """A tree line with the hypothetical mark after its status glyph."""
    head = parts.head.copy()
    head.append(HYPOTHETICAL, style=MARK_STYLE["hypothetical"])
    head.append(" ")
    return replace(parts, head=head)


class WhatIfScreen(Screen[dict[str, float] | None]):
    """Hypothetical actuals; dismissed with them (`s`) to make them real edits, or None (esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Leave (nothing saved)", id="whatif.leave"),
        Binding("plus", "step(1, False)", "+1%", id="whatif.up"),
        Binding("minus", "step(-1, False)", "−1%", id="whatif.down"),
        Binding("greater_than_sign", "step(1, True)", "+10%", id="whatif.up_big"),
        Binding("less_than_sign", "step(-1, True)", "−10%", id="whatif.down_big"),
        Binding("equals_sign", "type_value", "Type a value", id="whatif.type"),
        Binding("t", "seek", "Reach target via…", id="whatif.seek"),
        Binding("x", "reset", "Undo this node's change", show=False, id="whatif.reset"),
        Binding("s", "keep", "Make it real", id="whatif.keep"),
    ]

    def __init__(
        self,
        analysis: Analysis,
        outline: Outline,
        node_id: str | None,
        overrides: dict[str, float] | None = None,
        note: str = "",
    ) -> None:
        """Start with no changes, or with `overrides` (a goal seek's answer, `note` saying so)."""
        super().__init__()
        self.base = analysis
        self.outline = outline
        self.start = node_id
        self.overrides: dict[str, float] = dict(overrides or {})
        self.scenario: Scenario = what_if(analysis, self.overrides)
        self.note = note

    def compose(self) -> ComposeResult:
        yield Static(id="whatif-header")
        with Horizontal(id="body"):
            yield WhatIfTree(id="tree")
            with VerticalScroll(id="detail"):
                yield Static(id="whatif-detail")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(WhatIfTree)
        tree.show(self.base, self.outline, False, self.start)
        tree.focus()
        if self.overrides:
            self._recompute(keep_note=True)
        else:
            self._show_header()

    @property
    def current(self) -> str | None:
        """The node under the cursor."""
        return self.query_one(WhatIfTree).current()

    # ── what is shown ────────────────────────────────────────────────

    def _show_header(self) -> None:
        text = Text(" WHAT-IF ", style=MARK_STYLE["whatif_bar"])
        text.append(f"  {safe_text(self.base.tree.display_name)}  as of {self.base.as_of}", style="bold")
        text.append("   s keeps it, esc leaves\n", style="dim")
        nodes = self.base.tree.nodes
        if self.overrides:
            layer = self.base.layers["actual"]
            changed = [
                f"{safe_text(node.name)}: {with_unit(layer.value(n), node.unit)} → {with_unit(v, node.unit)}"
                for n, v in self.overrides.items()
                for node in (nodes[n],)
            ]
            text.append("   ".join(changed), style=MARK_STYLE["whatif_values"])
        else:
            text.append("On a driver: + / − change it by 1%, > / < by 10%, = types a value; t reaches a target")
        if self.note:
            text.append(f"\n{safe_text(self.note)}", style=MARK_STYLE["hypothetical"])
        self.query_one("#whatif-header", Static).update(text)

    @on(KpiTreeView.NodeFocused)
    def _focused(self, event: KpiTreeView.NodeFocused) -> None:
        event.stop()
        self._show_detail(event.node_id)

    def _show_detail(self, node_id: str | None) -> None:
        panel = self.query_one("#whatif-detail", Static)
        if node_id is None or node_id not in self.base.tree.nodes:
            panel.update("")
            return
        analysis = self.scenario.analysis()
        lines: list[Text] = []
        change = next((c for c in self.scenario.changes() if c.node == node_id), None)
        if change is not None:
            unit = self.base.tree.nodes[node_id].unit
            head = Text(f"{HYPOTHETICAL} hypothetical", style=MARK_STYLE["hypothetical"])
            for name, before, after in change.fields:
                head.append(f"\n  {name.replace('_', ' ')}: {shown(name, before, unit)} → {shown(name, after, unit)}")
            lines.append(head)
        # s keeps the scenario here, it does not seek; what moved a node last week is the real history.
        lines += describe(analysis, node_id, hints=False, real=self.base)
        panel.update(Group(*lines))
        self.plain = "\n".join(line.plain for line in lines)

    plain = ""  # the detail text, as plain text

    def _recompute(self, keep_note: bool = False) -> None:
        before = set(self.scenario.hypothetical)
        self.scenario = what_if(self.base, self.overrides)
        if not keep_note:
            self.note = ""
        self.query_one(WhatIfTree).relabel(self.scenario.analysis(), self.scenario.hypothetical, before)
        self._show_header()
        self._show_detail(self.current)

    # ── actions ────────────────────────────────────────────────────────

    def _value_of(self, node_id: str) -> float | None:
        return self.scenario.layers["actual"].value(node_id)

    def action_step(self, direction: int, big: bool) -> None:
        node_id = self.current
        if node_id is None:
            return
        value = self._value_of(node_id)
        if value is None or value == 0:
            self.notify("It has no value to step from: type one with =", severity="warning")
            return
        self.overrides[node_id] = value * (1 + direction * (BIG if big else SMALL))
        self._recompute()

    def action_type_value(self) -> None:
        node_id = self.current
        if node_id is None:
            return
        node = self.base.tree.nodes[node_id]

        def done(text: str | None) -> None:
            if text is not None:
                self.overrides[node_id] = float(parse_number(text))
                self._recompute()

        now = self._value_of(node_id)
        question = f"What if the actual of '{node.name}' were (now {amount(now, node.unit)}):"
        shown = "" if now is None else exact(now).replace(",", "")
        self.app.push_screen(LineDialog(question, shown, number_problem), done)

    def action_reset(self) -> None:
        node_id = self.current
        if node_id is not None and self.overrides.pop(node_id, None) is not None:
            self._recompute()

    def action_seek(self) -> None:
        node_id = self.current
        values = self.base.values
        if node_id is None or values is None:
            return
        drivers = values.upstream(node_id)
        node = self.base.tree.nodes[node_id]
        if not drivers:
            self.notify(f"'{node.name}' has no drivers (no formula or rollup feeds it)", severity="warning")
            return
        if self.base.results[node_id].pace.expected is None:
            self.notify(f"'{node.name}' has no target to reach", severity="warning")
            return
        choices = [(d, self.base.tree.nodes[d].name) for d in drivers]

        def done(driver: str | None) -> None:
            if driver is None:
                return
            try:
                seek = seek_goal(self.base, node_id, driver)
            except DriverError as exc:
                self.notify(str(exc), severity="error")
                return
            other = self.base.tree.nodes[driver]
            if seek.value is None:
                self.notify(f"No value of '{other.name}' makes '{node.name}' reach {amount(seek.goal, node.unit)}")
                return
            self.overrides = {driver: seek.value}
            self.note = seek_note(self.base, seek)
            self._recompute(keep_note=True)

        self.app.push_screen(NodePicker(f"Reach the target of '{node.name}' by changing…", choices), done)

    def action_keep(self) -> None:
        if not self.overrides:
            self.notify("Nothing to keep: change a value first", severity="warning")
            return
        self.dismiss(dict(self.overrides))

    def action_leave(self) -> None:
        self.dismiss(None)


def seek_note(analysis: Analysis, seek: Seek) -> str:
    """The header's line about a goal seek: which driver value makes the node reach what."""
    node, other = analysis.tree.nodes[seek.node], analysis.tree.nodes[seek.driver]
    return (
        f"Goal seek: '{other.name}' must be {with_unit(seek.value, other.unit)} for '{node.name}' "
        f"to reach {with_unit(seek.goal, node.unit)} ({seek.goal_label})"
    )


def _set(document: Document, node_id: str, fields: dict[str, object]) -> None:
    document.set_fields(node_id, fields)


def apply_scenario(screen: MainScreen, overrides: dict[str, float], as_of: date) -> None:
    """Make a what-if real: each changed actual becomes the node's inline actual, measured at `as_of`."""
    for node_id, value in overrides.items():
        number: float = float(f"{value:.12g}")  # no float noise such as 2.6000000000000001 in the file
        written: float | int = int(number) if number.is_integer() else number
        fields: dict[str, object] = {"actual": written, "measured": as_of}
        if not screen._edit(partial(_set, node_id=node_id, fields=fields)):
            return
    analysis = screen.analysis
    if analysis is None:
        return
    ignored = [n for n, v in overrides.items() if analysis.results[n].actual_source != "inline"]
    if ignored:
        names = ", ".join(analysis.name(n) for n in ignored)
        screen.notify(f"Set, but a measurement on {as_of} still wins for: {names}", severity="warning", timeout=10)
    else:
        screen.notify(f"{len(overrides)} actual(s) set from the what-if; ctrl+s saves, u undoes")
