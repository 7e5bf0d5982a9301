"""One edit ÷ a full analysis (issue 14): what an edit in the TUI costs in the core, in one process.

An edit is what the TUI does after a key: the document applies it (`Document`, in place),
the tree of the nodes now is taken, the analysis is updated for the changed nodes
(`engine/incremental.update`) and the change is journaled. Measured for the edits a user
makes most: record an actual (inline), undo and redo it, rename a node, add a leaf, delete
it, move a KPI under another objective. Each is timed against a full analysis of the same
tree in the same run; the goal is ≤ 0.02 at 100k nodes (the median edit).

Usage: python benchmarks/edits.py [NODES ...]   (default 10000; `run.py --full` adds 100000)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import tree_text
from benchmarks.harness import Ratio, print_ratio, seconds
from kpitui.analysis.results import Analysis
from kpitui.engine import analyze
from kpitui.engine.incremental import update
from kpitui.services.document import Document

GOAL = 0.02


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def measure(n: int, folder: Path) -> list[Ratio]:
    """Time each kind of edit and a full analysis on a generated tree of `n` nodes."""
    path = folder / f"edits{n}.toml"
    path.write_text(tree_text(n), encoding="utf-8")
    document = Document.open(path)
    holder: list[Analysis] = [analyze(document.current_tree())]
    holder[0].by_node  # noqa: B018 - as in the TUI, whose tree lines and detail panel sorted the findings by node at load
    full = min(_timed(lambda: analyze(document.current_tree())) for _ in range(2 if n < 50_000 else 1))
    kpi, other = f"n{n - 10}", f"n{n - 20}"
    objective = f"n{max(1, n // 200) * 3}"

    def edit(change: Callable[[Document], object]) -> Callable[[], None]:
        def run() -> None:
            change(document)
            tree = document.current_tree()
            holder[0] = update(holder[0], tree, document.take_changes()).analysis
            document.write_journal()

        return run

    kinds: dict[str, Callable[[Document], object]] = {
        "record an actual": lambda d: d.record_actual(kpi, 42.0, date(2026, 6, 30), False),
        "undo": lambda d: d.undo(),
        "redo": lambda d: d.redo(),
        "rename": lambda d: d.replace(other, d.tables[other], "renamed"),
        "add a leaf": lambda d: d.add_node({"name": "New KPI", "parent": objective, "target": 5}, "new-kpi"),
        "move a KPI": lambda d: d.move_node("new-kpi", kpi),
        "delete a leaf": lambda d: d.delete_node("new-kpi"),
    }
    times = {name: _timed(edit(change)) for name, change in kinds.items()}
    document.drop_journal()
    label = f"{n // 1000}k"
    found = []
    for name, spent in times.items():
        found.append(
            print_ratio(Ratio(f"edit ({name}) ÷ full analysis, {label} nodes", spent / full, None, seconds(spent)))
        )
    median = statistics.median(times.values())
    found.append(
        print_ratio(
            Ratio(
                f"one edit (median of the above) ÷ full analysis, {label} nodes",
                median / full,
                GOAL if n >= 100_000 else None,
                f"{seconds(median)} vs {seconds(full)}",
            )
        )
    )
    return found


def run(sizes: list[int]) -> list[Ratio]:
    """Measure at each size; journals go to a scratch folder."""
    found: list[Ratio] = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_STATE_HOME"] = folder
        for n in sizes:
            found += measure(n, Path(folder))
    return found


if __name__ == "__main__":
    run([int(a) for a in sys.argv[1:]] or [10_000])
