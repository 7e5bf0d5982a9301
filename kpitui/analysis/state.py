"""What an analysis keeps so that an edit can update it instead of analysing the tree again.

The full analysis (`analyze`) fills it; `engine/incremental.py` derives the next one from it.
Findings are kept per node (and per pair of nodes for conflicts), so an edit replaces the
findings of the nodes it touches, and the sorted list of every finding is built only when
someone asks for it (the findings view, `check`), not on every keystroke.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from kpitui.analysis.below import Below, BelowMaps
from kpitui.model.domain import PAIR_CODES, SEVERITY_ORDER, Finding

if TYPE_CHECKING:
    from kpitui.analysis.conflicts import Conflict, InfluenceConflicts
    from kpitui.io.measurements import Measurements, WindowSums


@dataclass
class AnalysisState:
    """The parts of an analysis an incremental update reuses and patches."""

    base_measurements: Measurements | None  # the file's rows, without the pending ones
    rows: tuple[tuple[str, date, float], ...]  # rows recorded but not yet written
    newest: dict[str, tuple[date, float]]
    sums: dict[str, WindowSums]
    kpi_below: dict[str, bool]
    maps: BelowMaps
    declared: list[Conflict]
    influence: InfluenceConflicts
    groups: dict[str | None, list[Finding]] = field(default_factory=dict)  # by node; None: the file's
    pairs: dict[frozenset[str], Finding] = field(default_factory=dict)  # by the nodes each concerns
    many: set[frozenset[str]] = field(default_factory=set)  # keys of findings naming a node's many conflicts
    counts: dict[str, int] | None = None
    orphaned: int | None = None  # how many nodes serve no goal (accepted or not)
    _declared_rank: dict[frozenset[str], int] | None = None

    def set_declared(self, found: list[Conflict]) -> None:
        """The declared pairs' conflicts, in order."""
        self.declared, self._declared_rank = found, None

    def set_influence(self, found: InfluenceConflicts) -> None:
        """The influence conflicts."""
        self.influence = found

    def pair_rank(self, pair: frozenset[str]) -> tuple[int, int, int]:
        """Where a pair first appears among the conflicts (declared, then influence): the order of
        pair findings that share a node and a code."""
        if len(pair) > 2:
            return (-1, 0, 0)  # a node's one finding for its many influence conflicts comes first
        if self._declared_rank is None:
            self._declared_rank = {frozenset((c.a, c.b)): i for i, c in reversed(list(enumerate(self.declared)))}
        if pair in self._declared_rank:
            return (0, self._declared_rank[pair], 0)
        influence = self.influence.rank(pair)
        if influence is not None:
            return (1, *influence)
        return (2, 0, 0)

    def below(self, node_id: str) -> Below:
        """What sits below a node (its KPIs, those stating a horizon, whether one is long)."""
        kpis, horizon, long = self.maps
        return Below(tuple(kpis[node_id]), tuple(horizon[node_id]), long[node_id])

    def sorted_findings(self, order: Mapping[str, int]) -> list[Finding]:
        """Every finding in the order `analyze` sorts them (`order`: the nodes' places in the file)."""
        keyed: list[tuple[int, int, str, tuple[int, int, int], Finding]] = []
        for node_id, group in self.groups.items():
            where = order.get(node_id or "", -1)
            keyed.extend((SEVERITY_ORDER[f.severity], where, f.code, (i, 0, 0), f) for i, f in enumerate(group))
        for pair, f in self.pairs.items():
            rank = self.pair_rank(pair)
            keyed.append((SEVERITY_ORDER[f.severity], order.get(f.node or "", -1), f.code, rank, f))
        keyed.sort(key=lambda k: k[:4])
        return [k[4] for k in keyed]

    def node_view(self, order: Mapping[str, int], node_id: str, pairs: Iterable[Finding]) -> list[Finding]:
        """The findings shown on one node, in the global order: its own, and the pairs it is in."""
        keyed = [
            (SEVERITY_ORDER[f.severity], order.get(node_id, -1), f.code, (i, 0, 0), f)
            for i, f in enumerate(self.groups.get(node_id, ()))
        ]
        keyed += [
            (
                SEVERITY_ORDER[f.severity],
                order.get(f.node or "", -1),
                f.code,
                self.pair_rank(frozenset(f.concerns)),
                f,
            )
            for f in pairs
        ]
        keyed.sort(key=lambda k: k[:4])
        return [k[4] for k in keyed]


def split_findings(
    findings: Iterable[Finding],
) -> tuple[dict[str | None, list[Finding]], dict[frozenset[str], Finding]]:
    """Findings by the node they are about, and the pair findings by pair."""
    groups: dict[str | None, list[Finding]] = {}
    pairs: dict[frozenset[str], Finding] = {}
    for f in findings:
        if f.code in PAIR_CODES:
            pairs[frozenset(f.concerns)] = f
        else:
            groups.setdefault(f.node, []).append(f)
    return groups, pairs
