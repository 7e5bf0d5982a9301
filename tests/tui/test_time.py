"""Time in the TUI: trend arrows, the forecast in the detail panel, time travel with < and >."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from kpitui.core.analysis import analyze
from kpitui.core.loader import load_tree
from kpitui.tui.app import make_app
from kpitui.tui.marks import node_label
from kpitui.tui.widgets.header import TreeHeader
from tests.tui.test_browse import SIZE, detail_text, ready, tree


async def test_trend_arrow_and_forecast_in_the_detail_panel(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        analysis = app.main.analysis
        assert analysis is not None
        # Sessions grow (↗ in its direction); CPA has no trend (no history): no arrow.
        assert "710k / 1.5M sessies ↗" in node_label(analysis, "sessies").plain
        assert "↗" not in node_label(analysis, "cpa").plain and "↘" not in node_label(analysis, "cpa").plain
        assert tree(app).reveal("sessies")
        await pilot.pause()
        text = detail_text(app)
        forecast = "Forecast 2026-12-31: 1.26M sessies (80%: 1.24M sessies–1.27M sessies) ✖ off track"
        assert f"{forecast} · trend ↗ improving" in text
        assert "forecast_miss" in text


async def test_time_travel_recomputes_the_tree_at_the_new_date(samples: Path) -> None:
    path = samples / "webshop.toml"
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert tree(app).reveal("sessies")  # weekly: a step is 7 days
        await pilot.press("less_than_sign")
        await pilot.pause()
        analysis = app.main.analysis
        assert analysis is not None and analysis.as_of == date(2026, 6, 23)
        expected = analyze(load_tree(path), date(2026, 6, 23))
        assert {n: r.status for n, r in analysis.results.items()} == {n: r.status for n, r in expected.results.items()}
        # A week earlier organic traffic growth had not been measured yet: its inline actual is dated
        # 2026-06-29, after the date shown, so it does not count (SPEC 2); on 2026-06-30 it is at risk.
        assert analysis.results["organisch-groei"].status == "unknown"
        assert analysis.results["organisch-groei"].actual is None
        header = str(app.main.query_one(TreeHeader).render())
        assert "as of 2026-06-23" in header and "viewing 2026-06-23, not today" in header
        # Measurements dated after the new as_of no longer count: the sessions' newest row is a week older.
        assert analysis.results["sessies"].actual == 695000
        await pilot.press("greater_than_sign", "greater_than_sign")
        await pilot.pause()
        assert app.main.analysis is not None and app.main.analysis.as_of == date(2026, 7, 7)
        assert app.main.analysis.results["sessies"].actual == 734200


async def test_review_screen_lists_exactly_the_changes_and_jumps(samples: Path) -> None:
    from kpitui.core.review import review
    from kpitui.tui.screens.review import ReviewScreen, review_lines

    path = samples / "webshop.toml"
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("R")
        for _ in range(100):  # the review analyses the tree a week earlier: give it time on a busy machine
            await pilot.pause()
            if isinstance(app.screen, ReviewScreen):
                break
            await asyncio.sleep(0.05)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        expected = review_lines(review(load_tree(path)))
        assert screen.lines == expected
        # Measured during the week (inline actuals dated 2026-06-24..30): unknown a week ago, at risk now.
        changed = [node for text, node in screen.lines if text.startswith("  ○→▲")]
        assert changed == ["roas", "organisch-groei", "herhaalaankopen"]
        from textual.widgets import OptionList

        await pilot.press("down")  # from the first line that names a node to the second
        await pilot.pause()
        highlighted = screen.query_one(OptionList).highlighted
        named = [node for _, node in screen.lines if node is not None]
        assert highlighted is not None and screen.lines[highlighted][1] == named[1]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is not screen
        assert tree(app).current() == named[1]


async def test_the_detail_panel_starts_at_the_top_of_each_node(samples: Path) -> None:
    # Scrolled down to the findings of one node, then on to the next: its name, owner and status show,
    # not the middle of its text. The same node shown again (after an edit) keeps its place.
    from kpitui.tui.widgets.detail import DetailPanel

    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert tree(app).reveal("sessies")
        await pilot.pause()
        panel = app.main.query_one(DetailPanel)
        panel.scroll_end(animate=False)
        await pilot.pause()
        assert panel.scroll_y > 0
        analysis = app.main.analysis
        assert analysis is not None
        panel.show(analysis, "sessies")
        await pilot.pause()
        assert panel.scroll_y > 0
        await pilot.press("up")
        await pilot.pause()
        assert tree(app).current() == "bestellingen"
        assert panel.scroll_y == 0
