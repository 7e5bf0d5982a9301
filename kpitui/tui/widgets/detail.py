"""The detail panel: everything about the highlighted node, and why it is marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from kpitui.common.format import amount, digits_apart, percent, signed
from kpitui.common.text import safe_text
from kpitui.model.domain import PAIR_CODES
from kpitui.outputs.chart import chart_data
from kpitui.rules import pace
from kpitui.tui.marks import CONFLICT, MARK_STYLE, SEVERITY_GLYPH, SEVERITY_STYLE, below_text, status_text
from kpitui.tui.widgets.chart import HistoryChart

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis, NodeResult
    from kpitui.model.domain import Node


BAR_WIDTH = 24


def bar(attainment: float | None, status: str = "unknown", against: str = "") -> Text:
    """A bar of the attainment: full at 100%, with the percentage, coloured by status, and
    `against` after it (the actual against the pace's value: `98.2k EUR of 78.6k EUR allowed`).

    Attainment is not the actual as a share of the pace's value: a budget spent at 125% of what
    is allowed by now has an attainment of 75%.
    """
    if attainment is None:
        return Text("")
    filled = max(0, min(BAR_WIDTH, round(attainment * BAR_WIDTH)))
    style = MARK_STYLE.get(f"bar_{status}", MARK_STYLE["bar_off_track"])
    text = Text("█" * filled, style=style)
    text.append("░" * (BAR_WIDTH - filled), style=MARK_STYLE["bar_empty"])
    text.append(f" {percent(attainment)} attainment")
    if against:
        text.append(f": {against}")
    return text


def against_pace(node: Node, result: NodeResult, digits: int = 3) -> str:
    """What the bar says after a cap's attainment: its actual against what is allowed by now
    (`98.2k EUR of 78.6k EUR allowed`), where the attainment reads against intuition (more spent is
    less attained). Elsewhere nothing: the lines above say the actual and what is expected."""
    if result.actual is None or result.pace.expected is None or not pace.is_cap(node, result):
        return ""
    actual, allowed = amount(result.actual, node.unit, digits), amount(result.pace.expected, node.unit, digits)
    return f"{actual} of {allowed} allowed"


def no_number(analysis: Analysis, node_id: str) -> str:
    """What a node without a target or an actual is, said instead of blanks."""
    if analysis.graph.children(node_id):
        return "No target or actual: its children's statuses roll up to it"
    return "No target or actual yet: give it a target and record an actual to judge it"


def describe_head(analysis: Analysis, node_id: str) -> list[Text]:
    """The panel's text above the chart: what the node is and its numbers."""
    tree = analysis.tree
    node, result = tree.nodes[node_id], analysis.results[node_id]
    parts: list[Text] = []
    title = Text(safe_text(node.name), style="bold")
    title.append(f"  {node.kind} · id {safe_text(node_id)}", style="dim")
    parts.append(title)
    parts.append(path_line(analysis, node_id))
    owner = safe_text(node.owner) if node.owner else "no owner"
    parts.append(Text(f"Owner: {owner}" + (f" ({node.owner_type})" if node.owner_type else "")))
    status = Text("Status: ")
    status.append_text(status_text(result.status))
    status.append_text(below_text(analysis, node_id))  # its own status, then what lags below it
    parts.append(status)
    if result.target is None and result.actual is None:
        parts.append(Text(no_number(analysis, node_id), style="dim"))
    unit = node.unit  # `amount` shows it escaped
    if result.target is not None or result.actual is not None:
        digits = digits_apart(result.actual, result.target, result.pace.expected)
        numbers = Text()
        if result.baseline is not None and node.pacing == "linear":
            numbers.append(f"Baseline {amount(result.baseline, unit)} · ")
        numbers.append(f"Target {amount(result.target, unit, digits)} ({node.direction})")
        numbers.append(f"\nActual {amount(result.actual, unit, digits)}")
        source = {
            "measurements": "from measurements",
            "rollup": f"rolled up ({node.rollup})",
            "inline": "inline",
            "formula": "computed by its formula",
            "what-if": "hypothetical (what-if)",
        }
        if result.actual_source:
            numbers.append(f" — {source.get(result.actual_source, result.actual_source)}", style="dim")
        if result.last_measured:
            numbers.append(f", measured {result.last_measured}", style="dim")
        if result.pace.expected is not None:
            by = pace.reference(node, result).capitalize()
            numbers.append(f"\n{by} by {analysis.as_of}: {amount(result.pace.expected, unit, digits)}")
            where = pace.gap(node, result, digits, short=True)
            if where:
                numbers.append(f" · {where}")
        parts.append(numbers)
        parts.append(bar(result.pace.attainment, result.status, against_pace(node, result, digits)))
    if node.actual is not None and node.measured is not None and node.measured > analysis.as_of:
        # Ignored as if not yet made (docs/contract.md#observations): say where the value the file holds went.
        later = "" if result.actual_source != "measurements" else " (the measurements' newest row counts)"
        parts.append(
            Text(
                f"Its inline actual {amount(node.actual, unit)} is dated {node.measured}, after {analysis.as_of}: "
                f"it counts from that date on{later} (> moves the date)",
                style=MARK_STYLE["note"],
            )
        )
    return parts


def describe_rest(analysis: Analysis, node_id: str, hints: bool = True, real: Analysis | None = None) -> list[Text]:
    """The panel's text under the chart: formula, period, forecast, marks, conflicts, findings.

    Args:
        hints: name the main view's keys where they apply (not in what-if mode, where keys differ).
        real: in a what-if, the analysis without it: what moved a node since a week ago is history,
            which a hypothetical value does not change.
    """
    tree = analysis.tree
    node, result = tree.nodes[node_id], analysis.results[node_id]
    parts = formula_lines(analysis, node_id, real)
    parts += drive_lines(analysis, node_id)
    if hints:
        parts += seek_hint(analysis, node_id)
    period = result.period
    when = f"{period.start} → {period.end}" if period else "no period"
    inherited = "" if node.period or not period else " (inherited)"
    cadence = f" · measured {node.frequency}" if node.frequency else ""
    horizon = f" · {node.horizon}-term" if node.horizon else ""
    parts.append(Text(f"Period {when}{inherited} · pacing {node.pacing}{cadence}{horizon}"))
    parts.extend(forecast_lines(analysis, node_id))
    own = node.thresholds
    if own is not None:
        from kpitui.analysis.results import thresholds_of

        judged = thresholds_of(node, tree.settings.thresholds)
        parts.append(
            Text(
                f"Own thresholds: on track ≥ {judged.on_track:.4g} · at risk ≥ {judged.at_risk:.4g} attainment",
                style="dim",
            )
        )
    if node.weight != 1:
        parts.append(Text(f"Weight {node.weight:g} in a parent's mean", style="dim"))
    if result.stale:
        parts.append(Text("◷ stale: not measured as often as its frequency says", style=MARK_STYLE["stale"]))
    if result.orphaned:
        parts.append(
            Text(f"⌀ orphan: serves no goal ({safe_text(str(result.orphan_reason))})", style=MARK_STYLE["orphan"])
        )
    lines = conflict_lines(analysis, node_id)
    if lines:
        parts.append(Text("Conflicts", style=MARK_STYLE["heading_conflicts"]))
        parts.extend(lines)
    findings = [f for f in analysis.findings_of(node_id) if f.code not in PAIR_CODES]
    if findings:
        parts.append(Text("Findings", style="bold"))
        for finding in findings:
            if finding.accepted:
                line = Text(
                    f" ✓ {finding.code} accepted: {safe_text(str(finding.reason))} — ", style=MARK_STYLE["quiet"]
                )
                line.append(safe_text(finding.message), style=MARK_STYLE["quiet"])
            else:
                glyph = SEVERITY_GLYPH[finding.severity]
                line = Text(f" {glyph} {finding.code}: ", style=SEVERITY_STYLE[finding.severity])
                line.append(safe_text(finding.message), style="")
            parts.append(line)
    if hints and any(f.severity != "error" and f.node in tree.nodes for f in analysis.findings_of(node_id)):
        parts.append(Text("x accepts a finding (or takes an acceptance back)", style="dim"))
    if node.description:
        parts.append(Text(safe_text(node.description, newlines=True), style="italic"))
    history = analysis.history(node_id)
    if history:
        first, last = history[0], history[-1]
        parts.append(Text(f"History: {len(history)} observations, {first[0]} → {last[0]}", style="dim"))
    return parts


def describe(analysis: Analysis, node_id: str, hints: bool = True, real: Analysis | None = None) -> list[Text]:
    """The panel's text for one node (`real`: see describe_rest)."""
    return describe_head(analysis, node_id) + describe_rest(analysis, node_id, hints, real)


def forecast_lines(analysis: Analysis, node_id: str) -> list[Text]:
    """Trend and forecast (docs/contract.md#forecast): `Forecast 2026-12-31: 974k EUR (80%: 972k–976k) ✖ off track`."""
    from kpitui.common.format import amount
    from kpitui.common.trend import trend_word
    from kpitui.tui.marks import STATUS_GLYPH, STATUS_STYLE, TREND_ARROW, TREND_STYLE

    forecast, unit = analysis.results[node_id].forecast, analysis.tree.nodes[node_id].unit
    if forecast is None:
        return []
    line = Text(f"Forecast {forecast.day}: {amount(forecast.value, unit)}")
    if forecast.low is not None and forecast.high is not None and forecast.low != forecast.high:
        line.append(f" (80%: {amount(forecast.low, unit)}–{amount(forecast.high, unit)})", style="dim")
    elif forecast.line is None:
        line.append(" (from its inputs' forecasts)", style="dim")
    line.append(
        f" {STATUS_GLYPH[forecast.status]} {forecast.status.replace('_', ' ')}", style=STATUS_STYLE[forecast.status]
    )
    if forecast.trend is not None:
        # A running total's trend is against its plan: "gaining on the plan", not "improving".
        node, target = analysis.tree.nodes[node_id], analysis.results[node_id].target
        word = trend_word(forecast.trend, node.pacing, target)
        line.append(f" · trend {TREND_ARROW[forecast.trend]} {word}", style=TREND_STYLE[forecast.trend])
    return [line]


def conflict_lines(analysis: Analysis, node_id: str) -> list[Text]:
    """Each conflict of a node said once: partners sharing one explanation (a target gap with
    many children) on one line, with whether it is a declared tension, goodhart or accepted."""
    pair_findings = {frozenset(f.concerns): f for f in analysis.findings_of(node_id) if f.code in PAIR_CODES}
    groups: dict[tuple[str, str], list[str]] = {}
    for conflict in analysis.conflicts_of(node_id):
        other = conflict.b if conflict.a == node_id else conflict.a
        partners = groups.setdefault((conflict.kind, conflict.explanation), [])
        if other not in partners:
            partners.append(other)
    lines: list[Text] = []
    for (kind, explanation), partners in groups.items():
        found = [pair_findings.get(frozenset((node_id, p))) for p in partners]
        findings = [f for f in found if f is not None]
        names = safe_text(", ".join(analysis.name(p) for p in partners))
        goodhart = next((f for f in findings if f.code == "goodhart" and not f.accepted), None)
        accepted = bool(findings) and all(f.accepted for f in findings)
        if goodhart is not None:
            from kpitui.rules.checks import goodhart as bought

            why = safe_text(bought(analysis, *goodhart.concerns) or goodhart.message)
            line = Text(f" {CONFLICT} {names}: ", style=MARK_STYLE["goodhart"])
            line.append(f"! goodhart, declared counter-metrics: {why}", style="")
        elif accepted:
            reason = safe_text(f"{findings[0].reason} — {explanation}")
            line = Text(f" ✓ {names}: {findings[0].code} accepted: {reason}", style=MARK_STYLE["quiet"])
        elif kind == "declared" and all(f.severity == "info" for f in findings):
            line = Text(f" {CONFLICT} {names}: ", style=MARK_STYLE["declared"])
            line.append("declared counter-metric, a managed tension: steer both together", style="")
        else:
            line = Text(f" {CONFLICT} {names}: ", style=MARK_STYLE["conflict"])
            line.append(safe_text(explanation), style="")
        lines.append(line)
    return lines


def formula_lines(analysis: Analysis, node_id: str, real: Analysis | None = None) -> list[Text]:
    """A formula node's formula, each input's current value, and what moved it since a week before
    (in a what-if: in the `real` analysis, without the hypothetical values)."""
    node = analysis.tree.nodes[node_id]
    values = analysis.values
    if node.formula is None or values is None:
        return []
    lines = [Text.assemble(("Formula ", "bold"), safe_text(node.formula.text))]
    for ref in node.formula.refs:
        other = analysis.tree.nodes.get(ref)
        if other is None:
            lines.append(Text(f"  {safe_text(ref)} = ? (no such node)", style="red"))
            continue
        value = analysis.results[ref].actual
        lines.append(
            Text(
                f"  {safe_text(ref)} = {amount(value, other.unit)}  ({safe_text(other.name)})",
                style="dim" if value is None else "",
            )
        )
    moved = moved_lines(real or analysis, node_id, hypothetical=real is not None)
    return lines + moved


def path_line(analysis: Analysis, node_id: str) -> Text:
    """The path up to strategy, then where the node's value flows: `Goal › CRO › Conversion  ⇢ Orders ⇢ Revenue`."""
    line = Text(safe_text(analysis.path_text(node_id, " › ")), style="dim")
    chain = analysis.graph.drive_chain(node_id)
    if chain:
        line.append("  ⇢ " + " ⇢ ".join(safe_text(analysis.name(n)) for n in chain), style="cyan")
    return line


def drive_lines(analysis: Analysis, node_id: str) -> list[Text]:
    """The node's drives edges: the formula nodes it drives, and (a formula node) the nodes it is driven by."""
    graph = analysis.graph
    lines: list[Text] = []
    for label, others in (("Drives", graph.drives(node_id)), ("Driven by", graph.drivers(node_id))):
        if others:
            names = ", ".join(safe_text(analysis.name(n)) for n in others)
            lines.append(Text.assemble((f"{label} ", "bold cyan"), (names, "")))
    return lines


SEEK_HINT = "s finds the driver value that reaches its target; w tries values"


def seek_hint(analysis: Analysis, node_id: str) -> list[Text]:
    """In the main view, on a computed node with a target: the keys that answer "what do we need?"."""
    values = analysis.values
    if values is not None and values.inputs.get(node_id) and analysis.results[node_id].pace.expected is not None:
        return [Text(SEEK_HINT, style="dim")]
    return []


def moved_lines(analysis: Analysis, node_id: str, hypothetical: bool = False) -> list[Text]:
    """`Moved since 2026-06-23: +13.9k EUR — Sessies +18.9k, Conversieratio −4.98k`, where history exists.

    Args:
        hypothetical: shown in a what-if, of the real analysis: says the what-if is not part of it.
    """
    from kpitui.drivers.questions import attribute, earlier_analysis

    earlier = earlier_analysis(analysis)
    if earlier is None:
        return []
    moved = attribute(earlier, analysis, node_id, deep=True)
    if moved is None or moved.change == 0:
        return []
    unit = analysis.tree.nodes[node_id].unit
    really = " (really, without the what-if)" if hypothetical else ""
    line = Text(f"Moved since {earlier.as_of}{really}: {signed(moved.change, unit)}", style="bold")
    shares = [(n, p) for n, p in moved.parts if p != 0][:4]
    if shares:
        line.append(
            " — " + ", ".join(f"{safe_text(analysis.name(n))} {signed(p, unit)}" for n, p in shares),
            style="",
        )
    return [line]


class DetailPanel(VerticalScroll):
    """Shows one node; the screen pushes the node in with `show`."""

    DEFAULT_CSS = """
    DetailPanel > Static { width: 1fr; }
    """

    plain = ""  # what the panel says, as plain text
    shown_node: str | None = None  # the node described

    def compose(self) -> ComposeResult:
        yield Static(id="detail-text")
        yield HistoryChart(id="detail-chart")
        yield Static(id="detail-rest")

    def show(self, analysis: Analysis | None, node_id: str | None) -> None:
        """Describe a node, or say what the orphan group is."""
        text = self.query_one("#detail-text", Static)
        chart = self.query_one("#detail-chart", HistoryChart)
        rest = self.query_one("#detail-rest", Static)
        if analysis is not None and not analysis.tree.nodes:
            about = Text(
                "This tree is empty. Press t for its title and period, a to add its first goal; "
                "ctrl+s writes the file.\n"
                "Below a goal, add objectives and KPIs with a (child) and A (sibling)."
            )
            self.plain = about.plain
            self.shown_node = None
            text.update(about)
            chart.show(None, None)
            rest.display = False
            return
        if analysis is None or node_id is None or node_id not in analysis.tree.nodes:
            about = Text(
                "Nodes that serve no strategic goal: no chain of parents leads from them to a goal.\n"
                "Each one is an orphan (or sits in a cycle of parent links). Give it a parent that "
                "leads to a goal, or delete it if nobody steers on it."
            )
            self.plain = about.plain
            self.shown_node = None
            text.update(about)
            chart.show(None, None)
            rest.display = False
            return
        head, tail = describe_head(analysis, node_id), describe_rest(analysis, node_id)
        if node_id != self.shown_node:
            # Another node starts at its top (name, owner, status), not where the last one was scrolled
            # to; the same node shown again after an edit keeps its place.
            self.shown_node = node_id
            self.scroll_home(animate=False)
        self.plain = "\n".join(part.plain for part in head + tail)
        text.update(Group(*head))
        chart.show(chart_data(analysis, node_id), analysis.tree.nodes[node_id].unit)
        rest.update(Group(*tail))
        rest.display = bool(tail)

    def blank(self) -> None:
        """Say nothing: no node is under the cursor (the tree is still loading)."""
        self.plain = ""
        self.query_one("#detail-text", Static).update("")
        self.query_one("#detail-chart", HistoryChart).show(None, None)
        self.query_one("#detail-rest", Static).display = False
