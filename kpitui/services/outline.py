"""What a browser of the tree asks: what is at the top, what is below, where the problems are."""

from __future__ import annotations

from functools import cached_property

from kpitui.analysis.results import Analysis
from kpitui.analysis.walk import TreeWalk

# Findings that make a node a "problem" for the filter and for ]/[ (at risk included).
PROBLEM_SEVERITIES = frozenset({"error", "warning"})


class Outline:
    """The tree as a browser shows it: goals at the top, then everything that serves no goal."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.graph = analysis.graph
        self.nodes = analysis.tree.nodes

    @property
    def walk(self) -> TreeWalk:
        """Each node's place in tree order: the node it is reached from, its depth and top."""
        return self.analysis.walk

    def path(self, node_id: str) -> list[str]:
        """The ids from the node's top (a root goal or an unplaced node) down to it."""
        return self.walk.path(node_id)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Each node's position in tree order."""
        return {node_id: i for i, node_id in enumerate(self.walk.order)}

    def roots(self) -> list[str]:
        """Root goals in file order."""
        return self.graph.roots()

    @cached_property
    def unplaced(self) -> list[str]:
        """Tops of the parts not below any root goal (orphans, cycles), in file order."""
        roots = set(self.roots())
        tops = dict.fromkeys(self.walk.top[n] for n in self.walk.order)
        return [top for top in tops if top not in roots]

    def children(self, node_id: str) -> list[str]:
        """A node's children in file order."""
        return self.graph.children(node_id)

    def is_problem(self, node_id: str) -> bool:
        """Whether a node has an open (not accepted) error or warning finding, or is at risk.

        Being off track or an orphan is a warning finding of its own, so accepting it
        takes the node off the problem list.
        """
        return any(
            not f.accepted and (f.severity in PROBLEM_SEVERITIES or f.code == "at_risk")
            for f in self.analysis.findings_of(node_id)
        )

    @cached_property
    def problems(self) -> list[str]:
        """Problem nodes in tree order."""
        return [n for n in self.walk.order if self.is_problem(n)]

    @cached_property
    def problem_paths(self) -> set[str]:
        """Problem nodes and every node on their paths: what the problem filter shows."""
        shown: set[str] = set()
        up = self.walk.up
        for problem in self.problems:
            current: str | None = problem
            while current is not None and current not in shown:
                shown.add(current)
                current = up[current]
        return shown

    def search(self, query: str) -> list[str]:
        """Nodes whose name or id contains the query (any case), in tree order."""
        needle = query.casefold().strip()
        if not needle:
            return []
        return [n for n in self.walk.order if needle in n.casefold() or needle in self.nodes[n].name.casefold()]

    def next_in(self, candidates: list[str], current: str | None, step: int) -> str | None:
        """The candidate after (step 1) or before (step -1) `current` in tree order, wrapping."""
        if not candidates:
            return None
        if current is None or current not in self.walk:
            return candidates[0] if step > 0 else candidates[-1]
        order = self.positions
        here = order[current]
        if step > 0:
            return next((c for c in candidates if order[c] > here), candidates[0])
        return next((c for c in reversed(candidates) if order[c] < here), candidates[-1])

    def counts(self) -> dict[str, int]:
        """Headline counts of open findings: orphans, conflicting pairs, off-track nodes, errors.

        Accepted findings are not counted, nor declared pairs the data does not question
        (a managed tension is info, not a problem).
        """
        return self.analysis.open_counts()
