"""Common mistakes, named (docs/contract.md#findings): units, horizons, focus, Goodhart, misspelt ids.

Each rule reads an analysis and returns plain values; findings.py words them as findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kpitui.model.domain import Node

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis, NodeResult

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


# ── Goodhart: a declared pair where one side is bought at the other's cost ──


def trend_of(an: Analysis, node_id: str) -> tuple[str, int] | None:
    """(improving | worsening | flat, number of observations) of the node's own trend line (docs/contract.md#forecast),
    or None without one (fewer than 3 observations in its period or one distinct date). For a
    running total (linear) with a target these say gaining on the plan, losing ground, on pace."""
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
                f"'{names[good].name}' {_moves(an, good, 'improves', 'gains on its plan')} while "
                f"'{names[bad].name}' {_moves(an, bad, 'worsens', 'loses ground')} "
                f"(least-squares trend over {up[1]} and {down[1]} observations)"
            )
    return None


def _moves(an: Analysis, node_id: str, level: str, plan: str) -> str:
    """How a trend reads (docs/contract.md#forecast): a running total with a target gains on (or loses ground
    against) its plan; a level KPI improves or worsens."""
    planned = an.tree.nodes[node_id].pacing == "linear" and an.results[node_id].target is not None
    return plan if planned else level


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
