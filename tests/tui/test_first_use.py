"""What a new user meets first: a sibling saved where it is shown, a new KPI like its siblings,
undo that says what it undid, a quit that stays by default, the weekly keys in the footer, a
recovery question that names the edits, and a goal without a number said to be one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Button, Footer, Label

from kpitui.io.loader import load_tree
from kpitui.tui.app import KpiApp, make_app
from kpitui.tui.screens.dialogs import ChoiceDialog, LineDialog
from kpitui.tui.screens.findings import FindingsScreen
from kpitui.tui.screens.form import NodeForm
from kpitui.tui.screens.review import ReviewScreen
from kpitui.tui.widgets.detail import DetailPanel
from kpitui.tui.widgets.fields import ChoiceField
from tests.conftest import SAMPLES
from tests.tui.test_browse import SIZE, detail_text, ready, tree
from tests.tui.test_edit import at, field, record_86


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    path = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", path)
    return path


def notices(app: KpiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def add_sibling_of_sanne(pilot, app: KpiApp) -> None:  # type: ignore[no-untyped-def]
    """`A` on the third of the team's four KPIs: a new one, 'Omzet Nieuw', shown after it."""
    await at(pilot, app, "omzet-sanne")
    await pilot.press("A")
    await pilot.pause()
    assert isinstance(app.screen, NodeForm)
    field(app, "name").value = "Omzet Nieuw"
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.pause()
    assert tree(app).current() == "omzet-nieuw"


# ── a sibling is saved where the tree shows it ─────────────────────────


async def test_a_sibling_added_after_the_third_of_four_is_saved_there(sales: Path) -> None:
    before = sales.read_text(encoding="utf-8")
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await add_sibling_of_sanne(pilot, app)
        await pilot.press("ctrl+s")
        await pilot.pause()
    children = [k for k, n in load_tree(sales).nodes.items() if n.parents == ("teamomzet",)]
    assert children == ["omzet-anouk", "omzet-joel", "omzet-sanne", "omzet-nieuw", "omzet-mehmet"]
    # Its table right after Sanne's; every other byte as it was.
    text = sales.read_text(encoding="utf-8")
    block = (
        '\n[nodes.omzet-nieuw]\nname = "Omzet Nieuw"\nparent = "teamomzet"\nunit = "EUR"\npacing = "linear"\n'
        'owner = "Salesteam Noord"\nowner_type = "team"\nfrequency = "weekly"\n'
    )
    sanne_end = 'frequency = "weekly"\n'
    at_sanne = before.index(sanne_end, before.index("[nodes.omzet-sanne]")) + len(sanne_end)
    assert text == before[:at_sanne] + block + before[at_sanne:]


# ── a new KPI proposes what its siblings share ────────────────────────

CONTRACTS = """\
version = 1
[tree]
title = "Contracten"
period = { start = 2026-01-01, end = 2026-12-31 }

[nodes.groei]
name = "Groei"
kind = "goal"

[nodes.verkoop]
name = "Verkoop"
kind = "objective"
parent = "groei"
owner = "Team Zuid"

[nodes.nieuw]
name = "Nieuwe contracten"
parent = "verkoop"
unit = "contracten"
pacing = "linear"
target = 40

[nodes.verlengd]
name = "Verlengde contracten"
parent = "verkoop"
unit = "contracten"
pacing = "linear"
direction = "increase"
target = 60

[nodes.service]
name = "Service"
kind = "objective"
parent = "groei"

[nodes.nps]
name = "NPS"
parent = "service"
unit = "punten"
pacing = "level"

[nodes.klachten]
name = "Klachten"
parent = "service"
unit = "klachten"
pacing = "level"
"""


def choice(app: KpiApp, name: str) -> str:
    return app.screen.query_one(f"#field-{name}", ChoiceField).value


@pytest.mark.parametrize(("start", "key"), [("verkoop", "a"), ("verlengd", "A")])
async def test_a_new_kpi_takes_the_unit_and_pacing_its_siblings_share(tmp_path: Path, start: str, key: str) -> None:
    path = tmp_path / "contracts.toml"
    path.write_text(CONTRACTS, encoding="utf-8")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, start)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, NodeForm)
        assert field(app, "unit").value == "contracten"
        assert choice(app, "pacing") == "linear"
        assert choice(app, "direction") == ""  # one sibling says increase, the other nothing: not proposed
        assert field(app, "owner").value == "Team Zuid"  # the objective's, as before
        await pilot.press("escape")
        await pilot.pause()
        # Siblings that measure different things share only their pacing.
        await at(pilot, app, "service")
        await pilot.press("a")
        await pilot.pause()
        assert field(app, "unit").value == ""
        assert choice(app, "pacing") == "level"


# ── undo keeps the cursor and the details together, and says what it undid ──


async def test_undo_and_redo_of_an_add_keep_cursor_and_details_together(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await add_sibling_of_sanne(pilot, app)
        await pilot.press("u")
        await pilot.pause()
        await pilot.pause()
        panel = app.main.query_one(DetailPanel)
        assert (tree(app).current(), panel.shown_node) == ("omzet-sanne", "omzet-sanne")
        assert detail_text(app).startswith("Omzet Sanne Jansen")
        assert notices(app)[-1] == "undone: adding 'Omzet Nieuw'"
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.pause()
        assert (tree(app).current(), panel.shown_node) == ("omzet-nieuw", "omzet-nieuw")
        assert notices(app)[-1] == "redone: adding 'Omzet Nieuw'"


async def test_undo_names_the_fields_it_undid(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        await at(pilot, app, "omzet-joel")
        await pilot.press("u")
        await pilot.pause()
        await pilot.pause()
        assert notices(app)[-1] == "undone: actual, measured of 'Contractverlengingen'"
        assert tree(app).current() == app.main.query_one(DetailPanel).shown_node == "verlengingen"


# ── quitting with unsaved edits stays by default ────────────────────────


async def test_quit_with_unsaved_edits_offers_to_stay_and_stays_on_enter(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        await pilot.press("q")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        labels = [str(b.label) for b in dialog.query(Button)]
        assert labels == ["Save and quit [s]", "Discard and quit [d]", "Stay [esc]"]
        assert app.focused is not None and str(app.focused.label) == "Stay [esc]"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and app.screen is app.main
        assert app.main.document is not None and app.main.document.dirty


# ── 80×24: the footer with the weekly keys, the findings title, the form's labels ──


async def test_at_80x24_the_footer_shows_the_weekly_keys_and_nothing_is_cut(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        footer = app.main.query_one(Footer)
        keys = [(k.key_display, k.description) for k in footer.children]  # type: ignore[attr-defined]
        assert keys == [
            ("?", "Keys"),
            ("e", "Edit"),
            ("a", "Add"),
            ("v", "Record"),
            ("^s", "Save"),
            ("q", "Quit"),
            ("/", "Search"),
            ("f", "Findings"),
            ("R", "Review"),
        ]
        assert max(k.region.right for k in footer.children) <= 80
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        title = screen.query_one("#findings-title")
        assert str(title.render()) == f"{len(screen.rows)} findings, sorted by severity — enter goes to the node"
        assert title.region.width == 80 and title.region.height == 1
        await pilot.press("escape")
        await pilot.pause()
        await at(pilot, app, "omzet-joel")
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, NodeForm)
        assert str(form.query_one("#row-frequency").query_one(Label).render()) == "Frequency"


# ── the recovery question names the edits ──────────────────────────────


async def test_recovery_names_the_nodes_and_fields_a_journal_changed(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        for node_id, target in [("omzet-anouk", "1"), ("omzet-joel", "2"), ("omzet-sanne", "3")]:
            await at(pilot, app, node_id)
            await pilot.press("e")
            await pilot.pause()
            field(app, "target").value = target
            await pilot.press("ctrl+s")
            await pilot.pause()
        app._hang_up()  # what SIGHUP does: the edits stay in the journal
        await pilot.pause()
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        lines = dialog.question.splitlines()
        assert lines[1].endswith(": 4 edit(s)")
        assert lines[2] == (
            "     'Omzet Anouk de Vries': target; 'Omzet Joël Bakker': target; 'Omzet Sanne Jansen': target; and 1 more"
        )


# ── a goal without a number says so ─────────────────────────────────────


async def test_a_goal_without_a_number_says_its_children_roll_up_to_it(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "omzet")
        assert "\nNo target or actual: its children's statuses roll up to it\n" in detail_text(app)
        await pilot.press("v")
        await pilot.pause()
        if isinstance(app.screen, ChoiceDialog):  # a goal judged against nothing is asked about first
            await pilot.press("r")
            await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LineDialog)
        assert (
            "It has no target or actual: its children's statuses roll up to it; an actual recorded here is its own."
        ) in dialog.question.splitlines()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("R")
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, ReviewScreen):
                break
        review = app.screen
        assert isinstance(review, ReviewScreen)
        goal = [text for text, node in review.lines if node == "omzet"]
        assert goal == ["  ○→✖  Omzet €3M — no target or actual: its children's statuses roll up to it"]
