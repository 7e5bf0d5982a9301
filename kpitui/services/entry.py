"""A value entered for a node — in the edit form, with `v`, by `kpitui set` or `kpitui record`.

What the node's value is now and where it comes from (the form, `v` and `set` show it), the
date a new value gets when none is typed, and whether the node's history makes a new value
doubtful (`record` and `v` ask before writing it; kpitui.rules.plausible says why).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import TYPE_CHECKING

from kpitui.common.format import plain
from kpitui.common.text import safe_text
from kpitui.rules.plausible import doubts, way

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis

Entry = tuple[str, date, float]  # node, date, value


@dataclass(frozen=True)
class Current:
    """A node's value now, as the analysis uses it: its date and where it comes from."""

    value: float | None
    day: date | None = None
    source: str | None = None  # inline, measurements, rollup, formula, what-if; None: no value
    where: str | None = None  # the measurements file's name, for source "measurements"

    def __str__(self) -> str:
        """`8 on 2026-12-07, from measurements.csv`; `none yet`."""
        if self.value is None:
            return "none yet"
        text = plain(self.value) + (f" on {self.day}" if self.day is not None else "")
        origin = {
            "measurements": f"from {safe_text(self.where or 'the measurements file')}",
            "inline": "inline in the tree file" if self.day is not None else "inline in the tree file, undated",
            "rollup": "rolled up from its children",
            "formula": "computed by its formula",
        }.get(self.source or "", self.source or "")
        return f"{text}, {origin}" if origin else text

    @property
    def measured(self) -> bool:
        """Whether the value is the newest row of the measurements file."""
        return self.source == "measurements"


def current(analysis: Analysis, node_id: str) -> Current:
    """A node's value in the analysis (at its date), with its date and source."""
    result = analysis.results.get(node_id)
    if result is None or result.actual is None:
        return Current(None)
    where = analysis.tree.settings.measurements
    name = PurePath(where).name if where and result.actual_source == "measurements" else None
    return Current(result.actual, result.last_measured, result.actual_source, name)


def newest_row(analysis: Analysis, node_id: str) -> tuple[date, float] | None:
    """The node's newest measurement row on or before the analysis date (pending rows included)."""
    if analysis.state is not None:
        return analysis.state.newest.get(node_id)
    spread = analysis.spread.get(node_id)
    return (spread.last_day, spread.last_value) if spread is not None else None


def running_total(analysis: Analysis, node_id: str) -> bool:
    """Whether a node's value is a running total (a `linear` KPI): what `v` reminds of."""
    node = analysis.tree.nodes.get(node_id)
    return node is not None and node.pacing == "linear"


def unjudged_goal(analysis: Analysis, node_id: str) -> bool:
    """A goal with neither a unit nor a target: a value recorded on it is judged against nothing."""
    node = analysis.tree.nodes.get(node_id)
    if node is None or node.kind != "goal":
        return False
    result = analysis.results.get(node_id)
    target = result.target if result is not None else node.target
    return node.unit is None and target is None


@dataclass(frozen=True)
class Doubt:
    """A new value its node's history makes implausible, and why."""

    entry: Entry
    why: str


def doubted(analysis: Analysis, entries: Sequence[Entry]) -> list[Doubt]:
    """The new values (node, date, value) that make an implausible step in their node's history
    (measurement rows, pending ones included, and the dated inline actual; within the node's
    period, where it has one), in the order given.

    See kpitui.rules.plausible for what is implausible.
    """
    by_node: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry[0] in analysis.tree.nodes:
            by_node.setdefault(entry[0], []).append(entry)
    measurements = analysis.measurements
    histories = measurements.histories(list(by_node)) if measurements is not None else {}
    found: dict[Entry, str] = {}
    for node_id, new in by_node.items():
        node = analysis.tree.nodes[node_id]
        result = analysis.results.get(node_id)
        period = result.period if result is not None else node.period
        history: list[tuple[date, float]] = []
        if node.actual is not None and node.measured is not None:
            history.append((node.measured, node.actual))  # before the rows of its day: a row wins a tie
        history += histories.get(node_id, [])
        if period is not None:
            history = [h for h in history if period.start <= h[0] <= period.end]
            new = [e for e in new if period.start <= e[1] <= period.end]
        moves = way(node, result.target if result is not None else node.target)
        for (day, value), why in doubts(history, [(e[1], e[2]) for e in new], moves, node.unit):
            found.setdefault((node_id, day, value), why)
    return [Doubt(entry, found[entry]) for entry in entries if entry in found]
