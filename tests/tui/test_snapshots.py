"""The looks that matter, as SVG snapshots: highlighting, detail panel, findings view, 80x24."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input

from kpitui.tui.app import make_app
from tests.conftest import SAMPLES
from tests.tui.test_browse import ready


@pytest.fixture
def webshop(tmp_path: Path) -> Path:
    for name in ("webshop.toml", "webshop_measurements.csv", "sales.toml", "saas.toml", "saas_measurements.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


def test_highlighting_and_detail_100x30(snap_compare, webshop: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        pilot.app.main.query_one("#tree").reveal("sea-conversies")
        await pilot.pause()

    assert snap_compare(make_app(webshop / "webshop.toml"), terminal_size=(100, 30), run_before=run_before)


def test_sales_tree_80x24(snap_compare, webshop: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        pilot.app.main.query_one("#tree").reveal("omzet-joel")
        await pilot.pause()

    assert snap_compare(make_app(webshop / "sales.toml"), terminal_size=(80, 24), run_before=run_before)


def test_findings_view(snap_compare, webshop: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        await pilot.press("f")
        await pilot.pause()

    assert snap_compare(make_app(webshop / "sales.toml"), terminal_size=(100, 30), run_before=run_before)


def test_wide_detail_panel_80x24(snap_compare, webshop: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        pilot.app.main.query_one("#tree").reveal("omzet-joel")
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()

    assert snap_compare(make_app(webshop / "sales.toml"), terminal_size=(80, 24), run_before=run_before)


async def no_blink(pilot) -> None:  # type: ignore[no-untyped-def]
    """Stop the text cursor blinking, so the snapshot does not depend on when it is taken."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_node_form_80x24(snap_compare, webshop: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        pilot.app.main.query_one("#tree").reveal("acquisitie")
        await pilot.pause()
        # Pacing is proposed linear, as its sibling KPIs have it: the focus stays on it.
        await pilot.press("a", *"Offertes", "tab", *"1,2k", "tab", *"25k", "tab", "tab")
        await no_blink(pilot)

    assert snap_compare(make_app(webshop / "sales.toml"), terminal_size=(80, 24), run_before=run_before)


def test_tree_settings_80x24(snap_compare, webshop: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        await pilot.press("t", "tab", *"H2", "tab", *"today")
        await no_blink(pilot)

    assert snap_compare(make_app(webshop / "sales.toml"), terminal_size=(80, 24), run_before=run_before)


def test_chart_of_a_kpi_on_track_but_forecast_to_miss_100x30(snap_compare, webshop: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        pilot.app.main.query_one("#tree").reveal("sessies")
        await pilot.pause()

    assert snap_compare(make_app(webshop / "webshop.toml"), terminal_size=(100, 30), run_before=run_before)


def test_chart_in_the_wide_detail_panel_80x24(snap_compare, webshop: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        pilot.app.main.query_one("#tree").reveal("conversieratio")
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()

    assert snap_compare(make_app(webshop / "webshop.toml"), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
def test_no_color(snap_compare, webshop: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    # NO_COLOR: every mark in the terminal's foreground, errors and off track reversed, warnings underlined.
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        pilot.app.main.query_one("#tree").reveal("sessies")
        await pilot.pause()

    assert snap_compare(make_app(webshop / "webshop.toml"), terminal_size=size, run_before=run_before)


def test_budget_on_its_allowance_100x30(snap_compare, webshop: Path) -> None:  # type: ignore[no-untyped-def]
    """A cap (decrease, linear): over or under what is allowed by now, its trend against its plan."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        pilot.app.main.query_one("#tree").reveal("marketing-budget")
        await pilot.pause()

    assert snap_compare(make_app(webshop / "saas.toml"), terminal_size=(100, 30), run_before=run_before)
