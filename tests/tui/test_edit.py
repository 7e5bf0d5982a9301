"""Editing in the TUI: each action, undo/redo, saving, quitting, recovery."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input

from kpitui.io.journal import journal_path
from kpitui.io.loader import load_tree
from kpitui.tui.app import KpiApp, make_app
from kpitui.tui.screens.dialogs import ChoiceDialog, LineDialog
from kpitui.tui.screens.form import NodeForm
from kpitui.tui.screens.picker import NodePicker
from kpitui.tui.widgets.fields import RefsField
from tests.conftest import SAMPLES
from tests.tui.test_browse import SIZE, ready, tree
from tests.tui.test_typeahead import all_taken


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    path = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", path)
    return path


async def at(pilot, app: KpiApp, node_id: str) -> None:  # type: ignore[no-untyped-def]
    tree(app).reveal(node_id)
    await pilot.pause()
    await pilot.pause()
    assert tree(app).current() == node_id


async def record_86(pilot, app: KpiApp) -> None:  # type: ignore[no-untyped-def]
    """Record 86 as the actual of the contract renewals KPI."""
    await at(pilot, app, "verlengingen")
    await pilot.press("v")
    await pilot.pause()
    app.screen.query_one(Input).value = "86"
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("enter")  # the date: today
    await pilot.pause()


def field(app: KpiApp, name: str) -> Input:
    return app.screen.query_one(f"#field-{name}", Input)


def refs(app: KpiApp, name: str) -> list[str]:
    return app.screen.query_one(f"#field-{name}", RefsField).ids


async def test_edit_form_validates_at_the_field_then_applies(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "omzet-joel")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, NodeForm)
        assert field(app, "target").value == "700000" and field(app, "owner").value == "Joël Bakker"
        field(app, "target").value = "lots"
        field(app, "measured").value = "31-06-2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NodeForm)  # nothing applied
        errors = {w.id: str(w.render()) for w in app.screen.query(".field-note") if w.display}
        assert set(errors) == {"note-actual", "note-measured", "note-target"}
        # Under Actual, always: the value now, its date and where it comes from.
        assert errors["note-actual"] == "now 221500 on 2026-05-15, inline in the tree file"
        assert "'lots' is not a number" in errors["note-target"]
        assert "no day 31 in month 6" in errors["note-measured"]
        field(app, "target").value = "750_000"
        field(app, "measured").value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, NodeForm)
        assert app.main.document is not None and app.main.document.tables["omzet-joel"]["target"] == 750000
        # Analysis updated at once: the team's children now add up to 2.75M.
        # The team's target gap follows at once: its children's targets now add up to 2.75M EUR.
        gaps = [f.message for f in app.main.analysis.findings if f.code == "target_gap"]  # type: ignore[union-attr]
        assert len(gaps) == 1 and "add up to 2.75M EUR, short of its 3M EUR" in gaps[0]
        assert "unsaved" in str(app.main.query_one("#header").render())


async def test_add_child_and_sibling(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "acquisitie")
        await pilot.press("a")
        await pilot.pause()
        assert refs(app, "parent") == ["acquisitie"]
        field(app, "name").value = "Offertes verstuurd"
        field(app, "target").value = "120"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.tables["offertes-verstuurd"] == {
            "name": "Offertes verstuurd",
            "parent": "acquisitie",
            "target": 120,
            # Proposed from the objective it serves, and what its sibling KPIs all share.
            "owner": "Salesteam Noord",
            "owner_type": "team",
            "pacing": "linear",
            "frequency": "weekly",
        }
        assert tree(app).current() == "offertes-verstuurd"
        await pilot.press("A")
        await pilot.pause()
        assert refs(app, "parent") == ["acquisitie"]


async def test_delete_asks_about_children(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "teamomzet")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("m")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and "teamomzet" not in doc.tables
        assert doc.tables["omzet-anouk"]["parent"] == "omzet"
        await pilot.press("u")
        await pilot.pause()
        assert "teamomzet" in doc.tables and doc.tables["omzet-anouk"]["parent"] == "teamomzet"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "teamomzet" not in doc.tables


async def test_move_by_fuzzy_pick(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "pijplijn")
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, NodePicker)
        await pilot.press(*"nwklant", "enter")
        await all_taken(pilot)
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.tables["pijplijn"]["parent"] == "acquisitie"
        assert app.main.analysis is not None and not app.main.analysis.results["pijplijn"].orphaned


async def test_record_actual_inline(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "verlengingen")
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)
        await pilot.press("x", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)  # refused: not a number
        app.screen.query_one(Input).value = "86"
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one(Input).value = "2026-05-15"  # the tree's as_of
        await pilot.press("enter")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.tables["verlengingen"]["actual"] == 86
        assert app.main.analysis is not None and app.main.analysis.results["verlengingen"].status == "on_track"
        # The default date is the date analysed, the tree's as_of (2026-05-15), not today: the value counts at once.
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one(Input).value = "90"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # the date: as_of
        await pilot.pause()
        assert (doc.tables["verlengingen"]["actual"], doc.tables["verlengingen"]["measured"]) == (90, date(2026, 5, 15))
        result = app.main.analysis.results["verlengingen"]
        assert (result.actual, result.status) == (90, "on_track")
        # Dated today, after as_of: stored, but not counted there (docs/contract.md#observations), so the
        # analysis has no actual.
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one(Input).value = "91"
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one(Input).value = "today"
        await pilot.press("enter")
        await pilot.pause()
        assert doc.tables["verlengingen"]["actual"] == 91
        result = app.main.analysis.results["verlengingen"]
        assert (result.actual, result.status) == (None, "unknown")


async def test_record_reads_numbers_and_dates_as_the_form_does(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "verlengingen")
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one(Input).value = "7.930"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)  # ambiguous: 7930 or 7.93? Refused, not guessed
        assert "'7.930' is ambiguous" in str(app.screen.query_one("#line-error").render())
        app.screen.query_one(Input).value = "80,5"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)  # now the date
        app.screen.query_one(Input).value = "-7d"
        await pilot.press("enter")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.tables["verlengingen"]["actual"] == 80.5
        assert doc.tables["verlengingen"]["measured"] == date.today() - timedelta(days=7)


async def test_conflict_and_influence(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "nps-sales")
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"eenmalige", "enter")
        await all_taken(pilot)
        await pilot.pause()
        assert app.main.analysis is not None and "eenmalige-deals" in app.main.analysis.partners("nps-sales")
        await pilot.press("i")
        await pilot.pause()
        await pilot.press(*"pijplijn", "enter")
        await all_taken(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("minus")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.tables["nps-sales"]["influences"] == {"pijplijn": "-"}


async def test_save_writes_only_the_changed_node(sales: Path) -> None:
    before = sales.read_text(encoding="utf-8")
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        doc = app.main.document
        assert doc is not None
        assert journal_path(sales, doc.session).exists()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not journal_path(sales, doc.session).exists()
    after = sales.read_text(encoding="utf-8")
    assert after.split("[nodes.verlengingen]")[0] == before.split("[nodes.verlengingen]")[0]
    assert after.split("[nodes.nps-sales]")[1] == before.split("[nodes.nps-sales]")[1]
    assert load_tree(sales).nodes["verlengingen"].actual == 86


async def test_external_change_offers_writing_elsewhere(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        theirs = sales.read_text(encoding="utf-8") + "\n# edited in vim\n"
        sales.write_text(theirs, encoding="utf-8")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and "changed on disk" in app.screen.question
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)
        await pilot.press("enter")
        await pilot.pause()
    assert sales.read_text(encoding="utf-8") == theirs
    mine = sales.with_name("sales.mine.toml")
    assert load_tree(mine).nodes["verlengingen"].actual == 86


async def test_quit_with_unsaved_changes_asks(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, ChoiceDialog)
        await pilot.press("q", "s")
        await pilot.pause()
    assert load_tree(sales).nodes["verlengingen"].actual == 86


async def test_recovery_after_a_drop(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        app._hang_up()  # what SIGHUP does
        await pilot.pause()
    assert load_tree(sales).nodes["verlengingen"].actual == 77  # not saved
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and "Unsaved edits" in app.screen.question
        await pilot.press("r")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.tables["verlengingen"]["actual"] == 86 and doc.dirty


async def test_empty_tree_built_from_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new.toml"
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(20):
            await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        field(app, "name").value = "Loyale klanten"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert refs(app, "parent") == ["loyale-klanten"]
        field(app, "name").value = "NPS"
        field(app, "target").value = "40"
        await pilot.press("ctrl+s", "ctrl+s")
        await pilot.pause()
    tree_ = load_tree(path)
    assert [(n.id, n.kind, n.parents) for n in tree_.nodes.values()] == [
        ("loyale-klanten", "goal", ()),
        ("nps", "objective", ("loyale-klanten",)),
    ]


async def test_record_actual_into_measurements_file(tmp_path: Path) -> None:
    for name in ("webshop.toml", "webshop_measurements.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    csv = tmp_path / "webshop_measurements.csv"
    before = csv.read_text()
    app = make_app(tmp_path / "webshop.toml")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await at(pilot, app, "binnen-24u")
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one(Input).value = "93.5"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # the date: the date analysed, the tree's as_of
        await pilot.pause()
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.pending_rows() == [("binnen-24u", date(2026, 6, 30), 93.5)]
        assert csv.read_text() == before  # written on save, not before
        assert app.main.analysis is not None and app.main.analysis.results["binnen-24u"].actual == 93.5
        assert not any("after the analysis date" in n.message for n in app._notifications)
        await pilot.press("ctrl+s")
        await pilot.pause()

    assert csv.read_text() == before + "binnen-24u,2026-06-30,93.5,\n"


async def test_record_says_when_today_is_after_as_of(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "verlengingen")
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)
        as_of = app.main.analysis.as_of if app.main.analysis else None
        assert as_of is not None and as_of < date.today()  # the sample's as_of is in the past
        app.screen.query_one(Input).value = "86"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)  # now the date, the date analysed by default
        assert app.screen.query_one(Input).value == as_of.isoformat()
        assert (
            f"a date after {as_of} (today is {date.today()}) is not counted by the analysis at {as_of}"
            in app.screen.question
        )
        app.screen.query_one(Input).value = "2026-05-01"  # an earlier date is allowed
        await pilot.press("enter")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.tables["verlengingen"]["measured"] == date(2026, 5, 1)
        assert doc.tables["verlengingen"]["actual"] == 86


def webshop(tmp_path: Path) -> Path:
    for name in ("webshop.toml", "webshop_measurements.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path / "webshop.toml"


async def test_record_shows_the_value_now_and_that_a_linear_kpi_takes_its_running_total(tmp_path: Path) -> None:
    app = make_app(webshop(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "sessies")
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)
        assert app.screen.question == (
            "Actual of 'Bezoeken (sessies)' (appended to webshop_measurements.csv):\n"
            "Now: 710000 on 2026-06-26, from webshop_measurements.csv.\n"
            "Linear pacing: type its running total for the period so far, not the last step's."
        )
        await at_escape(pilot)
        await at(pilot, app, "binnen-24u")  # a level KPI: no running total
        await pilot.press("v")
        await pilot.pause()
        assert app.screen.question == (  # type: ignore[attr-defined]
            "Actual of '% vragen binnen 24 uur beantwoord' (appended to webshop_measurements.csv):\n"
            "Now: 91.2 on 2026-06-05, from webshop_measurements.csv."
        )


async def at_escape(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("escape")
    await pilot.pause()


async def test_record_asks_before_keeping_an_implausible_value(tmp_path: Path) -> None:
    # 710 typed for 710,000 sessions: a running total going back 1000 times; asked, changed, then kept.
    app = make_app(webshop(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "sessies")
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one(Input).value = "710"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # the date: 2026-06-30
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        assert app.screen.question == (
            "Is this right? 710 sessies on 2026-06-30 is below 710000 sessies on 2026-06-26, but a linear KPI "
            "counted from zero is a running total for the period, which only rises (710 typed for 710000? a "
            "thousands separator read as a decimal point)."
        )
        await pilot.press("c")  # change the value: asked again, with what was typed
        await pilot.pause()
        assert isinstance(app.screen, LineDialog) and app.screen.query_one(Input).value == "710"
        app.screen.query_one(Input).value = "712 000"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.pending_rows() == [("sessies", date(2026, 6, 30), 712000)]
        # Kept anyway when the user says it is right.
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one(Input).value = "500"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("r")
        await pilot.pause()
        assert doc.pending_rows()[-1] == ("sessies", date(2026, 6, 30), 500)
        assert app.main.analysis is not None
        assert [f.code for f in app.main.analysis.findings_of("sessies") if f.code == "implausible_value"] == [
            "implausible_value"
        ]


async def test_record_on_a_goal_without_unit_or_target_asks_first(sales: Path) -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "relaties")
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        assert app.screen.question == (
            "'Langdurige klantrelaties' is a goal with neither a unit nor a target: an actual recorded on it is "
            "judged against nothing (give it a target and unit with e first). Record one anyway?"
        )
        await pilot.press("escape")  # not recorded
        await pilot.pause()
        assert not isinstance(app.screen, (ChoiceDialog, LineDialog))
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog) and app.screen.question.startswith(
            "Actual of 'Langdurige klantrelaties' (stored as the node's actual):\nNow: none yet."
        )
