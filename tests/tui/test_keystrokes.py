"""The 11-node task of issue 13, replayed as keys: the file it writes, and keys typed ahead."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from benchmarks.keystroke_task import EXPECTED, key_event, keys, replay
from kpitui.tui.app import make_app
from kpitui.tui.screens.form import NodeForm
from tests.tui.test_browse import ready


async def test_the_task_builds_the_expected_tree_at_80x24_in_at_most_250_keys(tmp_path: Path) -> None:
    written = await replay(tmp_path / "webshop.toml")
    assert written == EXPECTED
    assert len(keys()) == 248


async def test_keys_typed_ahead_into_an_open_form_all_land(tmp_path: Path) -> None:
    """Every key of a KPI, sent at once (a slow link), lands in its field: tab, choices, ctrl+s."""
    path = tmp_path / "t.toml"
    path.write_text('[nodes.g]\nname = "G"\nkind = "goal"\n[nodes.o]\nname = "O"\nkind = "objective"\nparent = "g"\n')
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.main.query_one("#tree").reveal("o")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, NodeForm)
        typed = [*"Omzet web", "tab", *"1,2M", "tab", *"450k", "tab", *"EUR", "tab", "l", "tab", "d", "ctrl+s"]
        driver = app._driver
        assert driver is not None
        for key in typed:
            event = key_event(key)
            event.set_sender(app)
            driver.send_message(event)
        for _ in range(20):
            await pilot.pause(0.05)
        assert not isinstance(app.screen, NodeForm)
        assert app.main.document is not None
        assert app.main.document.tables["omzet-web"] == {
            "name": "Omzet web",
            "parent": "o",
            "target": 1_200_000,
            "actual": 450_000,
            "measured": date.today(),  # a typed actual is dated: the tree has no as_of
            "unit": "EUR",
            "pacing": "linear",
            "direction": "decrease",
        }
