"""The influence graph's strongly connected components (analysis/conflicts.py), against networkx's."""

import random

from kpitui.analysis.conflicts import components
from tests.core.test_graph_components import assert_components


def test_the_influence_graphs_components_match_networkx_and_come_successors_first() -> None:
    # conflicts.components: Tarjan's by set operations (a dense graph takes no Python step per link).
    rng = random.Random(8)
    for _ in range(400):
        n = rng.randrange(1, 40)
        density = rng.choice((0.02, 0.05, 0.2, 0.5, 0.9, 1.0))
        successors = {
            f"n{a}": {f"n{b}": rng.choice((1, -1)) for b in range(n) if rng.random() < density} for a in range(n)
        }
        nodes = list(successors)
        rng.shuffle(nodes)
        assert_components(components(nodes, successors), successors)


def test_the_influence_graphs_long_loops_and_hubs_need_no_recursion() -> None:
    n = 50_000
    loop = {f"n{i}": {f"n{(i + 1) % n}": 1} for i in range(n)}
    assert [len(c) for c in components(list(loop), loop)] == [n]
    hub = {"hub": {f"n{i}": 1 for i in range(n)}} | {f"n{i}": {"hub": -1} for i in range(0, n, 2)}
    found = components(["hub", *(f"n{i}" for i in range(n))], hub)
    assert sorted(len(c) for c in found) == [1] * (n // 2) + [n // 2 + 1]
