"""Trend and forecast (docs/contract.md#forecast) through the whole analysis, on histories computed by hand."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from kpitui.analysis.results import Analysis
from kpitui.common.trend import Sums
from kpitui.engine import analyze
from kpitui.io.loader import load_tree
from kpitui.io.measurements import Measurements, WindowSums, load_measurements

Write = Callable[..., Path]

# t(0.90; 1) = tan(π·0.4) = 3.0776835;  t(0.90; 2) = 0.8 / sqrt(2·0.9·0.1) = 0.8 / sqrt(0.18) = 1.8856181
T1 = math.tan(math.pi * 0.4)
T2 = 0.8 / math.sqrt(0.18)


def tree(write_tree: Write, tmp_path: Path, rows: str, nodes: str, as_of: str, period: str) -> Analysis:
    (tmp_path / "m.csv").write_text("node,date,value,note\n" + rows)
    path = write_tree(
        f"""
[tree]
as_of = {as_of}
period = {{ start = {period.split()[0]}, end = {period.split()[1]} }}
measurements = "m.csv"
[nodes.g]
name = "Goal"
kind = "goal"
{nodes}
"""
    )
    return analyze(load_tree(path))


# Linear, increase: days 0, 7, 14, 21 of a 28-day period with totals 1, 4, 5, 9.
# x̄ = 10.5, ȳ = 4.75, Sxx = 10.5² + 3.5² + 3.5² + 10.5² = 245,
# Sxy = (−10.5)(−3.75) + (−3.5)(−0.75) + (3.5)(0.25) + (10.5)(4.25) = 39.375 + 2.625 + 0.875 + 44.625 = 87.5,
# b = 87.5 / 245 = 5/14, a = 4.75 − 10.5·5/14 = 1. Residuals 0, 0.5, −1, 0.5: RSS = 1.5, s = sqrt(1.5/2).
# Horizon (linear) = period end 2026-01-29, X = 28: forecast = 1 + 28·5/14 = 11.
# half = t(0.90; 2) · s · sqrt(1 + 1/4 + (28 − 10.5)²/245) = 1.8856181 · 0.8660254 · sqrt(2.5) = 2.5819889.
LINEAR_ROWS = "k,2026-01-01,1,\nk,2026-01-08,4,\nk,2026-01-15,5,\nk,2026-01-22,9,\n"
LINEAR_HALF = T2 * math.sqrt(0.75) * math.sqrt(2.5)
LINEAR = """
[nodes.k]
name = "Sales"
parent = "g"
pacing = "linear"
target = 13
"""


def test_linear_increasing_forecast_with_its_interval(write_tree: Write, tmp_path: Path) -> None:
    an = tree(write_tree, tmp_path, LINEAR_ROWS, LINEAR, "2026-01-22", "2026-01-01 2026-01-29")
    f = an.results["k"].forecast
    assert f is not None
    # It grows (b = 5/14 a day), but the plan needs (13 − 8.5)/7 = 9/14 a day from the line's 8.5
    # on day 21: a running total that grows is losing ground when it grows too slowly.
    assert f.trend == "worsening"
    assert f.day == date(2026, 1, 29)
    assert f.value == pytest.approx(11.0)
    assert round(LINEAR_HALF, 7) == 2.5819889
    assert (f.low, f.high) == (pytest.approx(11 - LINEAR_HALF), pytest.approx(11 + LINEAR_HALF))
    # Status at the horizon: f = 1, expected = 13, attainment = 11/13 = 0.846 < 0.85: off track.
    assert f.status == "off_track"
    # Today: f = 21/28 = 0.75, expected 9.75, actual 9: attainment 0.923, at risk — so it looks fine but will miss.
    assert an.results["k"].status == "at_risk"
    miss = [x for x in an.findings if x.code == "forecast_miss"]
    assert [x.node for x in miss] == ["k"] and miss[0].severity == "warning"
    assert "reaches 11 (80%: 8.42–13.6) by 2026-01-29, against a target of 13" in miss[0].message


def trend_of(
    write_tree: Write, tmp_path: Path, values: list[float], fields: str, as_of: str = "2026-01-22"
) -> tuple[str | None, str]:
    """(trend, status) of a linear KPI measured on days 0, 7, 14, 21 of a 28-day period."""
    days = ("2026-01-01", "2026-01-08", "2026-01-15", "2026-01-22")
    rows = "".join(f"k,{day},{value},\n" for day, value in zip(days, values, strict=True))
    nodes = f'[nodes.k]\nname = "K"\nparent = "g"\npacing = "linear"\n{fields}'
    an = tree(write_tree, tmp_path, rows, nodes, as_of, "2026-01-01 2026-01-29")
    return an.results["k"].trend, an.results["k"].status


def test_a_budget_spent_on_pace_is_on_pace_not_worsening(write_tree: Write, tmp_path: Path) -> None:
    # A cap of 28 spent 1 a day: 21 by day 21, as the plan needs (28 − 21)/7 = 1 a day from here.
    budget = 'direction = "decrease"\ntarget = 28\n'
    assert trend_of(write_tree, tmp_path, [0, 7, 14, 21], budget) == ("flat", "on_track")
    # Spent 1.2 a day, 25.2 by day 21: only (28 − 25.2)/7 = 0.4 a day is left — losing ground.
    assert trend_of(write_tree, tmp_path, [0, 8.4, 16.8, 25.2], budget) == ("worsening", "off_track")


def test_a_running_total_behind_its_plan_is_losing_ground_while_it_grows(write_tree: Write, tmp_path: Path) -> None:
    # Sales 2/7 a day, 6 by day 21 of 28 against 28: off track, and the plan needs 22/7 a day.
    assert trend_of(write_tree, tmp_path, [0, 2, 4, 6], "target = 28\n") == ("worsening", "off_track")
    # 8/7 a day, 24 by day 21: 4/7 a day is needed, it makes twice that.
    assert trend_of(write_tree, tmp_path, [0, 8, 16, 24], "target = 28\n") == ("improving", "on_track")


def test_a_running_total_without_a_target_or_days_left(write_tree: Write, tmp_path: Path) -> None:
    # No target: no plan to compare with, so the slope in its direction, as for a level KPI.
    assert trend_of(write_tree, tmp_path, [0, 2, 4, 6], "") == ("improving", "unknown")
    assert trend_of(write_tree, tmp_path, [0, 2, 4, 6], 'direction = "decrease"\n')[0] == "worsening"
    # On the period's last day nothing more is needed: still growing gains, a budget still spent loses.
    end = "2026-01-29"
    assert trend_of(write_tree, tmp_path, [0, 2, 4, 6], "target = 28\n", end)[0] == "improving"
    budget = 'direction = "decrease"\ntarget = 28\n'
    assert trend_of(write_tree, tmp_path, [0, 7, 14, 21], budget, end)[0] == "worsening"


def test_rows_outside_the_period_or_after_as_of_are_ignored(write_tree: Write, tmp_path: Path) -> None:
    # Before the period start, after as_of (within the period) and after the period end: none counts.
    rows = LINEAR_ROWS + "k,2025-12-25,100,\nk,2026-01-25,50,\nk,2026-02-10,70,\n"
    an = tree(write_tree, tmp_path, rows, LINEAR, "2026-01-22", "2026-01-01 2026-01-29")
    f = an.results["k"].forecast
    assert f is not None and f.line is not None and f.line.n == 4
    assert (f.value, f.low, f.high) == (
        pytest.approx(11.0),
        pytest.approx(11 - LINEAR_HALF),
        pytest.approx(11 + LINEAR_HALF),
    )


def test_level_decreasing_improving_four_weeks_ahead(write_tree: Write, tmp_path: Path) -> None:
    # Cost per order (less is better), level, weekly: days 0, 7, 14 at 10, 8, 7.
    # x̄ = 7, ȳ = 25/3, Sxx = 49 + 0 + 49 = 98, Sxy = (−7)(5/3) + 0 + 7(−4/3) = −21, b = −21/98 = −3/14,
    # a = 25/3 + 7·3/14 = 59/6. Residuals 1/6, −1/3, 1/6: RSS = 1/36 + 4/36 + 1/36 = 1/6, s = sqrt(1/6) (n − 2 = 1).
    # Horizon: as_of 2026-01-15 + 4·7 days = 2026-02-12, X = 42: forecast = 59/6 − 42·3/14 = 59/6 − 9 = 5/6.
    # half = t(0.90; 1) · sqrt(1/6) · sqrt(1 + 1/3 + 35²/98) = 3.0776835 · 0.4082483 · 3.7193189 = 4.6731719.
    rows = "c,2026-01-01,10,\nc,2026-01-08,8,\nc,2026-01-15,7,\n"
    nodes = '[nodes.c]\nname = "Cost"\nparent = "g"\ndirection = "decrease"\nfrequency = "weekly"\ntarget = 5\n'
    an = tree(write_tree, tmp_path, rows, nodes, "2026-01-15", "2026-01-01 2026-12-31")
    f = an.results["c"].forecast
    assert f is not None
    half = T1 * math.sqrt(1 / 6) * math.sqrt(1 + 1 / 3 + 35**2 / 98)
    assert round(half, 7) == 4.6731719
    assert (f.trend, f.day) == ("improving", date(2026, 2, 12))
    assert (f.value, f.low, f.high) == (pytest.approx(5 / 6), pytest.approx(5 / 6 - half), pytest.approx(5 / 6 + half))
    # attainment = 1 − d·(target − forecast)/|target| = 1 + (5 − 5/6)/5 = 1.83: on track.
    assert f.status == "on_track"


def test_level_increasing_worsening_stops_at_the_period_end(write_tree: Write, tmp_path: Path) -> None:
    # Conversion 3.0, 2.8, 2.6, 2.4 on days 0, 7, 14, 21: exactly on the line b = −0.2/7, so s = 0 and the
    # interval is the forecast itself. Monthly: as_of + 4·31 days is past the period end 2026-03-31 (X = 89),
    # so the horizon is the period end: forecast = 3.0 − 89·0.2/7 = 0.4571429.
    rows = "r,2026-01-01,3.0,\nr,2026-01-08,2.8,\nr,2026-01-15,2.6,\nr,2026-01-22,2.4,\n"
    nodes = '[nodes.r]\nname = "Conversion"\nparent = "g"\nfrequency = "monthly"\nunit = "%"\ntarget = 3\n'
    an = tree(write_tree, tmp_path, rows, nodes, "2026-01-22", "2026-01-01 2026-03-31")
    f = an.results["r"].forecast
    assert f is not None
    assert (f.trend, f.day) == ("worsening", date(2026, 3, 31))
    assert f.value == pytest.approx(3.0 - 89 * 0.2 / 7)
    assert (f.low, f.high) == (f.value, f.value)
    # attainment = 1 − (3 − 0.457)/3 = 0.152: off track — but it is off track today too (2.4/3 = 0.8): no miss.
    assert f.status == "off_track"
    assert "forecast_miss" not in [x.code for x in an.findings]


def test_flat_series_is_flat_with_an_empty_interval(write_tree: Write, tmp_path: Path) -> None:
    rows = "r,2026-01-01,5,\nr,2026-01-08,5,\nr,2026-01-15,5,\n"
    nodes = '[nodes.r]\nname = "Rate"\nparent = "g"\ntarget = 5\n'
    an = tree(write_tree, tmp_path, rows, nodes, "2026-01-15", "2026-01-01 2026-12-31")
    f = an.results["r"].forecast
    assert f is not None
    # No frequency: a step is 7 days, horizon 2026-01-15 + 28 = 2026-02-12.
    assert (f.trend, f.day, f.value, f.low, f.high, f.status) == ("flat", date(2026, 2, 12), 5.0, 5.0, 5.0, "on_track")


def test_two_observations_give_no_trend(write_tree: Write, tmp_path: Path) -> None:
    rows = "k,2026-01-01,1,\nk,2026-01-08,4,\n"
    an = tree(write_tree, tmp_path, rows, LINEAR, "2026-01-22", "2026-01-01 2026-01-29")
    assert an.results["k"].forecast is None and an.results["k"].trend is None


def test_three_rows_on_one_date_give_no_trend(write_tree: Write, tmp_path: Path) -> None:
    rows = "k,2026-01-08,1,\nk,2026-01-08,4,\nk,2026-01-08,5,\n"
    an = tree(write_tree, tmp_path, rows, LINEAR, "2026-01-22", "2026-01-01 2026-01-29")
    assert an.results["k"].forecast is None


def test_the_dated_inline_actual_is_an_observation(write_tree: Write, tmp_path: Path) -> None:
    # Rows on days 0, 7, 14 and the inline actual 9 measured on day 21: the same four points as LINEAR_ROWS.
    rows = "k,2026-01-01,1,\nk,2026-01-08,4,\nk,2026-01-15,5,\n"
    nodes = LINEAR + "actual = 9\nmeasured = 2026-01-22\n"
    an = tree(write_tree, tmp_path, rows, nodes, "2026-01-22", "2026-01-01 2026-01-29")
    f = an.results["k"].forecast
    assert f is not None and f.line is not None and f.line.n == 4
    assert (f.value, f.high) == (pytest.approx(11.0), pytest.approx(11 + LINEAR_HALF))


ROLLUP = """
[nodes.total]
name = "Total"
parent = "g"
pacing = "linear"
rollup = "sum"
target = 25
[nodes.k]
name = "Sales A"
parent = "total"
pacing = "linear"
target = 13
[nodes.b]
name = "Sales B"
parent = "total"
pacing = "linear"
target = 12
"""


def test_a_sum_rollup_adds_its_childrens_forecasts(write_tree: Write, tmp_path: Path) -> None:
    # k forecasts 11 at 2026-01-29 (above). b: 0, 2, 4 on days 0, 7, 14 — exactly b = 2/7, so 28·2/7 = 8.
    # total = 11 + 8 = 19, no interval; attainment at the period end 19/25 = 0.76: off track.
    rows = LINEAR_ROWS + "b,2026-01-01,0,\nb,2026-01-08,2,\nb,2026-01-15,4,\n"
    an = tree(write_tree, tmp_path, rows, ROLLUP, "2026-01-22", "2026-01-01 2026-01-29")
    f = an.results["total"].forecast
    assert f is not None
    assert (f.day, f.value, f.low, f.high, f.trend, f.status) == (
        date(2026, 1, 29),
        pytest.approx(19.0),
        None,
        None,
        None,
        "off_track",
    )


def test_a_rollup_needs_every_child_forecast_on_one_date(write_tree: Write, tmp_path: Path) -> None:
    # b has only two rows: no forecast, so the total has none either.
    rows = LINEAR_ROWS + "b,2026-01-01,0,\nb,2026-01-08,2,\n"
    an = tree(write_tree, tmp_path, rows, ROLLUP, "2026-01-22", "2026-01-01 2026-01-29")
    assert an.results["total"].forecast is None
    # With b paced as a level, its horizon is 4 weeks after as_of (2026-02-12), k's the period end: no common date.
    nodes = ROLLUP.replace('parent = "total"\npacing = "linear"\ntarget = 12', 'parent = "total"\ntarget = 12')
    rows = LINEAR_ROWS + "b,2026-01-01,0,\nb,2026-01-08,2,\nb,2026-01-15,4,\n"
    an = tree(write_tree, tmp_path, rows, nodes, "2026-01-15", "2026-01-01 2026-12-31")
    assert an.results["k"].forecast is not None and an.results["b"].forecast is not None
    assert an.results["k"].forecast.day != an.results["b"].forecast.day
    assert an.results["total"].forecast is None


def test_a_mean_rollup_of_level_forecasts(write_tree: Write, tmp_path: Path) -> None:
    # Two level KPIs on exact lines, same frequency, so the same horizon 2026-01-15 + 28 = 2026-02-12 (X = 42):
    # p: 1, 2, 3 on days 0, 7, 14 → 1 + 42/7 = 7;  q: 5, 5, 5 → 5.  mean = 6; target 6 level: attainment 1.
    rows = "p,2026-01-01,1,\np,2026-01-08,2,\np,2026-01-15,3,\nq,2026-01-01,5,\nq,2026-01-08,5,\nq,2026-01-15,5,\n"
    nodes = (
        '[nodes.m]\nname = "Mean"\nparent = "g"\nrollup = "mean"\ntarget = 6\n'
        '[nodes.p]\nname = "P"\nparent = "m"\ntarget = 7\n[nodes.q]\nname = "Q"\nparent = "m"\ntarget = 5\n'
    )
    an = tree(write_tree, tmp_path, rows, nodes, "2026-01-15", "2026-01-01 2026-12-31")
    f = an.results["m"].forecast
    assert f is not None
    assert (f.day, f.value, f.low, f.status) == (date(2026, 2, 12), pytest.approx(6.0), None, "on_track")


def test_a_formula_node_applies_its_formula_to_its_inputs_forecasts(write_tree: Write, tmp_path: Path) -> None:
    # Level, weekly, as_of day 14 → horizon day 42 (2026-02-12) for both inputs:
    # orders 10, 12, 14 on days 0, 7, 14: exactly b = 2/7 → 10 + 42·2/7 = 22;  aov 50, 50, 50 → 50.
    # revenue = orders · aov = 22 · 50 = 1100; target 1000 (level): attainment 1.1, on track. No interval.
    rows = "orders,2026-01-01,10,\norders,2026-01-08,12,\norders,2026-01-15,14,\n"
    rows += "aov,2026-01-01,50,\naov,2026-01-08,50,\naov,2026-01-15,50,\n"
    nodes = (
        '[nodes.revenue]\nname = "Revenue"\nparent = "g"\nformula = "orders * aov"\ntarget = 1000\n'
        '[nodes.orders]\nname = "Orders"\nparent = "revenue"\nfrequency = "weekly"\n'
        '[nodes.aov]\nname = "Order value"\nparent = "revenue"\nfrequency = "weekly"\n'
    )
    an = tree(write_tree, tmp_path, rows, nodes, "2026-01-15", "2026-01-01 2026-12-31")
    f = an.results["revenue"].forecast
    assert f is not None
    assert (f.day, f.value, f.low, f.high, f.status) == (
        date(2026, 2, 12),
        pytest.approx(1100.0),
        None,
        None,
        "on_track",
    )


def test_the_later_row_wins_a_tie_on_the_newest_date(write_tree: Write, tmp_path: Path) -> None:
    rows = "k,2026-01-08,4,\nk,2026-01-15,7,\nk,2026-01-15,5,\nk,2026-01-01,1,\n"
    an = tree(write_tree, tmp_path, rows, LINEAR, "2026-01-22", "2026-01-01 2026-01-29")
    assert (an.results["k"].actual, an.results["k"].last_measured) == (5, date(2026, 1, 15))


def _measurements(tmp_path: Path, rows: str) -> Measurements:
    (tmp_path / "m.csv").write_text("node,date,value,note\n" + rows)
    return load_measurements(tmp_path / "m.csv")


SPREAD = "a,2026-01-05,1,\na,2026-02-05,2,\nb,2026-01-05,3,\nb,2026-02-05,4,\nc,2026-01-05,5,\nc,2026-07-01,9,\n"


def test_summary_counts_each_nodes_rows_within_its_own_window(tmp_path: Path) -> None:
    m = _measurements(tmp_path, SPREAD)
    windows = {"a": (date(2026, 1, 1), date(2026, 1, 31)), "b": (date(2026, 2, 1), date(2026, 12, 31))}
    newest, sums = m.summary(date(2026, 6, 30), windows)
    assert newest == {"a": (date(2026, 2, 5), 2.0), "b": (date(2026, 2, 5), 4.0), "c": (date(2026, 1, 5), 5.0)}
    # a: only 2026-01-05 (x = 4) in January; b: only 2026-02-05 (x = 4 from Feb 1); c has no window.
    assert sums == {
        "a": WindowSums(Sums(1, 4.0, 1.0, 16.0, 4.0, 1.0), 4.0, 4.0),
        "b": WindowSums(Sums(1, 4.0, 4.0, 16.0, 16.0, 16.0), 4.0, 4.0),
    }


def test_summary_with_one_window_for_all_leaves_out_the_nodes_without_one(tmp_path: Path) -> None:
    m = _measurements(tmp_path, SPREAD)
    january = (date(2026, 1, 1), date(2026, 12, 31))
    newest, sums = m.summary(date(2026, 6, 30), {"a": january, "b": january})
    assert newest["c"] == (date(2026, 1, 5), 5.0)  # its row after as_of is not yet made
    assert set(sums) == {"a", "b"}
    assert sums["b"] == WindowSums(Sums(2, 4.0 + 35.0, 7.0, 16.0 + 35.0**2, 12.0 + 140.0, 25.0), 4.0, 35.0)
    assert m.summary(date(2026, 6, 30), {}) == (newest, {})


@pytest.mark.parametrize("level", [1e9, 1e10, 3e12])
def test_a_series_far_from_zero_keeps_its_interval(write_tree: Write, tmp_path: Path, level: float) -> None:
    # A level KPI around `level` that moves by tens: summed raw, its squares (26·level²) held
    # its variation below their rounding, and the interval came out 8% off at 1e9, 12x at 1e10.
    from datetime import timedelta

    from kpitui.common.trend import fit

    noise = [3, -41, 17, 8, -25, 30, -6, 12, -33, 21, 5, -14, 38, -2, -19, 27, 9, -37, 14, 1, -8, 24, -29, 6, 16, -11]
    days = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(len(noise))]
    values = [level + 2 * i + wobble for i, wobble in enumerate(noise)]
    rows = "".join(f"k,{day},{value:.0f},\n" for day, value in zip(days, values, strict=True))
    nodes = '[nodes.k]\nname = "Level"\nparent = "g"\npacing = "level"\nfrequency = "weekly"\n'
    an = tree(write_tree, tmp_path, rows, nodes, "2026-06-30", "2026-01-01 2026-12-31")
    f = an.results["k"].forecast
    assert f is not None
    # The same line fitted from the points, each sum taken about its mean (math.fsum).
    line = fit([((day - date(2026, 1, 1)).days, value) for day, value in zip(days, values, strict=True)])
    assert line is not None
    value, low, high = line.interval((f.day - date(2026, 1, 1)).days)
    assert f.value == pytest.approx(value, rel=1e-12)
    assert f.high - f.value == pytest.approx(high - value, rel=1e-6)
    assert f.value - f.low == pytest.approx(value - low, rel=1e-6)


def test_only_series_whose_variation_rounding_took_are_summed_again() -> None:
    from kpitui.common.trend import fit_sums
    from kpitui.io.measurements import _rounded_away

    ordinary = Sums.of([(0, 100.0), (7, 130.0), (14, 125.0)])
    assert not _rounded_away(ordinary)
    far = Sums.of([(0, 1e9 + 3), (7, 1e9 - 41), (14, 1e9 + 17)])
    assert _rounded_away(far)
    shifted = Sums(shift=1e9 + 3).plus(0, 1e9 + 3).plus(7, 1e9 - 41).plus(14, 1e9 + 17)
    assert shifted.sy == -44.0 + 14.0 and shifted.syy == 44.0**2 + 14.0**2
    # x̄ = 7, ȳ = 1e9 − 7, Sxx = 98, Sxy = −7·10 + 7·24 = 98: b = 1, a = 1e9 − 7 − 7.
    line = fit_sums(shifted, 2)
    assert line is not None and (line.a, line.b) == (1e9 - 14, 1.0)
    assert not _rounded_away(Sums.of([(0, 0.0), (7, 0.0), (14, 0.0)]))


def test_two_rows_and_an_inline_actual_far_from_zero_keep_their_interval(write_tree: Write, tmp_path: Path) -> None:
    from kpitui.common.trend import fit

    level = 1e10
    rows = f"k,2026-01-05,{level + 3:.0f},\nk,2026-01-12,{level - 41:.0f},\n"
    nodes = (
        '[nodes.k]\nname = "Level"\nparent = "g"\npacing = "level"\nfrequency = "weekly"\n'
        f"actual = {level + 17:.1f}\nmeasured = 2026-01-19\n"
    )
    an = tree(write_tree, tmp_path, rows, nodes, "2026-01-19", "2026-01-01 2026-12-31")
    f = an.results["k"].forecast
    assert f is not None
    line = fit([(4, level + 3), (11, level - 41), (18, level + 17)])
    assert line is not None
    value, low, high = line.interval((f.day - date(2026, 1, 1)).days)
    assert (f.value, f.high - f.value, f.value - f.low) == (
        pytest.approx(value, rel=1e-12),
        pytest.approx(high - value, rel=1e-6),
        pytest.approx(value - low, rel=1e-6),
    )
