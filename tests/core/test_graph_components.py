"""Strongly connected components in analysis/graph.py, against networkx; its topological order; the tree walk."""

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

import networkx as nx

from kpitui.analysis.graph import KpiGraph, loops
from kpitui.model.domain import Node

T = TypeVar("T")


def assert_components(found: Sequence[Sequence[T]], successors: Mapping[T, Iterable[T]]) -> None:
    """`found` are networkx's strongly connected components, each after its successors'."""
    expected = {frozenset(c) for c in nx.strongly_connected_components(nx.DiGraph(successors))}
    assert {frozenset(c) for c in found} == expected
    position = {node: i for i, component in enumerate(found) for node in component}
    for a, targets in successors.items():
        for b in targets:
            assert position[b] <= position[a], "a successor's component comes first"


def test_parent_cycles_are_the_loops_of_the_parent_links() -> None:
    rng = random.Random(14)
    for _ in range(200):
        n = rng.randrange(1, 12)
        nodes = {
            f"n{i}": Node(id=f"n{i}", name=f"N{i}", parents=tuple(f"n{j}" for j in range(n) if rng.random() < 0.15))
            for i in range(n)
        }
        graph = KpiGraph(nodes)
        links = nx.DiGraph([(p, c) for c, node in nodes.items() for p in node.parents])
        links.add_nodes_from(nodes)
        expected = {
            frozenset(c) for c in nx.strongly_connected_components(links) if len(c) > 1 or links.has_edge(*[*c] * 2)
        }
        assert {frozenset(c) for c in graph.cycles()} == expected
        for cycle in graph.cycles():
            assert cycle == sorted(cycle, key=graph.order.__getitem__)


def test_a_deep_cycle_needs_no_recursion() -> None:
    n = 50_000
    successors = {i: [i + 1] for i in range(n - 1)} | {n - 1: [0]}
    assert [len(c) for c in loops(range(n), successors)] == [n]
    assert loops(range(3), {0: [1], 1: [2], 2: []}) == []
    assert loops(range(2), {0: [0], 1: []}) == [{0}]


def test_a_tree_without_a_loop_is_checked_without_networkx() -> None:
    import subprocess
    import sys

    from tests.conftest import SAMPLES

    code = (
        "import sys, contextlib, io\n"
        "from kpitui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['check', {str(SAMPLES / 'webshop.toml')!r}])\n"
        "print('networkx' in sys.modules)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_parent_links_repeats_and_missing_parents() -> None:
    # One parent (existing or not), none, several with repeats and missing ones: each node's
    # existing parents in its own order without repeats, children in file order, and every
    # missing parent reported once per mention.
    from kpitui.analysis.graph import KpiGraph
    from kpitui.model.domain import Node

    nodes = {
        "g": Node("g", "G", kind="goal"),
        "a": Node("a", "A", parents=("g",)),
        "b": Node("b", "B", parents=("x",)),
        "c": Node("c", "C", parents=("a", "g", "a", "y", "g", "y")),
        "d": Node("d", "D", parents=("g", "g")),
    }
    graph = KpiGraph(nodes)
    assert [graph.parents_of(n) for n in nodes] == [[], ["g"], [], ["a", "g"], ["g"]]
    assert graph.children("g") == ["a", "c", "d"] and graph.children("a") == ["c"]
    assert graph.dangling == [("b", "parent", "x"), ("c", "parent", "y"), ("c", "parent", "y")]


def _graph(parents: dict[str, list[str]]) -> KpiGraph:
    return KpiGraph({n: Node(id=n, name=n, parents=tuple(ps)) for n, ps in parents.items()})


def test_a_file_with_parents_first_is_in_topological_order_as_written() -> None:
    graph = _graph({"g": [], "b": ["g"], "h": [], "a": ["h"], "c": ["a", "b"]})
    assert graph.cycles() == []
    assert graph.topological() == ["g", "b", "h", "a", "c"]  # Kahn's would put both roots first


def test_a_child_before_its_parent_is_sorted_and_a_cycle_still_found() -> None:
    graph = _graph({"c": ["a"], "g": [], "a": ["g"]})
    assert graph.cycles() == []
    assert graph.topological() == ["g", "a", "c"]
    looped = _graph({"g": [], "a": ["g", "b"], "b": ["a"], "s": ["s"]})
    assert looped.cycles() == [["a", "b"], ["s"]]
    assert looped.topological() == ["g"]


def test_topological_order_agrees_with_kahn_on_random_graphs() -> None:
    rng = random.Random(15)
    for _ in range(300):
        ids = [f"n{i}" for i in range(rng.randrange(1, 10))]
        graph = _graph({n: rng.sample(ids, rng.randrange(0, min(3, len(ids) + 1))) for n in ids})
        kahn = graph._kahn(graph.cyclic())
        order = graph.topological()
        assert sorted(order) == sorted(kahn), "the same nodes: those outside cycles"
        place = {n: i for i, n in enumerate(order)}
        for n in order:
            for p in graph.parents_of(n):
                assert p in graph.cyclic() or place[p] < place[n], "parents first (those outside cycles)"


def test_tree_walk_links_from_one_pass_equal_the_depth_first_walk() -> None:
    # Trees where each node has at most one parent, named before it, get their walk's links in
    # one pass, and its order without checks for nodes seen before; others are walked depth
    # first. Either way the links and the order are the walk's.
    from kpitui.analysis.walk import TreeWalk

    rng = random.Random(16)
    one_pass = 0
    for _ in range(400):
        ids = [f"n{i}" for i in range(rng.randrange(1, 12))]
        parents: dict[str, list[str]] = {}
        for i, n in enumerate(ids):
            earlier = ids[:i] if rng.random() < 0.9 else ids
            parents[n] = rng.sample(earlier, min(len(earlier), rng.choice((0, 1, 1, 1, 2))))
            if rng.random() < 0.1:
                parents[n] = ["gone"]  # a parent that does not exist: a top of its own
        nodes = {
            n: Node(id=n, name=n, kind=rng.choice(("goal", "kpi")), parents=tuple(ps)) for n, ps in parents.items()
        }
        walk = TreeWalk(KpiGraph(nodes))
        links = (dict(walk.up), dict(walk.depth), dict(walk.top))
        one_pass += walk._order is None
        full = TreeWalk.__new__(TreeWalk)
        full.graph, full._order, full.up, full.depth, full.top = walk.graph, [], {}, {}, {}
        full._walk(walk.graph)
        assert links == (full.up, full.depth, full.top)
        assert walk.order == full.order and (walk.up, walk.depth, walk.top) == links
    assert 50 < one_pass < 350, "both ways taken"
