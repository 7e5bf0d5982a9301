"""Conflicts between nodes (docs/contract.md#conflict), and the influence conflicts kept compactly per source.

A dense influence graph has a conflict for nearly every pair of its nodes (79,800 in a
400-node clique), so influence conflicts are not kept one object per pair. Which pairs
conflict is found from each source's signed reach, as integer bit sets, and kept as each
source's partners; the witnessing path of a pair, and the order in which a source's
breadth-first search meets its partners (nearest first), are found only when something
shows them: the findings of a source with few partners, the detail panel, a diagram.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import compress
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from kpitui.analysis.graph import KpiGraph
    from kpitui.model.domain import Node

Pair = frozenset[str]
_BITS = bytes.maketrans(b"01", b"\x00\x01")  # a binary numeral's digits as selectors for compress
_BOTTOM = 16  # how many nodes from the stack's bottom Tarjan's step looks at before a set intersection
_SEARCHES_KEPT = 64  # breadth-first searches kept for paths asked later (a clique's detail panel asks 399)


def influence_explanation(nodes: Mapping[str, Node], path: list[str], signs: list[int]) -> str:
    """`pushing 'Ad spend' up pushes 'Margin' down: Ad spend →(+) Clicks →(−) Margin`."""
    first, last = nodes[path[0]], nodes[path[-1]]
    product = 1
    for sign in signs:
        product *= sign
    moved = "up" if first.sign * product > 0 else "down"
    steps = "".join(f" →({'+' if s > 0 else '−'}) {nodes[n].name}" for n, s in zip(path[1:], signs, strict=True))
    return (
        f"influence: pushing '{first.name}' {'up' if first.sign > 0 else 'down'} pushes "
        f"'{last.name}' {moved}, against its {last.direction}: {first.name}{steps}"
    )


class Conflict:
    """Two nodes whose pursuit works against each other, and why.

    An influence conflict finds its witnessing path (and so its explanation) when first asked.
    """

    __slots__ = ("_found", "_path", "_signs", "a", "b", "kind", "text")

    def __init__(
        self, a: str, b: str, kind: str, text: str, path: Iterable[str] = (), signs: Iterable[int] = ()
    ) -> None:
        self.a, self.b, self.kind, self.text = a, b, kind, text  # kind: declared, influence
        self._path: tuple[str, ...] | None = tuple(path)
        self._signs: tuple[int, ...] | None = tuple(signs)
        self._found: InfluenceConflicts | None = None

    @classmethod
    def influence(cls, a: str, b: str, found: InfluenceConflicts) -> Conflict:
        """The influence conflict of source `a` with `b`, its path found on demand."""
        conflict = cls(a, b, "influence", "")
        conflict._path = conflict._signs = None
        conflict._found = found
        return conflict

    @property
    def path(self) -> tuple[str, ...]:
        """The witnessing influence path (a shortest one from `a`); () for other kinds."""
        if self._path is None:
            self._witness()
        assert self._path is not None
        return self._path

    @property
    def signs(self) -> tuple[int, ...]:
        """The signs of the path's links."""
        if self._signs is None:
            self._witness()
        assert self._signs is not None
        return self._signs

    def _witness(self) -> None:
        assert self._found is not None
        path, signs = self._found.witness(self.a, self.b)
        self._path, self._signs = tuple(path), tuple(signs)

    @property
    def explanation(self) -> str:
        """Why they conflict, in words."""
        if self.text or self._found is None:
            return self.text
        return influence_explanation(self._found.nodes, list(self.path), list(self.signs))

    def _key(self) -> tuple[str, str, str, str, tuple[str, ...], tuple[int, ...]]:
        return (self.a, self.b, self.kind, self.text, self.path, self.signs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Conflict):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.a, self.b, self.kind, self.text))

    def __repr__(self) -> str:
        return f"Conflict(a={self.a!r}, b={self.b!r}, kind={self.kind!r}, text={self.text!r}, path={self.path!r})"


class InfluenceConflicts:
    """The influence conflicts of a graph: for each source, in file order, the partners it reports.

    A pair is reported once, by its first node in file order that conflicts with the other
    (docs/contract.md#conflict asks both ways). `partners` holds each source's partners in file order; `ordered`
    gives them in the order its breadth-first search meets them, which is the order in which
    conflicts are listed. Made from a snapshot of the graph's links, so that an edit patching
    the graph later does not change the paths of conflicts found before it.
    """

    def __init__(
        self,
        influence: Mapping[str, Mapping[str, int]],
        nodes: Mapping[str, Node],
        order: Mapping[str, int],
        partners: dict[str, tuple[str, ...]],
    ) -> None:
        self.influence = influence
        self.nodes = nodes
        self.order = order
        self.partners = partners
        self._count = sum(map(len, partners.values()))
        self._ordered: dict[str, tuple[str, ...]] = {}
        self._sets: dict[str, frozenset[str]] = {}
        self._links = _Links(influence, order)
        self._searches: OrderedDict[str, _Search] = OrderedDict()
        self._reporters: dict[str, list[str]] | None = None

    @classmethod
    def find(cls, graph: KpiGraph) -> InfluenceConflicts:
        """Every influence conflict of a graph, each pair once."""
        influence = dict(graph.influence)
        return cls(influence, graph.nodes, graph.order, _partners(influence, graph.nodes, graph.order))

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Conflict]:
        """Every conflict, by source in file order, each source's partners nearest first."""
        for a in self.partners:
            for b in self.ordered(a):
                yield Conflict.influence(a, b, self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InfluenceConflicts):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def pairs(self) -> Iterator[Pair]:
        """Every conflicting pair, unordered."""
        for a, partners in self.partners.items():
            for b in partners:
                yield frozenset((a, b))

    def ordered(self, source: str) -> tuple[str, ...]:
        """A source's partners in the order its breadth-first search meets them (nearest first)."""
        found = self._ordered.get(source)
        if found is not None:
            return found
        partners = self.partners.get(source, ())
        if len(partners) < 2:
            self._ordered[source] = partners
            return partners
        nodes, order = self.nodes, self.order
        d = nodes[source].sign
        wanted: dict[int, set[str]] = {1: set(), -1: set()}
        for p in partners:
            wanted[-d * nodes[p].sign].add(p)
        left = len(partners)
        met: list[str] = []
        for fresh, product in self._search(source).steps():
            hit = fresh & wanted[product]
            if hit:
                met += sorted(hit, key=order.__getitem__)
                wanted[product] -= hit
                left -= len(hit)
                if not left:
                    break
        self._ordered[source] = found = tuple(met)
        return found

    def witness(self, a: str, b: str) -> tuple[list[str], list[int]]:
        """A shortest influence path from `a` to `b` whose sign product makes them conflict, and its signs."""
        nodes = self.nodes
        product = -nodes[a].sign * nodes[b].sign
        search = self._search(a)
        if b not in search.seen[product]:
            for _ in search.advance():
                if b in search.seen[product]:
                    break
        return search.walk_back(b, product)

    def conflict(self, a: str, b: str) -> Conflict:
        """The conflict of source `a` with its partner `b`."""
        return Conflict.influence(a, b, self)

    def partner_set(self, source: str) -> frozenset[str]:
        """A source's partners as a set."""
        found = self._sets.get(source)
        if found is None:
            found = self._sets[source] = frozenset(self.partners.get(source, ()))
        return found

    def source_of(self, pair: Pair) -> str | None:
        """Which node of a pair reports its influence conflict; None when the pair has none."""
        if len(pair) != 2:
            return None
        x, y = pair
        if y in self.partner_set(x):
            return x
        if x in self.partner_set(y):
            return y
        return None

    def rank(self, pair: Pair) -> tuple[int, int] | None:
        """Where a pair comes among the conflicts: its source's place, then its own in the source's."""
        source = self.source_of(pair)
        if source is None:
            return None
        (other,) = pair - {source}
        return self.order[source], self.ordered(source).index(other)

    def reporters(self, node: str) -> list[str]:
        """The sources that report a conflict with a node, in file order."""
        if self._reporters is None:
            index: dict[str, list[str]] = {}
            for a, partners in self.partners.items():
                for b in partners:
                    index.setdefault(b, []).append(a)
            self._reporters = index
        return self._reporters.get(node, [])

    def of(self, node: str) -> list[Conflict]:
        """A node's conflicts, in the order they are listed (by source, nearest first)."""
        found: list[Conflict] = []
        own = self.partners.get(node)
        place = self.order.get(node, -1)
        for a in self.reporters(node):
            if own is not None and self.order[a] > place:
                found += (Conflict.influence(node, b, self) for b in self.ordered(node))
                own = None
            found.append(Conflict.influence(a, node, self))
        if own is not None:
            found += (Conflict.influence(node, b, self) for b in self.ordered(node))
        return found

    def partners_of(self, node: str) -> set[str]:
        """Every node a node is in influence conflict with."""
        return set(self.partners.get(node, ())).union(self.reporters(node))

    def merged(self, part: set[str], fresh: InfluenceConflicts, graph: KpiGraph) -> InfluenceConflicts:
        """These conflicts with those of the sources in `part` replaced by `fresh` (found again
        after an edit), over the graph as it is now; `part` holds whole parts of the graph."""
        order = graph.order
        partners = {a: p for a, p in self.partners.items() if a not in part}
        partners.update(fresh.partners)
        ordered = dict(sorted(partners.items(), key=lambda item: order[item[0]]))
        return InfluenceConflicts(dict(graph.influence), graph.nodes, order, ordered)

    def _search(self, source: str) -> _Search:
        searches = self._searches
        search = searches.get(source)
        if search is None:
            search = searches[source] = _Search(self._links, source)
            if len(searches) > _SEARCHES_KEPT:
                searches.popitem(last=False)
        else:
            searches.move_to_end(source)
        return search


class _Links:
    """The influence links of a graph, each node's taken apart by sign when first asked."""

    def __init__(self, influence: Mapping[str, Mapping[str, int]], order: Mapping[str, int]) -> None:
        self.influence, self.order = influence, order
        self._split: dict[str, tuple[frozenset[str], frozenset[str]]] = {}

    def successors(self, node: str, sign: int) -> frozenset[str]:
        """A node's influence targets through links of one sign."""
        split = self._split.get(node)
        if split is None:
            targets = self.influence.get(node, {})
            positive = frozenset([other for other, s in targets.items() if s > 0])
            split = self._split[node] = (positive, frozenset(targets.keys() - positive))
        return split[0] if sign > 0 else split[1]


class _Search:
    """A breadth-first search over (node, sign product) states from one source, run only as far
    as asked and resumed from there; each step is one expansion's newly met states.

    (No object here refers back to what holds it: a dense graph's conflicts are then freed as
    soon as they are no longer used, not by the garbage collector's walk over all of them.)
    """

    def __init__(self, links: _Links, source: str) -> None:
        # seen[product][node] = (previous node, previous product, sign of the link taken)
        self.seen: dict[int, dict[str, tuple[str, int, int] | None]] = {1: {source: None}, -1: {}}
        self.log: list[tuple[frozenset[str], int]] = []
        self._run = _expand(links, self.seen, source)

    def steps(self) -> Iterator[tuple[frozenset[str], int]]:
        """Every step from the first: those taken already, then new ones."""
        yield from list(self.log)
        yield from self.advance()

    def advance(self) -> Iterator[tuple[frozenset[str], int]]:
        """The steps not taken yet."""
        log = self.log
        for step in self._run:
            log.append(step)
            yield step

    def walk_back(self, node: str, product: int) -> tuple[list[str], list[int]]:
        """The path by which a state was first met, and its signs."""
        seen = self.seen
        path, signs = [node], []
        step = seen[product][node]
        while step is not None:
            node, product, sign = step
            signs.append(sign)
            path.append(node)
            step = seen[product][node]
        return path[::-1], signs[::-1]


def _expand(
    links: _Links, seen: dict[int, dict[str, tuple[str, int, int] | None]], source: str
) -> Iterator[tuple[frozenset[str], int]]:
    """A breadth-first search's steps: the states each expansion meets first, and their product.

    States met by one expansion are queued together and put in file order only when their
    turn comes: in a dense graph most are never expanded.
    """
    order = links.order.__getitem__
    batches: deque[tuple[Iterable[str], int]] = deque([((source,), 1)])
    while batches:
        members, product = batches.popleft()
        for node in sorted(members, key=order):
            for sign in (1, -1):
                successors = links.successors(node, sign)
                if not successors:
                    continue
                reached = product * sign
                states = seen[reached]
                fresh = successors.difference(states)
                if not fresh:
                    continue
                states.update(dict.fromkeys(fresh, (node, product, sign)))
                batches.append((fresh, reached))
                yield fresh, reached


class Conflicts(Sequence[Conflict]):
    """Every conflict of an analysis: declared pairs, then influence conflicts.

    Influence conflicts are made into objects only when asked for one by one. (A target gap is
    no conflict between two nodes: it is the parent's own finding, `target_gap`.)
    """

    def __init__(self, declared: list[Conflict], influence: InfluenceConflicts) -> None:
        self.declared, self.influence = declared, influence
        self._all: list[Conflict] | None = None
        self._others: dict[str, list[Conflict]] | None = None
        self._of: dict[str, list[Conflict]] = {}

    def __len__(self) -> int:
        return len(self.declared) + len(self.influence)

    def __iter__(self) -> Iterator[Conflict]:
        yield from self.declared
        yield from self.influence

    @overload
    def __getitem__(self, i: int) -> Conflict: ...
    @overload
    def __getitem__(self, i: slice) -> list[Conflict]: ...
    def __getitem__(self, i: int | slice) -> Conflict | list[Conflict]:
        if self._all is None:
            self._all = list(self)
        return self._all[i]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Conflicts({list(self)!r})"

    def of(self, node: str) -> list[Conflict]:
        """Every conflict a node takes part in, in the order of all conflicts."""
        found = self._of.get(node)
        if found is None:
            if self._others is None:
                index: dict[str, list[Conflict]] = {}
                for c in self.declared:
                    index.setdefault(c.a, []).append(c)
                    index.setdefault(c.b, []).append(c)
                self._others = index
            found = [*self._others.get(node, []), *self.influence.of(node)]
            self._of[node] = found
        return found

    def partners(self, node: str) -> list[str]:
        """The ids a node conflicts with, sorted."""
        if self._others is None:
            self.of(node)
        assert self._others is not None
        others = {c.b if c.a == node else c.a for c in self._others.get(node, ())}
        return sorted(others | self.influence.partners_of(node))


def _partners(
    influence: Mapping[str, Mapping[str, int]], nodes: Mapping[str, Node], order: Mapping[str, int]
) -> dict[str, tuple[str, ...]]:
    """Each source's partners, in file order, every pair under its first source that conflicts.

    Bit 2k of a state set stands for linked node k reached with sign product +1, bit 2k+1 with
    −1. A source of sign d conflicts with each node whose state (node, −d·sign) it reaches.
    Sources that reach the same states (one class of a strongly connected component) share
    one such set, which is listed once to learn which nodes it names: so an earlier source
    that already reported a pair is known per class, not per pair.
    """
    linked = sorted(set(influence).union(*influence.values()), key=order.__getitem__)
    reach = _signed_reach(influence, linked)
    state_node = [node for node in linked for _ in (0, 1)]  # bit -> its node
    # needed[d]: the state of every node that a source of sign d conflicts with.
    digits = "".join("01" if nodes[node].sign > 0 else "10" for node in linked)  # bit 0 first
    needed = {1: int(digits[::-1], 2) if digits else 0}
    needed[-1] = needed[1] ^ ((1 << len(digits)) - 1)
    position = {node: k for k, node in enumerate(linked)}
    partners: dict[str, tuple[str, ...]] = {}
    conflicting: dict[tuple[int, int], int] = {}  # (class, sign) -> the states its sources conflict with
    named: dict[tuple[int, int], tuple[tuple[str, ...], list[int]]] = {}  # (class, sign) -> those nodes, places
    classes_naming: dict[str, list[tuple[int, int]]] = {}  # node -> the (class, sign)s whose sources conflict with it
    earlier: dict[tuple[int, int], int] = {}  # (class, sign) -> both state bits of each source seen so far
    for k, source in enumerate(linked):
        d = nodes[source].sign
        bits = reach[2 * k]
        key = (id(bits), d)
        hits = conflicting.get(key)
        if hits is None:
            hits = conflicting[key] = bits & needed[d]
            members = tuple(_members(hits, state_node))
            named[key] = (members, [position[m] for m in members])
            for member in members:
                classes_naming.setdefault(member, []).append(key)
        if not hits:
            continue
        own = 3 << (2 * k)
        drop = own
        for other in classes_naming.get(source, ()):
            drop |= earlier.get(other, 0)
        mine = hits & ~drop
        if mine:
            after = 2 * k + 2
            if mine == hits >> after << after:  # all of its class's partners after it (a clique): a slice
                members, places = named[key]
                partners[source] = members[bisect_right(places, k) :]
            else:
                partners[source] = tuple(_members(mine, state_node))
        earlier[key] = earlier.get(key, 0) | own
    return partners


def _members(bits: int, state_node: list[str]) -> list[str]:
    """The nodes of the states in a bit set, in bit order (file order)."""
    if bits.bit_count() <= 8:
        found = []
        while bits:
            low = bits & -bits
            bits ^= low
            found.append(state_node[low.bit_length() - 1])
        return found
    return list(compress(state_node, bin(bits)[:1:-1].encode().translate(_BITS)))


def _signed_reach(influence: Mapping[str, Mapping[str, int]], linked: list[str]) -> list[int]:
    """For each state (bit 2k: linked node k with sign product +1, 2k+1: −1), the bits of the states it reaches.

    Found from the strongly connected components of the influence graph itself (not of the
    twice as large graph of states): inside a component that is a loop, either every node has
    a sign of its own such that each link's sign is the product of its ends' (then the states
    split into two classes that reach within themselves), or a loop of odd sign exists and
    every state of the component reaches every other. Reach flows from components to those
    that link into them, children first, as integer bit sets; the states of one class share
    one int object.
    """
    position = {node: k for k, node in enumerate(linked)}
    reach: list[int] = [0] * (2 * len(linked))
    empty: Mapping[str, int] = {}
    for members in components(linked, influence):
        inside = set(members)
        first = members[0]
        loop = len(members) > 1 or first in influence.get(first, empty)
        # A sign per node that every link inside agrees with, if there is one.
        potential: dict[str, int] | None = {first: 1}
        stack = [first] if loop else []
        while stack and potential is not None:
            node = stack.pop()
            for other, sign in influence.get(node, empty).items():
                if other not in inside:
                    continue
                want = potential[node] * sign
                known = potential.get(other)
                if known is None:
                    potential[other] = want
                    stack.append(other)
                elif known != want:
                    potential = None  # a loop of odd sign: both signs everywhere
                    break
        # Links leaving the component: (member, target, sign).
        leaving: list[tuple[str, str, int]] = []
        for member in members if len(members) < len(linked) else ():  # else nothing lies outside
            targets = influence.get(member)
            if targets and not targets.keys() <= inside:
                leaving += ((member, other, targets[other]) for other in targets.keys() - inside)
        for side in (1,) if potential is None else (1, -1):
            # The states of this class: (member, side times its sign), or every state of the component.
            if potential is None:
                states = [2 * position[m] + p for m in members for p in (0, 1)]
            else:
                states = [2 * position[m] + (0 if side * potential[m] > 0 else 1) for m in members]
            bits = 0
            if loop:
                for state in states:
                    bits |= 1 << state
            for member, other, sign in leaving:
                target = 2 * position[other]
                if potential is None:
                    bits |= reach[target] | reach[target + 1] | (3 << target)
                else:
                    product = side * potential[member] * sign
                    state = target if product > 0 else target + 1
                    bits |= reach[state] | (1 << state)
            for state in states:
                reach[state] = bits
    return reach


def components(nodes: list[str], successors: Mapping[str, Mapping[str, int]]) -> list[list[str]]:
    """The strongly connected components of the influence graph, each one's successors' first.

    Tarjan's algorithm with an explicit stack (no recursion, whatever the depth), shaped so that
    a dense graph costs no Python step per link: a node's successors not yet visited are taken
    as one set intersection when it is entered, and
    skipped without a look once every node is visited; when it is left, the lowest index among
    its successors still on the stack is the first of them from the stack's bottom (the stack
    is in index order), looked for among the bottom few and else found by one intersection.
    (Taken when the node is left rather than link by link, the successors on the stack may
    include nodes a step of Tarjan's would have skipped as popped; those were popped since,
    lie below the node, and have a higher index, so they change nothing.)
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    unvisited = set(nodes)
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    work: list[tuple[str, Iterator[str]]] = []

    def enter(node: str) -> None:
        index[node] = low[node] = len(index)
        unvisited.discard(node)
        stack.append(node)
        on_stack.add(node)
        targets = successors.get(node)
        work.append((node, iter(unvisited.intersection(targets) if targets else ())))

    for root in nodes:
        if root in index:
            continue
        enter(root)
        while work:
            node, pending = work[-1]
            if unvisited:
                descend = next((n for n in pending if n in unvisited), None)
                if descend is not None:
                    enter(descend)
                    continue
            work.pop()
            targets = successors.get(node)
            if targets:
                lowest = next((m for m in stack[:_BOTTOM] if m in targets), None)
                if lowest is not None:
                    low[node] = min(low[node], index[lowest])
                elif len(stack) > _BOTTOM:
                    held = targets.keys() & on_stack
                    if held:
                        low[node] = min(low[node], *map(index.__getitem__, held))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                found.append(pop_component(stack, on_stack, node))
    return found


def influence_pairs(graph: KpiGraph) -> Iterator[tuple[str, str, list[str], list[int]]]:
    """Pairs (a, b) where pushing a in its direction pushes b the wrong way, each pair once,
    with one witnessing path (a shortest one from a) and the signs along it.

    In the order conflicts are listed: by source in file order, each one's partners nearest
    first. `InfluenceConflicts` keeps them without a path per pair.
    """
    found = InfluenceConflicts.find(graph)
    for a in found.partners:
        for b in found.ordered(a):
            yield a, b, *found.witness(a, b)


def pop_component(stack: list[str], on_stack: set[str], node: str) -> list[str]:
    """Tarjan's last step for a component's first node: it and the members above it, taken off the stack."""
    component: list[str] = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == node:
            return component
