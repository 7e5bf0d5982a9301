"""Keys typed ahead (all sent at once, as a slow SSH link delivers them) land where they
would have landed had the user waited: into forms, dialogs, pickers and the settings
screen opened by the keys before them, across focus moves, and before the tree has loaded."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from benchmarks.keystroke_task import EXPECTED, key_event, replay
from kpitui.services.document import Document
from kpitui.tui.app import KpiApp, make_app
from kpitui.tui.screens.main import MainScreen
from tests.tui.test_browse import ready

TREE = """[tree]
period = { start = 2026-01-01, end = 2026-12-31 }

[nodes.g]
name = "G"
kind = "goal"

[nodes.o]
name = "O"
kind = "objective"
parent = "g"
owner = "Team"

[nodes.k]
name = "Conversie"
parent = "o"
target = 10
unit = "%"

[nodes.lead]
name = "Leadscore"
parent = "o"
"""


def send_at_once(app: KpiApp, keys: list[str]) -> None:
    """Every key into the driver without waiting, as a terminal delivers a burst of input."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        driver.send_message(event)


async def all_taken(pilot: Any, timeout: float = 60.0) -> None:
    """Wait until every key sent has been let in and its work is done."""
    app: KpiApp = pilot.app
    end = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < end:
        await pilot.pause(0.02)
        if not app.is_running:
            return
        idle = not app.typeahead.held and app.typeahead.task is None
        quiet = quiet + 1 if idle else 0
        if quiet >= 3:
            await pilot.pause()
            return
    raise AssertionError(f"keys still waiting after {timeout} s: {len(app.typeahead.held)}")


async def typed(tmp_path: Path, keys: list[str], at: str = "k", ahead: bool = True) -> tuple[Path, KpiApp]:
    """Open the tree, put the cursor on `at`, type `keys` (at once, or waiting after each)."""
    path = tmp_path / "t.toml"
    path.write_text(TREE, encoding="utf-8")
    app = make_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        app.main.query_one("#tree").reveal(at)  # type: ignore[attr-defined]
        await pilot.pause()
        if ahead:
            send_at_once(app, keys)
            await all_taken(pilot)
        else:
            await pilot.press(*keys)
            await pilot.pause()
    return path, app


def tables(path: Path) -> dict[str, dict[str, Any]]:
    return {node_id: dict(table) for node_id, table in Document.open(path).tables.items()}


ISSUE_KEYS = ["A", *"Conversion rate", "enter", "enter", "enter", *"Web team", "ctrl+s", "ctrl+s"]


async def test_the_issue_keys_typed_at_once_write_what_waiting_writes(tmp_path: Path) -> None:
    """A, a name, enter three times, more text: each part in the field it was meant for."""
    (tmp_path / "ahead").mkdir()
    (tmp_path / "waited").mkdir()
    ahead, _app = await typed(tmp_path / "ahead", ISSUE_KEYS)
    waited, _app = await typed(tmp_path / "waited", ISSUE_KEYS, ahead=False)
    assert tables(ahead)["conversion-rate"] == {
        "name": "Conversion rate",
        "parent": "o",
        "unit": "Web team",  # enter moves name → target → actual → unit
        "owner": "Team",
    }
    assert ahead.read_text(encoding="utf-8") == waited.read_text(encoding="utf-8")


async def test_a_whole_kpi_typed_ahead_with_tabs_and_one_key_choices(tmp_path: Path) -> None:
    keys = ["a", *"Omzet web", "tab", *"1,2M", "tab", *"450k", "tab", *"EUR", "tab", "l", "tab", "d"]
    path, _app = await typed(tmp_path, [*keys, "ctrl+s", "ctrl+s"], at="o")
    assert tables(path)["omzet-web"] == {
        "name": "Omzet web",
        "parent": "o",
        "target": 1_200_000,
        "actual": 450_000,
        "unit": "EUR",
        "pacing": "linear",
        "direction": "decrease",
        "owner": "Team",
        "measured": date.today(),  # the date analysed: the tree has no as_of
    }


async def test_the_edit_form_takes_keys_typed_before_it_opened(tmp_path: Path) -> None:
    path, _app = await typed(tmp_path, ["e", *"Conversion", "tab", *"25", "ctrl+s", "ctrl+s"])
    assert tables(path)["k"] == {"name": "Conversion", "parent": "o", "target": 25, "unit": "%"}


async def test_record_and_its_date_dialog_take_keys_typed_ahead(tmp_path: Path) -> None:
    path, _app = await typed(tmp_path, ["v", *"7,5", "enter", "enter", "ctrl+s"])
    assert tables(path)["k"] == {
        "name": "Conversie",
        "parent": "o",
        "target": 10,
        "unit": "%",
        "actual": 7.5,
        "measured": date.today(),
    }


async def test_a_choice_dialog_answered_ahead(tmp_path: Path) -> None:
    path, _app = await typed(tmp_path, ["d", "d", "ctrl+s"])
    assert set(tables(path)) == {"g", "o", "lead"}


async def test_a_confirm_dialog_and_the_form_behind_it_take_keys_typed_ahead(tmp_path: Path) -> None:
    """Escape asks whether to discard; n keeps editing, and the keys after it go on into the form."""
    path, _app = await typed(tmp_path, ["e", *"KPI", "escape", "n", *"X", "ctrl+s", "ctrl+s"])
    assert tables(path)["k"]["name"] == "KPIX"


async def test_pickers_take_keys_typed_ahead(tmp_path: Path) -> None:
    path, _app = await typed(tmp_path, ["c", *"leads", "enter", "i", *"leads", "enter", "minus", "ctrl+s"])
    table = tables(path)["k"]
    assert table["conflicts"] == ["lead"]
    assert table["influences"] == {"lead": "-"}


async def test_the_settings_screen_takes_keys_typed_ahead(tmp_path: Path) -> None:
    path, _app = await typed(tmp_path, ["t", *"Webshop", "tab", *"2027", "ctrl+s", "ctrl+s"])
    text = path.read_text(encoding="utf-8")
    assert 'title = "Webshop"' in text
    assert "period = { start = 2027-01-01, end = 2027-12-31 }" in text


async def test_quit_with_unsaved_edits_answered_ahead_saves_and_ends(tmp_path: Path) -> None:
    path, app = await typed(tmp_path, ["e", "tab", *"25", "ctrl+s", "q", "s"])
    assert tables(path)["k"]["target"] == 25
    assert not app.is_running


async def test_keys_typed_while_the_tree_loads_wait_for_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.toml"
    path.write_text(TREE, encoding="utf-8")
    monkeypatch.setattr(MainScreen, "start_loading", lambda self: None)  # loading starts when the test says
    app = make_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        send_at_once(app, ["G", "e", *"Conversion", "ctrl+s", "ctrl+s", "q"])
        await asyncio.sleep(0.3)
        await pilot.pause()
        assert app.main.document is None
        assert len(app.typeahead.held) == 15  # q too: it quits in turn, after the keys before it
        app.main.load()
        await all_taken(pilot)
    assert tables(path)["o"]["name"] == "Conversion"  # G: the last line (o, its KPIs folded); e edits it
    assert not app.is_running


@pytest.mark.parametrize("keys", [["q"], ["j", "j", "ctrl+q"]])
async def test_a_quit_key_while_the_tree_loads_quits_at_once(
    keys: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """q with no key waiting before it, ctrl+q always: the keys waiting for the tree do not hold them up."""
    path = tmp_path / "t.toml"
    path.write_text(TREE, encoding="utf-8")
    monkeypatch.setattr(MainScreen, "start_loading", lambda self: None)  # the tree never loads
    app = make_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        send_at_once(app, keys)
        for _ in range(50):
            await pilot.pause(0.02)
            if not app.is_running:
                break
    assert not app.is_running


async def test_enter_typed_before_the_terminal_was_raw_arrives_as_ctrl_j_and_counts_as_enter(
    tmp_path: Path,
) -> None:
    """The terminal's line discipline turns Enter typed before kpitui started into a line feed."""
    keys = [key.replace("enter", "ctrl+j") for key in ISSUE_KEYS]
    path, _app = await typed(tmp_path, keys)
    assert tables(path)["conversion-rate"]["unit"] == "Web team"


async def test_the_whole_task_typed_ahead_writes_the_expected_tree(tmp_path: Path) -> None:
    """The 248 keys of the 11-node task, sent at once: the same file as typed one by one."""
    assert await replay(tmp_path / "webshop.toml", ahead=True) == EXPECTED
