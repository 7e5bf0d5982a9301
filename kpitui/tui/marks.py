"""How statuses and problems look: a glyph and a word for everything colour says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from kpitui.common.format import amount, digits_apart
from kpitui.common.text import safe_text
from kpitui.model.domain import PAIR_CODES, Finding

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis


# In the node's direction: ↗ is better (a running total: gaining on its plan, → on pace).
TREND_ARROW = {"improving": "↗", "worsening": "↘", "flat": "→"}
STATUS_GLYPH = {"on_track": "✔", "at_risk": "▲", "off_track": "✖", "unknown": "○"}
STATUS_WORD = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track", "unknown": "unknown"}
SEVERITY_GLYPH = {"error": "‼", "warning": "!", "info": "i"}

# The styles of the marks, in colour and for NO_COLOR. Without colour, Textual turns every colour into
# the grey of its brightness: red on a dark background became grey 237 on 235, nearly invisible. So
# with NO_COLOR the marks carry no colour at all (the terminal's own foreground, full contrast) and
# what colour said is said by reverse (errors, off track, orphans), underline (warnings, at risk,
# worsening) and bold; nothing a user must see is dim.
COLOUR_STYLES: dict[str, str] = {
    "on_track": "green",
    "at_risk": "yellow",
    "off_track": "bold red",
    "unknown": "dim",
    "error": "bold red",
    "warning": "yellow",
    "info": "cyan",
    "improving": "green",
    "worsening": "red",
    "flat": "dim",
    "orphan": "bold red",  # the ⌀ mark, the orphan group, the header count
    "quiet": "dim",  # a mark whose finding is accepted, a count that is zero
    "conflict": "magenta",
    "declared": "dim magenta",  # a declared counter-metric: a managed tension (info)
    "goodhart": "bold red",
    "stale": "yellow",
    "forecast_miss": "red",
    "cycle": "bold red",
    "hypothetical": "bold cyan",
    "heading_conflicts": "bold magenta",
    "note": "bold yellow",
    "whatif_bar": "bold black on yellow",
    "whatif_values": "yellow",
    "bar_on_track": "green",
    "bar_at_risk": "yellow",
    "bar_off_track": "red",
    "bar_empty": "dim",
}
NO_COLOR_STYLES: dict[str, str] = {
    "on_track": "",
    "at_risk": "bold underline",
    "off_track": "bold reverse",
    "unknown": "",
    "error": "bold reverse",
    "warning": "bold underline",
    "info": "",
    "improving": "bold",
    "worsening": "bold underline",
    "flat": "",
    "orphan": "bold reverse",
    "quiet": "italic",
    "conflict": "bold",
    "declared": "",
    "goodhart": "bold reverse",
    "stale": "underline",
    "forecast_miss": "bold underline",
    "cycle": "bold reverse",
    "hypothetical": "bold reverse",
    "heading_conflicts": "bold",
    "note": "bold",
    "whatif_bar": "bold reverse",
    "whatif_values": "bold",
    "bar_on_track": "",  # the bar's length and its percentage say it
    "bar_at_risk": "",
    "bar_off_track": "",
    "bar_empty": "",
}
MARK_STYLE: dict[str, str] = dict(COLOUR_STYLES)  # the styles in use: `use_no_color` switches them
TREND_STYLE: dict[str, str] = {}
STATUS_STYLE: dict[str, str] = {}
SEVERITY_STYLE: dict[str, str] = {}


def use_no_color(no_color: bool) -> None:
    """Switch every mark's style to the NO_COLOR set (or back); the app calls it as it starts.

    The dicts are changed in place, so modules that imported them see the change.
    """
    MARK_STYLE.clear()
    MARK_STYLE.update(NO_COLOR_STYLES if no_color else COLOUR_STYLES)
    for names, styles in (
        (("improving", "worsening", "flat"), TREND_STYLE),
        (("on_track", "at_risk", "off_track", "unknown"), STATUS_STYLE),
        (("error", "warning", "info"), SEVERITY_STYLE),
    ):
        styles.clear()
        styles.update({name: MARK_STYLE[name] for name in names})


use_no_color(False)

CONFLICT, ERROR, STALE, ORPHAN, WARNING = "⇄", "‼", "◷", "⌀", "!"
# Something below is worse than the node's own status: `▾✖` (off track below), `▾▲` (at risk
# below). A node's rolled-up status is never drawn as its own glyph.
BELOW = "▾"
FORECAST_MISS = "↯ miss"  # on track or at risk today, its forecast off track (the finding forecast_miss)
HYPOTHETICAL = "≈"  # a value changed by a what-if
# Warnings that already have a mark of their own on the line.
MARKED = frozenset(
    {"conflict", "orphan", "stale", "off_track", "dangling_ref", "cycle", "measurements_error", "forecast_miss"}
)
KIND_STYLE = {"goal": "bold", "objective": "", "kpi": ""}

LEGEND: tuple[tuple[str, str, str], ...] = (  # glyph, the name of its style in MARK_STYLE, meaning
    (STATUS_GLYPH["on_track"], "on_track", "on track"),
    (STATUS_GLYPH["at_risk"], "at_risk", "at risk"),
    (STATUS_GLYPH["off_track"], "off_track", "off track"),
    (STATUS_GLYPH["unknown"], "unknown", "unknown (no target or actual)"),
    (f"{BELOW}{STATUS_GLYPH['off_track']}", "off_track", "something below it is off track (▾▲ at risk)"),
    (CONFLICT, "conflict", "in conflict with another node"),
    (CONFLICT, "declared", "declared counter-metric: a managed tension (info)"),
    (f"{CONFLICT} {WARNING}", "goodhart", "goodhart: the data shows one side bought at the other's cost"),
    (ERROR, "error", "error: dangling reference or cycle"),
    ("↻", "cycle", "cycle: this node is already above this line; the loop is not followed"),
    (STALE, "stale", "stale: not measured as often as it should be"),
    ("↗ ↘ →", "improving", "trend of a level KPI, in its direction: ↗ better, ↘ worse, → flat"),
    ("↗ ↘ →", "improving", "trend of a running total, against its plan: ↗ gaining, ↘ losing ground, → on pace"),
    (FORECAST_MISS, "forecast_miss", "forecast to miss: fine today, its trend ends off track (see the chart)"),
    (ORPHAN, "orphan", "orphan: serves no goal"),
    (WARNING, "warning", "another warning (unmeasured goal, no period, …): see the details"),
    (HYPOTHETICAL, "hypothetical", "what-if (w): a hypothetical value, nothing saved"),
)


def below_mark(analysis: Analysis, node_id: str) -> Text | None:
    """`▾✖` where something below a node is worse than its own status (or, for a node without
    its own, the worst below it, `▾✔` when all is well); None where nothing needs saying."""
    lag = analysis.lagging(node_id)
    if lag is None or lag[0] == "unknown":
        return None
    return Text(f"{BELOW}{STATUS_GLYPH[lag[0]]}", style=STATUS_STYLE[lag[0]])


NAMED_BELOW = 3  # the detail panel names this many of the children that lag, then counts the rest


def below_text(analysis: Analysis, node_id: str) -> Text:
    """What lags below a node, for the detail panel's status line: ` · below: ✖ 'Nieuwe klanten'
    off track` (a child that is not itself off track, but has that below it, says `(below it)`);
    empty where nothing below is worse than the node's own status."""
    lag = analysis.lagging(node_id)
    if lag is None or lag[0] == "unknown":
        return Text()
    status, children = lag
    text = Text(" · below: ")
    text.append(f"{BELOW}{STATUS_GLYPH[status]}", style=STATUS_STYLE[status])
    results = analysis.results
    named = [
        f"'{safe_text(analysis.name(c))}'" + ("" if results[c].status == status else " (below it)")
        for c in children[:NAMED_BELOW]
    ]
    if status == "on_track" or not named:
        text.append(f" {STATUS_WORD[status]}")
        return text
    more = len(children) - len(named)
    text.append(" " + ", ".join(named) + (f" and {more} more" if more else "") + f" {STATUS_WORD[status]}")
    return text


def status_text(status: str) -> Text:
    """Glyph and word, coloured: `✖ off track`."""
    return Text(f"{STATUS_GLYPH[status]} {STATUS_WORD[status]}", style=STATUS_STYLE[status])


def conflict_mark(findings: list[Finding]) -> str | None:
    """The style of a node's ⇄: goodhart's, a conflict's, or a declared (info) or accepted pair's;
    None without any."""
    pairs = [f for f in findings if f.code in PAIR_CODES]
    if not pairs:
        return None
    open_pairs = [f for f in pairs if not f.accepted]
    if any(f.code == "goodhart" for f in open_pairs):
        return MARK_STYLE["goodhart"]
    if any(f.severity == "warning" for f in open_pairs):
        return MARK_STYLE["conflict"]
    return MARK_STYLE["declared"]


@dataclass(frozen=True)
class LabelParts:
    """A tree line in parts, so a narrow terminal shortens the name, never the marks."""

    head: Text  # the status glyph and a space
    name: Text  # the name, and the kind of a goal or objective
    values: Text  # actual / target: moved to the detail panel when they do not fit
    marks: Text  # below, trend, forecast miss, conflict, orphan, stale, warning, error marks

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
    status = result.status  # its own: what lags below it is the mark beside it
    below = below_mark(analysis, node_id)
    head = Text()
    if status == "unknown" and below is not None:
        head.append_text(below)  # no own status to show: only what is below it
        below = None
    else:
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
    name, label = label, Text()
    if below is not None:
        label.append(" ")
        label.append_text(below)
    # The trend and the forecast miss are marks, kept when a narrow line drops the values: they
    # are what says "on track today, but will miss" at a glance.
    if result.trend is not None:
        label.append(" ")
        label.append(TREND_ARROW[result.trend], style=TREND_STYLE[result.trend])
    findings = analysis.findings_of(node_id)
    codes = {f.code for f in findings if not f.accepted}
    miss = [f for f in findings if f.code == "forecast_miss"]
    if miss:
        label.append(" ")
        label.append(FORECAST_MISS, style=MARK_STYLE["forecast_miss" if "forecast_miss" in codes else "quiet"])
    if codes & {"dangling_ref", "cycle", "measurements_error"}:
        label.append(" ")
        label.append(ERROR, style=MARK_STYLE["error"])
    if result.orphaned:
        label.append(" ")
        label.append(f"{ORPHAN} orphan", style=MARK_STYLE["orphan" if "orphan" in codes else "quiet"])
    conflict_style = conflict_mark(findings)
    if conflict_style is not None:
        label.append(" ")
        label.append(CONFLICT, style=conflict_style)
    if result.stale:
        label.append(" ")
        label.append(STALE, style=MARK_STYLE["stale" if "stale" in codes else "quiet"])
    if any(f.severity == "warning" and f.code not in MARKED and not f.accepted for f in findings):
        label.append(" ")
        label.append(WARNING, style=MARK_STYLE["warning"])
    if cycle_back:
        label.append(" ")
        label.append("↻ cycle", style=MARK_STYLE["cycle"])
    return LabelParts(head, name, values, label)
