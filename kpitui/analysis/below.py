"""What sits below each node: its KPIs, those that state a horizon, whether one is long.

Structural indexes the analysis keeps and the rules read (`too_many_kpis`, `short_term_only`,
`unmeasured_goal`): computed children before parents, without recursion, from the nodes and
the graph alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kpitui.analysis.graph import KpiGraph
from kpitui.model.domain import Node


@dataclass(frozen=True)
class Below:
    """For one goal: a few of its KPIs, which of them state a horizon, and whether one is long."""

    kpis: tuple[str, ...]  # KPIs below it, not looking past a goal below it; at most a limit + 1
    with_horizon: tuple[str, ...]  # KPIs anywhere below that state a horizon; at most 2 kept
    long: bool  # a KPI anywhere below is `long`


BelowMaps = tuple[dict[str, dict[str, None]], dict[str, dict[str, None]], dict[str, bool]]


def below_goals(nodes: Mapping[str, Node], graph: KpiGraph, max_kpis: int) -> dict[str, Below]:
    """For every goal outside a parent cycle, what sits below it (children before parents, no recursion).

    The sets are capped (a goal needs to know only whether it has more than `max_kpis` KPIs,
    and whether at least two state a horizon), so the work stays linear in the tree's size.
    """
    kpis, horizon, long = below_maps(nodes, graph, max_kpis)
    return {n: Below(tuple(kpis[n]), tuple(horizon[n]), long[n]) for n in kpis if nodes[n].kind == "goal"}


def below_maps(nodes: Mapping[str, Node], graph: KpiGraph, max_kpis: int) -> BelowMaps:
    """For every node outside a parent cycle: its KPIs (capped), KPIs stating a horizon (2 kept), any long."""
    maps: BelowMaps = ({}, {}, {})
    kpis, horizon, long = maps
    children_of = graph.children
    for node_id in reversed(graph.topological()):
        if children_of(node_id):
            below_step(nodes, graph, max_kpis, node_id, maps)
        else:  # nothing below a leaf (what below_step gives it, without the call)
            kpis[node_id], horizon[node_id], long[node_id] = {}, {}, False
    return maps


def below_step(nodes: Mapping[str, Node], graph: KpiGraph, max_kpis: int, node_id: str, maps: BelowMaps) -> None:
    """One node's entries of the below maps, from its children's (which must be there already)."""
    kpis, horizon, long = maps
    limit = max_kpis + 1
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


def kpi_below_map(nodes: Mapping[str, Node], graph: KpiGraph) -> dict[str, bool]:
    """For each node, whether a kpi sits anywhere below it."""
    below: dict[str, bool] = {}
    children_of = graph.children
    for node_id in reversed(graph.topological()):
        children = children_of(node_id)
        below[node_id] = bool(children) and any(nodes[c].kind == "kpi" or below.get(c, False) for c in children)
    for members in graph.cycles():
        # Every member of a cycle reaches the same nodes: search once per cycle.
        anywhere = any(nodes[d].kind == "kpi" for d in graph.descendants(members[0]))
        below.update(dict.fromkeys(members, anywhere))
    return below
