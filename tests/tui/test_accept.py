"""Accepting findings in the TUI: asked for a reason, saved in the node, dimmed, skipped by problems."""

from __future__ import annotations

from pathlib import Path

import tomli

from kpitui.tui.app import make_app
from kpitui.tui.screens.dialogs import ChoiceDialog, LineDialog
from kpitui.tui.screens.findings import FindingsScreen
from kpitui.tui.widgets.detail import DetailPanel
from kpitui.tui.widgets.header import TreeHeader
from tests.tui.test_browse import SIZE, detail_text, ready, tree
from tests.tui.test_typeahead import all_taken


async def test_accept_from_the_detail_panel_asks_for_a_reason_and_saves_it(samples: Path) -> None:
    path = samples / "webshop.toml"
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("leads")
        await pilot.pause()
        assert "! goodhart, declared counter-metrics: 'Aantal leads' is on track while" in detail_text(app)
        assert "⇄ 4 conflicts" in str(app.main.query_one(TreeHeader).render())
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)
        await pilot.press("enter")  # an empty reason is refused
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)
        await pilot.press(*"launch month", "enter")
        await all_taken(pilot)
        assert not isinstance(app.screen, LineDialog)
        finding = next(f for f in app.main.analysis.findings if f.code == "goodhart" and "leads" in f.concerns)  # type: ignore[union-attr]
        assert (finding.accepted, finding.reason) == (True, "launch month")
        assert "⇄ 3 conflicts" in str(app.main.query_one(TreeHeader).render())
        assert "✓ Lead-kwaliteit (% dat een offerte krijgt): goodhart accepted: launch month" in detail_text(app)
        assert "!" not in str(tree(app).cursor_node.label)  # type: ignore[union-attr]
        await pilot.press("ctrl+s")
        await pilot.pause()
    doc = tomli.loads(path.read_text(encoding="utf-8"))
    assert doc["nodes"]["leads"]["accept"] == {"goodhart": "launch month"}


async def test_several_findings_are_offered_to_choose_from(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("instagram")  # off_track, orphan, individual_target
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        labels = [label for _value, _key, label in app.screen.answers]
        assert labels == ["off_track", "orphan", "individual_target"]
        await pilot.press("1")
        await pilot.pause()
        await pilot.press(*"new channel", "enter")
        await all_taken(pilot)
        header = str(app.main.query_one(TreeHeader).render())
        assert "✖ 5 off track" in header
        assert "✓ off_track accepted: new channel" in app.main.query_one(DetailPanel).plain


async def test_accepted_findings_are_not_problems(samples: Path) -> None:
    path = samples / "webshop.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "[nodes.instagram]\n", '[nodes.instagram]\naccept = { off_track = "new", orphan = "kept apart" }\n'
    )
    path.write_text(text, encoding="utf-8")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.main.outline is not None
        assert "instagram" not in app.main.outline.problems
        header = str(app.main.query_one(TreeHeader).render())
        assert "⌀ 0 orphans" in header and "✖ 5 off track" in header
        for _ in range(len(app.main.outline.problems) + 1):
            await pilot.press("right_square_bracket")
            await pilot.pause()
            assert tree(app).current() != "instagram"


async def test_findings_view_dims_accepted_and_toggles_with_x(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        row = next(i for i, f in enumerate(screen.rows) if f.code == "off_track" and f.node == "instagram")
        for _ in range(row):
            await pilot.press("j")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)
        await pilot.press(*"new channel", "enter")
        await all_taken(pilot)
        assert app.screen is screen
        accepted = [f for f in screen.rows if f.accepted]
        assert [(f.code, f.node, f.reason) for f in accepted] == [("off_track", "instagram", "new channel")]
        title = str(screen.query_one("#findings-title").render())
        assert title.startswith("24 findings (1 accepted)")
        row = screen.rows.index(accepted[0])
        table = screen.query_one("DataTable")
        assert table.cursor_row == row  # type: ignore[attr-defined]
        await pilot.press("x")  # un-accept: no reason asked
        await pilot.pause()
        assert not any(f.accepted for f in screen.rows)


async def test_errors_cannot_be_accepted(samples: Path) -> None:
    app = make_app(samples / "sales.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        assert screen.rows[0].severity == "error"
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen
        assert not any(f.accepted for f in screen.rows)
