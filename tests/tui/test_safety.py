"""The TUI against hostile text, journal troubles and writing elsewhere (issue 7, issue 8 item 13)."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from kpitui.core.document import Document
from kpitui.core.journal import journal_path
from kpitui.tui.app import make_app
from kpitui.tui.screens.dialogs import ChoiceDialog, LineDialog
from kpitui.tui.widgets.detail import DetailPanel
from kpitui.tui.widgets.header import TreeHeader
from tests.conftest import SAMPLES
from tests.tui.test_browse import SIZE, ready, tree
from tests.tui.test_edit import at, record_86

HOSTILE = (
    '[tree]\ntitle = "\\u001b]2;PWNED\\u0007Title\\u001b[2J"\n\n'
    '[nodes.g]\nname = "Goal \\u001b]52;c;ZXZpbA==\\u0007"\nkind = "goal"\nowner = "\\u009b31m"\n'
    'description = "line one\\nline two \\u001b[5m"\n\n'
    '[nodes."k\\u001b[31m"]\nname = "KPI\\u202eevil"\nparent = "g"\ntarget = 10\nunit = "\\u001b[1m"\n'
)


def rendered(widget: Static) -> str:
    return str(widget.render())


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE, encoding="utf-8")
    return path


async def test_control_characters_from_the_file_never_reach_the_terminal(hostile: Path) -> None:
    app = make_app(hostile)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        header = rendered(app.main.query_one(TreeHeader))
        assert "\\x1b]2;PWNED\\x07Title\\x1b[2J" in header
        labels = [str(node.label) for node in tree(app).root.children]
        labels += [str(node.label) for node in tree(app).root.children[0].children]
        assert "Goal \\x1b]52;c;ZXZpbA==\\x07" in labels[0]
        assert any("KPI\\u202eevil" in label for label in labels)
        tree(app).reveal("g")
        await pilot.pause()
        await pilot.pause()
        panel = app.main.query_one(DetailPanel).plain
        assert "Owner: \\x9b31m" in panel and "line one\nline two \\x1b[5m" in panel
        screenshot = app.export_screenshot()
        for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert raw not in screenshot
            assert raw not in header + "".join(labels) + panel


async def test_the_header_names_the_new_file_at_once_after_writing_elsewhere(tmp_path: Path) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        sales.write_text(sales.read_text(encoding="utf-8") + "\n# theirs\n", encoding="utf-8")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)
        await pilot.press("enter")
        await pilot.pause()
        header = rendered(app.main.query_one(TreeHeader))
        assert "sales.mine.toml" in header
        assert "sales.toml" not in header.replace("sales.mine.toml", "")


async def test_a_journal_write_failure_shows_in_the_header_and_keeps_the_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("kpitui.core.journal.replace_file", full)
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        assert app.is_running
        assert "edits not journaled: disk full" in rendered(app.main.query_one(TreeHeader))
        doc = app.main.document
        assert doc is not None and doc.tables["verlengingen"]["actual"] == 86 and doc.undo_stack


async def test_a_corrupt_journal_is_moved_aside_and_the_tree_opens(tmp_path: Path) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)
    bad = journal_path(sales, "1-abc")
    bad.parent.mkdir(parents=True)
    bad.write_text("changed = 5\norder = 5\n")
    app = make_app(sales)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert not isinstance(app.screen, ChoiceDialog)
        assert any("is unreadable" in n.message for n in app._notifications)
    assert bad.with_name(bad.name + ".corrupt").exists()


async def test_recovery_lists_each_session_with_its_time_and_edit_count(tmp_path: Path) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)
    for owner in ("A", "B"):
        doc = Document.open(sales)
        doc.set_fields("verlengingen", {"owner": owner})
        doc.set_fields("verlengingen", {"actual": 1})
        assert doc.write_journal() is None
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        question = app.screen.question
        assert "kept by 2 earlier session(s)" in question
        assert question.count(": 2 edit(s)") == 2
        await pilot.press("2")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.dirty and doc.tables["verlengingen"]["actual"] == 1


async def test_saving_a_read_only_file_asks_first_and_keeps_its_mode(tmp_path: Path) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)
    sales.chmod(0o444)
    before = sales.read_text(encoding="utf-8")
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and "is read-only" in app.screen.question
        await pilot.press("escape")
        await pilot.pause()
        assert sales.read_text(encoding="utf-8") == before
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and not doc.dirty
    assert sales.stat().st_mode & 0o777 == 0o444
    assert "actual = 86" in sales.read_text(encoding="utf-8")


async def test_notifications_escape_control_characters_and_are_not_markup(hostile: Path) -> None:
    app = make_app(hostile)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        app.main.notify("Deleted 'x\x1b]2;PWNED\x07 [b]bold[/b]'")
        await pilot.pause()
        last = list(app._notifications)[-1]
        assert last.message == "Deleted 'x\\x1b]2;PWNED\\x07 [b]bold[/b]'"
        assert last.markup is False


async def test_appending_rows_outside_the_trees_folder_asks_first(tmp_path: Path) -> None:
    folder = tmp_path / "trees"
    folder.mkdir()
    outside = tmp_path / "m.csv"
    outside.write_text("node,date,value\n")
    path = folder / "t.toml"
    path.write_text('[tree]\nmeasurements = "../m.csv"\n\n[nodes.k]\nname = "K"\ntarget = 5\n', encoding="utf-8")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "k")
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one(Input).value = "3"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # the date: today
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and "is outside the tree's folder" in app.screen.question
        await pilot.press("escape")
        await pilot.pause()
        assert outside.read_text() == "node,date,value\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert outside.read_text().startswith("node,date,value\nk,")
