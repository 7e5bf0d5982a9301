"""Goal seek from the main view: pick a driver of the node, see the value it needs and what else moves.

The answer comes in a dialog; from there it becomes a real edit (the driver's inline actual,
undoable like every edit) or opens in what-if mode, where it can be changed further.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpitui.drivers.questions import DriverError, Seek, seek_goal
from kpitui.outputs.whatif_report import STATUS_WORDS, seek_reason, with_unit
from kpitui.tui.screens.dialogs import ChoiceDialog
from kpitui.tui.screens.picker import NodePicker

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis
    from kpitui.tui.screens.main import MainScreen

SHOWN_CHANGES = 8  # nodes listed in the dialog; the what-if screen shows them all


def seek_report(analysis: Analysis, seek: Seek) -> str:
    """The dialog's text: the goal, the driver value it needs, and what else that changes."""
    nodes = analysis.tree.nodes
    node, driver = nodes[seek.node], nodes[seek.driver]
    why = seek_reason(analysis, seek)
    lines = [
        f"Goal seek: '{node.name}' reaches {with_unit(seek.goal, node.unit)} ({why}); "
        f"now {with_unit(analysis.results[seek.node].actual, node.unit)}.",
        "",
    ]
    if seek.value is None or seek.scenario is None:
        lines.append(f"No value of '{driver.name}' reaches it.")
        return "\n".join(lines)
    lines.append(
        f"'{driver.name}' must be {with_unit(seek.value, driver.unit)} (now {with_unit(seek.current, driver.unit)})."
    )
    changes = [c for c in seek.scenario.changes() if c.node != seek.driver]
    if changes:
        lines += ["", "That also changes:"]
    for change in changes[:SHOWN_CHANGES]:
        unit = nodes[change.node].unit
        said = []
        for name, before, after in change.fields:
            if name in ("actual", "target", "forecast"):
                was = with_unit(before if isinstance(before, int | float) else None, unit)
                now = with_unit(after if isinstance(after, int | float) else None, unit)
            else:
                was, now = STATUS_WORDS.get(str(before), "none"), STATUS_WORDS.get(str(after), "none")
            said.append(f"{name.replace('_', ' ')} {was} → {now}")
        lines.append(f"  {nodes[change.node].name}: " + "; ".join(said))
    if len(changes) > SHOWN_CHANGES:
        lines.append(f"  … and {len(changes) - SHOWN_CHANGES} more (w shows them all)")
    return "\n".join(lines)


class SeekFlow:
    """Goal seek on one node of the main screen: driver picker, answer, then apply or open in what-if."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def start(self, node_id: str) -> None:
        """Ask which upstream driver to vary, or say why this node cannot be sought."""
        analysis = self.screen.analysis
        if analysis is None or analysis.values is None:
            return
        node = analysis.tree.nodes[node_id]
        drivers = analysis.values.upstream(node_id)
        if not drivers:
            self.screen.notify(f"'{node.name}' has no drivers (no formula or rollup feeds it)", severity="warning")
            return
        result = analysis.results[node_id]
        if result.pace.expected is None:
            self.screen.notify(f"'{node.name}' has no target to reach (or no period for its pace)", severity="warning")
            return
        choices = [(d, analysis.tree.nodes[d].name) for d in drivers]

        def picked(driver: str | None) -> None:
            if driver is not None:
                self.answer(analysis, node_id, driver)

        title = f"Reach the target of '{node.name}' by changing…"
        self.screen.app.push_screen(NodePicker(title, choices), picked)

    def answer(self, analysis: Analysis, node_id: str, driver: str) -> None:
        """Seek, then show the answer with its choices."""
        try:
            seek = seek_goal(analysis, node_id, driver)
        except DriverError as exc:
            self.screen.notify(str(exc), severity="error")
            return
        if seek.value is None:
            self.screen.app.push_screen(ChoiceDialog(seek_report(analysis, seek), [("", "escape", "Close")]))
            return
        value = seek.value
        answers = [("apply", "a", "Make it a real edit"), ("whatif", "w", "Open in what-if"), ("", "escape", "Close")]

        def chosen(what: str | None) -> None:
            if what == "apply":
                self.apply(driver, value)
            elif what == "whatif":
                self.open_whatif(seek)

        self.screen.app.push_screen(ChoiceDialog(seek_report(analysis, seek), answers), chosen)

    def apply(self, driver: str, value: float) -> None:
        """The driver's inline actual becomes the value found, measured at `as_of`: one undoable edit."""
        from kpitui.tui.screens.whatif import apply_scenario

        analysis = self.screen.analysis
        if analysis is not None:
            apply_scenario(self.screen, {driver: value}, analysis.as_of)

    def open_whatif(self, seek: Seek) -> None:
        """What-if mode with the driver at the value found, the goal seek noted in its header."""
        from kpitui.tui.screens.whatif import WhatIfScreen, apply_scenario, seek_note

        screen = self.screen
        analysis, outline = screen.analysis, screen.outline
        if analysis is None or outline is None or seek.value is None:
            return
        as_of = analysis.as_of

        def done(overrides: dict[str, float] | None) -> None:
            if overrides:
                apply_scenario(screen, overrides, as_of)

        whatif = WhatIfScreen(analysis, outline, seek.node, {seek.driver: seek.value}, seek_note(analysis, seek))
        screen.app.push_screen(whatif, done)
