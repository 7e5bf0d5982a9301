"""The least-squares line, trend and 80% prediction interval of docs/contract.md#forecast, checked by hand."""

from __future__ import annotations

import math

import pytest

from kpitui.common.trend import Sums, fit, fit_sums, plan_trend, t_quantile, trend, trend_word

# (0,1) (7,4) (14,5) (21,9): x̄ = 10.5, ȳ = 4.75, Sxx = 2·10.5² + 2·3.5² = 245,
# Sxy = 39.375 + 2.625 + 0.875 + 44.625 = 87.5, b = 87.5/245 = 5/14, a = 4.75 − 10.5·5/14 = 1.
# Residuals 0, 0.5, −1, 0.5: RSS = 1.5, s = sqrt(1.5/2).
POINTS = [(0.0, 1.0), (7.0, 4.0), (14.0, 5.0), (21.0, 9.0)]


def test_fit_of_points_is_the_least_squares_line() -> None:
    line = fit(POINTS)
    assert line is not None
    assert line.b == pytest.approx(5 / 14)
    assert line.a == pytest.approx(1.0)
    assert (line.n, line.x_mean, line.sxx) == (4, 10.5, 245.0)
    assert line.s == pytest.approx(math.sqrt(0.75))


def test_interval_at_28_days() -> None:
    line = fit(POINTS)
    assert line is not None
    value, low, high = line.interval(28.0)
    # half = t(0.90; 2) · s · sqrt(1 + 1/4 + 17.5²/245) = 1.885618 · 0.866025 · sqrt(2.5)
    half = 1.8856180831641267 * math.sqrt(0.75) * math.sqrt(2.5)
    assert value == pytest.approx(11.0)
    assert (low, high) == (pytest.approx(11.0 - half), pytest.approx(11.0 + half))
    assert half == pytest.approx(2.58199, abs=1e-5)


def test_sums_give_the_same_fit_as_points() -> None:
    a, b = fit(POINTS), fit_sums(Sums.of(POINTS), distinct_x=4)
    assert a is not None and b is not None
    assert (b.a, b.b, b.s, b.sxx) == (pytest.approx(a.a), pytest.approx(a.b), pytest.approx(a.s), pytest.approx(a.sxx))


def test_points_on_a_line_have_an_empty_interval() -> None:
    line = fit([(0, 1), (7, 3), (14, 5)])
    assert line is not None and line.s == 0.0
    assert line.interval(21.0) == (pytest.approx(7.0),) * 3


def test_too_few_points_or_one_date_give_no_fit() -> None:
    assert fit([(0, 1), (7, 2)]) is None
    assert fit([(3, 1), (3, 2), (3, 5)]) is None
    assert fit_sums(Sums.of([(3, 1), (3, 2), (3, 5)]), distinct_x=1) is None
    assert fit_sums(Sums.of([(0, 1), (7, 2)]), distinct_x=2) is None


@pytest.mark.parametrize(
    ("sign", "points", "expected"),
    [
        (1, [(0, 1), (1, 2), (2, 3)], "improving"),
        (-1, [(0, 1), (1, 2), (2, 3)], "worsening"),
        (1, [(0, 3), (1, 2), (2, 1)], "worsening"),
        (-1, [(0, 3), (1, 2), (2, 1)], "improving"),
        (1, [(0, 2), (1, 2), (2, 2)], "flat"),
    ],
)
def test_trend_follows_the_direction(sign: int, points: list[tuple[float, float]], expected: str) -> None:
    line = fit(points)
    assert line is not None
    assert trend(line, sign) == expected


@pytest.mark.parametrize(
    ("points", "target", "expected"),
    [
        # A level KPI moving 0.5 in 28 days against a target of 100: below 1% of it per 28 days, flat.
        ([(0, 50), (14, 50.25), (28, 50.5)], 100.0, "flat"),
        # 1.12 in 28 days: over 1 (1% of 100), so it counts.
        ([(0, 50), (14, 50.56), (28, 51.12)], 100.0, "improving"),
        ([(0, 51.12), (14, 50.56), (28, 50)], -100.0, "worsening"),  # |target|: the band of a negative one too
        ([(0, 50), (14, 50.25), (28, 50.5)], None, "improving"),  # no target: any slope counts
        ([(0, 50), (14, 50.25), (28, 50.5)], 0.0, "improving"),
    ],
)
def test_a_level_trend_below_one_percent_of_the_target_per_28_days_is_flat(
    points: list[tuple[float, float]], target: float | None, expected: str
) -> None:
    line = fit(points)
    assert line is not None
    assert trend(line, 1, target) == expected


@pytest.mark.parametrize(
    ("sign", "values", "target", "expected"),
    [
        # A budget (less is better) spent 1 a day, on days 0, 7, 14, 21 of 28, against 28: the plan
        # needs (28 − 21)/7 = 1 a day, which is what it spends — on pace, not "worsening".
        (-1, [0, 7, 14, 21], 28.0, "flat"),
        # The same budget spent 1.2 a day: 25.2 by day 21, the plan allows (28 − 25.2)/7 = 0.4 a day.
        (-1, [0, 8.4, 16.8, 25.2], 28.0, "worsening"),
        # Sales growing 2/7 a day, at 6 on day 21: the plan needs (28 − 6)/7 = 22/7 — growing, losing ground.
        (1, [0, 2, 4, 6], 28.0, "worsening"),
        # 8/7 a day against the (28 − 24)/7 = 4/7 still needed: gaining on the plan.
        (1, [0, 8, 16, 24], 28.0, "improving"),
    ],
)
def test_a_running_total_is_judged_against_the_pace_its_plan_needs(
    sign: int, values: list[float], target: float, expected: str
) -> None:
    line = fit(list(zip((0.0, 7.0, 14.0, 21.0), values, strict=True)))
    assert line is not None
    assert plan_trend(line, sign, target, 21.0, 7.0) == expected


def test_a_running_total_within_five_percent_of_its_needed_pace_is_on_pace() -> None:
    # 1 a day, at 21 on day 21; a target of 28.35 needs 1.05 a day: 5% more, not beyond 5%.
    line = fit([(0.0, 0.0), (7.0, 7.0), (14.0, 14.0), (21.0, 21.0)])
    assert line is not None
    assert plan_trend(line, 1, 28.3, 21.0, 7.0) == "flat"  # needs 1.0429: within 5%
    assert plan_trend(line, 1, 28.4, 21.0, 7.0) == "worsening"  # needs 1.0571: 5.4% short
    assert plan_trend(line, 1, 27.6, 21.0, 7.0) == "improving"  # needs 0.9429: 6.1% ahead


def test_with_no_days_left_the_plan_needs_nothing_more() -> None:
    line = fit([(0.0, 0.0), (7.0, 7.0), (14.0, 14.0)])
    assert line is not None
    assert plan_trend(line, 1, 100.0, 14.0, 0.0) == "improving"  # still growing: more than 0 needed
    assert plan_trend(line, -1, 100.0, 14.0, 0.0) == "worsening"  # a budget still spent after its end
    flat = fit([(0.0, 5.0), (7.0, 5.0), (14.0, 5.0)])
    assert flat is not None and plan_trend(flat, 1, 100.0, 14.0, 0.0) == "flat"


def test_trend_words_say_what_a_running_total_s_trend_means() -> None:
    assert [trend_word(t, "linear", 28.0) for t in ("improving", "worsening", "flat")] == [
        "gaining on the plan",
        "losing ground",
        "on pace",
    ]
    assert [trend_word(t, "level", 28.0) for t in ("improving", "worsening", "flat")] == [
        "improving",
        "worsening",
        "flat",
    ]
    assert trend_word("improving", "linear", None) == "improving"  # no target: no plan to gain on


@pytest.mark.parametrize(
    ("df", "expected"),
    # Published t(0.90) quantiles.
    [(1, 3.0777), (2, 1.8856), (3, 1.6377), (4, 1.5332), (5, 1.4759), (10, 1.3722), (30, 1.3104), (100, 1.2901)],
)
def test_t_quantile_matches_the_table(df: int, expected: float) -> None:
    assert t_quantile(0.90, df) == pytest.approx(expected, abs=1e-4)


def test_t_quantile_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        t_quantile(0.4, 3)
