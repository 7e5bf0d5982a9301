"""Analysis of a loaded tree (docs/contract.md): status, rollup, orphans, conflicts and findings."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, partial
from math import isfinite
from typing import NamedTuple

from kpitui.analysis.below import below_maps, kpi_below_map
from kpitui.analysis.conflicts import Conflict, Conflicts, InfluenceConflicts
from kpitui.analysis.forecast import Forecast, combined, trend_forecast
from kpitui.analysis.graph import KpiGraph
from kpitui.analysis.state import AnalysisState
from kpitui.analysis.status import STATUS_RANK, UNKNOWN, Pace, aggregate, elapsed, pace_at
from kpitui.analysis.values import ACTUAL, NO_VALUE, TARGET, Layer, Value, ValueGraph, make_value, rollup
from kpitui.analysis.walk import PATH_LIMIT, TreeWalk, join_path
from kpitui.io.loader import KpiTree
from kpitui.io.measurements import Measurements, Spread, WindowSums, load_measurements
from kpitui.model.domain import FREQUENCIES, Finding, Node, Period, Thresholds
from kpitui.model.formula_errors import ZeroDivision


class NodeResult(NamedTuple):
    """Everything the analysis derives for one node.

    A named tuple, not a frozen dataclass: the analysis makes one for every node, and a tuple is
    made in a third of the time (immutable and compared by value all the same).
    """

    id: str
    baseline: float | None = None
    target: float | None = None  # own, or rolled up from the children
    actual: float | None = None  # inline, from measurements, or rolled up
    actual_source: str | None = None  # "inline", "measurements" or "rollup"
    pace: Pace = UNKNOWN
    rollup_status: str = "unknown"
    orphan_reason: str | None = None
    period: Period | None = None
    last_measured: date | None = None
    stale: bool = False
    overflow: bool = False  # a computed value was beyond a float's range
    forecast: Forecast | None = None  # docs/contract.md#forecast: its line at the horizon, or its inputs' combined

    @property
    def trend(self) -> str | None:
        """improving, worsening or flat where the node has its own trend line; else None."""
        return self.forecast.trend if self.forecast else None

    @property
    def status(self) -> str:
        """on_track, at_risk, off_track or unknown."""
        return self.pace.status

    @property
    def orphaned(self) -> bool:
        """True when the node serves no goal."""
        return self.orphan_reason is not None


@dataclass
class Analysis:
    """The result of analysing a tree at a date."""

    tree: KpiTree
    graph: KpiGraph
    as_of: date
    results: dict[str, NodeResult]
    conflicts: Conflicts
    measurements: Measurements | None = None
    values: ValueGraph | None = None  # how node values depend on each other (rollups, formulas)
    layers: dict[str, Layer] = field(default_factory=dict)  # "actual" and "target", as evaluated
    _findings: list[Finding] | None = field(default=None, repr=False)
    _by_node: dict[str, list[Finding]] | None = field(default=None, repr=False)
    # What an incremental update (engine/incremental.py) starts from; None for a what-if's analysis.
    state: AnalysisState | None = field(default=None, repr=False)
    # What each measured node's values within its period span (kpitui.rules.plausible reads it).
    spread: dict[str, Spread] = field(default_factory=dict, repr=False)

    @property
    def findings(self) -> list[Finding]:
        """Every finding, most severe first, then in file order of their nodes."""
        if self._findings is None:
            self._findings = self.state.sorted_findings(self.graph.order) if self.state is not None else []
        return self._findings

    @findings.setter
    def findings(self, value: list[Finding]) -> None:
        self._findings = value

    @property
    def by_node(self) -> dict[str, list[Finding]]:
        """The findings shown on each node, most severe first (sorted out on first use: the
        findings of a dense influence graph name each of its nodes hundreds of times)."""
        if self._by_node is None:
            index: dict[str, list[Finding]] = {}
            for finding in self.findings:
                for node_id in finding.concerns:
                    index.setdefault(node_id, []).append(finding)
            self._by_node = index
        return self._by_node

    def open_counts(self) -> dict[str, int]:
        """Headline counts of open findings (see Outline.counts), kept up to date by incremental updates."""
        if self.state is not None and self.state.counts is not None:
            return dict(self.state.counts)
        return count_open(self.findings)

    def findings_of(self, node_id: str) -> list[Finding]:
        """The findings shown on a node, most severe first."""
        return self.by_node.get(node_id, [])

    def conflicts_of(self, node_id: str) -> list[Conflict]:
        """Every conflict a node takes part in."""
        return self.conflicts.of(node_id)

    def partners(self, node_id: str) -> list[str]:
        """The ids a node conflicts with, sorted."""
        return self.conflicts.partners(node_id)

    def lagging(self, node_id: str) -> tuple[str, list[str]] | None:
        """What a node's rolled-up status says beyond its own: the worst status below it and the
        children that carry it (their rolled-up status is that one), where it is worse than the
        node's own status — or, for a node with children and no own status (no target or actual),
        whatever it is. None for a node without children or with nothing worse below it.

        The rolled-up status is never the node's own: a goal at 107% of its pace with one child
        off track is on track, with something off track below it.
        """
        children = self.graph.children(node_id)
        if not children:
            return None
        result = self.results[node_id]
        rolled, own = result.rollup_status, result.status
        if own in STATUS_RANK and (rolled not in STATUS_RANK or STATUS_RANK[rolled] >= STATUS_RANK[own]):
            return None
        return rolled, [c for c in children if self.results[c].rollup_status == rolled]

    def history(self, node_id: str) -> list[tuple[date, float]]:
        """A node's observations on or before `as_of`, oldest first: measurement rows and its dated inline actual."""
        node = self.tree.nodes[node_id]
        rows = self.measurements.history(node_id, self.as_of) if self.measurements else []
        if node.actual is not None and node.measured is not None and node.measured <= self.as_of:
            rows.append((node.measured, node.actual))
            rows.sort(key=lambda obs: obs[0])
        return rows

    def name(self, node_id: str) -> str:
        """A node's name, or its id quoted when it does not exist."""
        node = self.tree.nodes.get(node_id)
        return node.name if node else repr(node_id)

    @cached_property
    def walk(self) -> TreeWalk:
        """The tree walk of docs/contract.md#outputs: each node's place below its top."""
        return TreeWalk(self.graph)

    @property
    def walk_ready(self) -> bool:
        """Whether the tree walk is computed already (asking for it may take a while on a big tree)."""
        return "walk" in self.__dict__

    def path_text(self, node_id: str, separator: str = " > ") -> str:
        """Names from the top of the node's walk down to it; a long path by its ends and length."""
        names, walk = self.tree.nodes, self.walk
        if walk.depth[node_id] < PATH_LIMIT:  # the whole path, read upwards (as walk.short_path gives it)
            up, parts = walk.up, []
            current: str | None = node_id
            while current is not None:
                parts.append(names[current].name)
                current = up[current]
            parts.reverse()
            return separator.join(parts)
        head, skipped, tail = walk.short_path(node_id)
        return join_path([names[n].name for n in head], skipped, [names[n].name for n in tail], separator)


def count_open(findings: list[Finding]) -> dict[str, int]:
    """Open findings counted as the header shows them: orphans, conflicting pairs, off track, errors.

    Accepted findings are not counted, nor declared pairs the data does not question.
    """
    counts = dict.fromkeys(("orphans", "conflicts", "off_track", "errors"), 0)
    for f in findings:
        for key, weight in count_keys(f):
            counts[key] += weight
    return counts


def count_keys(f: Finding) -> tuple[tuple[str, int], ...]:
    """Which header counts one finding adds to, and how much (a finding may name many conflicting pairs)."""
    if f.accepted:
        return ()
    keys: tuple[tuple[str, int], ...] = ()
    if f.code == "orphan":
        keys += (("orphans", 1),)
    if f.severity != "info" and f.conflicting_pairs:
        keys += (("conflicts", f.conflicting_pairs),)
    if f.code == "off_track":
        keys += (("off_track", 1),)
    if f.severity == "error":
        keys += (("errors", 1),)
    return keys


def thresholds_of(node: Node, tree: Thresholds) -> Thresholds:
    """The thresholds that judge a node: its own `thresholds` where it has them, else the tree's."""
    return tree if node.thresholds is None else node.thresholds.over(tree)


def _finite(*values: float | None) -> bool:
    """Whether every known value is a finite number (sums and ratios of huge ones are not)."""
    return all(v is None or math.isfinite(v) for v in values)


def resolve_as_of(tree: KpiTree, as_of: date | None) -> date:
    """The reference date: the option, else tree.as_of, else today."""
    return as_of or tree.settings.as_of or date.today()


def compute(
    tree: KpiTree,
    as_of: date | None = None,
    graph: KpiGraph | None = None,
    extra_rows: list[tuple[str, date, float]] | None = None,
    measurements: Measurements | None = None,
) -> Analysis:
    """Analyse a tree at a date (docs/contract.md), without its findings: `kpitui.engine.analyze` adds them.

    Args:
        extra_rows: measurements recorded but not yet saved.
        measurements: the tree's measurements file as already read (time travel reuses it);
            read from disk when None.
    """
    graph = graph or KpiGraph(tree.nodes)
    day = resolve_as_of(tree, as_of)
    if tree.settings.measurements:
        if measurements is None:
            measurements = load_measurements(tree.path.parent / tree.settings.measurements)
        base_measurements: Measurements | None = measurements
        measurements = measurements.with_rows(extra_rows or ())
    else:
        measurements = base_measurements = None
    builder = Builder(tree, graph, day, measurements)
    results = builder.run()
    declared = declared_conflicts(tree, graph)
    influence = influence_conflicts(graph)
    conflicts = Conflicts(declared, influence)
    analysis = Analysis(tree, graph, day, results, conflicts, measurements=measurements)
    analysis.values = builder.values
    analysis.layers = {ACTUAL: builder.actual_layer, TARGET: builder.target_layer}
    state = AnalysisState(
        base_measurements=base_measurements,
        rows=tuple(extra_rows or ()),
        newest=builder.newest,
        sums=builder.sums,
        kpi_below=kpi_below_map(tree.nodes, graph),
        maps=below_maps(tree.nodes, graph, tree.settings.thresholds.max_kpis),
        declared=declared,
        influence=influence,
    )
    analysis.state = state
    analysis.spread = builder.spread
    state.orphaned = sum(1 for r in results.values() if r.orphan_reason is not None)
    return analysis


class Builder:
    """Computes the NodeResults, children before parents where rollup needs it.

    Each step is also a function of one node (`period_of`, `own_actual`, `pace_of`, ...), which
    is what an incremental update (engine/incremental.py) calls for the nodes an edit touches.
    """

    def __init__(
        self,
        tree: KpiTree,
        graph: KpiGraph,
        as_of: date,
        measurements: Measurements | None,
        values: ValueGraph | None = None,
    ) -> None:
        self.tree, self.graph, self.as_of = tree, graph, as_of
        self.measurements = measurements
        self.newest: dict[str, tuple[date, float]] = {}
        self.sums: dict[str, WindowSums] = {}
        self.spread: dict[str, Spread] = {}
        self.values = values if values is not None else ValueGraph(tree.nodes, graph)
        self.tree_thresholds = tree.settings.thresholds
        self._elapsed: dict[int, tuple[Period, float]] = {}  # by id(period): (period, elapsed at as_of)

    @cached_property
    def order(self) -> list[str]:
        """Every parent before its children; nodes in parent cycles last."""
        cyclic = self.graph.cyclic()
        return self.graph.topological() + [n for n in self.tree.nodes if n in cyclic]

    def run(self) -> dict[str, NodeResult]:
        """Every node's result. The same steps as the per-node functions below, with the work a
        node does not need left out (a tree has many nodes without measurements or formulas)."""
        nodes = self.tree.nodes
        periods = self._periods()
        self.periods = periods
        if self.measurements is not None:
            windows = {n: (p.start, p.end) for n, p in periods.items() if p is not None}
            self.newest, self.sums = self.measurements.summary(self.as_of, windows, self.spread)
        own: dict[str, Value] = {}
        if self.newest:
            for node_id, node in nodes.items():
                value, day, source = self.own_actual(node)
                own[node_id] = make_value(value, source, day)
        else:  # no measurements: each node's inline actual, if any (as own_actual has it)
            # (Values made as make_value makes them, without a call per node.)
            as_of = self.as_of
            own = {
                n: NO_VALUE
                if node.actual is None or (node.measured is not None and node.measured > as_of)
                else tuple.__new__(Value, (node.actual, "inline", node.measured))
                for n, node in nodes.items()
            }
        values = self.values
        self.actual_layer = values.evaluate(ACTUAL, own)
        targets = {  # as own_target has them
            n: NO_VALUE if node.target is None else tuple.__new__(Value, (node.target, "own", None))
            for n, node in nodes.items()
        }
        self.target_layer = values.evaluate(TARGET, targets)
        computed, target_values = self.actual_layer.values, self.target_layer.values
        # Each node's result in one pass, with its own status as its rolled-up one, no orphan
        # reason and no forecast; the nodes where those differ are made again below.
        results: dict[str, NodeResult] = {}
        statuses: dict[str, str] = {}
        actual: tuple[float | None, date | None, str | None]
        pace_of, result = self.pace_of, self.result
        for node_id in nodes:
            found = computed[node_id]
            if found.source == "rollup" or found.source == "formula":
                actual = (found.value, None, found.source)
            elif found.value is None:
                actual = _NO_ACTUAL
            else:  # the node's own value (computed_actual's `own`), as the layer holds it
                actual = (found.value, found.day, found.source)
            target = target_values[node_id].value
            period = periods[node_id]
            paced = pace_of(node_id, target, actual[0], period)
            status = statuses[node_id] = paced[0].status
            results[node_id] = result(node_id, actual, target, paced, status, None, period, None)
        for node_id, rolled in self._rollup_status(statuses).items():
            if rolled != statuses[node_id]:
                results[node_id] = results[node_id]._replace(rollup_status=rolled)
        for node_id, forecast in self._forecasts(periods, self.target_layer).items():
            results[node_id] = results[node_id]._replace(forecast=forecast)
        for node_id, reason in self._orphans().items():
            results[node_id] = results[node_id]._replace(orphan_reason=reason)
        return results

    def result(
        self,
        node_id: str,
        actual_last_source: tuple[float | None, date | None, str | None],
        target: float | None,
        paced: tuple[Pace, bool],
        rollup_status: str,
        orphan_reason: str | None,
        period: Period | None,
        forecast: Forecast | None,
    ) -> NodeResult:
        """One node's result from its computed parts."""
        node = self.tree.nodes[node_id]
        actual, last, source = actual_last_source
        stale = (
            last is not None and node.frequency is not None and (self.as_of - last).days > FREQUENCIES[node.frequency]
        )
        baseline = node.baseline
        if baseline is None and node.pacing == "linear":
            baseline = 0  # as Node.effective_baseline
        # A value beyond a float's range is unknown, with the finding `overflow`. The fields in
        # NodeResult's order, without the call of its Python-level __new__ (one for every node).
        return tuple.__new__(
            NodeResult,
            (
                node_id,  # id
                baseline,
                None if target is None or not isfinite(target) else target,
                None if actual is None or not isfinite(actual) else actual,
                source,  # actual_source
                paced[0],  # pace
                rollup_status,
                orphan_reason,
                period,
                last,  # last_measured
                stale,
                paced[1],  # overflow
                forecast,
            ),
        )

    def computed_actual(
        self, node_id: str, own: tuple[float | None, date | None, str | None]
    ) -> tuple[float | None, date | None, str | None]:
        """(actual, last measured, source) once rollups and formulas are evaluated."""
        computed = self.actual_layer.values[node_id]
        if computed.source in ("rollup", "formula"):
            return computed.value, None, computed.source
        if computed.value is None:
            return None, None, None
        return own

    def pace_of(
        self, node_id: str, target: float | None, actual: float | None, period: Period | None
    ) -> tuple[Pace, bool]:
        """A node's pace, and whether a value was beyond a float's range (then the pace is unknown)."""
        if target is None or actual is None:  # unknown, without computing anything
            return _UNPACED if _finite(target, actual) else _OVERFLOWED
        node = self.tree.nodes[node_id]
        pacing, baseline = node.pacing, node.baseline
        if baseline is None and pacing == "linear":
            baseline = 0  # as Node.effective_baseline
        gone = None
        if pacing == "linear" and period is not None:
            # The fraction of the period gone by: most nodes share a few periods, each computed once.
            known = self._elapsed.get(id(period))
            if known is None or known[0] is not period:
                known = self._elapsed[id(period)] = (period, elapsed(period, self.as_of))
            gone = known[1]
        found = pace_at(
            pacing,
            -1 if node.direction == "decrease" else 1,
            baseline,
            target,
            actual,
            gone,
            self.tree_thresholds if node.thresholds is None else node.thresholds.over(self.tree_thresholds),
        )
        if found.expected is None:  # linear without a period
            return _UNPACED if _finite(target, actual) else _OVERFLOWED
        if isfinite(found.expected) and isfinite(found.attainment or 0.0) and isfinite(target) and isfinite(actual):
            return found, False
        return _OVERFLOWED

    def _forecasts(self, periods: dict[str, Period | None], targets: Layer) -> dict[str, Forecast]:
        """docs/contract.md#forecast: each node's own trend forecast, else (rollups, formulas) its inputs' combined."""
        forecasts: dict[str, Forecast] = {}
        # A node's own trend line needs measurement rows (3 observations at least): none, no lines.
        for node_id in self.tree.nodes if self.sums else ():
            found = self.own_forecast(node_id, periods[node_id], targets.value(node_id))
            if found is not None:
                forecasts[node_id] = found
        inputs = self.values.inputs
        for node_id in self.values.order:  # inputs before what they feed
            if inputs[node_id] and node_id not in forecasts:
                found = self.combined_forecast(node_id, forecasts, periods[node_id], targets.value(node_id))
                if found is not None:
                    forecasts[node_id] = found
        return forecasts

    def own_forecast(self, node_id: str, period: Period | None, target: float | None) -> Forecast | None:
        """The forecast of a node's own trend line, where it has one."""
        own = self.sums.get(node_id)
        if period is None or own is None:
            return None  # without measurement rows, the inline actual is one observation: no line
        node = self.tree.nodes[node_id]
        inline = (node.measured, node.actual) if node.measured is not None and node.actual is not None else None
        judged = (node.pacing, node.frequency, node.sign, node.effective_baseline, target)
        return trend_forecast(own, inline, period, self.as_of, (*judged, thresholds_of(node, self.tree_thresholds)))

    def combined_forecast(
        self, node_id: str, forecasts: Mapping[str, Forecast | None], period: Period | None, target: float | None
    ) -> Forecast | None:
        """A rollup or formula node's forecast from its inputs' (when it has no line of its own)."""
        graph, nodes = self.values, self.tree.nodes
        feeds = graph.inputs[node_id]
        if period is None or not feeds or node_id in graph.cyclic:
            return None
        node = nodes[node_id]
        return combined(
            {f: forecasts.get(f) for f in feeds},
            partial(combine_forecasts, node, nodes, feeds),
            pacing=node.pacing,
            sign=node.sign,
            baseline=node.effective_baseline,
            target=target,
            period=period,
            thresholds=thresholds_of(node, self.tree_thresholds),
        )

    def own_actual(self, node: Node) -> tuple[float | None, date | None, str | None]:
        """(actual, last measured, where it comes from) per docs/contract.md#observations."""
        newest = self.newest.get(node.id)
        # An inline actual dated after as_of is ignored, as if not yet made (docs/contract.md#observations).
        inline = node.actual is not None and (node.measured is None or node.measured <= self.as_of)
        if newest is not None:
            day, value = newest
            if inline and node.measured is not None and node.measured > day:
                return node.actual, node.measured, "inline"
            return value, day, "measurements"
        if not inline:
            return None, None, None
        return node.actual, node.measured, "inline"

    def _periods(self) -> dict[str, Period | None]:
        nodes, parents_of = self.tree.nodes, self.graph.parents_of
        if all(node.period is None for node in nodes.values()):
            return dict.fromkeys(self.order, self.tree.settings.period)  # every node has the tree's
        periods: dict[str, Period | None] = {}
        for node_id in self.order:
            period = nodes[node_id].period
            if period is None:
                parents = parents_of(node_id)
                if len(parents) == 1 and parents[0] in periods:
                    period = periods[parents[0]]  # as period_of does, without its call
                else:
                    period = self.period_of(node_id, periods)
            periods[node_id] = period
        return periods

    def period_of(self, node_id: str, periods: Mapping[str, Period | None]) -> Period | None:
        """A node's own period, else its nearest ancestor's (breadth first), else the tree's.

        `periods` holds the periods of nodes computed already (a single parent's is used when there).
        """
        nodes, graph = self.tree.nodes, self.graph
        node = nodes[node_id]
        if node.period is not None:
            return node.period
        parents = graph.parents_of(node_id)
        if len(parents) == 1 and parents[0] in periods:
            return periods[parents[0]]
        return next(
            (nodes[a].period for a, _ in graph.ancestors_bfs(node_id) if nodes[a].period is not None),
            self.tree.settings.period,
        )

    def _rollup_status(self, statuses: dict[str, str]) -> dict[str, str]:
        """The rolled-up status of each node with children: the worst of its own and its children's
        (children first; a child in a parent cycle may count with its own)."""
        rolled: dict[str, str] = {}
        children_of = self.graph.children
        for node_id in reversed(self.order):
            children = children_of(node_id)
            if children:
                # worst(): the lowest rank, unknown when none is known
                best, rank = "unknown", UNRANKED
                for status in (statuses[node_id], *(rolled.get(c) or statuses[c] for c in children)):
                    if STATUS_RANK.get(status, UNRANKED) < rank:
                        best, rank = status, STATUS_RANK[status]
                rolled[node_id] = best
        return rolled

    def _orphans(self) -> dict[str, str]:
        """Why each orphan reaches no goal, by node id."""
        nodes, children_of = self.tree.nodes, self.graph.children
        goals = [n for n, node in nodes.items() if node.kind == "goal"]
        # The walk down from the goals reads ids only, not the nodes (fewer memory reads on a big tree).
        served, stop = set(), set(goals)
        queue = deque(goals)
        while queue:
            for child in children_of(queue.popleft()):
                if child not in served and child not in stop:
                    served.add(child)
                    queue.append(child)
        return {
            node_id: self.orphan_reason(node)
            for node_id, node in nodes.items()
            if node_id not in served and node_id not in stop
        }

    def orphan_reason(self, node: Node) -> str:
        """Why a node reaches no goal: the nearest root cause above it."""
        nodes, graph = self.tree.nodes, self.graph
        if node.id in graph.cyclic():
            return "in a cycle"
        for current in [node.id, *(a for a, _ in graph.ancestors_bfs(node.id))]:
            if graph.parents_of(current):
                continue
            missing = [p for p in nodes[current].parents if p not in nodes]
            if missing:
                return f"parent '{missing[0]}' does not exist"
            if current == node.id:
                return "no parent"
            return f"root '{current}' is not a goal"
        return "in a cycle"


def own_target(node: Node) -> Value:
    """A node's own target as a value of the target layer."""
    return NO_VALUE if node.target is None else make_value(node.target, "own")


_NO_ACTUAL: tuple[float | None, date | None, str | None] = (None, None, None)
_UNPACED: tuple[Pace, bool] = (UNKNOWN, False)
_OVERFLOWED: tuple[Pace, bool] = (UNKNOWN, True)
UNRANKED = len(STATUS_RANK)  # the rank of `unknown`: after every known status


def declared_conflicts(tree: KpiTree, graph: KpiGraph) -> list[Conflict]:
    """The declared pairs, in file order of their members."""
    nodes, order = tree.nodes, graph.order
    ranked: list[tuple[int, int, str, str]] = []
    for pair in graph.declared:  # two nodes each (a node never conflicts with itself)
        a, b = pair
        if order[a] > order[b]:
            a, b = b, a
        ranked.append((order[a], order[b], a, b))
    ranked.sort()  # by the earlier member's place in the file, then the later's: no two pairs tie
    return [
        Conflict(a, b, "declared", f"declared: '{nodes[a].name}' and '{nodes[b].name}' pull apart")
        for _, _, a, b in ranked
    ]


def influence_conflicts(graph: KpiGraph) -> InfluenceConflicts:
    """Pairs where pushing one in its direction pushes the other the wrong way, by source in file order."""
    return InfluenceConflicts.find(graph)


def target_gap(
    tree: KpiTree, graph: KpiGraph, results: Mapping[str, NodeResult], node_id: str
) -> tuple[float, tuple[str, ...]] | None:
    """A rollup node's target gap: (what its children's targets roll up to, its children) where
    that falls short of its own target (is above it, for a decrease node); else None.

    One gap of the parent's, not a conflict of each child's: the children are not at fault.
    """
    nodes = tree.nodes
    node = nodes[node_id]
    target = node.target
    children = graph.children(node_id)
    if node.rollup is None or target is None or not children:
        return None
    child_targets = [results[c].target for c in children]
    if any(t is None for t in child_targets):
        return None
    weights = [nodes[c].weight for c in children]
    total = aggregate(node.rollup, [t for t in child_targets if t is not None], weights)
    if node.sign * (total - target) < 0:
        return total, tuple(children)
    return None


def combine_forecasts(
    node: Node, nodes: Mapping[str, Node], feeds: tuple[str, ...], values: Mapping[str, float]
) -> float | None:
    """A node's value from its inputs' values: its formula, else its rollup rule."""
    if node.formula is not None:
        try:
            return node.formula.evaluate(values.get)
        except ZeroDivision:
            return None
    return rollup(node, nodes, feeds, [values[f] for f in feeds])
