"""Loading a tree: off the event loop, once, with progress on screen, and a quick way out."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from kpitui.tui.app import make_app
from kpitui.tui.screens import main as main_module
from kpitui.tui.screens.main import MainScreen
from kpitui.tui.widgets.tree_view import KpiTreeView

SIZE = (100, 30)


async def ready(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(400):
        await pilot.pause()  # type: ignore[attr-defined]
        if app.main.analysis is not None and app.main.query_one(KpiTreeView).cursor_node is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the tree never loaded")


@pytest.fixture
def slow_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Reading the file takes `SLOW` seconds longer; the names of the threads that read it."""
    readers: list[str] = []
    real = MainScreen._read

    def read(self: MainScreen, *args: object, **kwargs: object) -> object:
        readers.append(threading.current_thread().name)
        time.sleep(SLOW)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(MainScreen, "_read", read)
    return readers


SLOW = 2.5  # more than two ticks of the file watcher


async def test_the_file_is_read_once_while_the_watcher_ticks(samples: Path, slow_read: list[str]) -> None:
    # The file watcher saw a stamp it had not recorded yet and started a second load of the
    # same file beside the first: on a big tree two threads parsed and analysed it at once.
    assert main_module.WATCH_SECONDS < SLOW / 2
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await asyncio.sleep(main_module.WATCH_SECONDS * 1.5)
        await pilot.pause()
        assert len(slow_read) == 1


async def test_a_small_tree_loads_off_the_event_loop(samples: Path, slow_read: list[str]) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert slow_read and slow_read[0] != threading.main_thread().name


def header(app: object) -> str:
    from kpitui.tui.widgets.header import TreeHeader

    return str(app.main.query_one(TreeHeader).render())  # type: ignore[attr-defined]


async def test_the_header_shows_the_step_and_a_count_that_moves(samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = MainScreen.compute

    def slow_compute(self: MainScreen, document: object) -> object:
        time.sleep(2.5)
        return real(self, document)  # type: ignore[arg-type]

    monkeypatch.setattr(MainScreen, "compute", slow_compute)
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        seen: list[str] = []
        for _ in range(200):
            await asyncio.sleep(0.05)
            await pilot.pause()
            text = header(app)
            if "analysing" in text and text not in seen:
                seen.append(text)
            if app.main.analysis is not None:
                break
        nodes = len(app.main.analysis.tree.nodes) if app.main.analysis else 0
        assert seen and all(t.startswith(f"Loading webshop.toml… analysing {nodes} nodes · ") for t in seen)
        assert any(" · 0 s · " in t for t in seen) and any(" · 2 s · " in t for t in seen)
        assert all(t.endswith(" q quits") for t in seen)
        await ready(pilot)
        assert "Loading" not in header(app)


@pytest.mark.parametrize("key", ["q", "ctrl+c", "ctrl+q"])
async def test_quitting_while_loading_ends_at_once(
    samples: Path, slow_read: list[str], monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    from kpitui.tui import hangup

    ended: list[tuple[int, float]] = []
    # The real one ends this process (pytest with it): record the call instead.
    monkeypatch.setattr(hangup, "end_now", lambda code: ended.append((code, time.monotonic())))
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause()
            if app.main.loading_in_worker():
                break
            await asyncio.sleep(0.02)
        assert app.main.loading_in_worker()
        pressed = time.monotonic()
        await pilot.press(key)
        await pilot.pause()
        assert app.main.analysis is None
    assert [code for code, _ in ended] == [0]
    assert ended[0][1] - pressed < SLOW / 2


async def test_ctrl_c_after_loading_only_says_how_to_quit(samples: Path) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running
        assert any("to quit" in str(n.message) for n in app._notifications)
