"""Browsing with the keyboard: tree, detail panel, problems, search, findings, help, reload."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Input, Static

from kpitui.tui.app import KpiApp, make_app
from kpitui.tui.screens.findings import FindingsScreen
from kpitui.tui.screens.help import HelpScreen
from kpitui.tui.widgets.detail import DetailPanel
from kpitui.tui.widgets.header import TreeHeader
from kpitui.tui.widgets.tree_view import ORPHAN_GROUP, KpiTreeView

SIZE = (100, 30)


async def ready(pilot: object) -> None:
    """Wait until the tree is loaded and shown."""
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(100):
        await pilot.pause()  # type: ignore[attr-defined]
        if app.main.analysis is not None and app.main.query_one(KpiTreeView).cursor_node is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the tree never loaded")


def tree(app: KpiApp) -> KpiTreeView:
    return app.main.query_one(KpiTreeView)


def top_level(app: KpiApp) -> list[str | None]:
    return [c.data.node_id if c.data else "?" for c in tree(app).root.children]


def detail_text(app: KpiApp) -> str:
    return app.main.query_one(DetailPanel).plain


async def test_opens_with_goals_then_orphan_group(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert top_level(app) == ["omzet", "loyaal", None]
        group = tree(app).root.children[-1]
        assert group.data is ORPHAN_GROUP and group.is_expanded
        assert [c.data.node_id for c in group.children if c.data] == ["instagram"]
        assert "orphan" in str(group.children[0].label)
        header = str(app.main.query_one(TreeHeader).render())
        assert "⌀ 1 orphan " in header and "⇄ 4 conflicts" in header and "✖ 6 off track" in header
        assert "as of 2026-06-30" in header


async def test_children_are_created_only_when_expanded(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        sea = next(c for c in tree(app).root.children[0].children if c.data and c.data.node_id == "sea")
        assert not sea.is_expanded and len(sea.children) == 0 and sea.allow_expand
        tree(app).move_cursor(sea)
        await pilot.press("l")
        await pilot.pause()
        assert [c.data.node_id for c in sea.children if c.data] == ["roas", "cpa", "sea-conversies"]


async def test_labels_say_with_glyphs_what_colour_says(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.pause()
        node = tree(app).cursor_node
        assert node is not None and node.data is not None and node.data.node_id == "cpa"
        assert str(node.label) == "✖ CPA (kosten per aankoop)  14.5 / 12 EUR ⇄"


async def test_keyboard_moves_and_detail_follows(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert tree(app).current() == "omzet"
        await pilot.press("j")
        await pilot.pause()
        assert tree(app).current() == "sea"
        assert "SEA: winstgevend adverteren  objective · id sea" in detail_text(app)
        await pilot.press("l", "l")
        await pilot.pause()
        assert tree(app).current() == "roas"
        await pilot.press("h")
        await pilot.pause()
        assert tree(app).current() == "sea"
        await pilot.press("G")
        await pilot.pause()
        assert tree(app).current() == "instagram"
        await pilot.press("g")
        await pilot.pause()
        assert tree(app).current() == "omzet"


async def test_detail_explains_status_conflicts_and_findings(samples: Path) -> None:
    app = make_app(samples / "sales.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("teamomzet")
        await pilot.pause()
        text = detail_text(app)
        assert "Target 3M EUR (increase)" in text
        assert "Actual 978k EUR — rolled up (sum)" in text
        assert "attainment 89%" in text
        assert "Omzet €3M › Teamomzet" in text
        findings = text.split("Findings")[1]
        assert " ! target_gap: 'Teamomzet' has a target gap: its children's targets" in findings
        assert "add up to 2.7M EUR, short of its 3M EUR" in findings
        assert "Conflicts" not in text  # a target gap is the team's finding, no conflict with each child
        assert "individual" not in text.split("Findings")[0]


async def test_next_and_previous_problem(samples: Path) -> None:
    app = make_app(samples / "sales.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        seen = []
        for _ in range(3):
            await pilot.press("right_square_bracket")
            await pilot.pause()
            seen.append(tree(app).current())
        # Anouk is on track: the team's target gap is the team's problem, not hers (nor Sanne's).
        assert seen == ["teamomzet", "omzet-joel", "omzet-mehmet"]
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert tree(app).current() == "omzet-joel"


async def test_problem_filter_shows_only_problems_with_paths(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("p")
        await pilot.pause()
        shown = []

        def walk(node) -> None:  # type: ignore[no-untyped-def]
            for child in node.children:
                if child.data and child.data.node_id:
                    shown.append(child.data.node_id)
                walk(child)

        walk(tree(app).root)
        assert "organisch-conversies" not in shown  # on track, no problem
        assert {"sea", "cpa", "top3", "binnen-24u", "instagram", "leads"} <= set(shown)
        await pilot.press("p")
        await pilot.pause()
        assert tree(app).problems_only is False


async def test_search_with_next_and_previous(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash")
        search = app.main.query_one("#search", Input)
        assert search.display and search.has_focus
        await pilot.press(*"lead", "enter")
        await pilot.pause()
        assert not search.display
        assert tree(app).current() == "leads"
        await pilot.press("n")
        await pilot.pause()
        assert tree(app).current() == "lead-kwaliteit"
        await pilot.press("n")
        await pilot.pause()
        assert tree(app).current() == "leads"  # wraps
        await pilot.press("N")
        await pilot.pause()
        assert tree(app).current() == "lead-kwaliteit"


async def test_search_by_id_and_escape_cancels(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"top3", "enter")
        await pilot.pause()
        assert tree(app).current() == "top3"
        await pilot.press("slash", "x", "escape")
        await pilot.pause()
        assert not app.main.query_one("#search", Input).display
        assert tree(app).current() == "top3"


async def test_findings_view_sorts_and_jumps(samples: Path) -> None:
    app = make_app(samples / "sales.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        assert [f.severity for f in screen.rows[:3]] == ["error", "error", "error"]
        await pilot.press("s")
        assert screen.sort_by == "code" and screen.rows[0].code == "at_risk"
        await pilot.press("s", "s")
        await pilot.press("j", "enter")
        await pilot.pause()
        await pilot.pause()
        assert not isinstance(app.screen, FindingsScreen)
        assert tree(app).current() == "accountmanagement"


async def test_help_lists_every_key(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        keys = dict((d, k) for k, d in app.main.key_list())
        for description in ("Search", "Next problem", "Previous problem", "Problems only", "Findings", "Help", "Quit"):
            assert description in keys
        assert set(keys["Down"].split(" / ")) == {"j", "↓"}
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_keys_can_be_remapped_by_binding_id(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.set_keymap({"app.findings": "F"})
        await pilot.press("F")
        await pilot.pause()
        assert isinstance(app.screen, FindingsScreen)


async def test_command_palette_offers_app_commands(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Findings", "Problems only", "Next problem", "Search", "Reload", "Keys and marks"} <= set(titles)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Findings")
        await asyncio.sleep(0.5)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, FindingsScreen)


async def test_reloads_when_file_changes_keeping_cursor(samples: Path) -> None:
    path = samples / "webshop.toml"
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree(app).reveal("cpa")
        await pilot.pause()
        path.write_text(path.read_text(encoding="utf-8").replace("CPA (kosten per aankoop)", "CPA nieuw"), "utf-8")
        for _ in range(60):
            await asyncio.sleep(0.05)
            await pilot.pause()
            if app.main.analysis and app.main.analysis.tree.nodes["cpa"].name == "CPA nieuw":
                break
        await pilot.pause()
        await pilot.pause()
        assert tree(app).current() == "cpa"
        node = tree(app).cursor_node
        assert node is not None and "CPA nieuw" in str(node.label)


async def test_broken_file_shows_errors_and_recovers(samples: Path) -> None:
    path = samples / "broken.toml"
    path.write_text('[nodes.a]\nname = "A"\nkind = "goa"\n', encoding="utf-8")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(40):
            await asyncio.sleep(0.05)
            await pilot.pause()
            if app.main.query_one("#errors", Static).display:
                break
        errors = str(app.main.query_one("#errors", Static).render())
        assert f"{path}:3: `kind` is 'goa'" in errors
        path.write_text('[nodes.a]\nname = "A"\nkind = "goal"\n', encoding="utf-8")
        await ready(pilot)
        assert top_level(app) == ["a"]


async def test_quit(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_problem_filter_on_a_tree_with_a_parent_cycle(samples: Path) -> None:
    app = make_app(samples / "sales.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert app.main.problems_only
        lines = [str(line.node.label) for line in tree(app)._tree_lines]
        assert any("↻" in line for line in lines)


async def test_a_20000_deep_chain_shows_and_filters(tmp_path: Path) -> None:
    from benchmarks import shapes
    from kpitui.tui.widgets.tree_view import MAX_DEPTH

    path = tmp_path / "chain.toml"
    path.write_text(shapes.chain(20_000), encoding="utf-8")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("p")
        await pilot.pause()
        lines = tree(app)._tree_lines
        assert len(lines) == MAX_DEPTH
        assert "deeper than 200 levels" in str(lines[-1].node.label)


def test_the_help_legend_explains_every_mark_a_line_can_carry() -> None:
    from kpitui.tui.marks import LEGEND

    glyphs = {g for g, _, _ in LEGEND}
    assert {"↻", "⌀", "⇄", "◷", "‼", "!"} <= glyphs
