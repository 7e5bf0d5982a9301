"""Driver-tree questions over an analysis (docs/contract.md#formulas): what-if, goal seek, and what moved a node.

All three are functions of the value graph (`values.py`): a what-if re-evaluates only what
depends on the replaced values; goal seek solves `node(driver = x) = goal` numerically on
that evaluation; attribution splits a node's change between two analyses over its inputs.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from math import factorial

from kpitui.analysis.results import Analysis, NodeResult, thresholds_of
from kpitui.analysis.status import UNKNOWN, aggregate, pace, worst
from kpitui.analysis.values import ACTUAL, TARGET, WHATIF, Layer, ValueGraph
from kpitui.drivers.forecast import scenario_forecasts
from kpitui.engine.full import judge
from kpitui.model.domain import Finding, days_after
from kpitui.rules.checks import Suggester

FIELDS = ("actual", "target", "status", "rollup_status", "forecast", "forecast_status")


def field_value(result: NodeResult, name: str) -> object:
    """One of FIELDS of a node's result: the forecast's value and status, the rest as they are."""
    if name == "forecast":
        return result.forecast.value if result.forecast is not None else None
    if name == "forecast_status":
        return result.forecast.status if result.forecast is not None else None
    return getattr(result, name)


class DriverError(ValueError):
    """A what-if or goal seek that cannot be asked (unknown id, a node that drives nothing)."""


@dataclass(frozen=True)
class Change:
    """One node's values before and after a scenario; only the fields that changed."""

    node: str
    fields: tuple[tuple[str, object, object], ...]  # (field, before, after)


@dataclass
class Scenario:
    """An analysis with some values replaced, everything that depends on them recomputed."""

    base: Analysis
    kind: str  # actual or target
    overrides: dict[str, float]
    layers: dict[str, Layer]
    results: dict[str, NodeResult]  # every node; the untouched ones are the base's
    hypothetical: set[str] = field(default_factory=set)  # nodes whose value or status changed
    _analysis: Analysis | None = field(default=None, repr=False)

    def changes(self) -> list[Change]:
        """Every node whose actual, target, status, rollup status or forecast changed, in file order."""
        order = self.base.graph.order
        found: list[Change] = []
        for node_id in sorted(self.hypothetical, key=order.__getitem__):
            before, after = self.base.results[node_id], self.results[node_id]
            fields = tuple(
                (name, field_value(before, name), field_value(after, name))
                for name in FIELDS
                if field_value(before, name) != field_value(after, name)
            )
            if fields:
                found.append(Change(node_id, fields))
        return found

    def analysis(self) -> Analysis:
        """The scenario as a whole analysis, findings included (computed on first use)."""
        if self._analysis is None:
            base = self.base
            analysis = Analysis(
                base.tree, base.graph, base.as_of, self.results, base.conflicts, measurements=base.measurements
            )
            analysis.values, analysis.layers = base.values, self.layers
            analysis.spread = base.spread
            judge(analysis)
            self._analysis = analysis
        return self._analysis

    def findings_changed(self) -> tuple[list[Finding], list[Finding]]:
        """(findings that appear, findings that clear) in the scenario."""
        before = {f.key: f for f in self.base.findings}
        after = {f.key: f for f in self.analysis().findings}
        return [f for k, f in after.items() if k not in before], [f for k, f in before.items() if k not in after]


def _known(analysis: Analysis, node_id: str) -> None:
    if node_id not in analysis.tree.nodes:
        hint = Suggester(analysis.tree.nodes).hint(node_id)
        raise DriverError(f"there is no node {node_id!r}{hint}; `kpitui export {analysis.tree.path}` lists the ids")


def value_graph(analysis: Analysis) -> ValueGraph:
    """The analysis's value graph (every analysis has one)."""
    if analysis.values is None:
        raise DriverError("this analysis has no value graph")
    return analysis.values


def what_if(analysis: Analysis, overrides: Mapping[str, float], kind: str = ACTUAL) -> Scenario:
    """The analysis with some nodes' actuals (or targets) replaced; only what depends on them is redone.

    Raises:
        DriverError: an id that does not exist.
    """
    nodes = analysis.tree.nodes
    for node_id in overrides:
        _known(analysis, node_id)
    values = value_graph(analysis)
    layers = dict(analysis.layers)
    layer, moved = values.with_overrides(layers[kind], overrides)
    layers[kind] = layer
    results = dict(analysis.results)
    status_moved: set[str] = set()
    thresholds = analysis.tree.settings.thresholds
    other = layers[TARGET if kind == ACTUAL else ACTUAL]
    for node_id in moved:
        node, old = nodes[node_id], results[node_id]
        computed = layer.values[node_id]
        # As in the analysis, a value beyond a float's range (sessies=1e308 times a conversion)
        # is unknown, with the finding `overflow`; never an infinity in the report.
        value = computed.value if _finite(computed.value) else None
        if kind == ACTUAL:
            # A hypothetical value does not make a node measured more recently: staleness stays as it is.
            last = old.last_measured if computed.source in (old.actual_source, WHATIF) else None
            updated = old._replace(actual=value, actual_source=computed.source, last_measured=last)
        else:
            updated = old._replace(target=value)
        paced = pace(
            pacing=node.pacing,
            sign=node.sign,
            baseline=node.effective_baseline,
            target=updated.target,
            actual=updated.actual,
            period=updated.period,
            as_of=analysis.as_of,
            thresholds=thresholds_of(node, thresholds),
        )
        overflow = not _finite(computed.value, other.value(node_id), paced.expected, paced.attainment)
        updated = updated._replace(pace=UNKNOWN if overflow else paced, overflow=overflow)
        results[node_id] = updated
        if updated.status != old.status:
            status_moved.add(node_id)
    rolled = _rollup_statuses(analysis, results, status_moved)
    forecast = scenario_forecasts(analysis, kind, layer, moved, results)
    return Scenario(analysis, kind, dict(overrides), layers, results, moved | rolled | forecast)


def _finite(*values: float | None) -> bool:
    """Whether every known value is a finite number."""
    return all(v is None or math.isfinite(v) for v in values)


def _rollup_statuses(analysis: Analysis, results: dict[str, NodeResult], moved: set[str]) -> set[str]:
    """Recompute rollup statuses upward from nodes whose own status changed; returns those that changed."""
    graph = analysis.graph
    rank = _parent_rank(analysis)
    heap = [(-rank[n], n) for n in moved]
    heapq.heapify(heap)
    queued = set(moved)
    changed: set[str] = set()
    while heap:
        _, node_id = heapq.heappop(heap)
        result = results[node_id]
        children = graph.children(node_id)
        own = result.status
        rolled = worst([own, *(results[c].rollup_status for c in children)]) if children else own
        if rolled == result.rollup_status:
            continue
        results[node_id] = result._replace(rollup_status=rolled)
        changed.add(node_id)
        for parent in graph.parents_of(node_id):
            if parent not in queued and parent in rank:
                queued.add(parent)
                heapq.heappush(heap, (-rank[parent], parent))
    return changed


def _parent_rank(analysis: Analysis) -> dict[str, int]:
    """Position of each node with every parent before its children (cycles last)."""
    return value_graph(analysis).parent_rank()


# ── Goal seek ──────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Seek:
    """The driver value that makes a node reach a goal, or why none does."""

    node: str
    driver: str
    goal: float  # the value the node must reach
    goal_label: str  # "target", "expected by 2026-06-30" or "the value asked"
    current: float | None  # the driver's value now
    value: float | None  # the driver value found; None: no value reaches it
    scenario: Scenario | None  # the analysis with the driver at that value


def seek_goal(analysis: Analysis, node_id: str, driver: str, to: float | None = None) -> Seek:
    """Find the value of `driver` (upstream of `node_id`) that makes the node's actual reach its goal.

    The goal is `to`, else the node's expected value by now (its target for level pacing, the
    pro-rata part of it for linear pacing). Solved by bracketing outwards from the driver's
    current value, then bisection with secant steps, on the evaluated chain.

    Raises:
        DriverError: unknown ids, a driver that does not drive the node, or no goal to reach.
    """
    nodes = analysis.tree.nodes
    for name in (node_id, driver):
        _known(analysis, name)
    values = value_graph(analysis)
    if driver not in values.upstream(node_id):
        upstream = values.upstream(node_id)
        drivers = ", ".join(upstream[:10]) + (", …" if len(upstream) > 10 else "") if upstream else "none"
        raise DriverError(f"{driver!r} does not drive {node_id!r}; its drivers are: {drivers}")
    result = analysis.results[node_id]
    if to is not None:
        goal, label = to, "the value asked"
    elif result.pace.expected is not None:
        goal = result.pace.expected
        label = "target" if nodes[node_id].pacing == "level" else f"expected by {analysis.as_of}"
    elif result.target is not None and nodes[node_id].pacing == "level":
        goal, label = result.target, "target"
    else:
        raise DriverError(f"{node_id!r} has no target to reach (or no period for its pace); give a value with --to")
    layer = analysis.layers[ACTUAL]
    current = layer.value(driver)

    def reached(x: float) -> float | None:
        hypothetical, _ = values.with_overrides(layer, {driver: x})
        return hypothetical.value(node_id)

    found = solve(reached, goal, current if current is not None else 0.0)
    scenario = what_if(analysis, {driver: found}) if found is not None else None
    return Seek(node_id, driver, goal, label, current, found, scenario)


def solve(f: Callable[[float], float | None], goal: float, start: float, span: float = 1e12) -> float | None:
    """An x with f(x) = goal, nearest `start` that bracketing finds; None when none in ±span·max(1,|start|).

    Steps outwards from `start` in both directions, doubling, until f - goal changes sign
    (points where f is unknown are stepped over), then narrows the bracket by bisection
    with secant (regula falsi) steps.
    """

    def g(x: float) -> float | None:
        y = f(x)
        return None if y is None or not math.isfinite(y) else y - goal

    g0 = g(start)
    scale = max(abs(start), 1.0)
    if g0 == 0:
        return start
    tolerance = 1e-12 * max(abs(goal), 1.0)
    step = 0.01 * scale
    previous = {1: (start, g0), -1: (start, g0)}
    while step <= span * scale:
        for side in (1, -1):
            x = start + side * step
            y = g(x)
            if y is None:
                continue
            px, py = previous[side]
            if y == 0 or abs(y) <= tolerance:
                return x
            if py is not None and (py < 0) != (y < 0):
                root = _narrow(g, px, py, x, y, tolerance)
                near = g(root)
                if near is not None and abs(near) <= 1e-6 * max(abs(goal), 1.0):
                    return root
                # a jump across a pole (1/x at 0), not a root: search on
            previous[side] = (x, y)
        step *= 2
    return None


def _narrow(g: Callable[[float], float | None], a: float, ga: float, b: float, gb: float, tolerance: float) -> float:
    """Shrink a bracket [a, b] with g(a), g(b) of opposite signs to a root (Illinois-style regula falsi)."""
    for i in range(200):
        if i % 3 == 2:
            x = (a + b) / 2  # a bisection step every third keeps the bracket shrinking
        else:
            x = b - gb * (b - a) / (gb - ga) if gb != ga else (a + b) / 2
            if not min(a, b) < x < max(a, b):
                x = (a + b) / 2
        gx = g(x)
        if gx is None:  # unknown inside the bracket: bisect around it
            x = (a + b) / 2
            gx = g(x)
            if gx is None:
                return x
        if abs(gx) <= tolerance or x in (a, b):
            return x
        if (gx < 0) == (ga < 0):
            a, ga = x, gx
        else:
            b, gb = x, gx
    return b if abs(gb) < abs(ga) else a


# ── What moved it ──────────────────────────────────────────────────────

SINCE_DAYS = 7  # "since the last period": a week, as `review` compares by default
_EARLIER: dict[tuple[int, date], tuple[object, Analysis]] = {}


def earlier_analysis(analysis: Analysis, days: int = SINCE_DAYS) -> Analysis | None:
    """The same tree analysed `days` before; None when nothing in it has a date.

    Kept for the newest tree and date only, so every what-if over one tree shares it.
    """
    if analysis.measurements is None and all(n.measured is None for n in analysis.tree.nodes.values()):
        return None
    key = (id(analysis.tree), analysis.as_of)
    cached = _EARLIER.get(key)
    # Keyed by the tree itself: an analysis updated in place after an edit has a new tree.
    if cached is not None and cached[0] is analysis.tree:
        return cached[1]
    from kpitui.engine import analyze

    earlier = analyze(analysis.tree, days_after(analysis.as_of, -days), analysis.graph)
    _EARLIER.clear()
    _EARLIER[key] = (analysis.tree, earlier)
    return earlier


MAX_SHAPLEY_INPUTS = 12


@dataclass(frozen=True)
class Attribution:
    """A node's change between two analyses, split over its inputs; the parts add up to `change`."""

    node: str
    before: float
    after: float
    parts: tuple[tuple[str, float], ...]  # (input id, its share of the change), biggest first
    method: str  # "sum" (each input's own change), "shapley" or "sequential"

    @property
    def change(self) -> float:
        """after − before."""
        return self.after - self.before


def attribute(before: Analysis, after: Analysis, node_id: str, deep: bool = False) -> Attribution | None:
    """Split the change of a formula or rollup node's actual between two analyses over its inputs.

    Sums (and means) give each input its own (weighted) change; other formulas and rollups
    the Shapley value over the inputs, which is path-independent and adds up exactly. With
    `deep`, an input that is itself computed passes its share on to its own inputs, down to
    the measured drivers. None when the node has no inputs or a value is unknown at either date.
    """
    values = value_graph(after)
    parts = _split(before, after, values, node_id)
    if parts is None:
        return None
    method, shares = parts
    if deep:
        shares = _deepen(before, after, values, shares)
    old, new = before.layers[ACTUAL].value(node_id), after.layers[ACTUAL].value(node_id)
    assert old is not None and new is not None
    ranked = sorted(shares.items(), key=lambda kv: (-abs(kv[1]), after.graph.order.get(kv[0], 0)))
    return Attribution(node_id, old, new, tuple(_exact(ranked, new - old)), method)


def _split(before: Analysis, after: Analysis, values: ValueGraph, node_id: str) -> tuple[str, dict[str, float]] | None:
    node = after.tree.nodes[node_id]
    inputs = values.inputs.get(node_id, ())
    old_layer, new_layer = before.layers[ACTUAL], after.layers[ACTUAL]
    if not inputs or new_layer.values[node_id].source not in ("formula", "rollup"):
        return None
    a = {i: old_layer.value(i) for i in inputs}
    b = {i: new_layer.value(i) for i in inputs}
    if any(v is None for v in (*a.values(), *b.values())) or old_layer.value(node_id) is None:
        return None
    start = {k: v for k, v in a.items() if v is not None}
    end = {k: v for k, v in b.items() if v is not None}
    if node.formula is None and node.rollup in ("sum", "mean"):
        weights = {c: after.tree.nodes[c].weight for c in inputs}
        total = sum(weights.values()) if node.rollup == "mean" else 1.0
        scale = {c: (weights[c] / total if node.rollup == "mean" else 1.0) for c in inputs}
        return "sum", {c: (end[c] - start[c]) * scale[c] for c in inputs}

    def f(point: Mapping[str, float]) -> float:
        if node.formula is not None:
            try:
                result = node.formula.evaluate(point.get)
            except ArithmeticError:
                return math.nan
            return math.nan if result is None else result
        return aggregate(node.rollup or "sum", [point[c] for c in inputs], [after.tree.nodes[c].weight for c in inputs])

    return _shapley(f, start, end)


def _shapley(
    f: Callable[[Mapping[str, float]], float], start: Mapping[str, float], end: Mapping[str, float]
) -> tuple[str, dict[str, float]]:
    """Shapley value of each input's move from `start` to `end`; in order, one at a time, past the cap."""
    moved = [k for k in start if start[k] != end[k]]
    shares = {k: 0.0 for k in start}
    n = len(moved)
    if n == 0:
        return "shapley", shares
    if n > MAX_SHAPLEY_INPUTS:
        point = dict(start)
        for k in moved:
            was = f(point)
            point[k] = end[k]
            shares[k] = f(point) - was
        return "sequential", shares
    cache: dict[frozenset[str], float] = {}

    def value(subset: frozenset[str]) -> float:
        if subset not in cache:
            cache[subset] = f({k: (end[k] if k in subset else start[k]) for k in start})
        return cache[subset]

    weights = [factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)]
    for k in moved:
        others = [m for m in moved if m != k]
        total = 0.0
        for size in range(n):
            for combo in itertools.combinations(others, size):
                subset = frozenset(combo)
                total += weights[size] * (value(subset | {k}) - value(subset))
        shares[k] = total
    return "shapley", shares


def _deepen(before: Analysis, after: Analysis, values: ValueGraph, shares: dict[str, float]) -> dict[str, float]:
    """Pass each computed input's share down to its own inputs, in proportion to their split."""
    result: dict[str, float] = {}
    stack = list(shares.items())
    seen: set[str] = set()
    while stack:
        node_id, share = stack.pop()
        split = None if node_id in seen else _split(before, after, values, node_id)
        seen.add(node_id)
        old, new = before.layers[ACTUAL].value(node_id), after.layers[ACTUAL].value(node_id)
        if split is None or old is None or new is None or new == old:
            result[node_id] = result.get(node_id, 0.0) + share
            continue
        _, inner = split
        for child, part in inner.items():
            stack.append((child, share * part / (new - old)))
    return result


def _exact(ranked: Iterable[tuple[str, float]], total: float) -> list[tuple[str, float]]:
    """The parts, with the floating-point residue moved into the biggest, so they add up to `total`."""
    parts = list(ranked)
    if parts:
        rest = math.fsum(p for _, p in parts[1:])
        parts[0] = (parts[0][0], total - rest)
    return parts


__all__ = ["TARGET", "Attribution", "Scenario", "Seek", "attribute", "seek_goal", "solve", "what_if"]
