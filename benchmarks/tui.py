"""TUI benchmarks as ratios in one run: first paint, tree shown, cursor movement.

- first paint / tree shown of a 10k-node tree against a minimal Textual app's first paint
  (each a fresh headless process that exits as soon as it has painted);
- moving the cursor 300 lines in a 100k-node tree against a 10-node tree.

Usage: python benchmarks/tui.py [--quick]   (--quick uses 20k instead of 100k nodes)
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import tree_text

MINIMAL = """
from textual.app import App
from textual.widgets import Static
class Minimal(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(self.exit)
Minimal().run(headless=True)
"""

KPITUI = """
import sys
from pathlib import Path
from kpitui.tui.app import make_app
from kpitui.tui.screens.main import MainScreen
from kpitui.tui.widgets.tree_view import KpiTreeView
app = make_app(Path(sys.argv[1]))
wait_for_tree = sys.argv[2] == "tree"
if not wait_for_tree:
    # The loader starts right after the first paint: stop there.
    MainScreen._first_load = lambda self: self.app.exit()
def poll():
    main = next((s for s in app.screen_stack if s.__class__.__name__ == "MainScreen"), None)
    if main is None:
        return
    if not wait_for_tree or main.query_one(KpiTreeView).cursor_node is not None:
        app.call_after_refresh(app.exit)
app.call_later(lambda: app.set_interval(0.005, poll))
app.run(headless=True)
"""


def small_plus(extra: int) -> str:
    """The 10-node tree, followed by `extra` more nodes under goals of their own.

    The cursor then moves over the very same lines in both trees; only the size differs.
    """
    small = tree_text(10)
    if not extra:
        return small
    more = tree_text(extra).split("\n[nodes.", 1)[1]
    return small + "\n[nodes." + re.sub(r"\bn(\d+)\b", r"b\1", more)


def wall(args: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


async def cursor_time(path: Path, moves: int) -> float:
    from kpitui.tui.app import make_app
    from kpitui.tui.widgets.tree_view import KpiTreeView

    app = make_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        tree = None
        for _ in range(100_000):
            await pilot.pause()
            tree = app.main.query_one(KpiTreeView)
            if tree.cursor_node is not None:
                break
            await asyncio.sleep(0.05)
        assert tree is not None
        tree.root.expand_all()  # everything created so far: goals and their objectives
        await pilot.pause()
        start = time.perf_counter()
        for i in range(moves):
            await pilot.press("j" if i % 10 < 5 else "k")  # stay among the first lines
        await pilot.pause()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    big = 20_000 if options.quick else 100_000
    py = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        t10k = base / "t10k.toml"
        t10k.write_text(tree_text(10_000), encoding="utf-8")
        minimal = wall([py, "-c", MINIMAL])
        paint = wall([py, "-c", KPITUI, str(t10k), "paint"])
        shown = wall([py, "-c", KPITUI, str(t10k), "tree"])
        print(f"minimal Textual app, first paint:     {minimal:.2f} s")
        print(f"10k-node tree, first paint:            {paint / minimal:.2f} x minimal (target <= 1.5)")
        print(f"10k-node tree, tree shown and usable:  {shown / minimal:.2f} x minimal")
        moves = 300
        times = {}
        for n in (0, big):
            path = base / f"cursor{n}.toml"
            path.write_text(small_plus(n), encoding="utf-8")
            times[n] = min(asyncio.run(cursor_time(path, moves)) for _ in range(2))
        print(f"cursor, {moves} moves, {big + 10}-node vs 10-node tree: {times[big] / times[0]:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
