"""Analysis of a loaded tree (SPEC 4): status, rollup, orphans, conflicts and findings."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, partial

from kpitui.core.findings import collect_findings, gap_explanation, influence_explanation
from kpitui.core.forecast import Forecast, combined, from_line, own_line
from kpitui.core.formula import ZeroDivision
from kpitui.core.graph import KpiGraph
from kpitui.core.loader import KpiTree
from kpitui.core.measurements import Measurements, WindowSums, load_measurements
from kpitui.core.model import FREQUENCIES, SEVERITY_ORDER, Finding, Node, Period, Thresholds
from kpitui.core.status import UNKNOWN, Pace, aggregate, pace, worst
from kpitui.core.values import ACTUAL, TARGET, Layer, Value, ValueGraph, rollup
from kpitui.core.walk import TreeWalk, join_path


@dataclass(frozen=True)
class NodeResult:
    """Everything the analysis derives for one node."""

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
    forecast: Forecast | None = None  # SPEC 4.6: the trend line's value at the horizon, or the inputs' combined

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


@dataclass(frozen=True)
class Conflict:
    """Two nodes whose pursuit works against each other, and why."""

    a: str
    b: str
    kind: str  # declared, influence, target_gap
    text: str  # the explanation; "" for an influence conflict, whose words are made from its path when asked
    path: tuple[str, ...] = ()  # the witnessing influence path
    signs: tuple[int, ...] = ()  # the signs of its links
    names: Mapping[str, Node] | None = field(default=None, compare=False, repr=False)

    @property
    def explanation(self) -> str:
        """Why they conflict, in words (made on demand: a dense influence graph has many thousands)."""
        if self.text or self.names is None:
            return self.text
        return influence_explanation(self.names, list(self.path), list(self.signs))

    @classmethod
    def influence(cls, a: str, b: str, path: list[str], signs: list[int], names: Mapping[str, Node]) -> Conflict:
        """An influence conflict, made without the frozen dataclass's per-field checks (a dense
        influence graph has tens of thousands of them); equal to `Conflict(a, b, "influence", ...)`."""
        conflict = object.__new__(cls)
        conflict.__dict__.update(a=a, b=b, kind="influence", text="", path=tuple(path), signs=tuple(signs), names=names)
        return conflict


@dataclass
class Analysis:
    """The result of analysing a tree at a date."""

    tree: KpiTree
    graph: KpiGraph
    as_of: date
    results: dict[str, NodeResult]
    conflicts: list[Conflict]
    findings: list[Finding] = field(default_factory=list)
    measurements: Measurements | None = None
    by_node: dict[str, list[Finding]] = field(default_factory=dict)
    _conflicts_by_node: dict[str, list[Conflict]] | None = field(default=None, repr=False)
    values: ValueGraph | None = None  # how node values depend on each other (rollups, formulas)
    layers: dict[str, Layer] = field(default_factory=dict)  # "actual" and "target", as evaluated

    def findings_of(self, node_id: str) -> list[Finding]:
        """The findings shown on a node, most severe first."""
        return self.by_node.get(node_id, [])

    def conflicts_of(self, node_id: str) -> list[Conflict]:
        """Every conflict a node takes part in."""
        if self._conflicts_by_node is None:
            index: dict[str, list[Conflict]] = {}
            for conflict in self.conflicts:
                index.setdefault(conflict.a, []).append(conflict)
                index.setdefault(conflict.b, []).append(conflict)
            self._conflicts_by_node = index
        return self._conflicts_by_node.get(node_id, [])

    def partners(self, node_id: str) -> list[str]:
        """The ids a node conflicts with, sorted."""
        return sorted({c.b if c.a == node_id else c.a for c in self.conflicts_of(node_id)})

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
        """The tree walk of SPEC 5: each node's place below its top."""
        return TreeWalk(self.graph)

    def path_text(self, node_id: str, separator: str = " > ") -> str:
        """Names from the top of the node's walk down to it; a long path by its ends and length."""
        names = self.tree.nodes
        head, skipped, tail = self.walk.short_path(node_id)
        return join_path([names[n].name for n in head], skipped, [names[n].name for n in tail], separator)


def thresholds_of(node: Node, tree: Thresholds) -> Thresholds:
    """The thresholds that judge a node: its own `thresholds` where it has them, else the tree's."""
    return tree if node.thresholds is None else node.thresholds.over(tree)


def _finite(*values: float | None) -> bool:
    """Whether every known value is a finite number (sums and ratios of huge ones are not)."""
    return all(v is None or math.isfinite(v) for v in values)


def resolve_as_of(tree: KpiTree, as_of: date | None) -> date:
    """The reference date: the option, else tree.as_of, else today."""
    return as_of or tree.settings.as_of or date.today()


def analyze(
    tree: KpiTree,
    as_of: date | None = None,
    graph: KpiGraph | None = None,
    extra_rows: list[tuple[str, date, float]] | None = None,
    measurements: Measurements | None = None,
) -> Analysis:
    """Analyse a tree at a date (SPEC 4).

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
        measurements = measurements.with_rows(extra_rows or ())
    else:
        measurements = None
    builder = _Builder(tree, graph, day, measurements)
    results = builder.run()
    conflicts = _conflicts(tree, graph, results)
    analysis = Analysis(tree, graph, day, results, conflicts, measurements=measurements)
    analysis.values = builder.values
    analysis.layers = {ACTUAL: builder.actual_layer, TARGET: builder.target_layer}
    analysis.findings = collect_findings(analysis)
    analysis.findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], graph.order.get(f.node or "", -1), f.code))
    for finding in analysis.findings:
        for node_id in finding.concerns:
            analysis.by_node.setdefault(node_id, []).append(finding)
    return analysis


class _Builder:
    """Computes the NodeResults, children before parents where rollup needs it."""

    def __init__(self, tree: KpiTree, graph: KpiGraph, as_of: date, measurements: Measurements | None) -> None:
        self.tree, self.graph, self.as_of = tree, graph, as_of
        self.measurements = measurements
        self.newest: dict[str, tuple[date, float]] = {}
        self.sums: dict[str, WindowSums] = {}
        self.topo = graph.topological()
        cyclic = graph.cyclic()
        self.order = self.topo + [n for n in tree.nodes if n in cyclic]
        self.values = ValueGraph(tree.nodes, graph)

    def run(self) -> dict[str, NodeResult]:
        nodes = self.tree.nodes
        periods = self._periods()
        if self.measurements is not None:
            windows = {n: (p.start, p.end) for n, p in periods.items() if p is not None}
            self.newest, self.sums = self.measurements.summary(self.as_of, windows)
        actuals = {n: self._own_actual(nodes[n]) for n in nodes}
        values = self.values
        self.actual_layer = values.evaluate(ACTUAL, {n: Value(v, src, day) for n, (v, day, src) in actuals.items()})
        self.target_layer = values.evaluate(
            TARGET, {n: Value(nodes[n].target, "own" if nodes[n].target is not None else None) for n in nodes}
        )
        for node_id, computed in self.actual_layer.values.items():
            if computed.source in ("rollup", "formula"):
                actuals[node_id] = (computed.value, None, computed.source)
            elif computed.value is None:
                actuals[node_id] = (None, None, None)
        targets = {n: v.value for n, v in self.target_layer.values.items()}
        tree_thresholds = self.tree.settings.thresholds
        paces = {
            n: pace(
                pacing=nodes[n].pacing,
                sign=nodes[n].sign,
                baseline=nodes[n].effective_baseline,
                target=targets[n],
                actual=actuals[n][0],
                period=periods[n],
                as_of=self.as_of,
                thresholds=thresholds_of(nodes[n], tree_thresholds),
            )
            for n in nodes
        }
        beyond = {n for n, p in paces.items() if not _finite(p.expected, p.attainment, targets[n], actuals[n][0])}
        paces.update(dict.fromkeys(beyond, UNKNOWN))
        rolled = self._rollup_status(paces)
        forecasts = self._forecasts(periods, targets)
        reasons = self._orphans()
        results: dict[str, NodeResult] = {}
        for node_id, node in nodes.items():
            actual, last, source = actuals[node_id]
            stale = (
                last is not None
                and node.frequency is not None
                and (self.as_of - last).days > FREQUENCIES[node.frequency]
            )
            # A value beyond a float's range is unknown, with the finding `overflow`.
            target = targets[node_id] if _finite(targets[node_id]) else None
            actual = actual if _finite(actual) else None
            results[node_id] = NodeResult(
                id=node_id,
                baseline=node.effective_baseline,
                target=target,
                actual=actual,
                actual_source=source,
                pace=paces[node_id],
                overflow=node_id in beyond,
                rollup_status=rolled[node_id],
                orphan_reason=reasons.get(node_id),
                period=periods[node_id],
                last_measured=last,
                stale=stale,
                forecast=forecasts.get(node_id),
            )
        return results

    def _forecasts(self, periods: dict[str, Period | None], targets: dict[str, float | None]) -> dict[str, Forecast]:
        """SPEC 4.6: each node's own trend forecast, else (rollups, formulas) its inputs' combined."""
        nodes, as_of = self.tree.nodes, self.as_of
        tree_thresholds = self.tree.settings.thresholds
        sums = self.sums
        forecasts: dict[str, Forecast] = {}
        for node_id, node in nodes.items():
            period = periods[node_id]
            if period is None:
                continue
            own = sums.get(node_id)
            inline = (node.measured, node.actual) if node.measured is not None and node.actual is not None else None
            line = own_line(own.sums if own else None, (own.x_min, own.x_max) if own else None, inline, period, as_of)
            if line is not None:
                forecasts[node_id] = from_line(
                    line,
                    pacing=node.pacing,
                    frequency=node.frequency,
                    sign=node.sign,
                    baseline=node.effective_baseline,
                    target=targets[node_id],
                    period=period,
                    as_of=as_of,
                    thresholds=thresholds_of(node, tree_thresholds),
                )
        graph = self.values
        for node_id in graph.order:  # inputs before what they feed
            feeds = graph.inputs[node_id]
            if node_id in forecasts or not feeds or node_id in graph.cyclic:
                continue
            node = nodes[node_id]
            found = combined(
                {f: forecasts.get(f) for f in feeds},
                partial(_combine, node, nodes, feeds),
                pacing=node.pacing,
                sign=node.sign,
                baseline=node.effective_baseline,
                target=targets[node_id],
                period=periods[node_id],
                thresholds=thresholds_of(node, tree_thresholds),
            )
            if found is not None:
                forecasts[node_id] = found
        return forecasts

    def _own_actual(self, node: Node) -> tuple[float | None, date | None, str | None]:
        """(actual, last measured, where it comes from) per SPEC 2."""
        newest = self.newest.get(node.id)
        if newest is not None:
            day, value = newest
            if node.actual is not None and node.measured is not None and node.measured > day:
                return node.actual, node.measured, "inline"
            return value, day, "measurements"
        if node.actual is None:
            return None, None, None
        return node.actual, node.measured, "inline"

    def _periods(self) -> dict[str, Period | None]:
        nodes, graph = self.tree.nodes, self.graph
        default = self.tree.settings.period
        periods: dict[str, Period | None] = {}
        for node_id in self.order:
            node = nodes[node_id]
            if node.period is not None:
                periods[node_id] = node.period
                continue
            parents = graph.parents_of(node_id)
            if len(parents) == 1 and parents[0] in periods:
                periods[node_id] = periods[parents[0]]
                continue
            periods[node_id] = next(
                (nodes[a].period for a, _ in graph.ancestors_bfs(node_id) if nodes[a].period is not None),
                default,
            )
        return periods

    def _rollup_status(self, paces: dict[str, Pace]) -> dict[str, str]:
        rolled: dict[str, str] = {}
        for node_id in reversed(self.order):
            own = paces[node_id].status
            children = self.graph.children(node_id)
            if children:
                rolled[node_id] = worst([own, *(rolled.get(c, paces[c].status) for c in children)])
            else:
                rolled[node_id] = own
        return rolled

    def _orphans(self) -> dict[str, str]:
        """Why each orphan reaches no goal, by node id."""
        nodes, graph = self.tree.nodes, self.graph
        served: set[str] = set()
        queue = deque(n for n, node in nodes.items() if node.kind == "goal")
        while queue:
            current = queue.popleft()
            for child in graph.children(current):
                if child not in served and nodes[child].kind != "goal":
                    served.add(child)
                    queue.append(child)
        return {
            node_id: self._orphan_reason(node)
            for node_id, node in nodes.items()
            if node.kind != "goal" and node_id not in served
        }

    def _orphan_reason(self, node: Node) -> str:
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


def _conflicts(tree: KpiTree, graph: KpiGraph, results: dict[str, NodeResult]) -> list[Conflict]:
    nodes = tree.nodes
    found: list[Conflict] = []
    for pair in sorted(graph.declared, key=lambda p: sorted(graph.order[n] for n in p)):
        a, b = sorted(pair, key=graph.order.__getitem__)
        found.append(Conflict(a, b, "declared", f"declared: '{nodes[a].name}' and '{nodes[b].name}' pull apart"))
    for a, b, path, signs in graph.influence_conflicts():  # each pair once
        found.append(Conflict.influence(a, b, path, signs, nodes))
    for node_id, node in nodes.items():
        target = node.target
        children = graph.children(node_id)
        if node.rollup is None or target is None or not children:
            continue
        child_targets = [results[c].target for c in children]
        if any(t is None for t in child_targets):
            continue
        weights = [nodes[c].weight for c in children]
        total = aggregate(node.rollup, [t for t in child_targets if t is not None], weights)
        if node.sign * (total - target) < 0:
            text = gap_explanation(node, total)
            found.extend(Conflict(node_id, c, "target_gap", text) for c in children)
    return found


def _combine(
    node: Node, nodes: Mapping[str, Node], feeds: tuple[str, ...], values: Mapping[str, float]
) -> float | None:
    """A node's value from its inputs' values: its formula, else its rollup rule."""
    if node.formula is not None:
        try:
            return node.formula.evaluate(values.get)
        except ZeroDivision:
            return None
    return rollup(node, nodes, feeds, [values[f] for f in feeds])
