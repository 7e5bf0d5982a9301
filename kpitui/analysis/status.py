"""The pacing formulas of docs/contract.md#status: expected value, attainment and status of one node."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from kpitui.model.domain import Period, Thresholds

STATUS_RANK: dict[str, int] = {"off_track": 0, "at_risk": 1, "on_track": 2}


class Pace(NamedTuple):
    """Where a node stands against the pace its target needs.

    A named tuple, not a frozen dataclass: the analysis makes one for nearly every node, and a
    tuple is made in a third of the time (immutable and compared by value all the same).
    """

    expected: float | None
    attainment: float | None
    status: str


UNKNOWN = Pace(None, None, "unknown")


def elapsed(period: Period, as_of: date) -> float:
    """The fraction of the period gone by at `as_of`, clamped to [0, 1]."""
    length = (period.end - period.start).days
    if length == 0:
        return 1.0 if as_of >= period.end else 0.0
    return min(1.0, max(0.0, (as_of - period.start).days / length))


def pace(
    *,
    pacing: str,
    sign: int,
    baseline: float | None,
    target: float | None,
    actual: float | None,
    period: Period | None,
    as_of: date,
    thresholds: Thresholds,
) -> Pace:
    """Expected value, attainment and status; `unknown` without target, actual (or period when linear)."""
    gone = elapsed(period, as_of) if pacing == "linear" and period is not None else None
    return pace_at(pacing, sign, baseline, target, actual, gone, thresholds)


def pace_at(
    pacing: str,
    sign: int,
    baseline: float | None,
    target: float | None,
    actual: float | None,
    gone: float | None,
    thresholds: Thresholds,
) -> Pace:
    """`pace` with positional arguments, and `gone` the `elapsed` fraction of the node's period
    (None without a period): what the analysis calls once for every node."""
    if target is None or actual is None:
        return UNKNOWN
    if pacing == "linear":
        if gone is None:
            return UNKNOWN
        base = baseline or 0.0
        expected = base + (target - base) * gone
        if expected == base:
            attainment = 1.0 if sign * (actual - base) >= 0 else 0.0
        else:
            # 1 + d·(actual − expected)/|expected − baseline|: behind is behind in both cases, also
            # for a cap that grows over the period (a budget: decrease, target above baseline).
            attainment = 1 + sign * (actual - expected) / abs(expected - base)
    else:
        expected = target
        scale = abs(target) or 1.0
        attainment = 1 - sign * (target - actual) / scale
    # Pace(expected, attainment, status), without the call of its Python-level __new__.
    return tuple.__new__(Pace, (expected, attainment, classify(attainment, thresholds)))


def classify(attainment: float, thresholds: Thresholds) -> str:
    """on_track, at_risk or off_track for an attainment."""
    if attainment >= thresholds.on_track:
        return "on_track"
    if attainment >= thresholds.at_risk:
        return "at_risk"
    return "off_track"


def worst(statuses: list[str]) -> str:
    """The worst known status (off_track, then at_risk, then on_track); unknown if none is known."""
    known = [s for s in statuses if s in STATUS_RANK]
    return min(known, key=STATUS_RANK.__getitem__) if known else "unknown"


def aggregate(how: str, values: list[float], weights: list[float] | None = None) -> float:
    """Combine children's values by a rollup rule: sum, mean (weighted by `weights`), min or max.

    Args:
        how: sum, mean, min or max.
        values: the children's values, at least one.
        weights: each child's `weight` (all 1 when None); only `mean` uses them.
    """
    if how == "sum":
        return sum(values)
    if how == "mean":
        if weights is None:
            return sum(values) / len(values)
        return sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)
    return min(values) if how == "min" else max(values)
