"""The tree's links as a graph: parent edges, signed influence edges, drives edges, declared conflicts.

A *drives* edge runs from a node to each formula node that reads it (SPEC 4.7). It carries
values, not strategy: orphans and parent cycles follow parent links only (SPEC 4.1, 3), and
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
from collections.abc import Iterator, Mapping
from typing import TypeVar

from kpitui.core.model import Node

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
        self._parents: dict[str, list[str]] = {
            n.id: [p for p in dict.fromkeys(n.parents) if p in nodes] for n in nodes.values()
        }
        children = self._children
        for node in nodes.values():
            for parent in self._parents[node.id]:
                children[parent].append(node.id)
            if len(self._parents[node.id]) != len(node.parents):
                self.dangling.extend((node.id, "parent", p) for p in node.parents if p not in nodes)
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
            # Nodes a topological sort cannot place sit in or below a cycle: look only there.
            placed = self._kahn(set())
            if len(placed) == len(self.nodes):
                self._topological, self._cycles = placed, []
                return self._cycles
            rest = set(self.nodes) - set(placed)
            children = {n: [c for c in self._children[n] if c in rest] for n in rest}
            found = [c for c in strong_components(list(rest), children) if len(c) > 1 or c[0] in children[c[0]]]
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

    def _influence_nodes(self) -> list[str]:
        """Nodes with an influence link (either end), each once."""
        seen: dict[str, None] = {}
        for source, targets in self.influence.items():
            seen[source] = None
            for other in targets:
                seen[other] = None
        return list(seen)

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
            self._topological = self._kahn(self.cyclic())
        return self._topological

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

    def influence_conflicts(self) -> Iterator[tuple[str, str, list[str], list[int]]]:
        """Pairs (a, b) where pushing a in its direction pushes b the wrong way.

        Yields each unordered pair once, from its first source in file order, with one
        witnessing path (a shortest one from that source) and the signs along it. Which
        targets a source can reach with which sign is known beforehand (reachability over
        the strongly connected components of the signed graph), so each source's one
        breadth-first search stops as soon as its last target is found: a dense influence
        graph costs about one scan of the edges, not one search per pair.
        """
        graph = self.influence
        if not graph:
            return
        linked = self._influence_nodes()
        index, reach = self._signed_reach(linked)
        reported: set[frozenset[str]] = set()
        for source in sorted(linked, key=self.order.__getitem__):
            d_source = self.nodes[source].sign
            reachable = reach[(source, 1)]
            wanted = {
                other
                for other in linked
                if other != source
                and reachable >> index[(other, -d_source * self.nodes[other].sign)] & 1
                and frozenset((source, other)) not in reported
            }
            if not wanted:
                continue
            # Breadth-first over (node, sign product) states, until every wanted target is found.
            seen: dict[tuple[str, int], tuple[tuple[str, int] | None, int]] = {(source, 1): (None, 0)}
            queue = deque([(source, 1)])
            while queue and wanted:
                state = queue.popleft()
                node, product = state
                for other, sign in graph.get(node, {}).items():
                    nxt = (other, product * sign)
                    if nxt in seen:
                        continue
                    seen[nxt] = (state, sign)
                    queue.append(nxt)
                    if other in wanted and d_source * nxt[1] == -self.nodes[other].sign:
                        wanted.discard(other)
                        reported.add(frozenset((source, other)))
                        yield source, other, *self._walk_back(seen, nxt)
                        if not wanted:
                            break

    def _signed_reach(self, linked: list[str]) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]]:
        """Each (node, sign) state's bit, and for each state the bits of the states it reaches.

        Computed once over the strongly connected components, children before parents, as
        integer bit sets shared by each component's members.
        """
        State = tuple[str, int]
        successors: dict[State, list[State]] = {}
        for node in linked:
            for product in (1, -1):
                successors[(node, product)] = [(b, product * sign) for b, sign in self.influence.get(node, {}).items()]
        index = {state: i for i, state in enumerate(successors)}
        component_of: dict[State, int] = {}
        reach_of: list[int] = []
        # Tarjan's components come out children first: every successor's reach is known.
        for number, inner in enumerate(strong_components(list(successors), successors)):
            for state in inner:
                component_of[state] = number
            below = 0
            for state in inner:
                for successor in successors[state]:
                    other = component_of[successor]
                    if other != number:
                        below |= reach_of[other] | (1 << index[successor])
            # States of one component reach each other only where it is a real loop.
            if len(inner) > 1 or any(s in successors[s] for s in inner):
                below |= self._bits(set(inner), index)
            reach_of.append(below)
        return index, {state: reach_of[component_of[state]] for state in successors}

    @staticmethod
    def _bits(states: set[tuple[str, int]], index: dict[tuple[str, int], int]) -> int:
        bits = 0
        for state in states:
            bits |= 1 << index[state]
        return bits

    @staticmethod
    def _walk_back(
        seen: dict[tuple[str, int], tuple[tuple[str, int] | None, int]], state: tuple[str, int]
    ) -> tuple[list[str], list[int]]:
        path, signs = [state[0]], []
        current: tuple[str, int] | None = state
        while current is not None:
            previous, sign = seen[current]
            if previous is None:
                break
            signs.append(sign)
            path.append(previous[0])
            current = previous
        return path[::-1], signs[::-1]


def strong_components(nodes: list[T], successors: Mapping[T, list[T]]) -> list[list[T]]:
    """The strongly connected components of a graph, each one's successors' components first.

    Tarjan's algorithm with an explicit stack (no recursion, whatever the depth).
    """
    index: dict[T, int] = {}
    low: dict[T, int] = {}
    on_stack: set[T] = set()
    stack: list[T] = []
    found: list[list[T]] = []
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors[root]))]
        while work:
            node, pending = work[-1]
            for nxt in pending:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(successors[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[T] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    found.append(component)
    return found
