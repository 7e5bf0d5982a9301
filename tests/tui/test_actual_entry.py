"""A new actual typed in the form where the measurements file cannot take a row (Parquet)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from textual.widgets import Input

from kpitui.tui.app import make_app
from kpitui.tui.screens.form import NodeForm
from tests.tui.test_form import note, open_at

TREE = """version = 1

[tree]
as_of = 2026-12-07
period = { start = 2026-01-01, end = 2026-12-31 }
measurements = "m.parquet"

[nodes.g]
name = "Goal"
kind = "goal"

[nodes.subs]
name = "Subscribers"
parent = "g"
pacing = "linear"
target = 10
"""


async def test_a_value_a_parquet_row_of_its_date_would_hide_is_refused_at_the_field(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(TREE)
    rows = {"node": ["subs", "subs"], "date": [date(2026, 11, 30), date(2026, 12, 7)], "value": [6.0, 8.0]}
    pl.DataFrame(rows).write_parquet(tmp_path / "m.parquet")
    app = make_app(path)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_at(pilot, app, "subs")
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, NodeForm)
        assert form.query_one("#field-actual", Input).value == "8"
        form.query_one("#field-actual", Input).value = "9"
        await pilot.pause()
        assert note(app, "actual") == "now 8 on 2026-12-07, from m.parquet · the new value is measured 2026-12-07"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NodeForm)  # not applied: the row of 2026-12-07 would win over it
        assert note(app, "actual") == (
            "m.parquet has a value on 2026-12-07 (8 on 2026-12-07, from m.parquet), which counts over an inline "
            "one of that date or earlier; record this value in that file, or date it later in Measured on"
        )
        # Dated later, it is stored inline and counts from that date on.
        form.query_one("#field-measured", Input).value = "2026-12-08"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, NodeForm)
        table = app.main.document.tables["subs"]  # type: ignore[union-attr]
        assert (table["actual"], table["measured"]) == (9, date(2026, 12, 8))
