"""Incremental analysis: after an edit, recompute what depends on the edited nodes and nothing else.

`update(analysis, tree, changed)` brings an analysis up to date with a tree in which the nodes
`changed` were edited, added, deleted or renamed (an id that is gone and one that is new). It
recomputes, in the analysis itself:

- the links of the edited nodes, and of the nodes that name an id that appeared or went;
- periods of the edited nodes and, where their period or parents changed, of everything below;
- own actuals (inline, or the newest measurement where the rows or the period changed);
- values through the dependency graph of rollups and formulas, downstream of the edited nodes;
- paces, forecasts (own, then combined downstream), rolled-up statuses up the ancestors,
  orphan reasons below a node whose parents or kind changed;
- declared pairs, the influence conflicts of the weakly connected parts of the influence graph
  an edit touches;
- the findings of the nodes concerned (the nodes whose result changed, their parents and
  grandparents, the parents of a node whose target moved — target gaps —, the goals above a
  structural change, nodes whose references changed), every pair finding, and the header counts.

The tree-wide parts stay right because they are kept as indexes updated the same way: the
children lists, the dangling references, the KPIs below each node. Where an edit touches a
cycle of parent links or of formulas, changes the tree's settings or the date, or touches a
large part of the tree, the whole tree is analysed again: those are rare, and a full analysis
is what defines the right answer (tests/core/test_incremental.py checks every update against one).
"""

from __future__ import annotations

import bisect
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from kpitui.analysis.below import below_step
from kpitui.analysis.conflicts import Conflict, Conflicts
from kpitui.analysis.forecast import Forecast
from kpitui.analysis.graph import KpiGraph
from kpitui.analysis.results import (
    Analysis,
    Builder,
    NodeResult,
    count_keys,
    declared_conflicts,
    influence_conflicts,
    own_target,
    resolve_as_of,
)
from kpitui.analysis.state import split_findings
from kpitui.analysis.status import Pace, worst
from kpitui.analysis.values import ACTUAL, TARGET, Value, ValueGraph
from kpitui.engine import analyze
from kpitui.io.loader import KpiTree
from kpitui.io.measurements import Measurements, Spread
from kpitui.model.domain import Finding, Node, Period
from kpitui.rules.findings import file_findings, node_findings, pair_findings

# An edit touching more than this share of the nodes is analysed as a whole: no faster otherwise.
FULL_SHARE = 0.2
ALWAYS_INCREMENTAL = 64
T = TypeVar("T")


class _Full(Exception):
    """This edit is analysed as a whole (raised before anything was changed)."""


@dataclass
class Updated:
    """The analysis after an edit, and which nodes' lines and details may have changed.

    `touched` is None when the whole tree was analysed again (everything may have changed).
    """

    analysis: Analysis
    touched: set[str] | None
    structural: bool  # parents, ids or kinds changed: the tree's shape may differ
    children_changed: frozenset[str] = frozenset()  # nodes whose list of children changed
    root_level: bool = False  # the goals at the top or the tops serving no goal may have changed


def update(
    analysis: Analysis,
    tree: KpiTree,
    changed: Iterable[str],
    as_of: date | None = None,
    extra_rows: list[tuple[str, date, float]] | None = None,
    measurements: Measurements | None = None,
) -> Updated:
    """The analysis of `tree`, where only the nodes `changed` differ from `analysis.tree`.

    `analysis` is updated in place and must not be used afterwards (unless returned).
    Arguments as for `analyze`; `changed` holds every id edited, added or removed.
    """
    try:
        return _Update(analysis, tree, set(changed), as_of, extra_rows, measurements).run()
    except _Full:
        fresh = analyze(tree, as_of, extra_rows=extra_rows, measurements=measurements)
        return Updated(fresh, None, True, root_level=True)


def _local_order(members: Collection[str], before: Callable[[str], Iterable[str]]) -> list[str]:
    """The members in an order where each comes after those of `before(it)` that are members.

    Raises:
        _Full: the members depend on each other in a loop.
    """
    inside = set(members)
    pending = {m: 0 for m in inside}
    after: dict[str, list[str]] = {m: [] for m in inside}
    for m in inside:
        for first in dict.fromkeys(before(m)):
            if first in inside:
                pending[m] += 1
                after[first].append(m)
    ready = deque(sorted((m for m, count in pending.items() if count == 0), key=str))
    placed: list[str] = []
    while ready:
        current = ready.popleft()
        placed.append(current)
        for nxt in after[current]:
            pending[nxt] -= 1
            if pending[nxt] == 0:
                ready.append(nxt)
    if len(placed) != len(inside):
        raise _Full
    return placed


def _reach(starts: Iterable[str], step: Callable[[str], Iterable[str]]) -> set[str]:
    """Every node reached from `starts` by `step`, the starts included."""
    seen = set(starts)
    queue = deque(seen)
    while queue:
        for nxt in step(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


class _Update:
    def __init__(
        self,
        an: Analysis,
        tree: KpiTree,
        changed: set[str],
        as_of: date | None,
        extra_rows: list[tuple[str, date, float]] | None,
        measurements: Measurements | None,
    ) -> None:
        self.an, self.tree, self.as_of = an, tree, as_of
        self.rows = tuple(extra_rows or ())
        self.measurements = measurements
        self.old_nodes = an.tree.nodes
        self.nodes = tree.nodes
        self.changed = {c for c in changed if c in self.old_nodes or c in self.nodes}

    # ── what the edit touches (nothing is changed until `_apply`) ─────────

    def run(self) -> Updated:
        an, tree, state = self.an, self.tree, self.an.state
        if state is None or an.values is None:
            raise _Full
        day = resolve_as_of(tree, self.as_of)
        if day != an.as_of or tree.settings != an.tree.settings:
            raise _Full
        base = self.measurements if tree.settings.measurements else None
        if base is not state.base_measurements:
            raise _Full
        old_rows, new_rows = Counter(state.rows), Counter(self.rows)
        self.row_nodes = {r[0] for r in (old_rows - new_rows) + (new_rows - old_rows)}
        limit = max(ALWAYS_INCREMENTAL, int(len(self.nodes) * FULL_SHARE))
        if len(self.changed) + len(self.row_nodes) > limit:
            raise _Full
        self.added = {c for c in self.changed if c not in self.old_nodes}
        self.removed = {c for c in self.changed if c not in self.nodes}
        self._plan()
        return self._apply(day)

    def _plan(self) -> None:
        """Which nodes' links to derive again, and whether the edit stays clear of loops."""
        nodes, graph, values = self.nodes, self.an.graph, self.an.values
        assert values is not None
        extra: set[str] = set()
        gone_or_new = self.added | self.removed
        if gone_or_new:
            for r in self.removed:
                extra.update(graph.children(r))
                extra.update(values.dependents.get(r, ()))
            for source, targets in graph.influence.items():
                if not gone_or_new.isdisjoint(targets):
                    extra.add(source)
            for pair in graph.declared:
                if not pair.isdisjoint(self.removed):
                    extra.update(pair)
            for node_id, _field, missing in graph.dangling:
                if missing in self.added:
                    extra.add(node_id)
        self.touch = self.changed | {e for e in extra if e in nodes}
        self.old_influence = {t: dict(graph.influence.get(t, {})) for t in self.touch}
        self.old_parent_lists = {t: list(graph._parents.get(t, [])) for t in self.touch if t in self.old_nodes}
        self.old_drivers = {t: list(graph.drivers(t)) for t in self.touch if t in self.old_nodes}
        self.live = sorted((t for t in self.touch if t in nodes), key=str)
        cyclic, value_loops = graph.cyclic(), values.cyclic
        self.new_parents = {t: [p for p in dict.fromkeys(nodes[t].parents) if p in nodes] for t in self.live}
        for t in self.touch:
            if t in cyclic or t in value_loops:
                raise _Full
            old = graph._parents.get(t, []) if t in self.old_nodes else []
            if any(p in cyclic for p in [*old, *self.new_parents.get(t, [])]):
                raise _Full

        # Parent links added: no new cycle (a node may not become its own ancestor).
        def parents(n: str) -> list[str]:
            return self.new_parents[n] if n in self.new_parents else graph._parents.get(n, [])

        for t, ps in self.new_parents.items():
            was = graph._parents.get(t) if t in self.old_nodes else None
            if ps and ps != was and t in _reach(ps, parents):
                raise _Full
        self.reparented = {t for t, ps in self.new_parents.items() if t in self.added or graph._parents.get(t) != ps}
        self.reparented |= self.removed
        # Value links: rollup parents of nodes whose parents changed read other children now.
        old_parents = {p for t in self.touch if t in self.old_nodes for p in graph._parents.get(t, [])}
        new_parents = {p for ps in self.new_parents.values() for p in ps}
        self.vtouch = {v for v in self.touch | old_parents | new_parents if v in nodes}
        if self.vtouch & value_loops:
            raise _Full
        self.new_feeds = {v: self._feeds(v, parents) for v in self.vtouch}
        # A new loop of values: some node's new input is downstream of it.
        readers: dict[str, list[str]] = {}
        for v, feeds in self.new_feeds.items():
            for f in feeds:
                readers.setdefault(f, []).append(v)

        def dependents(n: str) -> list[str]:
            kept = [d for d in values.dependents.get(n, ()) if d not in self.vtouch]
            return kept + readers.get(n, [])

        for v, feeds in self.new_feeds.items():
            if feeds and not _reach([v], dependents).isdisjoint(feeds):
                raise _Full
        self.dependents_of = dependents

    def _feeds(self, node_id: str, parents: Callable[[str], list[str]]) -> tuple[str, ...]:
        """A node's value inputs in the edited tree: what its formula reads, or its rollup's children."""
        node, nodes = self.nodes[node_id], self.nodes
        if node.formula is not None:
            return tuple(ref for ref in dict.fromkeys(node.formula.refs) if ref in nodes)
        if node.rollup is None:
            return ()
        # Children in the edited tree: the old ones that still name it, and touched nodes that do.
        kids = [c for c in self.an.graph.children(node_id) if c not in self.touch]
        kids += [t for t in self.live if node_id in parents(t)]
        order = self._order()
        return tuple(sorted(dict.fromkeys(kids), key=order.__getitem__))

    def _order(self) -> dict[str, int]:
        if not hasattr(self, "_file_order"):
            if self.added or self.removed:
                self._file_order = dict(zip(self.nodes, range(len(self.nodes)), strict=True))
            else:
                self._file_order = self.an.graph.order
        return self._file_order

    # ── the update itself ───────────────────────────────────────────────

    def _apply(self, day: date) -> Updated:
        an, tree = self.an, self.tree
        state = an.state
        assert state is not None and an.values is not None
        old_tree = an.tree
        old_results = an.results
        old_children = {
            p: list(an.graph.children(p))
            for t in self.touch
            if t in self.old_nodes
            for p in an.graph._parents.get(t, [])
        }
        graph = self._patch_graph()
        values = self._patch_values(graph)
        an.tree = tree
        # Which nodes had their parents' children change: their rollup and quality findings.
        children_changed = {p for p in old_children if p in self.nodes and old_children[p] != graph.children(p)}
        children_changed |= {p for t in self.reparented if t in self.nodes for p in graph.parents_of(t)}
        children_changed |= {p for p in self.added if graph.children(p)}

        # Measurements: rows recorded (or undone), periods changed, nodes new.
        measurements = an.measurements
        if self.row_nodes and state.base_measurements is not None:
            measurements = state.base_measurements.with_rows(self.rows)
        builder = Builder(tree, graph, day, measurements, values)
        builder.newest, builder.sums = state.newest, state.sums

        # Periods: edited nodes, and below a node whose period or parents changed.
        periods_changed = {
            t
            for t in self.live
            if t in self.added or t in self.reparented or self.nodes[t].period != self.old_nodes[t].period
        }
        below = _reach(periods_changed, graph.children)
        order = _local_order(below, graph.parents_of)
        periods: _Overlay[Period | None] = _Overlay(old_results, lambda r: r.period)
        for n in order:
            periods.new[n] = builder.period_of(n, periods)
        windows = {n for n in order if n in self.added or periods.new[n] != old_results[n].period}
        remeasure = self._alive(self.row_nodes | windows | self.added)
        if measurements is not None and remeasure:
            self._remeasure(measurements, remeasure, periods, day)
        for r in self.removed:
            state.newest.pop(r, None)
            state.sums.pop(r, None)
            an.spread.pop(r, None)

        # Own values, then everything downstream of them in the value graph.
        actual, target = an.layers[ACTUAL], an.layers[TARGET]
        own_changed = self._alive(set(self.live) | remeasure)
        own = {n: builder.own_actual(self.nodes[n]) for n in own_changed}
        for r in self.removed:
            for layer in (actual, target):
                layer.own.pop(r, None)
                layer.values.pop(r, None)
                layer.errors.pop(r, None)
        for n in own_changed:
            v, last, source = own[n]
            actual.own[n] = Value(v, source, last)
            target.own[n] = own_target(self.nodes[n])
        builder.actual_layer, builder.target_layer = actual, target
        starts = own_changed | self.vtouch
        downstream = _reach(starts, lambda n: values.dependents.get(n, ()))
        value_order = _local_order(downstream, lambda n: values.inputs[n])
        moved: set[str] = set()
        for layer in (actual, target):
            for n in value_order:
                value, error = values._compute(layer, n)
                if layer.values.get(n) != value or layer.errors.get(n) != error:
                    moved.add(n)
                layer.values[n] = value
                if error is None:
                    layer.errors.pop(n, None)
                else:
                    layer.errors[n] = error

        # Paces, forecasts and orphan reasons of the nodes concerned.
        paced = own_changed | moved | set(order)
        actuals = {n: builder.computed_actual(n, own[n] if n in own else self._old_own(n)) for n in paced}
        paces = {n: builder.pace_of(n, target.value(n), actuals[n][0], periods[n]) for n in paced}
        forecast_starts = paced | set(self.live) | self.vtouch
        forecast_order = _local_order(
            _reach(forecast_starts, lambda n: values.dependents.get(n, ())), lambda n: values.inputs[n]
        )
        forecasts: _Overlay[Forecast | None] = _Overlay(old_results, lambda r: r.forecast)
        for n in forecast_order:
            found = builder.own_forecast(n, periods[n], target.value(n))
            if found is None:
                found = builder.combined_forecast(n, forecasts, periods[n], target.value(n))
            forecasts.new[n] = found
        kinds = {t for t in self.live if t in self.old_nodes and self.nodes[t].kind != self.old_nodes[t].kind}
        named = {t for t in self.live if t in self.old_nodes and self.nodes[t].parents != self.old_nodes[t].parents}
        orphan_below = _reach(self._alive(self.reparented | kinds | self.added | named), graph.children)
        reasons: dict[str, str | None] = {}
        for n in _local_order(orphan_below, graph.parents_of):
            node = self.nodes[n]
            if node.kind == "goal":
                reasons[n] = None
                continue
            served = any(
                (reasons[p] if p in reasons else old_results[p].orphan_reason) is None for p in graph.parents_of(n)
            )
            reasons[n] = None if served else builder.orphan_reason(node)

        # Rolled-up statuses: up from every node whose own status or children changed.
        results = an.results
        rebuild = self._alive(paced | set(forecast_order) | set(reasons))
        rebuild |= {t for t in self.live}
        status_changed = {
            n for n in rebuild if n not in old_results or self._status(n, paces, old_results) != old_results[n].status
        }
        up_from = status_changed | children_changed | set(self.live)
        ancestors = _reach(self._alive(up_from), graph.parents_of)
        rolled: dict[str, str] = {}
        for n in _local_order(ancestors, graph.children):
            own_status = self._status(n, paces, old_results)
            kids = [rolled[c] if c in rolled else results[c].rollup_status for c in graph.children(n)]
            rolled[n] = worst([own_status, *kids]) if kids else own_status
        rebuild |= set(rolled)
        old_results_removed = {r: results.pop(r) for r in self.removed if r in results}
        before = {n: old_results.get(n) for n in rebuild}
        for n in rebuild:
            old = before[n]
            if n in paces:
                act, pace = actuals[n], paces[n]
            else:
                assert old is not None
                act = (old.actual, old.last_measured, old.actual_source)
                pace = (old.pace, old.overflow)
            results[n] = builder.result(
                n,
                act,
                target.value(n),
                pace,
                rolled[n] if n in rolled else (old.rollup_status if old is not None else pace[0].status),
                reasons.get(n, old.orphan_reason if old is not None else None),
                periods[n],
                forecasts[n],
            )
        result_changed = {n for n in rebuild if before[n] != results[n]}
        if state.orphaned is not None:
            was = [before[n] for n in rebuild] + [old_results_removed[r] for r in old_results_removed]
            state.orphaned += sum(results[n].orphaned for n in rebuild) - sum(r.orphaned for r in was if r is not None)
        an.measurements = measurements
        state.rows = self.rows

        # What sits below each node (goals' KPIs): up from structural changes.
        structure = self.reparented | kinds | self.added | children_changed
        horizons = {t for t in self.live if t in self.old_nodes and self.nodes[t].horizon != self.old_nodes[t].horizon}
        kpi_up = _reach(self._alive(structure | horizons | set(self.live)), graph.parents_of)
        for r in self.removed:
            state.kpi_below.pop(r, None)
            for below_map in state.maps:
                below_map.pop(r, None)
        for n in _local_order(kpi_up, graph.children):
            state.kpi_below[n] = any(
                self.nodes[c].kind == "kpi" or state.kpi_below.get(c, False) for c in graph.children(n)
            )
            below_step(an.tree.nodes, an.graph, an.tree.settings.thresholds.max_kpis, n, state.maps)

        # Conflicts: declared pairs, influence components.
        changed_pairs = self._conflicts(graph, old_tree.nodes)
        if changed_pairs or self.added or self.removed:
            an.conflicts = Conflicts(state.declared, state.influence)

        # Findings of the nodes concerned (a target gap is its rollup node's: the parents of a node
        # whose target moved), every pair's, and the file's.
        target_moved = {n for n in rebuild if before[n] is None or before[n].target != results[n].target}  # type: ignore[union-attr]
        concerned = set(self.touch) | result_changed | moved | children_changed | kpi_up
        concerned |= self.row_nodes  # their newest value may be doubtful now (implausible_value)
        concerned.update(p for n in target_moved for p in graph.parents_of(n))
        for t in self.touch:
            for ups in (old_tree.nodes.get(t), self.nodes.get(t)):
                if ups is not None:
                    for p in ups.parents:
                        concerned.add(p)
                        concerned.update(graph.parents_of(p) if p in self.nodes else ())
        for t in self.touch:
            concerned.update(self.old_drivers.get(t, ()))
            concerned.update(graph.drivers(t) if t in self.nodes else ())
        for pair in self._declared_changed:
            concerned.update(p for m in pair if m in self.nodes for p in graph.parents_of(m))
        if (
            self.added
            or self.removed
            or any(self.old_nodes[t].name != self.nodes[t].name for t in self.live if t in self.old_nodes)
        ):
            concerned.update(d[0] for d in graph.dangling)
        concerned = {n for n in concerned if n in self.nodes}
        if not (concerned | ancestors | kpi_up).isdisjoint(graph.cyclic() | values.cyclic):
            raise _Full
        only = sorted(concerned, key=graph.order.__getitem__)
        groups_before: dict[str | None, list[Finding] | None] = {n: state.groups.get(n) for n in [*only, *self.removed]}
        for r in self.removed:
            state.groups.pop(r, None)
        fresh, _ = split_findings(node_findings(an, only))
        for n in only:
            if n in fresh:
                state.groups[n] = fresh[n]
            else:
                state.groups.pop(n, None)
        if self.row_nodes or self.added or self.removed:
            groups_before[None] = state.groups.get(None)
            files = file_findings(an)
            if files:
                state.groups[None] = files
            else:
                state.groups.pop(None, None)
        # Pair findings: of the pairs whose conflicts changed or a member's result or name did.
        changed_nodes = {m for p in changed_pairs for m in p}
        dirty = set(changed_pairs)
        for n in result_changed | self.touch:
            dirty.update(frozenset((c.a, c.b)) for c in an.conflicts_of(n))
        # A node with many influence conflicts has one finding for all: recompute it whole.
        sources = {c.a for p in dirty for c in an.conflicts_of(next(iter(p))) if c.kind == "influence"}
        sources |= {m for p in changed_pairs for m in p}
        for source in sources:
            dirty.update(frozenset((c.a, c.b)) for c in an.conflicts_of(source) if c.a == source)
        stale = {k for k in dirty if k in state.pairs}
        stale |= {k for k in state.many if state.pairs[k].node in sources or not k.isdisjoint(changed_nodes)}
        pairs_before = {k: state.pairs.pop(k) for k in stale}
        _, fresh_pairs = split_findings(pair_findings(an, dirty))
        state.pairs.update(fresh_pairs)
        state.many = {k for k in state.many if k in state.pairs} | {k for k in fresh_pairs if len(k) > 2}
        self._counts(groups_before, pairs_before, fresh_pairs)
        # Findings shown on each node: its own and its pairs'.
        shown = {n for n, g in groups_before.items() if n is not None and g != state.groups.get(n)}
        for key in pairs_before.keys() | fresh_pairs.keys():
            if pairs_before.get(key) != fresh_pairs.get(key):
                shown.update(key)
        shown |= concerned
        for r in self.removed:
            an.by_node.pop(r, None)
        pairs_of: dict[str, list[Finding]] = {}
        for n in shown:
            keys = {frozenset((c.a, c.b)) for c in an.conflicts_of(n)} | {k for k in state.many if n in k}
            shown_pairs = [state.pairs[k] for k in keys if k in state.pairs]
            if shown_pairs:
                pairs_of[n] = shown_pairs
        for n in shown:
            if n not in self.nodes:
                an.by_node.pop(n, None)
                continue
            view = state.node_view(an.graph.order, n, pairs_of.get(n, ()))
            if view:
                an.by_node[n] = view
            else:
                an.by_node.pop(n, None)
        an._findings = None
        self._walk(graph)
        touched = (result_changed | shown | set(self.touch) | children_changed) - self.removed
        touched |= self.removed
        structural = bool(self.reparented or kinds or self.added or self.removed)
        moved_ids = self.reparented | self.added | self.removed
        root_level = any(not graph.parents_of(t) for t in moved_ids if t in self.nodes)
        root_level |= any(not self.old_parent_lists.get(t) for t in moved_ids if t in self.old_nodes)
        root_level |= any(not graph.parents_of(t) for t in kinds)
        gone_from = {p for p in children_changed if p in self.nodes}
        return Updated(an, touched, structural, frozenset(gone_from), root_level)

    def _alive(self, ids: Iterable[str]) -> set[str]:
        """The ids that are nodes of the edited tree."""
        return {n for n in ids if n in self.nodes}

    def _status(self, n: str, paces: Mapping[str, tuple[Pace, bool]], old: Mapping[str, NodeResult]) -> str:
        return paces[n][0].status if n in paces else old[n].status

    def _old_own(self, n: str) -> tuple[float | None, date | None, str | None]:
        """A node's own actual as the layer holds it (the node was not edited)."""
        own = self.an.layers[ACTUAL].own.get(n)
        if own is None:
            return None, None, None
        return own.value, own.day, own.source

    def _remeasure(
        self, measurements: Measurements, ids: set[str], periods: _Overlay[Period | None], day: date
    ) -> None:
        """Newest observation and trend sums of some nodes, from the rows of those nodes only."""
        import polars as pl

        state = self.an.state
        assert state is not None
        if measurements.frame is None:
            return
        part = Measurements(measurements.path, measurements.frame.filter(pl.col("node").is_in(sorted(ids))))
        windows = {n: (p.start, p.end) for n in ids if (p := periods[n]) is not None}
        spread = self.an.spread
        found: dict[str, Spread] = {}
        newest, sums = part.summary(day, windows, found)
        for n in ids:
            state.newest.pop(n, None)
            state.sums.pop(n, None)
            spread.pop(n, None)
        state.newest.update(newest)
        state.sums.update(sums)
        spread.update(found)

    def _patch_graph(self) -> KpiGraph:
        """The analysis's graph, its links of the touched nodes derived again (in place)."""
        g = self.an.graph
        nodes = self.nodes
        for t in self.touch:
            if t not in self.old_nodes:
                continue
            for p in g._parents.get(t, []):
                if p in g._children and p not in self.removed:
                    g._children[p] = [c for c in g._children[p] if c != t]
            g._parents.pop(t, None)
            g.influence.pop(t, None)
            for ref in g._drivers.pop(t, []):
                readers = [d for d in g._drives.get(ref, []) if d != t]
                if readers:
                    g._drives[ref] = readers
                else:
                    g._drives.pop(ref, None)
        for r in self.removed:
            g._children.pop(r, None)
            g._drives.pop(r, None)
        g.nodes = nodes
        g.order = self._order()
        for a in self.added:
            g._children[a] = []
        # Declared pairs: those of touched or removed nodes, derived again.
        gone = self.touch | self.removed
        old_pairs = [p for p in g.declared if not p.isdisjoint(gone)]
        before = set(old_pairs)
        g.declared.difference_update(old_pairs)
        for pair in old_pairs:
            for y in pair:
                (x,) = pair - {y} if len(pair) == 2 else (y,)
                if y in nodes and y not in self.touch and x in nodes and x in nodes[y].conflicts:
                    g.declared.add(pair)
        order = g.order
        for t in self.live:
            node = nodes[t]
            ps = self.new_parents[t]
            g._parents[t] = ps
            for p in ps:
                kids = list(g._children[p])
                if t not in kids:
                    bisect.insort(kids, t, key=order.__getitem__)
                g._children[p] = kids
            links = {other: sign for other, sign in node.influences if other in nodes}
            if links:
                g.influence[t] = links
            if node.formula is not None:
                g._drivers[t] = [ref for ref in dict.fromkeys(node.formula.refs) if ref in nodes]
                for ref in g._drivers[t]:
                    readers = list(g._drives.get(ref, []))
                    bisect.insort(readers, t, key=order.__getitem__)
                    g._drives[ref] = readers
            for other in node.conflicts:
                if other in nodes and other != t:
                    g.declared.add(frozenset((t, other)))
        after = {p for p in g.declared if not p.isdisjoint(gone)}
        self._declared_changed = before ^ after
        dangling = [d for d in g.dangling if d[0] not in self.touch]
        for t in self.live:
            dangling.extend(_dangling(nodes[t], nodes))
        dangling.sort(key=lambda d: order[d[0]])
        g.dangling = dangling
        g._topological = None
        return g

    def _patch_values(self, graph: KpiGraph) -> ValueGraph:
        """The value graph with the touched nodes' inputs derived again (in place)."""
        values = self.an.values
        assert values is not None
        order = graph.order
        values.nodes = self.nodes
        values.graph = graph
        for r in self.removed:
            for f in values.inputs.pop(r, ()):
                if f in values.dependents and f not in self.removed:
                    values.dependents[f] = [d for d in values.dependents[f] if d != r]
            values.dependents.pop(r, None)
        for a in self.added:
            values.dependents[a] = []
        for v, feeds in self.new_feeds.items():
            for f in dict.fromkeys(values.inputs.get(v, ())):
                if f in values.dependents:
                    values.dependents[f] = [d for d in values.dependents[f] if d != v]
            values.inputs[v] = feeds
            for f in dict.fromkeys(feeds):
                readers = list(values.dependents[f])
                bisect.insort(readers, v, key=order.__getitem__)
                values.dependents[f] = readers
        values._order = values._rank = values._parent_rank = None
        return values

    def _conflicts(self, graph: KpiGraph, old_nodes: Mapping[str, Node]) -> set[frozenset[str]]:
        """Declared and influence conflicts brought up to date; the pairs whose conflicts changed."""
        state, tree, nodes = self.an.state, self.tree, self.nodes
        assert state is not None
        changed: set[frozenset[str]] = set()
        renamed = {t for t in self.live if t in old_nodes and old_nodes[t].name != nodes[t].name}
        if (
            self._declared_changed
            or (renamed and any(m in renamed for p in graph.declared for m in p))
            or self.added
            or self.removed
        ):
            fresh_declared = declared_conflicts(tree, graph)
            if fresh_declared != state.declared:
                changed.update(frozenset((c.a, c.b)) for c in [*state.declared, *fresh_declared])
                state.set_declared(fresh_declared)
        # Influence conflicts: the weakly connected parts of the influence graph that changed.
        moved = {
            t
            for t in self.touch
            if t not in old_nodes
            or t not in nodes
            or self.old_influence[t] != graph.influence.get(t, {})
            or old_nodes[t].direction != nodes[t].direction
            or t in renamed
        }
        if not moved:
            return changed
        linked: dict[str, set[str]] = {}
        for source, targets in graph.influence.items():
            for other in targets:
                linked.setdefault(source, set()).add(other)
                linked.setdefault(other, set()).add(source)
        for t, targets in self.old_influence.items():
            for other in targets:
                linked.setdefault(t, set()).add(other)
                linked.setdefault(other, set()).add(t)
        # A conflict's path lies in one part of the old graph, so the parts of the moved nodes
        # hold every conflict whose pairs, paths or words an edit can change.
        part = _reach([m for m in moved if m in linked], lambda n: linked.get(n, ()))
        if not part:
            return changed
        old = state.influence
        sub = object.__new__(KpiGraph)
        sub.nodes, sub.order = nodes, graph.order
        sub.influence = {s: t for s, t in graph.influence.items() if s in part}
        fresh = influence_conflicts(sub)
        # Their paths and words may have changed with the same pairs: found again, all of them.
        changed.update(frozenset((a, b)) for a, partners in old.partners.items() if a in part for b in partners)
        changed.update(fresh.pairs())
        state.set_influence(old.merged(part, fresh, graph))
        return changed

    def _counts(
        self,
        groups_before: Mapping[str | None, list[Finding] | None],
        pairs_before: Mapping[frozenset[str], Finding],
        pairs_after: Mapping[frozenset[str], Finding],
    ) -> None:
        state = self.an.state
        assert state is not None and state.counts is not None
        counts = state.counts
        for n, group in groups_before.items():
            for f in group or ():
                for key, weight in count_keys(f):
                    counts[key] -= weight
            for f in state.groups.get(n) or ():
                for key, weight in count_keys(f):
                    counts[key] += weight
        for f in pairs_before.values():
            for key, weight in count_keys(f):
                counts[key] -= weight
        for f in pairs_after.values():
            for key, weight in count_keys(f):
                counts[key] += weight

    def _walk(self, graph: KpiGraph) -> None:
        """The tree walk: kept where no link changed, patched where the nodes below an edit hang
        from one parent each (a tree's usual shape), else computed again when asked for."""
        walk = self.an.__dict__.get("walk")
        nodes, old = self.nodes, self.old_nodes
        rooted = any(not graph.parents_of(t) and nodes[t].kind != old[t].kind for t in self.live if t in old)
        if walk is None or not (self.reparented or self.added or self.removed or rooted):
            return
        affected = _reach(self._alive(self.reparented | self.added), graph.children)
        if rooted or any(len(graph.parents_of(n)) > 1 for n in affected):
            self.an.__dict__.pop("walk", None)
            return
        for r in self.removed:
            walk.up.pop(r, None)
            walk.depth.pop(r, None)
            walk.top.pop(r, None)
        for n in _local_order(affected, graph.parents_of):
            parents = graph.parents_of(n)
            if not parents:
                walk.up[n], walk.depth[n], walk.top[n] = None, 0, n
                continue
            p = parents[0]
            top = walk.top.get(p)
            # Below a root goal a node is reached from its one parent; elsewhere file order decides.
            if top is None or graph.parents_of(top) or nodes[top].kind != "goal":
                self.an.__dict__.pop("walk", None)
                return
            walk.up[n], walk.depth[n], walk.top[n] = p, walk.depth[p] + 1, top
        walk.graph = graph
        walk.moved()


def _dangling(node: Node, nodes: Mapping[str, Node]) -> list[tuple[str, str, str]]:
    """A node's references to ids that do not exist, as KpiGraph lists them."""
    found = [(node.id, "parent", p) for p in node.parents if p not in nodes]
    found += [(node.id, "influences", other) for other, _sign in node.influences if other not in nodes]
    if node.formula is not None:
        found += [(node.id, "formula", ref) for ref in dict.fromkeys(node.formula.refs) if ref not in nodes]
    found += [(node.id, "conflicts", other) for other in node.conflicts if other not in nodes]
    return found


class _Overlay(Mapping[str, T]):
    """Values computed now, else as the results hold them."""

    def __init__(self, results: Mapping[str, NodeResult], old: Callable[[NodeResult], T]) -> None:
        self.new: dict[str, T] = {}
        self.results = results
        self.old = old

    def __getitem__(self, key: str) -> T:
        if key in self.new:
            return self.new[key]
        return self.old(self.results[key])

    def __contains__(self, key: object) -> bool:
        return key in self.new or key in self.results

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self.results), **dict.fromkeys(self.new)})

    def __len__(self) -> int:
        return len(set(self.results) | set(self.new))


__all__ = ["Conflict", "Updated", "update"]
