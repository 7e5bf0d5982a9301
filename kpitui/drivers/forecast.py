"""What-if forecasts (docs/contract.md#forecast): which forecasts a scenario moves, recomputed through the value graph.

A node whose actual the scenario moves keeps its pace: where it has a forecast of its own
(its trend line) or is set by hand, the forecast moves by as much as the actual does. A
rollup or formula node without a trend line of its own combines its inputs' forecasts
again, as the plain analysis does, in dependency order. A changed target re-judges the
forecast's status. Only nodes downstream of a change are visited.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from functools import partial

from kpitui.analysis.forecast import Forecast, combined, moved
from kpitui.analysis.results import Analysis, NodeResult, combine_forecasts, thresholds_of
from kpitui.analysis.values import ACTUAL, WHATIF, Layer


def scenario_forecasts(
    base: Analysis, kind: str, layer: Layer, changed: set[str], results: dict[str, NodeResult]
) -> set[str]:
    """Recompute, in `results`, the forecasts a scenario changes.

    Args:
        base: the plain analysis.
        kind: the layer the scenario replaced values of (actual or target).
        layer: the scenario's layer of that kind.
        changed: nodes whose value of that kind changed.
        results: the scenario's results (actuals and targets already updated); changed in place.

    Returns:
        The nodes whose forecast (value or status) changed.
    """
    values = base.values
    if values is None:
        return set()
    nodes, tree_thresholds = base.tree.nodes, base.tree.settings.thresholds
    rank = values.rank
    heap = [(rank[n], n) for n in changed if n in rank]
    heapq.heapify(heap)
    queued = {n for _, n in heap}
    found: set[str] = set()
    while heap:
        _, node_id = heapq.heappop(heap)
        node, result, old = nodes[node_id], results[node_id], base.results[node_id]
        thresholds = thresholds_of(node, tree_thresholds)
        forecast = result.forecast
        by_hand = kind == ACTUAL and node_id in layer.own and layer.own[node_id].source == WHATIF
        own_line = old.forecast is not None and old.forecast.line is not None
        feeds = values.inputs[node_id]
        if old.forecast is not None and (by_hand or own_line or not feeds or node_id in values.cyclic):
            delta = 0.0
            if kind == ACTUAL and old.actual is not None and result.actual is not None:
                delta = result.actual - old.actual
            forecast = moved(
                old.forecast,
                delta,
                pacing=node.pacing,
                sign=node.sign,
                baseline=node.effective_baseline,
                target=result.target,
                period=result.period,
                thresholds=thresholds,
                as_of=base.as_of,
            )
        elif feeds and node_id not in values.cyclic and not own_line:
            inputs: Mapping[str, Forecast | None] = {f: results[f].forecast for f in feeds}
            forecast = combined(
                inputs,
                partial(combine_forecasts, node, nodes, feeds),
                pacing=node.pacing,
                sign=node.sign,
                baseline=node.effective_baseline,
                target=result.target,
                period=result.period,
                thresholds=thresholds,
            )
        if forecast is not None and not all(
            v is None or math.isfinite(v) for v in (forecast.value, forecast.low, forecast.high)
        ):
            forecast = None  # beyond a float's range (a driver at 1e308): no forecast, as no actual
        if forecast == result.forecast:
            continue
        results[node_id] = result._replace(forecast=forecast)
        found.add(node_id)
        for dependent in values.dependents[node_id]:
            if dependent not in queued:
                queued.add(dependent)
                heapq.heappush(heap, (rank[dependent], dependent))
    return found
