"""Pathological but valid shapes stay bounded: deep chains, long loops, dense influence graphs."""

from __future__ import annotations

import csv
import io
import itertools
import random
from collections import deque
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import shapes
from kpitui.analysis.conflicts import influence_pairs
from kpitui.analysis.graph import KpiGraph
from kpitui.engine import analyze
from kpitui.io.loader import load_tree
from kpitui.model.domain import Node
from kpitui.outputs.export import write_csv
from kpitui.outputs.text_report import as_text
from kpitui.services.outline import Outline


def _tree(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shape.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_20000_deep_chain_analyses_and_exports_with_paths_named_by_their_ends(tmp_path: Path) -> None:
    analysis = analyze(load_tree(_tree(tmp_path, shapes.chain(20_000))))
    out = io.BytesIO()
    write_csv(analysis, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    assert len(rows) == 20_000
    last = rows[-1]
    assert last["depth"] == "19999"
    assert last["path"] == (
        "Top > … 19,993 more … > Node 19994 > Node 19995 > Node 19996 > Node 19997 > Node 19998 > Node 19999"
    )
    assert rows[3]["path"] == "Top > Node 1 > Node 2 > Node 3"
    assert len(out.getvalue()) < 20_000 * 400  # not every path spelt out (1.6 GB before)
    report = as_text(analysis, colour=False)
    assert len(report) < 20_000 * 600


def test_a_long_loop_is_named_by_its_ends_and_length(tmp_path: Path) -> None:
    analysis = analyze(load_tree(_tree(tmp_path, shapes.loop(5_000))))
    cycles = [f for f in analysis.findings if f.code == "cycle"]
    assert len(cycles) == 5_000
    first = cycles[0]
    assert "(a 5,000-node loop: Node 0 → Node 1 → Node 2 → … → Node 4997 → Node 4998 → Node 4999 → Node 0)" in (
        first.message
    )
    assert first.related == ("n1", "n2", "n4997", "n4998", "n4999")
    assert max(len(f.message) for f in cycles) < 300


def test_a_short_loop_names_every_member(tmp_path: Path) -> None:
    analysis = analyze(load_tree(_tree(tmp_path, shapes.loop(3))))
    first = next(f for f in analysis.findings if f.code == "cycle")
    assert "(Node 0 → Node 1 → Node 2 → Node 0)" in first.message
    assert first.related == ("n1", "n2")


def test_a_long_loop_of_formulas_is_named_by_its_ends_and_length(tmp_path: Path) -> None:
    # f0 reads f1, f1 reads f2, …, f1999 reads f0: every node is in one loop of values.
    n = 2_000
    nodes = "".join(f'[nodes.f{i}]\nname = "F {i}"\nformula = "f{(i + 1) % n} + 1"\n\n' for i in range(n))
    analysis = analyze(load_tree(_tree(tmp_path, nodes)))
    cycles = [f for f in analysis.findings if f.code == "cycle"]
    assert len(cycles) == n
    assert all(" → … → " in f.message and "a 2,000-node loop: " in f.message for f in cycles)
    assert max(len(f.message) for f in cycles) < 300
    assert max(len(f.related) for f in cycles) <= 6


def _graph(n: int, edges: dict[tuple[int, int], int], directions: list[str]) -> KpiGraph:
    nodes = {
        f"n{i}": Node(
            id=f"n{i}",
            name=f"N{i}",
            direction=directions[i],
            influences=tuple((f"n{b}", s) for (a, b), s in edges.items() if a == i),
        )
        for i in range(n)
    }
    return KpiGraph(nodes)


def _brute_pairs(graph: KpiGraph) -> set[frozenset[str]]:
    """Every conflicting pair, by a full search from every source (the definition of docs/contract.md#conflict)."""
    found: set[frozenset[str]] = set()
    for source in {n for a, targets in graph.influence.items() for n in (a, *targets)}:
        seen = {(source, 1)}
        queue = deque(seen)
        while queue:
            node, product = queue.popleft()
            for other, sign in graph.influence.get(node, {}).items():
                state = (other, product * sign)
                if state not in seen:
                    seen.add(state)
                    queue.append(state)
        d = graph.nodes[source].sign
        found |= {frozenset((source, o)) for o, p in seen if o != source and d * p == -graph.nodes[o].sign}
    return found


def test_influence_conflicts_match_a_full_search_on_random_graphs() -> None:
    rng = random.Random(8)
    for _ in range(150):
        n = rng.randrange(2, 8)
        edges = {
            (a, b): rng.choice((1, -1))
            for a, b in itertools.permutations(range(n), 2)
            if rng.random() < rng.choice((0.15, 0.4, 0.8))
        }
        graph = _graph(n, edges, [rng.choice(("increase", "decrease")) for _ in range(n)])
        found = list(influence_pairs(graph))
        pairs = [frozenset((a, b)) for a, b, _, _ in found]
        assert len(pairs) == len(set(pairs)), "each pair once"
        assert set(pairs) == _brute_pairs(graph)
        for a, b, path, signs in found:
            assert path[0] == a and path[-1] == b and len(signs) == len(path) - 1
            product = 1
            for x, y, sign in zip(path, path[1:], signs, strict=False):
                assert graph.influence[x][y] == sign
                product *= sign
            assert graph.nodes[a].sign * product == -graph.nodes[b].sign


@st.composite
def _signed_graphs(draw: st.DrawFn) -> KpiGraph:
    n = draw(st.integers(2, 9))
    density = draw(st.sampled_from((0.1, 0.3, 0.6, 0.95)))
    pairs = [p for p in itertools.permutations(range(n), 2) if draw(st.floats(0, 1)) < density]
    loops = draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True))  # a node influencing itself
    edges = {p: draw(st.sampled_from((1, -1))) for p in [*pairs, *((i, i) for i in loops)]}
    return _graph(n, edges, [draw(st.sampled_from(("increase", "decrease"))) for _ in range(n)])


def _check_against_brute_force(graph: KpiGraph) -> None:
    found = list(influence_pairs(graph))
    pairs = [frozenset((a, b)) for a, b, _, _ in found]
    assert len(pairs) == len(set(pairs)), "each pair once"
    assert set(pairs) == _brute_pairs(graph)
    for a, b, path, signs in found:
        assert path[0] == a and path[-1] == b and len(signs) == len(path) - 1
        product = 1
        for x, y, sign in zip(path[:-1], path[1:], signs, strict=True):
            assert graph.influence[x][y] == sign
            product *= sign
        assert graph.nodes[a].sign * product == -graph.nodes[b].sign


@settings(max_examples=300, deadline=None)
@given(graph=_signed_graphs())
def test_influence_conflicts_are_exactly_the_pairs_a_search_per_pair_finds(graph: KpiGraph) -> None:
    # One search per source, each pair once, against the definition of docs/contract.md#conflict searched in full.
    _check_against_brute_force(graph)


def test_influence_conflicts_in_graphs_of_many_components_match_a_full_search() -> None:
    # Chains of loops (consistent, odd and single nodes) linked one way: reach flows between components.
    rng = random.Random(14)
    for _ in range(40):
        n = rng.randrange(10, 40)
        edges: dict[tuple[int, int], int] = {}
        for a in range(n):
            for b in range(n):
                close = abs(a - b) <= 2 and rng.random() < 0.5
                if a != b and (close or (a < b and rng.random() < 0.03)):
                    edges[(a, b)] = rng.choice((1, -1)) if rng.random() < 0.5 else 1
        _check_against_brute_force(_graph(n, edges, [rng.choice(("increase", "decrease")) for _ in range(n)]))


def test_a_dense_influence_clique_reports_each_pair_once(tmp_path: Path) -> None:
    analysis = analyze(load_tree(_tree(tmp_path, shapes.clique(120))))
    conflicts = [c for c in analysis.conflicts if c.kind == "influence"]
    pairs = {frozenset((c.a, c.b)) for c in conflicts}
    assert len(pairs) == len(conflicts) == 120 * 119 // 2


def test_a_node_in_many_influence_conflicts_gets_one_finding_naming_a_few(tmp_path: Path) -> None:
    # Each pair is reported once, under its first node; a node first in more than 5 pairs gets
    # one finding naming 3 partners and how many others, all of them in `related`.
    analysis = analyze(load_tree(_tree(tmp_path, shapes.clique(120))))
    findings = [f for f in analysis.findings if f.code == "conflict"]
    by_node = {f.node: f for f in findings if len(f.related) > 1}
    assert len(by_node) == 114  # n0 … n113 are first in 119 … 6 pairs
    assert len(findings) == 114 + (5 + 4 + 3 + 2 + 1)  # n114 … n118 keep one finding per pair
    n0 = by_node["n0"]
    assert n0.related == tuple(f"n{i}" for i in range(1, 120))
    named = "'Node 0' conflicts through influences with 'Node 1', 'Node 2', 'Node 3' and 116 others"
    assert n0.message.startswith(named)
    assert n0.kind == "influence" and n0.severity == "warning"
    pairs = [frozenset((f.node, r)) for f in findings for r in f.related]
    assert len(pairs) == len(set(pairs)) == 120 * 119 // 2
    single = next(f for f in findings if f.node == "n118")
    assert single.related == ("n119",) and "influence: pushing 'Node 118'" in single.message
    report = as_text(analysis, colour=False)
    assert sum(line.startswith("  ! conflict ") for line in report.splitlines()) == 129
    assert "7140 conflict(s)" in report.splitlines()[-1]  # pairs, as the header counts them
    assert Outline(analysis).counts()["conflicts"] == 7140


def test_a_few_influence_conflicts_keep_one_finding_each(tmp_path: Path) -> None:
    text = '[nodes.g]\nname = "G"\nkind = "goal"\n[nodes.a]\nname = "A"\nparent = "g"\n'
    text += "influences = { " + ", ".join(f'b{i} = "-"' for i in range(5)) + " }\n"
    text += "".join(f'[nodes.b{i}]\nname = "B{i}"\nparent = "g"\n' for i in range(5))
    analysis = analyze(load_tree(_tree(tmp_path, text)))
    findings = [f for f in analysis.findings if f.code == "conflict"]
    assert [f.related for f in findings] == [(f"b{i}",) for i in range(5)]
    assert all("influence: pushing 'A' up pushes" in f.message for f in findings)


def test_integers_beyond_a_float_are_a_schema_error_with_their_line(tmp_path: Path) -> None:
    import pytest

    from kpitui.model.domain import TreeLoadError

    path = _tree(tmp_path, '[nodes.a]\nname = "A"\ntarget = 1' + "0" * 400 + "\n")
    with pytest.raises(TreeLoadError) as caught:
        load_tree(path)
    [error] = caught.value.errors
    assert error.location.line == 3
    assert "`target` is out of range" in error.message


def test_a_computed_value_that_overflows_is_unknown_with_a_finding(tmp_path: Path) -> None:
    text = (
        "[tree]\nperiod = { start = 2026-01-01, end = 2026-12-31 }\n"
        '[nodes.g]\nname = "G"\nkind = "goal"\nrollup = "sum"\n'
        '[nodes.a]\nname = "A"\nparent = "g"\ntarget = 1e308\nactual = -1e308\n'
        '[nodes.b]\nname = "B"\nparent = "g"\ntarget = 1e308\nactual = 1e308\n'
    )
    analysis = analyze(load_tree(_tree(tmp_path, text)))
    a, g = analysis.results["a"], analysis.results["g"]
    assert a.status == "unknown" and a.pace.attainment is None and a.overflow
    assert g.target is None and g.overflow  # 1e308 + 1e308
    assert [f.node for f in analysis.findings if f.code == "overflow"] == ["g", "a"]
    out = io.BytesIO()
    write_csv(analysis, out)
    row = next(r for r in csv.DictReader(io.StringIO(out.getvalue().decode())) if r["id"] == "a")
    assert (row["target"], row["actual"], row["attainment"]) == ("1e+308", "-1e+308", "")


def test_a_clique_s_conflicts_are_kept_per_source_and_searched_only_where_shown(tmp_path: Path) -> None:
    # 7,140 pairs, kept as each source's partners: the findings search only the sources with
    # few partners (whose findings show each path), not one path per pair.
    analysis = analyze(load_tree(_tree(tmp_path, shapes.clique(120))))
    influence = analysis.conflicts.influence
    assert len(influence) == len(analysis.conflicts) == 7140
    assert influence.partners["n0"] == tuple(f"n{i}" for i in range(1, 120))
    assert set(influence._searches) == {"n114", "n115", "n116", "n117", "n118"}
    # Asked for, a node's conflicts are those of the whole list, in its order, with their paths.
    every = list(analysis.conflicts)
    for node in ("n0", "n57", "n119"):
        assert analysis.conflicts_of(node) == [c for c in every if node in (c.a, c.b)]
        assert analysis.partners(node) == sorted(f"n{i}" for i in range(120) if f"n{i}" != node)
    conflict = analysis.conflicts_of("n57")[3]
    assert conflict.path[0] == conflict.a == "n3" and conflict.path[-1] == "n57"
    assert conflict.explanation.startswith("influence: pushing 'Node 3' ")


def test_each_node_s_conflicts_of_every_kind_come_in_the_order_of_all_conflicts(tmp_path: Path) -> None:
    text = shapes.clique(12, 5).replace(
        '[nodes.n3]\nname = "Node 3"\n', '[nodes.n3]\nname = "Node 3"\nconflicts = ["n0", "n7"]\n'
    )
    text += '[nodes.r]\nname = "R"\nparent = "g"\nrollup = "sum"\ntarget = 100\ninfluences = { n2 = "-" }\n'
    text += "".join(
        f'[nodes.k{i}]\nname = "K{i}"\nparent = "r"\ntarget = 5\ninfluences = {{ n{i} = "+", k{(i + 1) % 3} = "-" }}\n'
        for i in range(3)
    )
    analysis = analyze(load_tree(_tree(tmp_path, text)))
    every = list(analysis.conflicts)
    # r's target gap (100 against 3 · 5) is r's own finding, not a conflict with each K.
    assert {c.kind for c in every} == {"declared", "influence"}
    assert [c.kind for c in every] == sorted((c.kind for c in every), key=["declared", "influence"].index)
    assert [(f.node, f.related) for f in analysis.findings if f.code == "target_gap"] == [("r", ("k0", "k1", "k2"))]
    for node in analysis.tree.nodes:
        assert analysis.conflicts_of(node) == [c for c in every if node in (c.a, c.b)]
        assert analysis.partners(node) == sorted({c.b if c.a == node else c.a for c in every if node in (c.a, c.b)})


def test_a_clique_s_conflicts_are_freed_once_unused_without_the_garbage_collector(tmp_path: Path) -> None:
    # No reference cycle through the searches: the pairs among a clique's nodes are freed when
    # the analysis is, not by the collector's walk over all of them at exit.
    import gc
    import weakref

    analysis = analyze(load_tree(_tree(tmp_path, shapes.clique(30))))
    assert all(c.explanation for c in analysis.conflicts_of("n3"))
    assert analysis.findings_of("n3")
    influence = weakref.ref(analysis.conflicts.influence)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del analysis
        assert influence() is None
    finally:
        if enabled:
            gc.enable()
