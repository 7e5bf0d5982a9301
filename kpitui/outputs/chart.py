"""What the detail panel's chart draws for a node: its history, its pacing line, its target and its
forecast (docs/contract.md#status, #forecast) — as data, so a test can check it against the analysis, not pixels."""

from __future__ import annotations

import bisect
import itertools
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kpitui.analysis.forecast import DEFAULT_STEP, LEVEL_STEPS
from kpitui.analysis.values import ACTUAL
from kpitui.model.domain import FREQUENCIES, Period, days_after

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis

Series = tuple[tuple[date, float], ...]
MAX_INPUTS = 50  # a combined history is drawn for nodes that depend on at most this many nodes
BAND_STEPS = 8  # the 80% interval is a curve: drawn through this many pieces from as_of to the horizon


@dataclass(frozen=True)
class ChartData:
    """One node's chart. Dates are the x axis from `start` to `end`; every series is (date, value)."""

    start: date  # the left edge: the period start (or the first observation without a period)
    end: date  # the right edge: the horizon (the period end for linear pacing)
    as_of: date
    pacing: str  # linear: `pace` runs from the baseline to the target; level: `pace` is the target level
    points: Series  # the observations in the period, on or before as_of
    pace: Series  # where the node is expected to be on each date (empty without target or period)
    target: float | None
    forecast: Series  # the projection: from as_of to the horizon (empty without a forecast)
    low: Series  # the 80% prediction interval's edges on the same dates as `forecast` (empty for a
    high: Series  #   combined forecast, which has no interval)
    forecast_status: str | None
    combined: bool = False  # the history is the node's formula or rollup over its inputs' histories

    def values(self) -> list[float]:
        """Every value the chart shows, to fit its y axis."""
        found = [v for series in (self.points, self.pace, self.forecast, self.low, self.high) for _, v in series]
        if self.target is not None:
            found.append(self.target)
        return [v for v in found if math.isfinite(v)]


def chart_data(analysis: Analysis, node_id: str) -> ChartData | None:
    """The chart of a node with at least two observations in its period; None for other nodes."""
    node = analysis.tree.nodes[node_id]
    result = analysis.results[node_id]
    period = result.period
    history = in_period(analysis.history(node_id), period)
    combined = False
    if len(history) < 2 and analysis.values is not None and analysis.values.inputs.get(node_id):
        history, combined = in_period(combined_history(analysis, node_id), period), True
    if len(history) < 2 or history[0][0] == history[-1][0]:
        return None
    forecast = result.forecast
    if period is None:
        start, end = history[0][0], analysis.as_of
    elif node.pacing == "linear":
        start, end = period.start, period.end
    else:
        step = FREQUENCIES[node.frequency] if node.frequency else DEFAULT_STEP
        horizon = forecast.day if forecast else days_after(analysis.as_of, LEVEL_STEPS * step)
        start, end = period.start, max(min(horizon, period.end), history[-1][0])
    pace: Series = ()
    target = result.target
    if target is not None and period is not None:
        if node.pacing == "linear":
            pace = ((period.start, result.baseline or 0.0), (period.end, target))
        else:
            pace = ((start, target), (end, target))
    line: Series = ()
    low: Series = ()
    high: Series = ()
    if forecast is not None and forecast.day > analysis.as_of:
        begin = analysis.as_of
        if forecast.line is not None and period is not None:
            fit = forecast.line
            span = (forecast.day - begin).days
            days = sorted({begin + timedelta(days=round(span * i / BAND_STEPS)) for i in range(BAND_STEPS + 1)})
            edges = [fit.interval(float((day - period.start).days)) for day in days]
            line = tuple((day, value) for day, (value, _, _) in zip(days, edges, strict=True))
            if forecast.low is not None and forecast.high is not None and forecast.low != forecast.high:
                low = tuple((day, lo) for day, (_, lo, _) in zip(days, edges, strict=True))
                high = tuple((day, hi) for day, (_, _, hi) in zip(days, edges, strict=True))
        elif result.actual is not None:
            line = ((begin, result.actual), (forecast.day, forecast.value))
    return ChartData(
        start=start,
        end=end,
        as_of=analysis.as_of,
        pacing=node.pacing,
        points=tuple(history),
        pace=pace,
        target=target,
        forecast=line,
        low=low,
        high=high,
        forecast_status=forecast.status if forecast else None,
        combined=combined,
    )


def in_period(history: list[tuple[date, float]], period: Period | None) -> list[tuple[date, float]]:
    """The finite observations within the period (all of them without one)."""
    inside = [(d, v) for d, v in history if period is None or period.start <= d <= period.end]
    return [(d, v) for d, v in inside if math.isfinite(v)]


def combined_history(analysis: Analysis, node_id: str) -> list[tuple[date, float]]:
    """A formula or rollup node's value on each date one of its measured inputs changed, up to as_of.

    Each point is the node's value as the analysis at that date gives it: every node it depends on
    that has observations takes its newest one on or before the date, and the values graph
    recomputes the node from them (a what-if, without a full analysis per date). A date before
    every such input has an observation is left out: the node's value was unknown then.
    """
    values, layer = analysis.values, analysis.layers.get(ACTUAL)
    if values is None or layer is None:
        return []
    upstream = nearest_inputs(values.inputs, node_id, MAX_INPUTS + 1)
    if len(upstream) > MAX_INPUTS:  # a goal over a whole tree: a history query per node is too slow
        return []
    histories = {n: h for n in upstream if (h := analysis.history(n))}
    if not histories:
        return []
    days = sorted({day for history in histories.values() for day, _ in history})
    points: list[tuple[date, float]] = []
    for day in days:
        overrides: dict[str, float] = {}
        for source, history in histories.items():
            at = bisect.bisect_right(history, day, key=lambda obs: obs[0])
            if at == 0:
                break
            overrides[source] = history[at - 1][1]
        else:
            value = values.with_overrides(layer, overrides)[0].value(node_id)
            if value is not None:
                points.append((day, value))
    return points


def nearest_inputs(inputs: Mapping[str, tuple[str, ...]], node_id: str, limit: int) -> list[str]:
    """Up to `limit` of the nodes a node's value depends on, nearest first: the walk stops there,
    so the cursor on a goal above 100,000 nodes does not walk them all."""
    seen = {node_id}
    queue = deque([node_id])
    found: list[str] = []
    while queue and len(found) < limit:
        for source in inputs.get(queue.popleft(), ()):
            if source not in seen:
                seen.add(source)
                found.append(source)
                queue.append(source)
    return found[:limit]


def value_on(series: Series, day: date) -> float | None:
    """A series read as a line through its points, at `day`; None outside it."""
    for (d0, v0), (d1, v1) in itertools.pairwise(series):
        if d0 <= day <= d1:
            if d1 == d0:
                return v1
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return None
