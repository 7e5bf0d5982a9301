"""What-if mode in the TUI: change a driver, see what follows, seek a target, keep it or leave."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli

from kpitui.tui.app import make_app
from kpitui.tui.marks import HYPOTHETICAL
from kpitui.tui.screens.dialogs import LineDialog
from kpitui.tui.screens.picker import NodePicker
from kpitui.tui.screens.whatif import WhatIfScreen, WhatIfTree
from kpitui.tui.widgets.header import TreeHeader
from tests.tui.test_browse import SIZE, detail_text, ready, tree
from tests.tui.test_typeahead import all_taken


def line_of(screen: WhatIfScreen, node_id: str) -> str:
    view = screen.query_one(WhatIfTree)
    stack = list(view.root.children)
    while stack:
        line = stack.pop()
        if line.data is not None and line.data.node_id == node_id:
            return str(line.label)
        stack.extend(line.children)
    raise AssertionError(f"{node_id} is not shown")


async def test_type_a_conversion_and_everything_downstream_follows(samples: Path) -> None:
    path = samples / "webshop.toml"
    before = path.read_bytes()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("conversieratio")
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhatIfScreen)
        assert "WHAT-IF" in str(screen.query_one("#whatif-header").render())
        await pilot.pause()
        assert screen.current == "conversieratio"
        await pilot.press("equals_sign")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)
        await pilot.press("ctrl+u", *"2.6", "enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.scenario.results["omzet"].actual == pytest.approx(668_252)  # 710k x 2.6% x 36.2
        assert screen.scenario.results["bestellingen"].actual == pytest.approx(18_460)
        assert screen.scenario.hypothetical >= {"omzet", "bestellingen", "conversieratio", "cro"}
        assert HYPOTHETICAL in line_of(screen, "omzet")
        assert HYPOTHETICAL in line_of(screen, "conversieratio")
        assert "668k / 1.2M EUR" in line_of(screen, "omzet")
        assert HYPOTHETICAL not in line_of(screen, "sea")
        assert "actual: 2.1% → 2.6%" in screen.plain
        # its trend line moves up with it: 1.686% → 2.186% by 31 December
        assert "forecast: 1.69% → 2.19%" in screen.plain
        assert "Forecast 2026-12-31: 2.19% (80%: 2.16%–2.21%)" in screen.plain
        tree_view = screen.query_one(WhatIfTree)
        tree_view.reveal("omzet")
        await pilot.pause()
        # revenue's forecast combines again: 1,255,375 sessions x 2.186% x 37.62 EUR = 1,032,570 EUR, at risk
        assert "forecast: 796k EUR → 1.03M EUR" in screen.plain
        assert "forecast status: off track → at risk" in screen.plain
        # What moved revenue last week is history: the real +7,845 EUR (conversion −5,079 EUR), not the
        # scenario's jump from 2.1% to 2.6% counted as if it had happened this week (+136k EUR).
        assert (
            "Moved since 2026-06-23 (really, without the what-if): +7845 EUR — Bezoeken (sessies) +11.4k EUR, "
            "Conversieratio −5079 EUR, Gemiddelde orderwaarde +1482 EUR"
        ) in screen.plain
        assert "136k" not in screen.plain
        assert "s finds the driver value" not in screen.plain  # here s keeps the scenario
        assert "x accepts a finding" not in screen.plain  # and x drops a change
        tree_view.reveal("conversieratio")
        await pilot.pause()
        assert "Conversieratio: 2.1% → 2.6%" in str(screen.query_one("#whatif-header").render())
        await pilot.press("plus")  # +1% of 2.6
        await pilot.pause()
        assert screen.overrides == {"conversieratio": pytest.approx(2.626)}
        await pilot.press("less_than_sign")  # -10%
        await pilot.pause()
        assert screen.overrides == {"conversieratio": pytest.approx(2.3634)}
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main
        assert app.main.analysis is not None and app.main.analysis.results["omzet"].actual == 539_742
        assert "unsaved" not in str(app.main.query_one(TreeHeader).render())
    assert path.read_bytes() == before


async def test_goal_seek_then_keep_it_as_a_real_edit(samples: Path) -> None:
    path = samples / "webshop.toml"
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert tree(app).current() == "omzet"
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhatIfScreen)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, NodePicker)
        assert [c for c, _ in app.screen.choices] == [
            "bestellingen",
            "gemiddelde-orderwaarde",
            "sessies",
            "conversieratio",
        ]
        await pilot.press(*"conversie", "enter")
        await all_taken(pilot)
        assert app.screen is screen
        # on pace for 1.2M by 2026-06-30: 1.2M x 180/364 / (710,000 x 36.2) = 2.30880%
        assert screen.overrides["conversieratio"] == pytest.approx(2.3087953988, rel=1e-9)
        header = str(screen.query_one("#whatif-header").render())
        assert "Goal seek: 'Conversieratio' must be 2.3088%" in header
        assert screen.scenario.results["omzet"].status == "on_track"
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is app.main
        assert app.main.analysis is not None
        assert app.main.analysis.results["conversieratio"].actual == pytest.approx(2.30879539883)
        assert app.main.analysis.results["omzet"].actual == pytest.approx(1_200_000 * 180 / 364, rel=1e-9)
        await pilot.press("ctrl+s")
        await pilot.pause()
    node = tomli.loads(path.read_text(encoding="utf-8"))["nodes"]["conversieratio"]
    assert node["actual"] == pytest.approx(2.30879539883)
    assert str(node["measured"]) == "2026-06-30"


async def test_formula_node_detail_shows_inputs_and_what_moved_it(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("bestellingen")
        await pilot.pause()
        text = detail_text(app)
        assert "Formula sessies * conversieratio / 100" in text
        assert "sessies = 710k sessies  (Bezoeken (sessies))" in text
        assert "conversieratio = 2.1%  (Conversieratio)" in text
        assert "Drives Online omzet €1,2M" in text
        # 2026-06-23 → 06-30: sessions 695,000 → 710,000 and conversion 2.12% → 2.1%: orders 14,734 → 14,910;
        # sessions +15,000 x the mean 2.11% = +316.5, the rate −0.02 points x the mean 702,500 = −140.5
        assert (
            "Moved since 2026-06-23: +176 orders — Bezoeken (sessies) +316 orders, Conversieratio −140 orders" in text
        )


async def test_drives_edges_in_the_path_line_and_the_detail_panel(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("conversieratio")
        await pilot.pause()
        lines = detail_text(app).splitlines()
        # The parent path up to strategy, then where its value flows through formulas.
        assert lines[1] == (
            "Online omzet €1,2M › CRO: meer bezoekers worden klant › Conversieratio"
            "  ⇢ Bestellingen ⇢ Online omzet €1,2M"
        )
        assert "Drives Bestellingen" in lines
        tree(app).reveal("bestellingen")
        await pilot.pause()
        lines = detail_text(app).splitlines()
        assert lines[1] == "Online omzet €1,2M › Bestellingen  ⇢ Online omzet €1,2M"
        assert "Drives Online omzet €1,2M" in lines
        assert "Driven by Bezoeken (sessies), Conversieratio" in lines
        assert "s finds the driver value that reaches its target; w tries values" in lines
        tree(app).reveal("conversieratio")  # a target but no drivers: nothing to seek
        await pilot.pause()
        assert "s finds the driver value that reaches its target; w tries values" not in detail_text(app)


async def test_goal_seek_from_the_main_view_applied_as_an_edit_and_undone(samples: Path) -> None:
    from kpitui.tui.screens.dialogs import ChoiceDialog

    path = samples / "webshop.toml"
    before = path.read_bytes()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert tree(app).current() == "omzet"
        await pilot.press("s")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, NodePicker)
        assert [c for c, _ in picker.choices] == ["bestellingen", "gemiddelde-orderwaarde", "sessies", "conversieratio"]
        await pilot.press(*"conversie", "enter")
        await all_taken(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        # on pace for 1.2M by 2026-06-30: 1,200,000 x 180/364 = 593,406.59; / (710,000 x 36.2) = 2.3088%;
        # orders then 710,000 x 2.3088% = 16,392.45
        assert dialog.question.splitlines()[0] == (
            "Goal seek: 'Online omzet €1,2M' reaches 593,406.59 EUR (expected by 2026-06-30, on pace for its "
            "target of 1,200,000 EUR); now 539,742 EUR."
        )
        assert "'Conversieratio' must be 2.3088% (now 2.1%)." in dialog.question
        assert "  Online omzet €1,2M: actual 539,742 EUR → 593,406.59 EUR; status at risk → on track" in dialog.question
        assert "  Bestellingen: actual 14,910 orders → 16,392.45 orders" in dialog.question
        assert [key for _, key, _ in dialog.answers] == ["a", "w", "escape"]
        # The keys show on the buttons: "[a]" is not swallowed as a markup tag.
        from textual.widgets import Button

        labels = [str(b.label) for b in dialog.query(Button)]
        assert labels == ["Make it a real edit [a]", "Open in what-if [w]", "Close [esc]"]
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is app.main
        analysis = app.main.analysis
        assert analysis is not None
        assert analysis.results["conversieratio"].actual == pytest.approx(2.30879539883)
        assert analysis.results["omzet"].actual == pytest.approx(1_200_000 * 180 / 364, rel=1e-9)
        assert "unsaved" in str(app.main.query_one(TreeHeader).render())
        await pilot.press("u")
        await pilot.pause()
        assert app.main.analysis is not None and app.main.analysis.results["conversieratio"].actual == 2.1
    assert path.read_bytes() == before


async def test_goal_seek_from_the_main_view_opens_in_what_if(samples: Path) -> None:
    from kpitui.tui.screens.dialogs import ChoiceDialog

    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"sessies", "enter")
        await all_taken(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        # 593,406.59 / (2.1% x 36.2) = 780,592.73 sessions
        assert "'Bezoeken (sessies)' must be 780,592.73 sessies (now 710,000 sessies)." in app.screen.question
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhatIfScreen)
        assert screen.overrides == {"sessies": pytest.approx(1_200_000 * 180 / 364 / (0.021 * 36.2), rel=1e-9)}
        assert screen.scenario.results["omzet"].actual == pytest.approx(1_200_000 * 180 / 364, rel=1e-9)
        assert "Goal seek: 'Bezoeken (sessies)' must be 780,592.73 sessies" in str(
            screen.query_one("#whatif-header").render()
        )
        assert HYPOTHETICAL in line_of(screen, "omzet")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main
        assert app.main.analysis is not None and app.main.analysis.results["sessies"].actual == 710_000


async def test_goal_seek_needs_a_node_with_drivers_and_a_target(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("roas")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is app.main
        assert [n.message for n in app._notifications] == [
            "'ROAS Google Ads' has no drivers (no formula or rollup feeds it)"
        ]
