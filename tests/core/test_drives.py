"""Drives edges (docs/contract.md#formulas): formula dependencies in the graph, beside parent and influence links."""

from collections.abc import Callable

from kpitui.analysis.graph import KpiGraph
from kpitui.analysis.results import Analysis
from tests.core.test_values import SHOP

Analyse = Callable[..., Analysis]


def test_formula_inputs_are_drives_edges_in_both_directions(analyse: Analyse) -> None:
    graph = analyse(SHOP).graph
    assert graph.drivers("revenue") == ["orders", "order-value"]
    assert graph.drivers("orders") == ["sessions", "conversion-rate"]
    assert graph.drivers("sessions") == []
    assert graph.drives("conversion-rate") == ["orders"]
    assert graph.drives("orders") == ["revenue"]
    assert graph.drives("revenue") == []
    assert graph.drive_chain("conversion-rate") == ["orders", "revenue"]
    assert graph.drive_chain("revenue") == []


def test_a_driver_read_twice_or_missing_is_one_edge_and_a_dangling_ref(analyse: Analyse) -> None:
    an = analyse(
        """
        [nodes.g]
        name = "G"
        kind = "goal"
        formula = "x * x + {nope}"
        [nodes.x]
        name = "X"
        parent = "g"
        actual = 2
        """
    )
    assert an.graph.drivers("g") == ["x"]
    assert an.graph.drives("x") == ["g"]
    assert an.graph.dangling == [("g", "formula", "nope")]


def test_drives_edges_are_not_parent_links(analyse: Analyse) -> None:
    # A formula that reads its own parent and its child makes no parent cycle, and adds no children.
    an = analyse(
        """
        [nodes.g]
        name = "G"
        kind = "goal"
        actual = 10
        [nodes.k]
        name = "K"
        parent = "g"
        formula = "g + c"
        [nodes.c]
        name = "C"
        parent = "k"
        actual = 1
        """
    )
    assert an.graph.cycles() == []
    assert an.graph.children("c") == []
    assert an.graph.drives("g") == ["k"]
    assert [f.code for f in an.findings if f.code == "cycle"] == []
    assert an.results["k"].actual == 11


def test_a_kpi_that_only_drives_a_formula_is_still_an_orphan(analyse: Analyse) -> None:
    # docs/contract.md#orphan: orphans follow parent links upward. Feeding the revenue formula does not serve the goal;
    # the finding says where the KPI belongs.
    an = analyse(
        """
        [nodes.revenue]
        name = "Revenue"
        kind = "goal"
        formula = "orders * aov"
        [nodes.orders]
        name = "Orders"
        parent = "revenue"
        actual = 100
        [nodes.aov]
        name = "Order value"
        actual = 30
        """
    )
    assert an.results["revenue"].actual == 3000
    assert an.results["aov"].orphan_reason == "no parent"
    assert an.results["orders"].orphan_reason is None
    orphan = next(f for f in an.findings if f.code == "orphan")
    assert orphan.node == "aov"
    assert orphan.message == (
        "'Order value' serves no goal (no parent): it drives 'Revenue' through a formula, but only parent links "
        "serve a goal: make that node (or an objective above it) its parent"
    )


def test_a_loop_of_formulas_ends_the_drive_chain_and_is_a_cycle(analyse: Analyse) -> None:
    an = analyse(
        """
        [nodes.g]
        name = "G"
        kind = "goal"
        [nodes.p]
        name = "P"
        parent = "g"
        formula = "q + 1"
        [nodes.q]
        name = "Q"
        parent = "g"
        formula = "p * 2"
        [nodes.r]
        name = "R"
        parent = "g"
        formula = "r"
        """
    )
    assert an.graph.drive_chain("p") == ["q"]
    assert an.values is not None
    assert an.values.formula_loops() == [["p", "q"], ["r"]]
    assert sorted(f.node or "" for f in an.findings if f.code == "cycle") == ["p", "q", "r"]


def test_the_graph_of_a_tree_without_formulas_has_no_drives_edges(analyse: Analyse) -> None:
    graph = KpiGraph(analyse(SHOP.replace("formula =", "description =")).tree.nodes)
    assert all(graph.drives(n) == [] and graph.drivers(n) == [] for n in graph.nodes)
