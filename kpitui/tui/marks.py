"""How statuses and problems look: a glyph and a word for everything colour says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from kpitui.core.format import amount, digits_apart
from kpitui.core.model import PAIR_CODES, Finding
from kpitui.core.text import safe_text

if TYPE_CHECKING:
    from kpitui.core.analysis import Analysis


TREND_ARROW = {"improving": "↗", "worsening": "↘", "flat": "→"}  # in the node's direction: ↗ is better
TREND_STYLE = {"improving": "green", "worsening": "red", "flat": "dim"}
STATUS_GLYPH = {"on_track": "✔", "at_risk": "▲", "off_track": "✖", "unknown": "○"}
STATUS_WORD = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track", "unknown": "unknown"}
STATUS_STYLE = {"on_track": "green", "at_risk": "yellow", "off_track": "bold red", "unknown": "dim"}
SEVERITY_GLYPH = {"error": "‼", "warning": "!", "info": "i"}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}

CONFLICT, ERROR, STALE, ORPHAN, WARNING = "⇄", "‼", "◷", "⌀", "!"
HYPOTHETICAL = "≈"  # a value changed by a what-if
# Warnings that already have a mark of their own on the line.
MARKED = frozenset({"conflict", "orphan", "stale", "off_track", "dangling_ref", "cycle", "measurements_error"})
KIND_STYLE = {"goal": "bold", "objective": "", "kpi": ""}

LEGEND: tuple[tuple[str, str, str], ...] = (
    (STATUS_GLYPH["on_track"], STATUS_STYLE["on_track"], "on track"),
    (STATUS_GLYPH["at_risk"], STATUS_STYLE["at_risk"], "at risk"),
    (STATUS_GLYPH["off_track"], STATUS_STYLE["off_track"], "off track"),
    (STATUS_GLYPH["unknown"], STATUS_STYLE["unknown"], "unknown (no target or actual)"),
    (CONFLICT, "magenta", "in conflict with another node"),
    (CONFLICT, "dim magenta", "declared counter-metric: a managed tension (info)"),
    (f"{CONFLICT} {WARNING}", "bold red", "goodhart: the data shows one side bought at the other's cost"),
    (ERROR, "bold red", "error: dangling reference or cycle"),
    ("↻", "bold red", "cycle: this node is already above this line; the loop is not followed"),
    (STALE, "yellow", "stale: not measured as often as it should be"),
    (ORPHAN, "bold red", "orphan: serves no goal"),
    (WARNING, "yellow", "another warning (unmeasured goal, no period, …): see the details"),
    (HYPOTHETICAL, "bold cyan", "what-if (w): a hypothetical value, nothing saved"),
)


def status_of(analysis: Analysis, node_id: str) -> str:
    """The status a line shows: own for a KPI, rolled up for goals and objectives."""
    result = analysis.results[node_id]
    if analysis.tree.nodes[node_id].kind == "kpi" and result.status != "unknown":
        return result.status
    return result.rollup_status


def status_text(status: str) -> Text:
    """Glyph and word, coloured: `✖ off track`."""
    return Text(f"{STATUS_GLYPH[status]} {STATUS_WORD[status]}", style=STATUS_STYLE[status])


def conflict_mark(findings: list[Finding]) -> str | None:
    """The style of a node's ⇄: bold red for goodhart, magenta for a conflict, dim for a declared
    (info) or accepted pair; None without any."""
    pairs = [f for f in findings if f.code in PAIR_CODES]
    if not pairs:
        return None
    open_pairs = [f for f in pairs if not f.accepted]
    if any(f.code == "goodhart" for f in open_pairs):
        return "bold red"
    if any(f.severity == "warning" for f in open_pairs):
        return "magenta"
    return "dim magenta"


@dataclass(frozen=True)
class LabelParts:
    """A tree line in parts, so a narrow terminal shortens the name, never the marks."""

    head: Text  # the status glyph and a space
    name: Text  # the name, and the kind of a goal or objective
    values: Text  # actual / target: moved to the detail panel when they do not fit
    marks: Text  # conflict, orphan, stale, warning, error marks

    def full(self) -> Text:
        """The whole line."""
        return Text.assemble(self.head, self.name, self.values, self.marks)

    def fit(self, width: int) -> Text:
        """The line in `width` cells: values dropped first, then the name shortened with …"""
        whole = self.full()
        if width <= 0 or whole.cell_len <= width:
            return whole
        room = width - self.head.cell_len - self.marks.cell_len
        name = self.name.copy()
        if name.cell_len > room:
            name.truncate(max(room, 2), overflow="ellipsis")
        return Text.assemble(self.head, name, self.marks)


def node_label(analysis: Analysis, node_id: str, cycle_back: bool = False) -> Text:
    """One line of the tree: status glyph, name, actual/target for a KPI, problem marks."""
    return node_label_parts(analysis, node_id, cycle_back).full()


def node_label_parts(analysis: Analysis, node_id: str, cycle_back: bool = False) -> LabelParts:
    """The parts of a tree line: status glyph, name, actual/target for a KPI, problem marks."""
    node = analysis.tree.nodes[node_id]
    result = analysis.results[node_id]
    status = status_of(analysis, node_id)
    head = Text()
    head.append(STATUS_GLYPH[status], style=STATUS_STYLE[status])
    head.append(" ")
    label = Text()
    label.append(safe_text(node.name), style=KIND_STYLE.get(node.kind, ""))
    if node.kind != "kpi":
        label.append(f" ({node.kind})", style="dim")
    values = Text()
    if result.actual is not None or result.target is not None:
        digits = digits_apart(result.actual, result.target)
        numbers = f"  {amount(result.actual, None, digits)} / {amount(result.target, node.unit, digits)}"
        values.append(safe_text(numbers), style="dim")
    if result.trend is not None:
        values.append(f" {TREND_ARROW[result.trend]}", style=TREND_STYLE[result.trend])
    name, label = label, Text()
    findings = analysis.findings_of(node_id)
    codes = {f.code for f in findings if not f.accepted}
    if codes & {"dangling_ref", "cycle", "measurements_error"}:
        label.append(f" {ERROR}", style="bold red")
    if result.orphaned:
        label.append(f" {ORPHAN} orphan", style="bold red" if "orphan" in codes else "dim")
    conflict_style = conflict_mark(findings)
    if conflict_style is not None:
        label.append(f" {CONFLICT}", style=conflict_style)
    if result.stale:
        label.append(f" {STALE}", style="yellow" if "stale" in codes else "dim")
    if any(f.severity == "warning" and f.code not in MARKED and not f.accepted for f in findings):
        label.append(f" {WARNING}", style="yellow")
    if cycle_back:
        label.append(" ↻ cycle", style="bold red")
    return LabelParts(head, name, values, label)
