"""`kpitui review`: the weekly check-in (docs/guides/check-in.md) — what changed since the last one, and who acts.

Compares the analysis at `since` (default: as_of minus 7 days) with the one at `as_of`, on
the same measurements (read once): nodes whose status or rollup status changed, findings
that appeared or cleared, and every node off track or forecast to miss with its owner, its
gap and the weekly pace it now needs against what the last four weeks delivered, in the words
of kpitui.rules.pace (a budget is over or under what is allowed; `%` differences are points).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kpitui.analysis.graph import KpiGraph
from kpitui.analysis.results import Analysis, resolve_as_of
from kpitui.common.format import amount, signed
from kpitui.common.text import safe_json, safe_text
from kpitui.drivers.questions import Attribution, attribute
from kpitui.engine import analyze
from kpitui.io.loader import KpiTree
from kpitui.io.measurements import Measurements, load_measurements
from kpitui.model.domain import SEVERITY_ORDER, Finding, days_after
from kpitui.rules import pace

GLYPH = {"on_track": "✔", "at_risk": "▲", "off_track": "✖", "unknown": "○"}
WEEK = 7
LOOKBACK_WEEKS = 4


@dataclass(frozen=True)
class StatusChange:
    """A node whose status or rollup status differs between the two dates."""

    node: str
    status: tuple[str, str]  # (before, after)
    rollup_status: tuple[str, str]


@dataclass(frozen=True)
class Attention:
    """A node off track or forecast to miss: who owns it, how far behind, what pace it needs."""

    node: str
    owner: str | None
    status: str
    forecast_status: str | None
    forecast_date: date | None
    forecast: float | None
    gap: float | None  # how far the actual is behind what is expected now, in the KPI's direction
    needed_per_week: float | None  # the change per week that reaches the target by the horizon
    recent_per_week: float | None  # the average change per week over the last four weeks
    recent_days: int | None = None  # the days that average really spans (one week of data: 7)


@dataclass
class Review:
    """The weekly check-in between two dates."""

    before: Analysis
    after: Analysis
    changes: list[StatusChange]
    appeared: list[Finding]
    cleared: list[Finding]
    attention: list[Attention]
    moved: list[Attribution] = field(default_factory=list)  # each goal that moved: what moved it

    @property
    def since(self) -> date:
        """The date of the last check-in."""
        return self.before.as_of

    @property
    def as_of(self) -> date:
        """The date of this one."""
        return self.after.as_of


def review(
    tree: KpiTree,
    as_of: date | None = None,
    since: date | None = None,
    measurements: Measurements | None = None,
    after: Analysis | None = None,
) -> Review:
    """The check-in: the analysis at `since` against the one at `as_of` (measurements read once).

    Args:
        after: the analysis at `as_of` when the caller has it already (the TUI).
    """
    day = after.as_of if after is not None else resolve_as_of(tree, as_of)
    since = since or days_after(day, -WEEK)
    graph = after.graph if after is not None else KpiGraph(tree.nodes)
    if measurements is None:
        if after is not None:
            measurements = after.measurements
        elif tree.settings.measurements:
            measurements = load_measurements(tree.path.parent / tree.settings.measurements)
    now = after or analyze(tree, day, graph, measurements=measurements)
    then = analyze(tree, since, graph, measurements=measurements)
    changes = [
        StatusChange(
            node_id,
            (then.results[node_id].status, result.status),
            (then.results[node_id].rollup_status, result.rollup_status),
        )
        for node_id, result in now.results.items()
        if (then.results[node_id].status, then.results[node_id].rollup_status) != (result.status, result.rollup_status)
    ]
    before_keys = {f.key for f in then.findings}
    after_keys = {f.key for f in now.findings}
    appeared = [f for f in now.findings if f.key not in before_keys]
    cleared = [f for f in then.findings if f.key not in after_keys]
    moved = [
        found
        for node_id, node in now.tree.nodes.items()
        if node.kind == "goal" and (found := attribute(then, now, node_id, deep=True)) is not None and found.change
    ]
    return Review(then, now, changes, appeared, cleared, _attention(now), moved)


def _attention(an: Analysis) -> list[Attention]:
    found: list[Attention] = []
    for node_id, result in an.results.items():
        forecast = result.forecast
        missing = forecast is not None and forecast.status == "off_track" and result.status in ("on_track", "at_risk")
        if result.status != "off_track" and not missing:
            continue
        node = an.tree.nodes[node_id]
        gap = None
        if result.pace.expected is not None and result.actual is not None:
            gap = node.sign * (result.pace.expected - result.actual)
        horizon = forecast.day if forecast is not None else None
        if horizon is None and result.period is not None:
            horizon = result.period.end if node.pacing == "linear" else days_after(an.as_of, 28)
        needed = None  # a level has no weekly amount to add: its gap to the target level says it
        if (
            node.pacing == "linear"
            and result.target is not None
            and result.actual is not None
            and horizon is not None
            and horizon > an.as_of
        ):
            needed = (result.target - result.actual) / ((horizon - an.as_of).days / WEEK)
        recent, days = _recent_pace(an, node_id)
        found.append(
            Attention(
                node_id,
                node.owner,
                result.status,
                forecast.status if forecast else None,
                forecast.day if forecast else None,
                forecast.value if forecast else None,
                gap,
                needed,
                recent,
                days,
            )
        )
    order = an.graph.order
    found.sort(key=lambda a: (a.status != "off_track", order.get(a.node, 0)))
    return found


def _recent_pace(an: Analysis, node_id: str) -> tuple[float | None, int | None]:
    """The average change per week between the newest observation and the one four weeks before
    it (or the oldest, when the history is shorter), and the days between the two."""
    history = an.history(node_id)
    if len(history) < 2:
        return None, None
    last_day, last_value = history[-1]
    cutoff = days_after(an.as_of, -LOOKBACK_WEEKS * WEEK)
    older = [obs for obs in history if obs[0] <= cutoff]
    first_day, first_value = older[-1] if older else history[0]
    if first_day >= last_day:
        return None, None
    days = (last_day - first_day).days
    return (last_value - first_value) / (days / WEEK), days


def pace_line(an: Analysis, item: Attention) -> str:
    """Where a node stands against its pace, what the rest of its period asks per week, and what
    the measurements delivered: `25.4k EUR over the 78.6k EUR allowed by now; at most 2595 EUR per
    week left to stay within 180k EUR; averaged +3k EUR per week over the 4 weeks measured`."""
    node, result = an.tree.nodes[item.node], an.results[item.node]
    if node.pacing == "level":
        return level_line(an, item)
    said = (
        pace.gap(node, result),
        pace.weekly(node, result, item.needed_per_week),
        pace.recent(node, item.recent_per_week, item.recent_days),
    )
    return "; ".join(part for part in said if part)


def level_line(an: Analysis, item: Attention) -> str:
    """A level KPI (a rate to hold) has no amount to add each week: its distance from the target level,
    and which way the measurements moved it: `0.7 points below the 2.8% target level; averaged −0.075
    points per week over the 4 weeks measured, away from the target`."""
    node, result = an.tree.nodes[item.node], an.results[item.node]
    parts: list[str] = []
    distance = pace.gap(node, result)
    if distance is not None:
        parts.append(distance)
    trend = pace.recent(node, item.recent_per_week, item.recent_days)
    if trend is not None:
        step = item.recent_per_week
        if step and result.target is not None and result.actual is not None and result.actual != result.target:
            towards = (step > 0) == (result.actual < result.target)
            trend += ", towards the target" if towards else ", away from the target"
        parts.append(trend)
    return "; ".join(parts)


def as_text(r: Review, colour: bool = False) -> str:
    """The check-in for the meeting: changes, new and cleared findings, then who acts on what."""
    bold, dim, reset = ("\033[1m", "\033[2m", "\033[0m") if colour else ("", "", "")
    an = r.after
    nodes = an.tree.nodes

    def name(node_id: str | None) -> str:
        if node_id is None:
            return "the tree"
        return safe_text(nodes[node_id].name) if node_id in nodes else repr(node_id)

    lines = [f"{bold}Weekly review — {safe_text(an.tree.display_name)} — {r.since} → {r.as_of}{reset}", ""]
    lines.append(f"{bold}Status changes ({len(r.changes)}){reset}")
    for c in r.changes:
        own = f"{GLYPH[c.status[0]]}→{GLYPH[c.status[1]]}"
        rolled = ""  # the rolled-up status, where it says more than the node's own (not on a leaf)
        if c.rollup_status[0] != c.rollup_status[1] and c.rollup_status != c.status:
            rolled = f"  {dim}below: {GLYPH[c.rollup_status[0]]}→{GLYPH[c.rollup_status[1]]}{reset}"
        lines.append(f"  {own if c.status[0] != c.status[1] else '    '}  {name(c.node)}{rolled}")
    if not r.changes:
        lines.append("  none")
    for title, group in (("New findings", r.appeared), ("Cleared findings", r.cleared)):
        lines += ["", f"{bold}{title} ({len(group)}){reset}"]
        for f in sorted(group, key=lambda f: SEVERITY_ORDER[f.severity]):
            lines.append(f"  {f.severity:<7} {f.code:<28} {name(f.node)}")
        if not group:
            lines.append("  none")
    if r.moved:
        lines += ["", f"{bold}What moved the goals{reset}"]
        for m in r.moved:
            unit = nodes[m.node].unit
            lines.append(f"  {name(m.node)}: {signed(m.change, unit)}")
            for part, share in m.parts:
                if share:
                    lines.append(f"      {signed(share, unit)}  {name(part)}")
    lines += ["", f"{bold}Needs action ({len(r.attention)}){reset}"]
    for item in r.attention:
        node = nodes[item.node]
        why = GLYPH[item.status] + " " + item.status.replace("_", " ")
        if item.status != "off_track" and item.forecast is not None:
            why += f", forecast to miss: {amount(item.forecast, node.unit)} by {item.forecast_date}"
        owner = safe_text(item.owner) if item.owner else "no owner — name one"
        lines.append(f"  {name(item.node)} — {owner} — {why}")
        detail = pace_line(an, item)
        if detail:
            lines.append(f"      {detail}")
    if not r.attention:
        lines.append("  nothing off track or forecast to miss")
    return "\n".join(lines) + "\n"


def _finding(f: Finding) -> dict[str, Any]:
    return {"code": f.code, "severity": f.severity, "node": f.node, "related": list(f.related), "message": f.message}


def as_json(r: Review) -> str:
    """The check-in for scripts."""
    doc = {
        "file": str(r.after.tree.path),
        "since": r.since.isoformat(),
        "as_of": r.as_of.isoformat(),
        "status_changes": [
            {
                "node": c.node,
                "status": {"before": c.status[0], "after": c.status[1]},
                "rollup_status": {"before": c.rollup_status[0], "after": c.rollup_status[1]},
            }
            for c in r.changes
        ],
        "findings_appeared": [_finding(f) for f in r.appeared],
        "findings_cleared": [_finding(f) for f in r.cleared],
        "moved": [
            {
                "node": m.node,
                "before": m.before,
                "after": m.after,
                "method": m.method,
                "parts": [{"node": n, "change": v} for n, v in m.parts],
            }
            for m in r.moved
        ],
        "attention": [
            {
                "node": a.node,
                "owner": a.owner,
                "status": a.status,
                "forecast_status": a.forecast_status,
                "forecast_date": a.forecast_date.isoformat() if a.forecast_date else None,
                "forecast": a.forecast,
                "gap": a.gap,
                "needed_per_week": a.needed_per_week,
                "recent_per_week": a.recent_per_week,
                "recent_days": a.recent_days,
                "pacing": r.after.tree.nodes[a.node].pacing,
                "unit": r.after.tree.nodes[a.node].unit,
            }
            for a in r.attention
        ],
    }
    return safe_json(json.dumps(doc, ensure_ascii=False, indent=2))
