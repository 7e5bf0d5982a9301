"""The one dependency graph of node values: rollups and formulas, evaluated in dependency order.

A node's value (its actual, or its target: each a *layer*) depends on other nodes' values:
a rollup node on its children's, a formula node on the nodes its formula reads (its
drivers). `ValueGraph` knows those edges and an order with every input before what it
feeds; `evaluate` computes a whole layer, `update` only what depends on a set of changed
nodes, and `with_overrides` is a what-if: the same evaluation with some values replaced,
on a copy, recomputing only the affected part. Nothing here recurses over the tree.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from kpitui.analysis.graph import KpiGraph, loops
from kpitui.analysis.status import aggregate
from kpitui.model.domain import Node
from kpitui.model.formula_errors import ZeroDivision

ACTUAL = "actual"
TARGET = "target"
WHATIF = "what-if"
LATEST = date.max  # the date a hypothetical value counts as: newer than any measurement


class Value(NamedTuple):
    """One node's value in a layer, where it comes from, and the newest date behind it.

    A named tuple, not a frozen dataclass: an analysis makes two for every node, and a tuple is
    made in a third of the time (immutable and compared by value all the same).
    """

    value: float | None
    source: str | None = None  # inline, measurements, rollup, formula, what-if; None: unknown
    day: date | None = None


NO_VALUE = Value(None)


def make_value(value: float | None, source: str | None, day: date | None = None) -> Value:
    """`Value(value, source, day)`, without the call of its Python-level __new__ (an analysis
    makes two for every node)."""
    return tuple.__new__(Value, (value, source, day))


@dataclass
class Layer:
    """Every node's value of one kind (actual or target), and the formula errors met."""

    kind: str
    own: dict[str, Value]  # each node's own value (as written or measured, or a what-if)
    values: dict[str, Value] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # node -> why its formula has no value

    def value(self, node_id: str) -> float | None:
        """A node's value, None when unknown."""
        found = self.values.get(node_id)
        return found.value if found is not None else None

    def copy(self) -> Layer:
        """An independent copy (what-if works on one)."""
        return Layer(self.kind, dict(self.own), dict(self.values), dict(self.errors))


class ValueGraph:
    """Which node values feed which: rollup children → rollup parent, drivers → formula node."""

    def __init__(self, nodes: Mapping[str, Node], graph: KpiGraph) -> None:
        self.nodes = nodes
        self.graph = graph
        self.inputs: dict[str, tuple[str, ...]] = dict.fromkeys(nodes, ())
        self.dependents: dict[str, list[str]] = {node_id: [] for node_id in nodes}
        for node_id, node in nodes.items():
            if node.formula is not None:
                feeds = tuple(graph.drivers(node_id))
            elif node.rollup is not None:
                feeds = tuple(graph.children(node_id))
            else:
                continue
            self.inputs[node_id] = feeds
            for source in dict.fromkeys(feeds):
                self.dependents[source].append(node_id)
        self._order: list[str] | None
        self._order, self.cyclic = self._sort()
        self._rank: dict[str, int] | None = None
        self._parent_rank: dict[str, int] | None = None

    @property
    def order(self) -> list[str]:
        """Every node, each input before what it feeds; nodes in a loop of values first."""
        if self._order is None:
            self._order = self._sort()[0]
        return self._order

    @property
    def rank(self) -> dict[str, int]:
        """Each node's position in `order`."""
        if self._rank is None:
            self._rank = {node_id: i for i, node_id in enumerate(self.order)}
        return self._rank

    def parent_rank(self) -> dict[str, int]:
        """Each node's position with every parent before its children (parent cycles last)."""
        if self._parent_rank is None:
            cyclic = self.graph.cyclic()
            order = self.graph.topological() + [n for n in self.nodes if n in cyclic]
            self._parent_rank = {n: i for i, n in enumerate(order)}
        return self._parent_rank

    def _sort(self) -> tuple[list[str], set[str]]:
        """Kahn's order, inputs first; nodes in a loop of values come first, outside it."""
        if not any(self.inputs.values()):
            return list(self.nodes), set()  # no rollups, no formulas: file order
        pending = {n: len(set(feeds)) for n, feeds in self.inputs.items()}
        ready = deque(n for n in self.nodes if pending[n] == 0)
        placed: list[str] = []
        while ready:
            current = ready.popleft()
            placed.append(current)
            for dependent in self.dependents[current]:
                pending[dependent] -= 1
                if pending[dependent] == 0:
                    ready.append(dependent)
        if len(placed) == len(self.nodes):
            return placed, set()
        cyclic = {n for group in self.loops(set(self.nodes) - set(placed)) for n in group}
        # Place the loops' members first (they get no computed value), then the rest in order.
        pending = {n: sum(1 for f in set(feeds) if f not in cyclic) for n, feeds in self.inputs.items()}
        ready = deque(n for n in self.nodes if n not in cyclic and pending[n] == 0)
        order = [n for n in self.nodes if n in cyclic]
        while ready:
            current = ready.popleft()
            order.append(current)
            for dependent in self.dependents[current]:
                if dependent not in cyclic:
                    pending[dependent] -= 1
                    if pending[dependent] == 0:
                        ready.append(dependent)
        return order, cyclic

    def loops(self, candidates: set[str]) -> list[list[str]]:
        """Groups of nodes whose values depend on each other in a loop, each in file order."""
        order = self.graph.order
        members = sorted(candidates, key=order.__getitem__)
        feeds = {n: [f for f in self.inputs[n] if f in candidates] for n in members}
        found = [sorted(group, key=order.__getitem__) for group in loops(members, feeds)]
        return sorted(found, key=lambda group: order[group[0]])

    def formula_loops(self) -> list[list[str]]:
        """Loops with at least one formula in them (loops of parent links alone are the graph's)."""
        if not self.cyclic:
            return []
        return [g for g in self.loops(self.cyclic) if any(self.nodes[n].formula is not None for n in g)]

    def drivers(self, node_id: str) -> tuple[str, ...]:
        """The existing nodes a formula node reads, in order of first use; () for others."""
        node = self.nodes[node_id]
        return self.inputs[node_id] if node.formula is not None else ()

    def driven(self, node_id: str) -> list[str]:
        """The formula nodes that read this node."""
        return [d for d in self.dependents[node_id] if self.nodes[d].formula is not None]

    def upstream(self, node_id: str) -> list[str]:
        """Every node this node's value depends on, nearest first."""
        seen = {node_id}
        queue = deque([node_id])
        found: list[str] = []
        while queue:
            for source in self.inputs[queue.popleft()]:
                if source not in seen:
                    seen.add(source)
                    found.append(source)
                    queue.append(source)
        return found

    def downstream(self, sources: Iterable[str]) -> set[str]:
        """Every node whose value depends on any of `sources` (the sources excluded)."""
        start = set(sources)
        seen: set[str] = set()
        queue = deque(start)
        while queue:
            for dependent in self.dependents.get(queue.popleft(), ()):
                if dependent not in seen:
                    seen.add(dependent)
                    queue.append(dependent)
        return seen - start

    # ── Evaluation ──────────────────────────────────────────────────

    def evaluate(self, kind: str, own: Mapping[str, Value]) -> Layer:
        """Every node's value of one layer, from the nodes' own values."""
        layer = Layer(kind, dict(own))
        mine, inputs = layer.own.get, self.inputs
        # A node without inputs has its own value; the others are computed, inputs first.
        values = layer.values = {node_id: mine(node_id, NO_VALUE) for node_id in self.order}
        for node_id in [n for n in self.order if inputs[n]]:
            value, error = self._compute(layer, node_id)
            values[node_id] = value
            if error is not None:
                layer.errors[node_id] = error
        return layer

    def update(self, layer: Layer, changed: Iterable[str]) -> set[str]:
        """Recompute what depends on nodes whose own value changed in `layer.own`.

        Works in dependency order and stops where a value comes out unchanged.

        Returns:
            The nodes whose value (or formula error) changed.
        """
        heap = [(self.rank[n], n) for n in set(changed) if n in self.rank]
        heapq.heapify(heap)
        queued = {n for _, n in heap}
        moved: set[str] = set()
        while heap:
            _, node_id = heapq.heappop(heap)
            value, error = self._compute(layer, node_id)
            before_error = layer.errors.get(node_id)
            if error is None:
                layer.errors.pop(node_id, None)
            else:
                layer.errors[node_id] = error
            if value == layer.values.get(node_id) and error == before_error:
                continue
            layer.values[node_id] = value
            moved.add(node_id)
            for dependent in self.dependents[node_id]:
                if dependent not in queued:
                    queued.add(dependent)
                    heapq.heappush(heap, (self.rank[dependent], dependent))
        return moved

    def with_overrides(self, layer: Layer, overrides: Mapping[str, float]) -> tuple[Layer, set[str]]:
        """A what-if: a copy of the layer with some nodes' values replaced, the rest recomputed.

        A replaced value counts as the newest there is, so it wins over a node's own value
        and over an own value older than it further down.

        Returns:
            The new layer and the nodes whose value changed.
        """
        copy = layer.copy()
        for node_id, value in overrides.items():
            copy.own[node_id] = Value(value, WHATIF, LATEST)
        return copy, self.update(copy, overrides)

    def _compute(self, layer: Layer, node_id: str) -> tuple[Value, str | None]:
        node = self.nodes[node_id]
        own = layer.own.get(node_id, NO_VALUE)
        if own.source == WHATIF or node_id in self.cyclic:
            return own, None
        feeds = self.inputs[node_id]
        if not feeds:
            return own, None
        values = layer.values
        if node.formula is None:  # a rollup: an own value always wins
            if own.value is not None:
                return own, None
            found = [values.get(c, NO_VALUE) for c in feeds]
            if any(v.value is None for v in found):
                return NO_VALUE, None
            total = rollup(node, self.nodes, feeds, [v.value for v in found if v.value is not None])
            return Value(total, "rollup", _newest(found)), None
        found = [values.get(f, NO_VALUE) for f in feeds]
        newest = _newest(found)
        if own.value is not None and (layer.kind == TARGET or own.day is None or newest is None or own.day >= newest):
            return own, None
        try:
            result = node.formula.evaluate(lambda ref: values.get(ref, NO_VALUE).value)
        except ZeroDivision as exc:
            return NO_VALUE, f"its formula divides by zero ({exc.divisor} is 0)"
        if result is None:
            return (own, None) if own.value is not None else (NO_VALUE, None)
        return Value(result, "formula", newest), None


def rollup(node: Node, nodes: Mapping[str, Node], children: tuple[str, ...], values: list[float]) -> float:
    """The aggregate of the children's values by the node's rollup rule."""
    return aggregate(node.rollup or "sum", values, [nodes[c].weight for c in children])


def _newest(values: Iterable[Value]) -> date | None:
    days = [v.day for v in values if v.day is not None]
    return max(days) if days else None
