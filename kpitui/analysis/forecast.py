"""Forecasts (docs/contract.md#forecast): where a node's trend line is at its horizon, and what status that means."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from kpitui.analysis.status import elapsed, pace_at
from kpitui.common.trend import Fit, Sums, fit_sums, plan_trend, trend
from kpitui.model.domain import FREQUENCIES, Period, Thresholds, days_after, unchecked

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
    # improving, worsening or flat (for a linear KPI: gaining on the plan, losing ground, on
    # pace, see `trend_of`); None when combined from inputs
    trend: str | None = None
    line: Fit | None = None  # the node's own trend line, when it has one


def horizon(pacing: str, frequency: str | None, period: Period, as_of: date) -> date:
    """The forecast date: the period end (linear), or four steps after `as_of` but not past it (level)."""
    if pacing == "linear":
        return period.end
    step = FREQUENCIES[frequency] if frequency else DEFAULT_STEP
    return min(days_after(as_of, LEVEL_STEPS * step), period.end)


def trend_forecast(
    own: tuple[Sums, float, float],
    inline: tuple[date, float] | None,
    period: Period,
    as_of: date,
    node: tuple[str, str | None, int, float | None, float | None, Thresholds],
) -> Forecast | None:
    """The forecast of a node's trend line through its rows in its period, plus its inline actual
    where that is an observation; None without a line (fewer than 3 observations or 2 dates).

    Args:
        own: the sums of the measurement rows within the period and on or before `as_of`, and
            the smallest and largest x among them.
        inline: the inline actual and its `measured` date, if it has one.
        node: its pacing, frequency, sign, baseline, target and thresholds.
    """
    total, low, high = own
    if inline is not None and period.start <= inline[0] <= period.end and inline[0] <= as_of:
        n, sx, sy, sxx, sxy, syy, shift = total
        x, y = float((inline[0] - period.start).days), inline[1] - shift
        total = Sums(n + 1, sx + x, sy + y, sxx + x * x, sxy + x * y, syy + y * y, shift)
        low, high = min(low, x), max(high, x)
    line = fit_sums(total, 1 if low == high else 2)
    if line is None:
        return None
    pacing, frequency, sign, baseline, target, thresholds = node
    return from_line(
        line,
        pacing=pacing,
        frequency=frequency,
        sign=sign,
        baseline=baseline,
        target=target,
        period=period,
        as_of=as_of,
        thresholds=thresholds,
    )


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
    day = period.end if pacing == "linear" else horizon(pacing, frequency, period, as_of)
    value, low, high = line.interval(float((day - period.start).days))
    status = _status(pacing, sign, baseline, target, value, period, day, thresholds)
    moving = trend_of(line, pacing, sign, target, period, as_of)
    # Equal to Forecast(day, value, low, high, status, trend, line), made without the frozen
    # dataclass's checked assignments: a tree with measurements makes one for every KPI.
    return unchecked(Forecast, day=day, value=value, low=low, high=high, status=status, trend=moving, line=line)


def trend_of(line: Fit, pacing: str, sign: int, target: float | None, period: Period, as_of: date) -> str:
    """The trend of a node's line (docs/contract.md#forecast). A `level` KPI: its slope in its direction, flat
    below 1% of the target per 28 days. A `linear` KPI (a running total): its slope against the
    slope the plan needs from `as_of` to the period end — without a target, its slope in its
    direction as for level; with no days left, against a needed slope of 0."""
    if pacing != "linear" or target is None:
        return trend(line, sign, target)
    now = float((as_of - period.start).days)
    return plan_trend(line, sign, target, now, float((period.end - as_of).days))


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
    """The status (docs/contract.md#status) of `actual = value` at the horizon: f = 1 for linear at the period end."""
    gone = elapsed(period, day) if pacing == "linear" and period is not None else None
    return pace_at(pacing, sign, baseline, target, value, gone, thresholds).status


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
    as_of: date,
) -> Forecast:
    """The forecast with its value, interval and line moved by `delta`, its status and trend
    judged against `target`.

    A what-if that moves a node's actual now moves its trend line with it (the same pace
    from the new value on); one that changes its target only re-judges the forecast (and, for
    a running total, its trend: the pace the plan needs moves with the target and the value now).
    """
    line = forecast.line._replace(a=forecast.line.a + delta) if forecast.line is not None else None
    value = forecast.value + delta
    low = forecast.low + delta if forecast.low is not None else None
    high = forecast.high + delta if forecast.high is not None else None
    status = _status(pacing, sign, baseline, target, value, period, forecast.day, thresholds)
    moving = forecast.trend
    if line is not None and period is not None and moving is not None:
        moving = trend_of(line, pacing, sign, target, period, as_of)
    return Forecast(forecast.day, value, low, high, status, moving, line)
