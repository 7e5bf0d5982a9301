"""Forecasts (SPEC 4.6): where a node's trend line is at its horizon, and what status that means."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from kpitui.core.model import FREQUENCIES, Period, Thresholds
from kpitui.core.status import pace
from kpitui.core.trend import Fit, Sums, fit_sums, trend

LEVEL_STEPS = 4  # a level KPI is forecast this many measurement steps ahead
DEFAULT_STEP = 7  # days in a step when the node has no frequency


@dataclass(frozen=True)
class Forecast:
    """A node's forecast at its horizon; `low`/`high` are None for a combined (rollup) forecast."""

    day: date
    value: float
    low: float | None
    high: float | None
    status: str
    trend: str | None = None  # improving, worsening or flat; None when combined from inputs
    line: Fit | None = None  # the node's own trend line, when it has one


def horizon(pacing: str, frequency: str | None, period: Period, as_of: date) -> date:
    """The forecast date: the period end (linear), or four steps after `as_of` but not past it (level)."""
    if pacing == "linear":
        return period.end
    step = FREQUENCIES[frequency] if frequency else DEFAULT_STEP
    return min(as_of + timedelta(days=LEVEL_STEPS * step), period.end)


def own_line(
    sums: Sums | None,
    x_range: tuple[float, float] | None,
    inline: tuple[date, float] | None,
    period: Period,
    as_of: date,
) -> Fit | None:
    """The trend line through a node's rows in its period, plus its inline actual where that is an observation.

    Args:
        sums: the sums of the measurement rows within the period and on or before `as_of`.
        x_range: the smallest and largest x among those rows.
        inline: the inline actual and its `measured` date, if it has one.
    """
    counted = inline is not None and period.start <= inline[0] <= min(period.end, as_of)
    if (sums.n if sums is not None else 0) + counted < 3:
        return None  # too few observations for a line: nothing more to add up (most nodes of a tree)
    total = sums or Sums()
    low, high = x_range if x_range else (None, None)
    if counted:
        assert inline is not None
        x = float((inline[0] - period.start).days)
        total = total.plus(x, inline[1])
        low = x if low is None else min(low, x)
        high = x if high is None else max(high, x)
    distinct = 0 if low is None else (1 if low == high else 2)
    return fit_sums(total, distinct)


def from_line(
    line: Fit,
    *,
    pacing: str,
    frequency: str | None,
    sign: int,
    baseline: float | None,
    target: float | None,
    period: Period,
    as_of: date,
    thresholds: Thresholds,
) -> Forecast:
    """The forecast of a node with its own trend line."""
    day = horizon(pacing, frequency, period, as_of)
    value, low, high = line.interval(float((day - period.start).days))
    status = _status(pacing, sign, baseline, target, value, period, day, thresholds)
    return Forecast(day, value, low, high, status, trend(line, sign), line)


def combined(
    inputs: Mapping[str, Forecast | None],
    compute: Callable[[Mapping[str, float]], float | None],
    *,
    pacing: str,
    sign: int,
    baseline: float | None,
    target: float | None,
    period: Period | None,
    thresholds: Thresholds,
) -> Forecast | None:
    """A rollup or formula node's forecast: `compute` applied to its inputs' forecast values.

    None unless every input has a forecast and all share one date, or when `compute` gives None.
    """
    known = {k: f for k, f in inputs.items() if f is not None}
    if not inputs or len(known) != len(inputs) or len({f.day for f in known.values()}) != 1:
        return None
    value = compute({k: f.value for k, f in known.items()})
    if value is None:
        return None
    day = next(iter(known.values())).day
    status = _status(pacing, sign, baseline, target, value, period, day, thresholds)
    return Forecast(day, value, None, None, status)


def _status(
    pacing: str,
    sign: int,
    baseline: float | None,
    target: float | None,
    value: float,
    period: Period | None,
    day: date,
    thresholds: Thresholds,
) -> str:
    """The status (SPEC 4.2) of `actual = value` at the horizon: f = 1 for linear at the period end."""
    return pace(
        pacing=pacing,
        sign=sign,
        baseline=baseline,
        target=target,
        actual=value,
        period=period,
        as_of=day,
        thresholds=thresholds,
    ).status


def moved(
    forecast: Forecast,
    delta: float,
    *,
    pacing: str,
    sign: int,
    baseline: float | None,
    target: float | None,
    period: Period | None,
    thresholds: Thresholds,
) -> Forecast:
    """The forecast with its value, interval and line moved by `delta`, its status judged against `target`.

    A what-if that moves a node's actual now moves its trend line with it (the same pace
    from the new value on); one that changes its target only re-judges the forecast.
    """
    line = forecast.line._replace(a=forecast.line.a + delta) if forecast.line is not None else None
    value = forecast.value + delta
    low = forecast.low + delta if forecast.low is not None else None
    high = forecast.high + delta if forecast.high is not None else None
    status = _status(pacing, sign, baseline, target, value, period, forecast.day, thresholds)
    return Forecast(forecast.day, value, low, high, status, forecast.trend, line)
