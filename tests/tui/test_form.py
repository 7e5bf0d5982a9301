"""The node form, the tree settings screen and the 80x24 layout, used with the keyboard."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.widgets import Footer, Input

from kpitui.tui.app import KpiApp, make_app
from kpitui.tui.screens.dialogs import ChoiceDialog, ConfirmDialog
from kpitui.tui.screens.form import NodeForm
from kpitui.tui.screens.picker import NodePicker
from kpitui.tui.screens.settings import TreeSettingsScreen
from kpitui.tui.widgets.fields import ChoiceField, RefsField
from tests.tui.test_browse import ready, tree
from tests.tui.test_typeahead import all_taken

TREE = """version = 1

[tree]
title = "T"
as_of = 2026-06-30
period = { start = 2026-01-01, end = 2026-12-31 }

[nodes.g]
name = "Goal"
kind = "goal"

[nodes.o]
name = "Objective"
kind = "objective"
parent = "g"
owner = "Team O"
period = { start = 2026-07-01, end = 2026-12-31 }

[nodes.k]
name = "A KPI with a rather long name that cannot fit at eighty columns"
parent = "o"
target = 100
actual = 40
unit = "EUR"
conflicts = ["k2"]
influences = { gone = "-", k2 = "+" }

[nodes.k2]
name = "Other"
parent = "o"
"""


def write(tmp_path: Path) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(TREE)
    return path


async def open_at(pilot, app: KpiApp, node_id: str) -> None:  # type: ignore[no-untyped-def]
    await ready(pilot)
    tree(app).reveal(node_id)
    await pilot.pause()
    await pilot.pause()


def note(app: KpiApp, field_id: str) -> str:
    widget = app.screen.query_one(f"#note-{field_id}")
    return str(widget.render()) if widget.display else ""


async def test_numbers_and_dates_as_typed_are_shown_as_understood_and_saved(tmp_path: Path) -> None:
    app = make_app(write(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at(pilot, app, "k")
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, NodeForm)
        form.query_one("#field-target", Input).value = "1,2M"
        form.query_one("#field-actual", Input).value = "2,5"
        form.query_one("#field-measured", Input).value = "30-06-2026"
        await pilot.pause()
        assert note(app, "target") == "= 1,200,000"
        assert (
            note(app, "actual")
            == "= 2.5\nnow 40, inline in the tree file, undated · the new value is measured 2026-06-30"
        )
        assert note(app, "measured") == "= 2026-06-30 (Tuesday)"
        form.query_one("#field-period", Input).value = "Q3"
        await pilot.pause()
        assert note(app, "period") == "= 2026-07-01 → 2026-09-30"  # the tree's year
        await pilot.press("ctrl+s")
        await pilot.pause()
        table = app.main.document.tables["k"]  # type: ignore[union-attr]
        assert (table["target"], table["actual"], str(table["measured"])) == (1_200_000, 2.5, "2026-06-30")
        assert {k: str(v) for k, v in table["period"].items()} == {"start": "2026-07-01", "end": "2026-09-30"}


async def test_choices_take_one_key(tmp_path: Path) -> None:
    app = make_app(write(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at(pilot, app, "k")
        await pilot.press("e")
        await pilot.pause()
        direction = app.screen.query_one("#field-direction", ChoiceField)
        direction.focus()
        await pilot.press("d")
        assert direction.value == "decrease"
        await pilot.press("space")
        assert direction.value == ""  # back round to "not set"
        await pilot.press("left")
        assert direction.value == "decrease"
        app.screen.query_one("#field-frequency", ChoiceField).focus()
        await pilot.press("w", "x")  # x starts nothing: no change
        assert app.screen.query_one("#field-frequency", ChoiceField).value == "weekly"
        await pilot.press("ctrl+s")
        await pilot.pause()
        table = app.main.document.tables["k"]  # type: ignore[union-attr]
        assert (table["direction"], table["frequency"]) == ("decrease", "weekly")


async def test_the_kind_decides_which_fields_come_first(tmp_path: Path) -> None:
    app = make_app(write(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at(pilot, app, "g")
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        shown = [row.id for row in form.query(".form-row") if row.display]
        assert shown == ["row-name", "row-owner", "row-description", "row-period", "row-kind"]
        kind = form.query_one("#field-kind", ChoiceField)
        kind.focus()
        await pilot.press("k")
        await pilot.pause()
        shown = [row.id for row in form.query(".form-row") if row.display]
        assert shown[:4] == ["row-name", "row-target", "row-actual", "row-unit"]
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert all(row.display for row in form.query(".form-row"))


async def test_esc_on_a_changed_form_asks(tmp_path: Path) -> None:
    app = make_app(write(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at(pilot, app, "g")
        await pilot.press("e", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, NodeForm | ConfirmDialog)  # unchanged: closed at once
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("end", *"!")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NodeForm)
        assert app.screen.query_one("#field-name", Input).value == "Goal!"
        await pilot.press("escape", "y")
        await pilot.pause()
        assert not isinstance(app.screen, NodeForm | ConfirmDialog)
        assert app.main.document is not None and not app.main.document.dirty


async def test_adding_under_an_objective_proposes_its_owner_and_period(tmp_path: Path) -> None:
    app = make_app(write(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at(pilot, app, "o")
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert form.query_one("#field-owner", Input).value == "Team O"
        assert form.query_one("#field-period", Input).value == "2026-07-01..2026-12-31"
        assert form.query_one("#field-parent", RefsField).ids == ["o"]
        await pilot.press(*"New", "ctrl+s")
        await all_taken(pilot)
        table = app.main.document.tables["new"]  # type: ignore[union-attr]
        assert table["owner"] == "Team O" and table["parent"] == "o"


async def test_parent_and_links_are_picked_from_the_tree(tmp_path: Path) -> None:
    app = make_app(write(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at(pilot, app, "k2")
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#field-parent", RefsField).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NodePicker)
        await pilot.press(*"goal", "enter")
        await all_taken(pilot)
        assert app.screen.query_one("#field-parent", RefsField).ids == ["g"]
        await pilot.press("ctrl+o")
        app.screen.query_one("#field-influences", RefsField).focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*"objective", "enter")
        await all_taken(pilot)  # ten keys, let in one at a time: a pause may come before the last
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("minus")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        table = app.main.document.tables["k2"]  # type: ignore[union-attr]
        assert table["parent"] == "g" and table["influences"] == {"o": "-"}


async def test_an_influence_on_a_missing_node_can_be_removed(tmp_path: Path) -> None:
    app = make_app(write(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at(pilot, app, "k")
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, NodePicker)
        await pilot.press(*"gone", "enter")
        await all_taken(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("r")
        await pilot.pause()
        assert app.main.document.tables["k"]["influences"] == {"k2": "+"}  # type: ignore[union-attr]
        # And in the form: delete on the field removes (with several, asks which).
        await pilot.press("u", "e")
        await pilot.pause()
        field = app.screen.query_one("#field-influences", RefsField)
        assert "gone (missing)" in str(field.render())
        field.focus()
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, NodePicker)
        await pilot.press(*"gone", "enter")
        await all_taken(pilot)
        assert field.ids == ["k2"]


async def test_tree_settings_screen(tmp_path: Path) -> None:
    path = write(tmp_path)
    (tmp_path / "bad.csv").write_text("a,b\n")
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TreeSettingsScreen)
        await pilot.press(*"Webshop", "tab", "tab")
        screen.query_one("#setting-as_of", Input).value = "today"
        screen.query_one("#setting-thresholds-on_track", Input).value = "90%"
        screen.query_one("#setting-measurements", Input).value = "bad.csv"
        await pilot.pause()
        assert "= 0.9" in str(screen.query_one("#note-setting-thresholds-on_track").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, TreeSettingsScreen)  # the measurements file is refused
        assert "no column(s) node, date, value" in str(screen.query_one("#note-setting-measurements").render())
        screen.query_one("#setting-measurements", Input).value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, TreeSettingsScreen)
        doc = app.main.document
        assert doc is not None and doc.settings["title"] == "Webshop" and "as_of" not in doc.settings
        assert doc.settings["thresholds"] == {"on_track": 0.9}
        assert "Webshop" in str(app.main.query_one("#header").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert path.read_text().startswith(
        'version = 1\n\n[tree]\ntitle = "Webshop"\nperiod = { start = 2026-01-01, end = 2026-12-31 }\n'
        "[tree.thresholds]\non_track = 0.9\n\n[nodes.g]\n"
    )


async def test_at_80x24_lines_keep_their_marks_and_the_footer_its_keys(tmp_path: Path) -> None:
    app = make_app(write(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at(pilot, app, "k")
        view = tree(app)
        line = view.render_label(view.cursor_node, view.rich_style, view.rich_style)  # type: ignore[arg-type]
        assert line.plain.endswith("… ‼ ⇄")  # the name is shortened; the dangling-ref and conflict marks kept
        assert line.cell_len == view.scrollable_content_region.width - 2 * view.guide_depth
        assert "40 / 100" not in line.plain  # the values moved to the detail panel
        assert "Actual 40 EUR" in app.main.query_one("#detail").plain  # type: ignore[attr-defined]
        footer = app.main.query_one(Footer)
        keys = [k.key_display for k in footer.query("FooterKey")]  # type: ignore[attr-defined]
        assert keys[0] == "?" and {"e", "a", "v", "/", "q", "f", "R"} <= set(keys)
        assert sum(k.size.width for k in footer.query("FooterKey")) <= 80
    app = make_app(write(tmp_path))
    async with app.run_test(size=(200, 30)) as pilot:
        await open_at(pilot, app, "k")
        view = tree(app)
        line = view.render_label(view.cursor_node, view.rich_style, view.rich_style)  # type: ignore[arg-type]
        assert "40 / 100 EUR" in line.plain


async def test_z_and_tab_widen_the_details(tmp_path: Path) -> None:
    app = make_app(write(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at(pilot, app, "k")
        body = app.main.query_one("#body")
        await pilot.press("z")
        await pilot.pause()
        assert body.has_class("wide-detail") and not tree(app).display
        assert app.main.query_one("#detail").outer_size.width == 80
        await pilot.press("tab")
        await pilot.pause()
        assert not body.has_class("wide-detail") and tree(app).has_focus
        await pilot.press("tab")
        assert body.has_class("wide-detail")
        # j / k still walk the tree while it is hidden: the details follow.
        await pilot.press("j")
        await pilot.pause()
        assert tree(app).current() == "k2"
        assert "Other" in app.main.query_one("#detail").plain  # type: ignore[attr-defined]


MEASURED = """version = 1

[tree]
title = "M"
as_of = 2026-12-07
period = { start = 2026-01-01, end = 2026-12-31 }
measurements = "m.csv"

[nodes.g]
name = "Goal"
kind = "goal"

[nodes.subs]
name = "Subscribers"
parent = "g"
unit = "subs"
pacing = "linear"
target = 10
actual = 6
measured = 2026-11-30

[nodes.csv-only]
name = "Only in the file"
parent = "g"
target = 100
"""


def measured_tree(tmp_path: Path) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(MEASURED)
    (tmp_path / "m.csv").write_text("node,date,value\nsubs,2026-11-23,5\nsubs,2026-12-07,8\ncsv-only,2026-12-01,40\n")
    return path


async def test_the_form_shows_the_newest_measurement_and_records_a_new_value_as_the_newest_row(
    tmp_path: Path,
) -> None:
    # The inline 6 of 30 Nov showed while the analysis used 8 of 7 Dec; 9 typed there stayed hidden behind
    # the 8, and the chart drew 9 then 8: a running total going down.
    path = measured_tree(tmp_path)
    app = make_app(path)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await open_at(pilot, app, "subs")
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, NodeForm)
        assert form.query_one("#field-actual", Input).value == "8"
        assert form.query_one("#field-measured", Input).value == "2026-12-07"
        assert note(app, "actual") == "now 8 on 2026-12-07, from m.csv"
        form.query_one("#field-actual", Input).value = "9"
        await pilot.pause()
        assert (
            note(app, "actual")
            == "now 8 on 2026-12-07, from m.csv · the new value becomes a row of m.csv dated 2026-12-07"
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, NodeForm)
        doc = app.main.document
        assert doc is not None and doc.pending_rows() == [("subs", date(2026, 12, 7), 9)]
        assert (doc.tables["subs"]["actual"], str(doc.tables["subs"]["measured"])) == (6, "2026-11-30")  # kept
        result = app.main.analysis.results["subs"]  # type: ignore[union-attr]
        assert (result.actual, result.actual_source, result.last_measured) == (9, "measurements", date(2026, 12, 7))
        assert "9 recorded as a row of m.csv dated 2026-12-07 (the newest); ctrl+s writes it." in [
            n.message for n in app._notifications
        ]
        assert app.main.analysis.history("subs")[-2:] == [(date(2026, 12, 7), 8), (date(2026, 12, 7), 9)]  # type: ignore[union-attr]
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert (tmp_path / "m.csv").read_text().endswith("csv-only,2026-12-01,40\nsubs,2026-12-07,9\n")


async def test_the_form_shows_the_value_of_a_kpi_measured_only_in_the_file(tmp_path: Path) -> None:
    app = make_app(measured_tree(tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await open_at(pilot, app, "csv-only")
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, NodeForm)
        assert form.query_one("#field-actual", Input).value == "40"  # was empty
        assert note(app, "actual") == "now 40 on 2026-12-01, from m.csv"
        form.query_one("#field-owner", Input).value = "Team"
        await pilot.press("ctrl+s")
        await pilot.pause()
        doc = app.main.document
        # Untouched, the value shown is not copied into the tree.
        assert doc is not None and doc.tables["csv-only"] == {
            "name": "Only in the file",
            "parent": "g",
            "target": 100,
            "owner": "Team",
        }
        assert doc.pending_rows() == []


async def test_a_new_inline_actual_is_dated_the_date_analysed(tmp_path: Path) -> None:
    app = make_app(write(tmp_path))  # as_of 2026-06-30; k has actual 40, undated
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await open_at(pilot, app, "k")
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, NodeForm)
        assert note(app, "actual") == "now 40, inline in the tree file, undated"
        form.query_one("#field-actual", Input).value = "45"
        await pilot.pause()
        assert note(app, "actual") == "now 40, inline in the tree file, undated · the new value is measured 2026-06-30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        table = app.main.document.tables["k"]  # type: ignore[union-attr]
        assert (table["actual"], table["measured"]) == (45, date(2026, 6, 30))
        assert "45 stored as the actual, measured 2026-06-30." in [n.message for n in app._notifications]
