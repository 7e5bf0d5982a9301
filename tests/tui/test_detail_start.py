"""The detail panel at start: nothing until the cursor is on a node, never the orphan group's
text for a tree whose first line is a real node."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpitui.tui.app import make_app
from kpitui.tui.widgets.detail import DetailPanel
from kpitui.tui.widgets.tree_view import ORPHAN_GROUP, KpiTreeView
from tests.tui.test_browse import ready

GROUP_TEXT = "Nodes that serve no strategic goal"


async def test_the_first_texts_of_the_detail_panel_are_nothing_then_the_first_node(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    for name in ("show", "blank"):
        method = getattr(DetailPanel, name)

        def record(self: DetailPanel, *args: object, _method: object = method) -> None:
            _method(self, *args)  # type: ignore[operator]
            shown.append(self.plain)

        monkeypatch.setattr(DetailPanel, name, record)
    app = make_app(samples / "sales.toml")  # a parent cycle: an orphan group below the goals
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.pause()
        assert app.main.current() == "omzet"
        assert shown
        assert not any(GROUP_TEXT in text for text in shown)
        assert all(text == "" or text.startswith("Omzet €3M") for text in shown)
        # The orphan group itself still explains what it is.
        tree = app.main.query_one(KpiTreeView)
        group = next(node for node in tree.root.children if node.data is ORPHAN_GROUP)
        tree.move_cursor(group)
        await pilot.pause()
        assert GROUP_TEXT in app.main.query_one(DetailPanel).plain
