"""The detail panel's chart: it plots exactly the analysis' history, pacing line and forecast."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kpitui.outputs.chart import chart_data
from kpitui.tui.app import make_app
from kpitui.tui.widgets.chart import ACTUAL, BAND, FORECAST, PACE, ChartPlot, HistoryChart, Legend, nice_ticks
from tests.tui.test_browse import SIZE, ready, tree


def days(series: tuple[tuple[date, float], ...], start: date) -> list[float]:
    return [float((day - start).days) for day, _ in series]


@pytest.mark.parametrize("size", [SIZE, (80, 24)])
async def test_chart_plots_the_analysis_of_the_node(samples: Path, size: tuple[int, int]) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        chart = app.main.query_one(HistoryChart)
        tree(app).reveal("sessies")
        await pilot.pause()
        analysis = app.main.analysis
        assert analysis is not None
        data = chart_data(analysis, "sessies")
        assert data is not None and chart.display and chart.data == data
        plot = app.main.query_one(ChartPlot)
        plot.render()
        monitor = plot.plt.monitor
        # Band edges, pacing line, forecast, then the history on top: each with its own glyph.
        assert monitor.x == [
            days(data.low, data.start),
            days(data.high, data.start),
            days(data.pace, data.start),
            days(data.forecast, data.start),
            days(data.points, data.start),
        ]
        assert monitor.y == [[v for _, v in s] for s in (data.low, data.high, data.pace, data.forecast, data.points)]
        assert [m[0] for m in monitor.marker] == [BAND, BAND, PACE, FORECAST, ACTUAL]
        # The pace runs from 0 on 1 January to the 1.5M target on 31 December; the forecast misses it.
        assert data.pace == ((date(2026, 1, 1), 0), (date(2026, 12, 31), 1_500_000))
        forecast = analysis.results["sessies"].forecast
        assert forecast is not None and data.forecast[-1] == (date(2026, 12, 31), forecast.value)
        assert len(data.points) == 26
        assert set(monitor.xlabels[0]) == {"1 Jan", "30 Jun", "31 Dec"}  # as_of has room at 80 columns too
        legend = "\n".join(item.plain for item in app.main.query_one(Legend).items)
        assert legend == (
            "● actual 710k\n· pace → 1.5M by 31 Dec\n× forecast 1.26M by 31 Dec ✖ off track\n- 80% 1.24M–1.27M"
        )
        tree(app).reveal("cpa")  # no history: no chart
        await pilot.pause()
        assert not chart.display


async def test_level_chart_draws_the_target_level(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("binnen-24u")
        await pilot.pause()
        chart = app.main.query_one(HistoryChart)
        assert chart.data is not None
        # measured weekly: the horizon is four weeks after as_of (2026-06-30), not the period end
        assert chart.data.pace == ((date(2026, 1, 1), 90), (date(2026, 7, 28), 90))
        assert chart.data.end == date(2026, 7, 28)
        legend = [item.plain for item in app.main.query_one(Legend).items]
        assert legend[:2] == ["● actual 91.2%", "· target level 90%"]


async def test_chart_series_are_the_terminal_colour_under_no_color(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("sessies")
        await pilot.pause()
        plot = app.main.query_one(ChartPlot)
        plot.render()
        assert set(plot.plt.monitor.color[i][0] for i in range(5)) == {"default"}
        # The legend's glyphs are in the terminal's own colour too: the glyph, not a colour, names the series.
        items = app.main.query_one(Legend).items
        assert len(items) == 4
        assert all(not span.style for item in items for span in item.spans if span.start == 0)


def test_nice_ticks() -> None:
    assert nice_ticks(0, 1_200_000, 4) == [0, 500_000, 1_000_000]
    assert nice_ticks(2.03, 2.8, 4) == [2.25, 2.5, 2.75]
    assert nice_ticks(5, 5) == [5]


SCRIPT = """
import sys
from kpitui.engine import analyze
from kpitui.outputs.chart import chart_data
from kpitui.io.loader import load_tree
from kpitui.tui.widgets.chart import draw
from textual_plotext.plot import Plot

an = analyze(load_tree(sys.argv[1]))
for node in ("conversieratio", "sessies"):
    for width in range(30, 80, 3):
        plt = Plot()
        draw(plt, chart_data(an, node), True, width)
        plt.plotsize(width, 11)
        plt._set_size(width, 11)
        print(plt.build())
"""


def test_the_chart_is_the_same_in_every_run(samples: Path) -> None:
    # plotext removes duplicate ticks through a set: labels that touch land in an order that follows the
    # process's string hashing. The chart leaves labels room, so every run draws the same.
    import os
    import subprocess
    import sys

    runs = {
        subprocess.run(
            [sys.executable, "-c", SCRIPT, str(samples / "webshop.toml")],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(1, 5)
    }
    assert len(runs) == 1


async def test_a_formula_goal_is_charted_from_its_inputs(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("omzet")
        await pilot.pause()
        chart = app.main.query_one(HistoryChart)
        assert chart.display and chart.data is not None and chart.data.combined
        assert chart.data == chart_data(app.main.analysis, "omzet")  # type: ignore[arg-type]
        items = [item.plain for item in app.main.query_one(Legend).items]
        assert items[0] == "● actual 540k (from its inputs)"
        assert items[2] == "× forecast 796k by 31 Dec ✖ off track"


async def test_time_travel_redraws_the_chart_at_the_new_date(samples: Path) -> None:
    import asyncio

    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("sessies")
        await pilot.pause()
        chart = app.main.query_one(HistoryChart)
        assert chart.data is not None and (chart.data.as_of, len(chart.data.points)) == (date(2026, 6, 30), 26)
        await pilot.press("less_than_sign")  # a week back: the newest row (26 June) is after it
        for _ in range(100):
            await pilot.pause()
            if app.main.analysis is not None and app.main.analysis.as_of == date(2026, 6, 23):
                break
            await asyncio.sleep(0.02)
        await pilot.pause()
        analysis = app.main.analysis
        assert analysis is not None and analysis.as_of == date(2026, 6, 23)
        assert chart.data == chart_data(analysis, "sessies")
        assert (chart.data.as_of, len(chart.data.points)) == (date(2026, 6, 23), 25)
