"""Least-squares trend lines and their 80% prediction intervals (docs/contract.md#forecast), in plain math.

Works from points or from additive sums (n, Σx, Σy, Σxx, Σxy, Σyy), so a measurements
engine can compute the sums in bulk and hand them over. No numpy or scipy: the Student t
quantile comes from the regularized incomplete beta function.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import NamedTuple

# Below this share of the total variation, residuals are rounding noise: every point is on the line.
_EXACT = 1e-12
# A level KPI's slope below this share of its target's size per FLAT_DAYS days counts as none.
FLAT_SHARE = 0.01
FLAT_DAYS = 28
# A running total whose slope is within this share of the slope its plan needs is on pace.
PLAN_MARGIN = 0.05


class Sums(NamedTuple):
    """Additive sums of observations (x, y): enough to fit a line and its interval.

    A named tuple rather than a frozen dataclass: a tree with measurements makes one per node,
    and a tuple is built in a fraction of the time.
    """

    n: int = 0
    sx: float = 0.0
    sy: float = 0.0
    sxx: float = 0.0
    sxy: float = 0.0
    syy: float = 0.0
    # The y values were summed less this: one of them, so that a series far from zero with
    # little variation (a level KPI around 1e9) keeps its variation in the sums of squares,
    # which raw sums lose to rounding (see measurements._rounded_away).
    shift: float = 0.0

    @classmethod
    def of(cls, points: Iterable[tuple[float, float]]) -> Sums:
        """The sums of some points."""
        total = cls()
        for x, y in points:
            total = total.plus(x, y)
        return total

    def plus(self, x: float, y: float) -> Sums:
        """These sums with one more observation."""
        y -= self.shift
        return Sums(
            self.n + 1, self.sx + x, self.sy + y, self.sxx + x * x, self.sxy + x * y, self.syy + y * y, self.shift
        )


class Fit(NamedTuple):
    """The line `value = a + b·x` through n observations, with what its interval needs.

    A named tuple, as `Sums`: one is made for every node with a trend.
    """

    a: float
    b: float
    n: int
    x_mean: float
    sxx: float  # Σ(x − x̄)²
    s: float  # residual standard error, sqrt(Σ residual² / (n − 2))

    def at(self, x: float) -> float:
        """The line's value at x."""
        return self.a + self.b * x

    def interval(self, x: float, level: float = 0.80) -> tuple[float, float, float]:
        """(value, low, high) at x: the two-sided prediction interval at `level`.

        `forecast ∓ t((1 + level)/2; n−2) · s · sqrt(1 + 1/n + (x − x̄)²/Sxx)`.
        """
        value = self.at(x)
        if self.s == 0.0:
            return value, value, value
        half = t_quantile((1 + level) / 2, self.n - 2) * self.s
        half *= math.sqrt(1 + 1 / self.n + (x - self.x_mean) ** 2 / self.sxx)
        return value, value - half, value + half


def fit(points: Iterable[tuple[float, float]]) -> Fit | None:
    """The least-squares line through the points; None with fewer than 3 or one distinct x."""
    pts = list(points)
    n = len(pts)
    if n < 3:
        return None
    x_mean = math.fsum(x for x, _ in pts) / n
    y_mean = math.fsum(y for _, y in pts) / n
    sxx = math.fsum((x - x_mean) ** 2 for x, _ in pts)
    if sxx == 0.0:
        return None
    sxy = math.fsum((x - x_mean) * (y - y_mean) for x, y in pts)
    b = sxy / sxx
    a = y_mean - b * x_mean
    syy = math.fsum((y - y_mean) ** 2 for _, y in pts)
    rss = math.fsum((y - (a + b * x)) ** 2 for x, y in pts)
    return Fit(a, b, n, x_mean, sxx, _residual_error(rss, syy, n))


def fit_sums(sums: Sums, distinct_x: int) -> Fit | None:
    """The least-squares line from additive sums; None with fewer than 3 points or 2 distinct x."""
    n = sums.n
    if n < 3 or distinct_x < 2:
        return None
    x_mean, y_mean = sums.sx / n, sums.sy / n
    sxx = sums.sxx - sums.sx * x_mean
    if sxx <= 0.0:
        return None
    sxy = sums.sxy - sums.sx * y_mean
    syy = sums.syy - sums.sy * y_mean
    b = sxy / sxx
    a = y_mean - b * x_mean + sums.shift
    rss = syy - b * sxy
    return Fit(a, b, n, x_mean, sxx, _residual_error(rss, syy, n))


def _residual_error(rss: float, syy: float, n: int) -> float:
    if rss <= _EXACT * max(syy, 0.0) or rss <= 0.0:
        return 0.0
    return math.sqrt(rss / (n - 2))


def trend(line: Fit, sign: int, target: float | None = None) -> str:
    """A level KPI's trend (docs/contract.md#forecast): `improving` when the slope goes the KPI's way (sign +1:
    more is better), `worsening` against it, `flat` when it moves less than 1% of the target per
    28 days (without a target: only when it does not move at all)."""
    still = FLAT_SHARE * abs(target) / FLAT_DAYS if target is not None else 0.0
    if abs(line.b) < still:
        return "flat"
    moving = sign * line.b
    if moving > 0:
        return "improving"
    return "worsening" if moving < 0 else "flat"


# What a trend value says: of a level KPI, of a running total (linear: against its plan).
LEVEL_WORDS = {"improving": "improving", "worsening": "worsening", "flat": "flat"}
PLAN_WORDS = {"improving": "gaining on the plan", "worsening": "losing ground", "flat": "on pace"}


def trend_word(value: str, pacing: str, target: float | None) -> str:
    """A trend in words: `gaining on the plan` for an improving running total with a target,
    `improving` for a level KPI (and a running total without a target: no plan to gain on)."""
    return (PLAN_WORDS if pacing == "linear" and target is not None else LEVEL_WORDS)[value]


def plan_trend(line: Fit, sign: int, target: float, now: float, days_left: float) -> str:
    """A running total's trend (docs/contract.md#forecast), against the slope its plan needs from `now` on:
    `r = (target − the line's value at now) / days_left` (0 with no days left). `improving`
    (gaining on the plan) when `sign·(b − r)` exceeds 5% of |r|, `worsening` (losing ground)
    below −5% of it, else `flat` (on pace). Growing is not improving by itself."""
    needed = (target - line.at(now)) / days_left if days_left > 0 else 0.0
    gain = sign * (line.b - needed)
    margin = PLAN_MARGIN * abs(needed)
    if gain > margin:
        return "improving"
    return "worsening" if gain < -margin else "flat"


@functools.lru_cache(maxsize=1024)
def t_quantile(p: float, df: int) -> float:
    """The p-quantile (0.5 < p < 1) of Student's t distribution with df ≥ 1 degrees of freedom.

    Cached: a tree asks for the same few (p, df) pairs thousands of times, and each answer
    costs some fifty evaluations of the incomplete beta function.
    """
    if not 0.5 < p < 1 or df < 1:
        raise ValueError(f"t_quantile needs 0.5 < p < 1 and df ≥ 1, not p={p}, df={df}")
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    # Upper tail 1 − p = ½·I_{df/(df+t²)}(df/2, ½), decreasing in t: bisect.
    tail = 1 - p
    low, high = 0.0, 1.0
    while _upper_tail(high, df) > tail:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if _upper_tail(mid, df) > tail:
            low = mid
        else:
            high = mid
        if high - low < 1e-13 * high:
            break
    return (low + high) / 2


def _upper_tail(t: float, df: int) -> float:
    """P(T > t) for t ≥ 0."""
    return 0.5 * _incomplete_beta(df / 2, 0.5, df / (df + t * t))


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz's method)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):  # the fraction converges fast only below this point: use the symmetry
        return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b
    return front * _beta_fraction(a, b, x) / a


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result
