"""The common mistakes of SPEC 4.3–4.5, named: units, horizons, focus, Goodhart, misspelt ids.

Each rule reads an analysis and returns plain values; findings.py words them as findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpitui.core.model import Node

if TYPE_CHECKING:
    from kpitui.core.analysis import Analysis, NodeResult

SCALE_RATIO = 50  # a `%` KPI whose numbers differ this many times mixes 0–1 with 0–100
SUGGEST_LIMIT = 20_000  # "did you mean" looks through trees of at most this many nodes


# ── units ──────────────────────────────────────────────────────────────


def mixed_units(an: Analysis, node_id: str) -> list[str] | None:
    """The distinct units of a rollup node and its children, when more than one: else None.

    Units compare without case or surrounding spaces (`EUR` = `eur`); a node without a unit
    takes no part (not_smart already asks for one).
    """
    node = an.tree.nodes[node_id]
    children = an.graph.children(node_id)
    if node.rollup is None or not children:
        return None
    units: dict[str, str] = {}
    for member in [node_id, *children]:
        unit = an.tree.nodes[member].unit
        if unit is not None and unit.strip():
            units.setdefault(unit.strip().casefold(), unit.strip())
    return list(units.values()) if len(units) > 1 else None


def scale_mismatch(node: Node, result: NodeResult) -> tuple[float, float] | None:
    """(smallest, largest) non-zero magnitude of baseline, target, actual of a `%` node, when
    the largest is at least SCALE_RATIO times the smallest: 0.89 against 92 is 0–1 against 0–100."""
    if node.unit is None or node.unit.strip() != "%":
        return None
    values = [abs(v) for v in (node.baseline, result.target, result.actual) if v is not None and v != 0]
    if len(values) < 2:
        return None
    low, high = min(values), max(values)
    return (low, high) if high >= SCALE_RATIO * low else None


# ── what sits below a goal ─────────────────────────────────────────────


@dataclass(frozen=True)
class Below:
    """For one goal: a few of its KPIs, which of them state a horizon, and whether one is long."""

    kpis: tuple[str, ...]  # KPIs below it, not looking past a goal below it; at most a limit + 1
    with_horizon: tuple[str, ...]  # KPIs anywhere below that state a horizon; at most 2 kept
    long: bool  # a KPI anywhere below is `long`


BelowMaps = tuple[dict[str, dict[str, None]], dict[str, dict[str, None]], dict[str, bool]]


def below_goals(an: Analysis) -> dict[str, Below]:
    """For every goal outside a parent cycle, what sits below it (children before parents, no recursion).

    The sets are capped (a goal needs to know only whether it has more than `max_kpis` KPIs,
    and whether at least two state a horizon), so the work stays linear in the tree's size.
    """
    kpis, horizon, long = below_maps(an)
    nodes = an.tree.nodes
    return {n: Below(tuple(kpis[n]), tuple(horizon[n]), long[n]) for n in kpis if nodes[n].kind == "goal"}


def below_maps(an: Analysis) -> BelowMaps:
    """For every node outside a parent cycle: its KPIs (capped), KPIs stating a horizon (2 kept), any long."""
    maps: BelowMaps = ({}, {}, {})
    kpis, horizon, long = maps
    children_of = an.graph.children
    for node_id in reversed(an.graph.topological()):
        if children_of(node_id):
            below_step(an, node_id, maps)
        else:  # nothing below a leaf (what below_step gives it, without the call)
            kpis[node_id], horizon[node_id], long[node_id] = {}, {}, False
    return maps


def below_step(an: Analysis, node_id: str, maps: BelowMaps) -> None:
    """One node's entries of the below maps, from its children's (which must be there already)."""
    nodes, graph = an.tree.nodes, an.graph
    kpis, horizon, long = maps
    limit = an.tree.settings.thresholds.max_kpis + 1
    own_kpis: dict[str, None] = {}
    own_horizon: dict[str, None] = {}
    own_long = False
    # Each set only grows, up to its cap: once full, nothing more is added to it.
    for child in graph.children(node_id):
        node = nodes[child]
        kind = node.kind
        if kind == "kpi":
            if len(own_kpis) < limit:
                own_kpis[child] = None
            if node.horizon is not None:
                if len(own_horizon) < 2:
                    own_horizon[child] = None
                own_long = own_long or node.horizon == "long"
        if kind != "goal" and len(own_kpis) < limit:
            for kpi in kpis.get(child, ()):
                if len(own_kpis) >= limit:
                    break
                own_kpis[kpi] = None
        below = horizon.get(child)
        if below and len(own_horizon) < 2:
            for kpi in below:
                if len(own_horizon) >= 2:
                    break
                own_horizon[kpi] = None
        own_long = own_long or long.get(child, False)
    kpis[node_id], horizon[node_id], long[node_id] = own_kpis, own_horizon, own_long


# ── Goodhart: a declared pair where one side is bought at the other's cost ──


def trend_of(an: Analysis, node_id: str) -> tuple[str, int] | None:
    """(improving | worsening | flat, number of observations) of the node's own trend line (SPEC 4.6),
    or None without one (fewer than 3 observations in its period or one distinct date)."""
    forecast = an.results[node_id].forecast
    if forecast is None or forecast.line is None or forecast.trend is None:
        return None
    return forecast.trend, forecast.line.n


def goodhart(an: Analysis, a: str, b: str) -> str | None:
    """Why a declared pair looks like one side bought at the other's cost, or None."""
    names = an.tree.nodes
    status = {n: an.results[n].status for n in (a, b)}
    for good, bad in ((a, b), (b, a)):
        if status[good] == "on_track" and status[bad] == "off_track":
            return f"'{names[good].name}' is on track while '{names[bad].name}' is off track"
    trends = {n: trend_of(an, n) for n in (a, b)}
    for good, bad in ((a, b), (b, a)):
        up, down = trends[good], trends[bad]
        if up is not None and down is not None and up[0] == "improving" and down[0] == "worsening":
            return (
                f"'{names[good].name}' improves while '{names[bad].name}' worsens "
                f"(least-squares trend over {up[1]} and {down[1]} observations)"
            )
    return None


# ── did you mean ───────────────────────────────────────────────────────


class Suggester:
    """ "Did you mean" for ids that do not exist: the id of a node so named (any case), else the
    closest id.

    Looks up at most `limit` distinct misspellings in trees of at most SUGGEST_LIMIT nodes,
    so a file full of wrong ids stays fast to check.
    """

    def __init__(self, nodes: Mapping[str, Node], limit: int = 100) -> None:
        self.nodes = nodes
        self.limit = limit
        self.cache: dict[str, str | None] = {}
        self._folded: dict[str, str] | None = None

    def __call__(self, missing: str) -> str | None:
        """The suggested id for `missing`, or None."""
        if missing in self.cache:
            return self.cache[missing]
        if len(self.cache) >= self.limit or len(self.nodes) > SUGGEST_LIMIT:
            return None
        if self._folded is None:
            # The first node in file order wins; an id wins over another node's name.
            self._folded = {}
            for node_id, node in self.nodes.items():
                self._folded.setdefault(node.name.casefold(), node_id)
            for node_id in self.nodes:
                self._folded[node_id.casefold()] = node_id
        exact = self._folded.get(missing.casefold())
        import difflib  # only a dangling reference pays for importing it

        close = [] if exact else difflib.get_close_matches(missing, list(self.nodes), n=1, cutoff=0.75)
        self.cache[missing] = exact or (close[0] if close else None)
        return self.cache[missing]

    def hint(self, missing: str) -> str:
        """` (did you mean 'x'?)`, or nothing."""
        suggestion = self(missing)
        return f" (did you mean '{suggestion}'?)" if suggestion else ""
