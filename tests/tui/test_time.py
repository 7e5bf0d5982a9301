"""Time in the TUI: trend arrows, the forecast in the detail panel, time travel with < and >."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from kpitui.engine import analyze
from kpitui.io.loader import load_tree
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
        # Sessions grow, but slower than 1.5M by December needs: a running total losing ground (↘).
        # CPA has no trend (no history): no arrow.
        assert "710k / 1.5M sessies ↘" in node_label(analysis, "sessies").plain
        assert "↗" not in node_label(analysis, "cpa").plain and "↘" not in node_label(analysis, "cpa").plain
        assert tree(app).reveal("sessies")
        await pilot.pause()
        text = detail_text(app)
        forecast = "Forecast 2026-12-31: 1.26M sessies (80%: 1.24M sessies–1.27M sessies) ✖ off track"
        assert f"{forecast} · trend ↘ losing ground" in text
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
        # 2026-06-29, after the date shown, not counted (docs/contract.md#observations); on 2026-06-30 at risk.
        assert analysis.results["organisch-groei"].status == "unknown"
        assert analysis.results["organisch-groei"].actual is None
        header = str(app.main.query_one(TreeHeader).render())
        assert "as of 2026-06-23 ⏱ not today (< >)" in header
        # Measurements dated after the new as_of no longer count: the sessions' newest row is a week older.
        assert analysis.results["sessies"].actual == 695000
        await pilot.press("greater_than_sign", "greater_than_sign")
        await pilot.pause()
        assert app.main.analysis is not None and app.main.analysis.as_of == date(2026, 7, 7)
        assert app.main.analysis.results["sessies"].actual == 734200


async def test_review_screen_lists_exactly_the_changes_and_jumps(samples: Path) -> None:
    from kpitui.services.review import review
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


def test_a_narrow_line_keeps_the_trend_arrow_and_the_forecast_miss_mark(samples: Path) -> None:
    # On track today (✔) but forecast off track: the line says so with ↯ miss — instead of the
    # generic ! — and, like every mark, keeps it (and the trend arrow) when the values make way.
    from kpitui.tui.marks import LEGEND, MARK_STYLE, node_label_parts

    analysis = analyze(load_tree(samples / "webshop.toml"))
    parts = node_label_parts(analysis, "sessies")
    assert parts.full().plain == "✔ Bezoeken (sessies)  710k / 1.5M sessies ↘ ↯ miss"
    assert parts.fit(30).plain == "✔ Bezoeken (sessies) ↘ ↯ miss"
    assert parts.fit(27).plain == "✔ Bezoeken (sessi… ↘ ↯ miss"
    # A KPI with a trend and no miss keeps its arrow too; one off track today has no ↯ miss (nothing hidden).
    assert node_label_parts(analysis, "sea-conversies").fit(26).plain == "▲ Conversies uit SEA ↘ ⇄"
    assert "↯ miss" not in node_label_parts(analysis, "conversieratio").full().plain
    assert {"↯ miss", "↗ ↘ →"} <= {glyph for glyph, _, _ in LEGEND}
    miss = next(s for s in parts.marks.spans if parts.marks.plain[s.start : s.end] == "↯ miss")
    assert miss.style == MARK_STYLE["forecast_miss"]


def test_an_accepted_forecast_miss_is_marked_quietly(samples: Path) -> None:
    from kpitui.tui.marks import MARK_STYLE, node_label_parts

    path = samples / "webshop.toml"
    text = path.read_text(encoding="utf-8").replace(
        'frequency = "weekly"\ndescription = "Bezoeken',
        'frequency = "weekly"\naccept = { forecast_miss = "a campaign in September" }\ndescription = "Bezoeken',
    )
    path.write_text(text, encoding="utf-8")
    parts = node_label_parts(analyze(load_tree(path)), "sessies")
    assert parts.full().plain.endswith("↘ ↯ miss")
    assert [s.style for s in parts.marks.spans if parts.marks.plain[s.start : s.end] == "↯ miss"] == [
        MARK_STYLE["quiet"]
    ]


async def test_at_80_columns_the_header_shows_the_date_is_not_today_with_unsaved_edits_too(samples: Path) -> None:
    # The note used to follow the counts on the second line, which wraps out of sight at 80 columns.
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert tree(app).reveal("sessies")
        await pilot.press("less_than_sign")
        await pilot.pause()
        header = app.main.query_one(TreeHeader)

        def shown() -> list[str]:
            return ["".join(segment.text for segment in header.render_line(y)).rstrip() for y in (0, 1)]

        assert shown() == [
            "Bonenbar.nl — online marketing 2026  as of 2026-06-23 ⏱ not today (< >)  webs…",
            "⌀ 1 orphan   ⇄ 3 conflicts   ✖ 2 off track   ‼ 0 errors",
        ]
        await pilot.press("v")
        await pilot.pause()
        await pilot.press(*"700000", "enter")  # a running total between 695000 (06-19) and 710000 (06-26)
        await pilot.pause()
        await pilot.press("ctrl+u", "2", "0", "2", "6", "-", "0", "6", "-", "2", "2", "enter")
        await pilot.pause()
        assert app.main.document is not None and app.main.document.dirty
        first, second = shown()
        assert first.startswith("Bonenbar.nl — online marketing 2026  as of 2026-06-23 ⏱ not today (< >)")
        assert second.startswith("⌀ 1 orphan") and "0 errors     ● unsaved" in second


async def test_the_review_screen_shows_its_dates_and_what_moved_the_goals_at_80_columns(samples: Path) -> None:
    from textual.widgets import Static

    from kpitui.tui.screens.review import ReviewScreen

    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        for _ in range(100):
            await pilot.pause()
            if isinstance(app.screen, ReviewScreen):
                break
            await asyncio.sleep(0.05)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        await pilot.pause()
        # The first line of the screen is its title: which week it compares (it was scrolled out of sight).
        widget, _ = screen.get_widget_at(2, 0)
        title = screen.query_one("#review-title", Static)
        assert widget is title
        assert "Weekly review 2026-06-23 → 2026-06-30" in str(title.render())
        # As in `kpitui review`: what moved each goal, and enter on it goes to the goal.
        moved = [(text, node) for text, node in screen.lines if node == "omzet" and "+7845 EUR" in text]
        assert moved == [
            (
                "  Online omzet €1,2M: +7845 EUR — Bezoeken (sessies) +11.4k EUR, Conversieratio −5079 EUR, "
                "Gemiddelde orderwaarde +1482 EUR",
                "omzet",
            )
        ]
        heading = [text for text, node in screen.lines if node is None]
        assert heading[-2:] == ["What moved the goals", "Needs action (8)"]


async def test_the_detail_panel_says_why_a_future_inline_actual_is_not_shown(samples: Path) -> None:
    # A week back the top-3 keywords' actual (31, measured 2026-06-29) does not count: "Actual –"
    # alone would look like a lost value.
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert tree(app).reveal("top3")
        await pilot.pause()
        assert "after 2026-06-30" not in detail_text(app)
        await pilot.press("less_than_sign")  # monthly: 31 days back
        await pilot.pause()
        text = detail_text(app)
        assert "Actual –" in text
        assert (
            "Its inline actual 31 zoekwoorden is dated 2026-06-29, after 2026-05-30: it counts from that date on "
            "(> moves the date)"
        ) in text


async def test_time_travel_stops_at_either_end_of_the_calendar(samples: Path) -> None:
    # A step past 9999-12-31 (or before 0001-01-01) raised OverflowError, as did the level
    # forecast's horizon four steps after the last day: the TUI crashed on opening.
    for first, key, other in ((date.max, "greater_than_sign", "less_than_sign"), (date.min, "less_than_sign", None)):
        app = make_app(samples / "webshop.toml", as_of=first)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await ready(pilot)
            assert tree(app).reveal("sessies")  # weekly, with a forecast and a chart
            await pilot.pause()
            assert "Bezoeken" in detail_text(app)
            await pilot.press(key)
            await pilot.pause()
            assert app.is_running and app.main.analysis is not None and app.main.analysis.as_of == first
            assert any("kpitui goes no further" in str(n.message) for n in app._notifications)
            if other:
                await pilot.press(other)
                await pilot.pause()
                assert app.main.analysis is not None and app.main.analysis.as_of == date(9999, 12, 24)
