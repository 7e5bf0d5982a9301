"""What the detail panel's chart draws for a node: its history, its pacing line, its target and its
forecast (SPEC 4.2, 4.6) — as data, so a test can check it against the analysis, not pixels."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kpitui.core.forecast import DEFAULT_STEP, LEVEL_STEPS
from kpitui.core.model import FREQUENCIES

if TYPE_CHECKING:
    from kpitui.core.analysis import Analysis

Series = tuple[tuple[date, float], ...]
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
    history = analysis.history(node_id)
    if period is not None:
        history = [(day, value) for day, value in history if period.start <= day <= period.end]
    history = [(day, value) for day, value in history if math.isfinite(value)]
    if len(history) < 2 or history[0][0] == history[-1][0]:
        return None
    forecast = result.forecast
    if period is None:
        start, end = history[0][0], analysis.as_of
    elif node.pacing == "linear":
        start, end = period.start, period.end
    else:
        step = FREQUENCIES[node.frequency] if node.frequency else DEFAULT_STEP
        horizon = forecast.day if forecast else analysis.as_of + timedelta(days=LEVEL_STEPS * step)
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
    )


def value_on(series: Series, day: date) -> float | None:
    """A series read as a line through its points, at `day`; None outside it."""
    for (d0, v0), (d1, v1) in itertools.pairwise(series):
        if d0 <= day <= d1:
            if d1 == d0:
                return v1
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return None
