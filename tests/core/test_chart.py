"""The detail panel chart's data: history, pacing line, target and forecast, exactly as the analysis says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from kpitui.engine import analyze
from kpitui.io.loader import load_tree
from kpitui.outputs.chart import MAX_INPUTS, chart_data, combined_history, value_on

Write = Callable[..., Path]

TREE = """
[tree]
as_of = 2026-01-22
period = {{ start = 2026-01-01, end = 2026-01-29 }}
measurements = "m.csv"
[nodes.g]
name = "Goal"
kind = "goal"
{nodes}
"""

# Days 0, 7, 14, 21 with 1, 4, 5, 9 (the line 1 + 5x/14, see test_forecast.py); a row before the period
# and one after as_of are not drawn.
ROWS = (
    "node,date,value\nk,2025-12-20,50\nk,2026-01-01,1\nk,2026-01-08,4\nk,2026-01-15,5\nk,2026-01-22,9\n"
    "k,2026-01-26,99\n"
)
LINEAR = """
[nodes.k]
name = "Sales"
parent = "g"
pacing = "linear"
baseline = 1
target = 13
"""
LEVEL = """
[nodes.k]
name = "Conversion"
parent = "g"
unit = "%"
target = 10
frequency = "daily"
"""


def analysis(write_tree: Write, tmp_path: Path, nodes: str, rows: str = ROWS, as_of: str = "2026-01-22"):  # type: ignore[no-untyped-def]
    (tmp_path / "m.csv").write_text(rows)
    return analyze(load_tree(write_tree(TREE.format(nodes=nodes).replace("2026-01-22", as_of, 1))))


def test_linear_chart_is_history_pace_line_and_forecast(write_tree: Write, tmp_path: Path) -> None:
    an = analysis(write_tree, tmp_path, LINEAR)
    data = chart_data(an, "k")
    assert data is not None
    assert (data.start, data.end, data.as_of, data.pacing) == (date(2026, 1, 1), date(2026, 1, 29), an.as_of, "linear")
    # The observations in the period up to as_of, as the analysis has them: not the one before, not the one after.
    assert data.points == ((date(2026, 1, 1), 1), (date(2026, 1, 8), 4), (date(2026, 1, 15), 5), (date(2026, 1, 22), 9))
    # The pacing line is the expected value the analysis gives on each date: from the baseline to the target.
    assert data.pace == ((date(2026, 1, 1), 1), (date(2026, 1, 29), 13))
    assert data.target == 13
    for day in (date(2026, 1, 1), date(2026, 1, 8), date(2026, 1, 15), date(2026, 1, 22), date(2026, 1, 29)):
        expected = analyze(an.tree, day, measurements=an.measurements).results["k"].pace.expected
        assert value_on(data.pace, day) == pytest.approx(expected, abs=1e-12)
    # The forecast runs from as_of (x = 21: 1 + 21·5/14 = 8.5) to the horizon (x = 28: 11), with the interval.
    forecast = an.results["k"].forecast
    assert forecast is not None
    assert data.forecast[0] == (date(2026, 1, 22), pytest.approx(8.5))
    assert data.forecast[-1] == (forecast.day, pytest.approx(forecast.value))
    assert data.forecast[-1][1] == pytest.approx(11)
    assert (data.low[-1][1], data.high[-1][1]) == (pytest.approx(forecast.low), pytest.approx(forecast.high))
    assert [d for d, _ in data.low] == [d for d, _ in data.forecast] == [d for d, _ in data.high]
    # 11 against 13 from a baseline of 1: attainment 1 + (11 − 13) / 12 = 0.83, below at risk (0.85).
    assert data.forecast_status == forecast.status == "off_track"
    # Every point of the band is the line's own interval on that date.
    assert forecast.line is not None
    for (day, value), (_, low), (_, high) in zip(data.forecast, data.low, data.high, strict=True):
        fit, lo, hi = forecast.line.interval(float((day - date(2026, 1, 1)).days))
        assert (value, low, high) == (pytest.approx(fit), pytest.approx(lo), pytest.approx(hi))


def test_level_chart_has_the_target_level_and_ends_at_its_horizon(write_tree: Write, tmp_path: Path) -> None:
    an = analysis(write_tree, tmp_path, LEVEL)
    data = chart_data(an, "k")
    assert data is not None
    # A daily level is forecast four days ahead: 2026-01-26; the chart ends there, the level held all along.
    assert (data.start, data.end) == (date(2026, 1, 1), date(2026, 1, 26))
    assert data.pace == ((date(2026, 1, 1), 10), (date(2026, 1, 26), 10))
    for day in (date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 26)):
        assert value_on(data.pace, day) == an.results["k"].pace.expected == 10
    forecast = an.results["k"].forecast
    assert forecast is not None and forecast.day == date(2026, 1, 26)
    assert data.forecast[-1] == (date(2026, 1, 26), pytest.approx(1 + 25 * 5 / 14))
    assert data.forecast_status == forecast.status


def test_no_chart_without_two_observations_in_the_period(write_tree: Write, tmp_path: Path) -> None:
    an = analysis(write_tree, tmp_path, LINEAR, rows="node,date,value\nk,2025-12-20,50\nk,2026-01-08,4\n")
    assert chart_data(an, "k") is None
    assert chart_data(an, "g") is None  # a goal with no history of its own


def test_without_a_forecast_the_chart_has_history_and_pace_only(write_tree: Write, tmp_path: Path) -> None:
    an = analysis(write_tree, tmp_path, LINEAR, rows="node,date,value\nk,2026-01-01,1\nk,2026-01-08,4\n")
    data = chart_data(an, "k")
    assert data is not None and an.results["k"].forecast is None
    assert data.points == ((date(2026, 1, 1), 1), (date(2026, 1, 8), 4))
    assert (data.forecast, data.low, data.high, data.forecast_status) == ((), (), (), None)
    assert data.values() == [1, 4, 1, 13, 13]


def test_a_forecast_on_every_point_of_its_line_has_no_band(write_tree: Write, tmp_path: Path) -> None:
    rows = "node,date,value\nk,2026-01-01,1\nk,2026-01-08,3\nk,2026-01-15,5\n"
    an = analysis(write_tree, tmp_path, LINEAR, rows=rows)
    data = chart_data(an, "k")
    assert data is not None
    # 1 + 2x/7: at as_of (x = 21) 7, at the period end (x = 28) 9; s = 0, the interval is the forecast itself.
    assert data.forecast[0] == (date(2026, 1, 22), pytest.approx(7))
    assert data.forecast[-1] == (date(2026, 1, 29), pytest.approx(9))
    assert (data.low, data.high) == ((), ())


def test_value_on_reads_a_series_as_a_line() -> None:
    series = ((date(2026, 1, 1), 0.0), (date(2026, 1, 11), 10.0), (date(2026, 1, 21), 0.0))
    assert value_on(series, date(2026, 1, 6)) == 5
    assert value_on(series, date(2026, 1, 16)) == 5
    assert value_on(series, date(2026, 1, 1) - timedelta(days=1)) is None
    assert value_on(series, date(2026, 1, 21)) == 0


def test_a_formula_node_charts_its_value_from_its_inputs_histories(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import SAMPLES

    for f in SAMPLES.glob("webshop*"):
        shutil.copy(f, tmp_path / f.name)
    an = analyze(load_tree(tmp_path / "webshop.toml"))
    # Revenue = orders × order value, orders = sessions × conversion / 100: no history of its own.
    assert an.history("omzet") == []
    points = combined_history(an, "omzet")
    assert len(points) == 26
    # Each point is the revenue the whole analysis gives at that date.
    for day, value in points:
        assert analyze(an.tree, day, measurements=an.measurements).results["omzet"].actual == pytest.approx(value)
    assert points[-1][1] == pytest.approx(an.results["omzet"].actual)
    data = chart_data(an, "omzet")
    assert data is not None and data.combined and data.points == tuple(points)
    # Its forecast is combined from its inputs' (no interval): a line from today's actual to the horizon.
    forecast = an.results["omzet"].forecast
    assert forecast is not None and forecast.line is None
    assert data.forecast == ((an.as_of, an.results["omzet"].actual), (forecast.day, forecast.value))
    assert (data.low, data.high) == ((), ())
    assert data.pace == ((date(2026, 1, 1), 0), (date(2026, 12, 31), 1_200_000))


FORMULA = """
[nodes.k]
name = "Product"
parent = "g"
formula = "a * b"
[nodes.a]
name = "A"
parent = "k"
[nodes.b]
name = "B"
parent = "k"
"""


def test_a_combined_history_starts_when_every_input_has_a_value(write_tree: Write, tmp_path: Path) -> None:
    rows = "node,date,value\na,2026-01-01,2\na,2026-01-08,3\nb,2026-01-05,10\nb,2026-01-15,20\n"
    an = analysis(write_tree, tmp_path, FORMULA, rows=rows)
    # On 1 January b has no value yet; from 5 January on, a × b with each one's newest value.
    assert combined_history(an, "k") == [
        (date(2026, 1, 5), 20),
        (date(2026, 1, 8), 30),
        (date(2026, 1, 15), 60),
    ]


def test_no_combined_history_over_too_many_inputs(write_tree: Write, tmp_path: Path) -> None:
    kids = "".join(f'[nodes.c{i}]\nname = "C{i}"\nparent = "k"\n' for i in range(MAX_INPUTS + 1))
    rows = "node,date,value\n" + "".join(f"c{i},2026-01-0{d},{d}\n" for i in range(MAX_INPUTS + 1) for d in (1, 2))
    an = analysis(write_tree, tmp_path, '[nodes.k]\nname = "Sum"\nparent = "g"\nrollup = "sum"\n' + kids, rows=rows)
    assert an.results["k"].actual == 2 * (MAX_INPUTS + 1)
    assert combined_history(an, "k") == []
    assert chart_data(an, "k") is None


def test_nearest_inputs_stop_at_the_limit() -> None:
    from kpitui.outputs.chart import nearest_inputs

    inputs = {"top": ("a", "b"), "a": ("c", "a2"), "b": ("c",), "c": ("d",), "a2": (), "d": ()}
    assert nearest_inputs(inputs, "top", 10) == ["a", "b", "c", "a2", "d"]
    assert nearest_inputs(inputs, "top", 3) == ["a", "b", "c"]
    # A chain of 100,000 nodes is not walked to its end.
    chain = {f"n{i}": (f"n{i + 1}",) for i in range(100_000)}
    assert nearest_inputs(chain, "n0", 51) == [f"n{i}" for i in range(1, 52)]
