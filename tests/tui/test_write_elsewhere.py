"""Writing mine to another file: in the tree's folder, and never over a file unasked.

Served to a browser (`kpitui serve`) nothing outside the tree's folder is written at all;
in a terminal only a path typed in full and confirmed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from kpitui.io.loader import load_tree
from kpitui.tui.app import KpiApp, make_app
from kpitui.tui.screens.dialogs import ChoiceDialog, LineDialog
from tests.conftest import SAMPLES
from tests.tui.test_browse import SIZE, ready
from tests.tui.test_edit import record_86

SECRET = "# someone's shell start-up file\n"


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    folder = tmp_path / "trees"
    folder.mkdir()
    path = folder / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", path)
    return path


@pytest.fixture
def bashrc(tmp_path: Path) -> Path:
    """A file outside the tree's folder that must survive."""
    path = tmp_path / "home" / ".bashrc"
    path.parent.mkdir()
    path.write_text(SECRET, encoding="utf-8")
    return path


async def ask_where(pilot, app: KpiApp, sales: Path) -> None:  # type: ignore[no-untyped-def]
    """Edit, let someone else change the file, save: the app asks where to write instead."""
    await record_86(pilot, app)
    sales.write_text(sales.read_text(encoding="utf-8") + "\n# theirs\n", encoding="utf-8")
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(app.screen, ChoiceDialog) and "changed on disk" in app.screen.question
    await pilot.press("w")
    await pilot.pause()
    assert isinstance(app.screen, LineDialog)


async def answer(pilot, app: KpiApp, text: str) -> None:  # type: ignore[no-untyped-def]
    app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await pilot.pause()


def refusal(app: KpiApp) -> str:
    assert isinstance(app.screen, LineDialog), "the name was taken"
    return str(app.screen.query_one("#line-error", Static).render())


async def test_served_nothing_is_written_outside_the_trees_folder(sales: Path, bashrc: Path) -> None:
    app = make_app(sales, served=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await ask_where(pilot, app, sales)
        for typed in (str(bashrc), "../home/.bashrc", "~/../../" + str(bashrc).lstrip("/")):
            await answer(pilot, app, typed)
            assert "outside the tree's folder" in refusal(app)
        await answer(pilot, app, "sales.mine.toml")
        assert not isinstance(app.screen, LineDialog | ChoiceDialog)
    assert bashrc.read_text(encoding="utf-8") == SECRET
    assert load_tree(sales.with_name("sales.mine.toml")).nodes["verlengingen"].actual == 86


async def test_a_link_in_the_folder_does_not_lead_out_of_it(sales: Path, bashrc: Path) -> None:
    sales.with_name("innocent.toml").symlink_to(bashrc)
    os.link(bashrc, sales.with_name("harmless.toml"))
    app = make_app(sales, served=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await ask_where(pilot, app, sales)
        await answer(pilot, app, "innocent.toml")
        assert "outside the tree's folder" in refusal(app)
        await answer(pilot, app, "harmless.toml")
        assert "hard links" in refusal(app)
    assert bashrc.read_text(encoding="utf-8") == SECRET


@pytest.mark.parametrize("served", [True, False])
async def test_an_existing_file_is_replaced_only_when_confirmed(sales: Path, served: bool) -> None:
    other = sales.with_name("other.toml")
    other.write_text("# another tree\n", encoding="utf-8")
    app = make_app(sales, served=served)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await ask_where(pilot, app, sales)
        await answer(pilot, app, "other.toml")
        assert isinstance(app.screen, ChoiceDialog) and "exists" in app.screen.question
        await pilot.press("escape")
        await pilot.pause()
        assert other.read_text(encoding="utf-8") == "# another tree\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        await answer(pilot, app, "other.toml")
        assert isinstance(app.screen, ChoiceDialog) and "exists" in app.screen.question
        await pilot.press("y")
        await pilot.pause()
    assert load_tree(other).nodes["verlengingen"].actual == 86


async def test_in_a_terminal_a_full_path_outside_the_folder_is_written_once_confirmed(
    sales: Path, bashrc: Path
) -> None:
    elsewhere = bashrc.with_name("sales.toml")
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await ask_where(pilot, app, sales)
        await answer(pilot, app, "../home/sales.toml")
        assert "type its full path" in refusal(app)
        await answer(pilot, app, str(bashrc))
        assert isinstance(app.screen, ChoiceDialog)
        assert "outside the tree's folder" in app.screen.question and "exists" in app.screen.question
        await pilot.press("escape")
        await pilot.pause()
        assert bashrc.read_text(encoding="utf-8") == SECRET
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        await answer(pilot, app, str(elsewhere))
        assert isinstance(app.screen, ChoiceDialog) and "outside the tree's folder" in app.screen.question
        await pilot.press("y")
        await pilot.pause()
    assert bashrc.read_text(encoding="utf-8") == SECRET
    assert load_tree(elsewhere).nodes["verlengingen"].actual == 86
