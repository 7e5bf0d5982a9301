"""Forecasts in a what-if: moved with the actual, combined again through formulas, re-judged by targets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kpitui.drivers.questions import what_if
from tests.core.test_forecast import Write, tree

# Level, weekly, as_of day 14 → horizon day 42 (2026-02-12) for both inputs:
# orders 10, 12, 14 on days 0, 7, 14: exactly b = 2/7 → forecast 10 + 42·2/7 = 22, actual now 14;
# aov 50, 50, 50 → 50. revenue = orders · aov: now 14 · 50 = 700, forecast 22 · 50 = 1100 (no own history).
# Revenue's target 1500 (level): forecast attainment 1 − 400/1500 = 0.733, off track.
ROWS = "orders,2026-01-01,10,\norders,2026-01-08,12,\norders,2026-01-15,14,\n"
ROWS += "aov,2026-01-01,50,\naov,2026-01-08,50,\naov,2026-01-15,50,\n"
NODES = (
    '[nodes.revenue]\nname = "Revenue"\nparent = "g"\nformula = "orders * aov"\ntarget = 1500\n'
    '[nodes.orders]\nname = "Orders"\nparent = "revenue"\nfrequency = "weekly"\ntarget = 20\n'
    '[nodes.aov]\nname = "Order value"\nparent = "revenue"\nfrequency = "weekly"\n'
)


def test_a_driver_moved_now_moves_its_forecast_and_the_formulas_combined_one(write_tree: Write, tmp_path: Path) -> None:
    an = tree(write_tree, tmp_path, ROWS, NODES, "2026-01-15", "2026-01-01 2026-12-31")
    base = an.results["revenue"].forecast
    assert base is not None and (base.value, base.status) == (pytest.approx(1100.0), "off_track")
    scenario = what_if(an, {"orders": 20.0})
    orders = scenario.results["orders"].forecast
    revenue = scenario.results["revenue"].forecast
    assert orders is not None and revenue is not None
    # orders: actual 14 → 20, so its line moves up by 6: 22 → 28, at the same date.
    assert (orders.day, orders.value, orders.trend) == (date(2026, 2, 12), pytest.approx(28.0), "improving")
    assert orders.line is not None and orders.line.at(42) == pytest.approx(28.0)
    # revenue combines again: 28 · 50 = 1400; attainment 1 − 100/1500 = 0.933: at risk.
    assert (revenue.day, revenue.value, revenue.low, revenue.status) == (
        date(2026, 2, 12),
        pytest.approx(1400.0),
        None,
        "at_risk",
    )
    changes = {c.node: c.fields for c in scenario.changes()}
    assert ("forecast", pytest.approx(1100.0), pytest.approx(1400.0)) in changes["revenue"]
    assert ("forecast_status", "off_track", "at_risk") in changes["revenue"]
    assert ("forecast", pytest.approx(22.0), pytest.approx(28.0)) in changes["orders"]
    assert "aov" not in changes
    assert an.results["revenue"].forecast == base  # the plain analysis is untouched


def test_a_target_what_if_re_judges_the_forecast_only(write_tree: Write, tmp_path: Path) -> None:
    an = tree(write_tree, tmp_path, ROWS, NODES, "2026-01-15", "2026-01-01 2026-12-31")
    scenario = what_if(an, {"revenue": 1100.0}, "target")
    revenue = scenario.results["revenue"].forecast
    assert revenue is not None and (revenue.value, revenue.status) == (pytest.approx(1100.0), "on_track")
    fields = {c.node: c.fields for c in scenario.changes()}["revenue"]
    assert [name for name, _, _ in fields] == ["target", "forecast_status"]
    assert fields[1] == ("forecast_status", "off_track", "on_track")


def test_a_computed_node_set_by_hand_moves_its_forecast_by_as_much(write_tree: Write, tmp_path: Path) -> None:
    an = tree(write_tree, tmp_path, ROWS, NODES, "2026-01-15", "2026-01-01 2026-12-31")
    scenario = what_if(an, {"revenue": 1000.0})  # now 700: +300, so 1100 → 1400
    revenue = scenario.results["revenue"].forecast
    assert revenue is not None and revenue.value == pytest.approx(1400.0)
    assert scenario.results["orders"].forecast == an.results["orders"].forecast


def test_an_unknown_result_drops_the_combined_forecast(write_tree: Write, tmp_path: Path) -> None:
    an = tree(
        write_tree,
        tmp_path,
        ROWS,
        NODES.replace("orders * aov", "orders * aov / (aov - 50 + 1)"),
        "2026-01-15",
        "2026-01-01 2026-12-31",
    )
    assert an.results["revenue"].forecast is not None  # 22 · 50 / 1 = 1100
    scenario = what_if(an, {"aov": 49.0})  # aov's forecast moves to 49: 49 − 50 + 1 = 0, a division by zero
    assert scenario.results["revenue"].forecast is None
    fields = {c.node: c.fields for c in scenario.changes()}["revenue"]
    assert ("forecast", pytest.approx(1100.0), None) in fields


def test_a_what_if_re_judges_a_running_total_s_trend_against_its_new_plan(write_tree: Write, tmp_path: Path) -> None:
    # 1 a day, 21 by day 21 of 28: on pace for 28. A target of 42 needs 3 a day from here (losing
    # ground); 21 more now (an actual of 42) leaves nothing to make up (gaining on the plan).
    rows = "k,2026-01-01,0,\nk,2026-01-08,7,\nk,2026-01-15,14,\nk,2026-01-22,21,\n"
    nodes = '[nodes.k]\nname = "K"\nparent = "g"\npacing = "linear"\ntarget = 28\n'
    an = tree(write_tree, tmp_path, rows, nodes, "2026-01-22", "2026-01-01 2026-01-29")
    assert an.results["k"].trend == "flat"
    assert what_if(an, {"k": 42.0}, "target").results["k"].trend == "worsening"
    assert what_if(an, {"k": 42.0}).results["k"].trend == "improving"
    assert an.results["k"].trend == "flat"  # the plain analysis is untouched
