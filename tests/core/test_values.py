"""The dependency graph of node values: formulas and rollups in order, incremental updates, what-if."""

from collections.abc import Callable
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from kpitui.analysis.graph import KpiGraph
from kpitui.analysis.results import Analysis
from kpitui.analysis.values import ACTUAL, TARGET, Value, ValueGraph
from kpitui.model.domain import Node
from kpitui.model.formula import parse

Analyse = Callable[..., Analysis]

SHOP = """
[tree]
as_of = 2026-06-30
period = { start = 2026-01-01, end = 2026-12-31 }
[nodes.revenue]
name = "Revenue"
kind = "goal"
formula = "orders * {order-value}"
target = 1_200_000
pacing = "linear"
[nodes.orders]
name = "Orders"
parent = "revenue"
formula = "sessions * {conversion-rate} / 100"
pacing = "linear"
[nodes.sessions]
name = "Sessions"
parent = "orders"
actual = 800_000
target = 1_500_000
pacing = "linear"
[nodes.conversion-rate]
name = "Conversion"
parent = "orders"
unit = "%"
actual = 2.1
target = 2.5
[nodes.order-value]
name = "Order value"
parent = "revenue"
actual = 36.0
target = 32.0
"""


def codes(an: Analysis, node: str | None = None) -> list[str]:
    return [f.code for f in an.findings if node is None or f.node == node]


def test_formulas_evaluate_in_dependency_order_with_exact_values(analyse: Analyse) -> None:
    an = analyse(SHOP)
    assert an.results["orders"].actual == 800_000 * 2.1 / 100  # 16 800
    assert an.results["orders"].actual_source == "formula"
    assert an.results["revenue"].actual == 16_800 * 36.0  # 604 800
    # targets too, where a node has none of its own: 1.5M x 2.5% x 32
    assert an.results["orders"].target == 37_500
    assert an.results["revenue"].target == 1_200_000  # its own wins
    assert an.results["revenue"].status == "on_track"  # 604 800 against 1.2M x 180/364 = 593 407


def test_formula_targets_when_the_node_has_none(analyse: Analyse) -> None:
    an = analyse(SHOP.replace("target = 1_200_000\n", ""))
    assert an.results["revenue"].target == 37_500 * 32.0


def test_unknown_input_propagates(analyse: Analyse) -> None:
    an = analyse(SHOP.replace("actual = 2.1\n", ""))
    assert an.results["orders"].actual is None
    assert an.results["revenue"].actual is None
    assert an.results["revenue"].status == "unknown"
    assert "formula_error" not in codes(an)


def test_division_by_zero_is_unknown_with_formula_error(analyse: Analyse) -> None:
    an = analyse(SHOP.replace('formula = "orders * {order-value}"', 'formula = "orders / ({order-value} - 36)"'))
    assert an.results["revenue"].actual is None
    errors = [f for f in an.findings if f.code == "formula_error"]
    assert [(f.node, f.severity) for f in errors] == [("revenue", "warning")]
    assert errors[0].message == (
        "'Revenue' has no actual: its formula divides by zero ({order-value} - 36 is 0); "
        "fix the input, or guard the formula (for example max(x, 1))"
    )


def test_own_inline_actual_wins_over_the_formula(analyse: Analyse) -> None:
    an = analyse(SHOP.replace('name = "Orders"\n', 'name = "Orders"\nactual = 17000\n'))
    assert an.results["orders"].actual == 17_000
    assert an.results["orders"].actual_source == "inline"
    assert an.results["revenue"].actual == 17_000 * 36.0


def test_an_own_actual_older_than_its_inputs_loses_to_the_formula(analyse: Analyse) -> None:
    text = SHOP.replace('name = "Orders"\n', 'name = "Orders"\nactual = 17000\nmeasured = 2026-05-01\n')
    text = text.replace("actual = 2.1\n", "actual = 2.1\nmeasured = 2026-06-28\n")
    an = analyse(text)
    assert an.results["orders"].actual == 16_800
    assert an.results["orders"].actual_source == "formula"
    newer = analyse(text.replace("measured = 2026-05-01", "measured = 2026-06-29"))
    assert newer.results["orders"].actual == 17_000


def test_formula_loops_are_cycles_and_unknown(analyse: Analyse) -> None:
    an = analyse(
        SHOP + '[nodes.p]\nname = "P"\nparent = "revenue"\nformula = "q + 1"\n'
        '[nodes.q]\nname = "Q"\nparent = "revenue"\nformula = "2 * p"\n'
    )
    assert [(f.node, f.related) for f in an.findings if f.code == "cycle"] == [("p", ("q",)), ("q", ("p",))]
    assert an.results["p"].actual is None
    assert an.results["revenue"].actual == 604_800  # the rest still evaluates


def test_unknown_formula_id_is_a_dangling_ref_with_a_hint(analyse: Analyse) -> None:
    an = analyse(SHOP.replace("orders * {order-value}", "orders * order-value"))
    messages = [f.message for f in an.findings if f.code == "dangling_ref"]
    assert messages == [
        "'Revenue' names an input 'order', which does not exist ('order-value' is one id: write it in braces, "
        "{order-value}): fix the id in `formula` or add a node 'order'",
        "'Revenue' names an input 'value', which does not exist ('order-value' is one id: write it in braces, "
        "{order-value}): fix the id in `formula` or add a node 'value'",
    ]
    typo = analyse(SHOP.replace("orders * {order-value}", "ordrs * {order-value}"))
    assert "(did you mean 'orders'?)" in next(f.message for f in typo.findings if f.code == "dangling_ref")


def test_rollups_and_formulas_mix(analyse: Analyse) -> None:
    an = analyse(
        SHOP
        + '[nodes.total]\nname = "Total"\nkind = "goal"\nrollup = "sum"\n'
        + '[nodes.web]\nname = "Web"\nparent = "total"\nformula = "revenue / 1000"\n'
        + '[nodes.shop]\nname = "Shop"\nparent = "total"\nactual = 100\n'
    )
    assert an.results["web"].actual == 604.8
    assert an.results["total"].actual == 704.8
    assert an.results["total"].actual_source == "rollup"


# ── Incremental evaluation and what-if on the engine itself ─────────

IDS = [f"n{i}" for i in range(8)]


@st.composite
def value_trees(draw: st.DrawFn) -> dict[str, Node]:
    """Small trees of rollups and formulas over earlier nodes (loops included)."""
    nodes: dict[str, Node] = {}
    for i, node_id in enumerate(IDS):
        kind = draw(st.sampled_from(["leaf", "rollup", "formula"]))
        parent = (draw(st.sampled_from(IDS)),) if i else ()
        if kind == "formula":
            refs = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=3))
            ops = draw(st.lists(st.sampled_from(["+", "-", "*", "/"]), min_size=len(refs) - 1, max_size=len(refs) - 1))
            text = refs[0] + "".join(f" {op} {ref}" for op, ref in zip(ops, refs[1:], strict=True))
            nodes[node_id] = Node(node_id, node_id, parents=parent, formula=parse(text))
        elif kind == "rollup":
            how = draw(st.sampled_from(["sum", "mean", "min", "max"]))
            nodes[node_id] = Node(node_id, node_id, parents=parent, rollup=how)
        else:
            nodes[node_id] = Node(node_id, node_id, parents=parent)
    return nodes


numbers = st.one_of(st.none(), st.integers(-3, 3).map(float))


@settings(max_examples=150, deadline=None)
@given(
    nodes=value_trees(),
    start=st.lists(numbers, min_size=len(IDS), max_size=len(IDS)),
    edits=st.lists(st.tuples(st.sampled_from(IDS), numbers), max_size=12),
)
def test_incremental_updates_equal_a_full_evaluation_after_any_edits(
    nodes: dict[str, Node], start: list[float | None], edits: list[tuple[str, float | None]]
) -> None:
    graph = ValueGraph(nodes, KpiGraph(nodes))
    own = {n: Value(v, "inline" if v is not None else None) for n, v in zip(IDS, start, strict=True)}
    layer = graph.evaluate(ACTUAL, own)
    for node_id, number in edits:
        own[node_id] = Value(number, "inline" if number is not None else None)
        layer.own[node_id] = own[node_id]
        graph.update(layer, [node_id])
        full = graph.evaluate(ACTUAL, own)
        assert layer.values == full.values
        assert layer.errors == full.errors


@settings(max_examples=100, deadline=None)
@given(nodes=value_trees(), start=st.lists(numbers, min_size=len(IDS), max_size=len(IDS)))
def test_what_if_only_recomputes_downstream_and_leaves_the_original(
    nodes: dict[str, Node], start: list[float | None]
) -> None:
    graph = ValueGraph(nodes, KpiGraph(nodes))
    own = {n: Value(v, "inline" if v is not None else None) for n, v in zip(IDS, start, strict=True)}
    layer = graph.evaluate(TARGET, own)
    before = dict(layer.values)
    hypothetical, moved = graph.with_overrides(layer, {"n0": 1.5})
    assert layer.values == before
    assert moved <= {"n0"} | graph.downstream(["n0"])
    for node_id in set(IDS) - moved:
        assert hypothetical.values[node_id] == before[node_id]
    assert hypothetical.value("n0") == 1.5


def test_downstream_and_upstream(analyse: Analyse) -> None:
    an = analyse(SHOP)
    assert an.values is not None
    assert an.values.upstream("revenue") == ["orders", "order-value", "sessions", "conversion-rate"]
    assert an.values.downstream(["sessions"]) == {"orders", "revenue"}
    assert an.values.drivers("orders") == ("sessions", "conversion-rate")
    assert an.values.driven("orders") == ["revenue"]
    assert an.as_of == date(2026, 6, 30)
