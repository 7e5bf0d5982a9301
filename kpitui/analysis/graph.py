"""The tree's links as a graph: parent edges, signed influence edges, drives edges, declared conflicts.

A *drives* edge runs from a node to each formula node that reads it (docs/contract.md#formulas). It carries
values, not strategy: orphans and parent cycles follow parent links only (docs/contract.md#orphan, #links), and
a loop of formulas is the value graph's to find (`values.py`).

Callers ask questions ("children of", "path to strategy") and get node ids back, always
in file order. The links are plain dicts of lists: building and walking them is what every
`check` does, and importing networkx alone costs a small tree's check more than all the
rest put together (0.2-0.6 s here, several times Python's own start-up; see benchmarks/).
The one algorithm needed beyond breadth-first walks, strongly connected components, is
Tarjan's, below, iterative so that no file's depth reaches Python's recursion limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

from kpitui.model.domain import Node

T = TypeVar("T")


class KpiGraph:
    """Parent, influence, drives and conflict links between the existing nodes of a tree."""

    def __init__(self, nodes: Mapping[str, Node]) -> None:
        self.nodes = nodes
        self.order = {node_id: i for i, node_id in enumerate(nodes)}
        self.influence: dict[str, dict[str, int]] = {}  # node -> {other: sign +1 / -1}
        self.declared: set[frozenset[str]] = set()
        self.dangling: list[tuple[str, str, str]] = []  # (node, field, missing id)
        self._children: dict[str, list[str]] = {node_id: [] for node_id in nodes}
        self._drivers: dict[str, list[str]] = {}  # formula node -> the existing nodes it reads, in order
        self._drives: dict[str, list[str]] = {}  # node -> the formula nodes that read it, in file order
        self._parents: dict[str, list[str]] = {}
        children = self._children
        # One pass over the nodes, the usual single parent without a dict to drop repeats:
        # at 100k nodes every extra pass and object costs more per node than at 10k.
        for node in nodes.values():
            named = node.parents
            if len(named) == 1:
                existing = [named[0]] if named[0] in nodes else []
            else:
                existing = [p for p in dict.fromkeys(named) if p in nodes] if named else []
            self._parents[node.id] = existing
            for parent in existing:
                children[parent].append(node.id)
            if len(existing) != len(named):
                self.dangling.extend((node.id, "parent", p) for p in named if p not in nodes)
            if node.influences:
                links = dict(node.influences)
                if links.keys() <= nodes.keys():  # all of them exist: no step per link (a clique has n²)
                    self.influence[node.id] = links
                else:
                    for other, sign in node.influences:
                        if other in nodes:
                            self.influence.setdefault(node.id, {})[other] = sign
                        else:
                            self.dangling.append((node.id, "influences", other))
            if node.formula is not None:
                read = list(dict.fromkeys(node.formula.refs))
                self.dangling.extend((node.id, "formula", ref) for ref in read if ref not in nodes)
                self._drivers[node.id] = [ref for ref in read if ref in nodes]
                for ref in self._drivers[node.id]:
                    self._drives.setdefault(ref, []).append(node.id)
            for other in node.conflicts:
                if other in nodes:
                    if other != node.id:
                        self.declared.add(frozenset((node.id, other)))
                else:
                    self.dangling.append((node.id, "conflicts", other))
        self._cyclic: set[str] | None = None
        self._cycles: list[list[str]] | None = None
        self._topological: list[str] | None = None

    def children(self, node_id: str) -> list[str]:
        """Existing children of a node, in file order."""
        return self._children.get(node_id, [])

    def parents_of(self, node_id: str) -> list[str]:
        """Existing parents of a node, in the order the node names them."""
        return self._parents[node_id]

    def drivers(self, node_id: str) -> list[str]:
        """The existing nodes a formula node reads (its drives edges in), in order of first use; [] for others."""
        return self._drivers.get(node_id, [])

    def drives(self, node_id: str) -> list[str]:
        """The formula nodes that read a node (its drives edges out), in file order."""
        return self._drives.get(node_id, [])

    def drive_chain(self, node_id: str) -> list[str]:
        """The formula nodes a node's value flows into, following the first drives edge each step.

        Stops before a node already on the chain, so a loop of formulas ends it.
        """
        chain: list[str] = []
        seen = {node_id}
        current = node_id
        while True:
            following = [d for d in self.drives(current) if d not in seen]
            if not following:
                return chain
            current = following[0]
            seen.add(current)
            chain.append(current)

    def roots(self) -> list[str]:
        """Goals with no existing parent, in file order: where strategy starts."""
        return [n.id for n in self.nodes.values() if n.kind == "goal" and not self.parents_of(n.id)]

    def cycles(self) -> list[list[str]]:
        """Groups of nodes linked in a parent cycle, each in file order."""
        if self._cycles is None:
            if self._parents_first():
                self._topological, self._cycles = list(self.nodes), []
                return self._cycles
            # Nodes a topological sort cannot place sit in or below a cycle: look only there.
            placed = self._kahn(set())
            if len(placed) == len(self.nodes):
                self._topological, self._cycles = placed, []
                return self._cycles
            rest = set(self.nodes) - set(placed)
            children = {n: [c for c in self._children[n] if c in rest] for n in rest}
            found = loops(rest, children)
            ordered = (sorted(c, key=self.order.__getitem__) for c in found)
            self._cycles = sorted(ordered, key=lambda c: self.order[c[0]])
        return self._cycles

    def cyclic(self) -> set[str]:
        """Every node that sits in a parent cycle."""
        if self._cyclic is None:
            self._cyclic = {n for cycle in self.cycles() for n in cycle}
        return self._cyclic

    def cycle_path(self, members: list[str]) -> list[str]:
        """One closed walk (parent → child) through a cycle, starting and ending at its first member."""
        start = members[0]
        inside = set(members)
        back = next(p for p in self.parents_of(start) if p in inside)
        if back == start:
            return [start, start]
        came_from: dict[str, str] = {start: start}
        queue = deque([start])
        while back not in came_from:
            current = queue.popleft()
            for child in self._children[current]:
                if child in inside and child not in came_from:
                    came_from[child] = current
                    queue.append(child)
        walk = [back]
        while walk[-1] != start:
            walk.append(came_from[walk[-1]])
        return [*walk[::-1], start]

    def ancestors_bfs(self, node_id: str) -> Iterator[tuple[str, int]]:
        """Ancestors nearest first, first parent first, each once, with their distance."""
        seen = {node_id}
        queue = deque([(node_id, 0)])
        while queue:
            current, distance = queue.popleft()
            for parent in self.parents_of(current):
                if parent not in seen:
                    seen.add(parent)
                    yield parent, distance + 1
                    queue.append((parent, distance + 1))

    def descendants(self, node_id: str) -> set[str]:
        """Every node below a node through parent links."""
        found: set[str] = set()
        stack = [node_id]
        while stack:
            for child in self._children[stack.pop()]:
                if child not in found:
                    found.add(child)
                    stack.append(child)
        found.discard(node_id)
        return found

    def path_to_strategy(self, node_id: str) -> list[str]:
        """The node's chain of first parents up to the top, top first; stops at a cycle."""
        chain = [node_id]
        seen = {node_id}
        while True:
            parents = self.parents_of(chain[-1])
            if not parents or parents[0] in seen:
                return chain[::-1]
            seen.add(parents[0])
            chain.append(parents[0])

    def topological(self) -> list[str]:
        """Nodes not in a cycle, every parent before its children (file order where free)."""
        if self._topological is None:
            self.cycles()  # fills it when there is no cycle
        if self._topological is None:
            self._topological = list(self.nodes) if self._parents_first() else self._kahn(self.cyclic())
        return self._topological

    def _parents_first(self) -> bool:
        """Whether every node comes after its parents in file order, as most files are written:
        then file order is a topological order, and there is no cycle. (Walking the nodes in the
        order they sit in memory, rather than in Kahn's, is also what keeps a big tree fast.)"""
        order = self.order
        for node_id, parents in self._parents.items():
            if parents:
                at = order[node_id]
                for parent in parents:
                    if order[parent] >= at:
                        return False
        return True

    def _kahn(self, skip: set[str]) -> list[str]:
        """Kahn's sort of the nodes outside `skip`; nodes below a cycle are left out."""
        parents = self._parents
        pending = {n: sum(1 for p in parents[n] if p not in skip) for n in self.nodes if n not in skip}
        ready = deque(n for n, count in pending.items() if count == 0)
        result: list[str] = []
        while ready:
            current = ready.popleft()
            result.append(current)
            for child in self._children[current]:
                if child in pending:
                    pending[child] -= 1
                    if pending[child] == 0:
                        ready.append(child)
        return result


def loops(nodes: Iterable[T], successors: Mapping[T, Iterable[T]]) -> list[set[T]]:
    """The groups of nodes that reach one another round a loop: the strongly connected components
    (networkx's) of more than one node, or of one that links to itself.

    Asked only where a topological sort left nodes over, so a tree without a loop never loads
    networkx (importing it is about a quarter of a second, more than `check` of a small tree).
    """
    import networkx as nx

    graph: nx.DiGraph[T] = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for a in graph.nodes for b in successors[a])
    return [c for c in nx.strongly_connected_components(graph) if len(c) > 1 or graph.has_edge(*([next(iter(c))] * 2))]
