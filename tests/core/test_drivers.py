"""What-if, goal seek and what moved a node, on small driver trees with values checked by hand."""

import math
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpitui.analysis.results import Analysis
from kpitui.drivers.questions import DriverError, attribute, seek_goal, solve, what_if
from kpitui.engine import analyze
from kpitui.io.loader import load_tree
from tests.conftest import SAMPLES
from tests.core.test_values import SHOP

Analyse = Callable[..., Analysis]


def test_what_if_recomputes_downstream_only_and_leaves_the_analysis(analyse: Analyse) -> None:
    an = analyse(SHOP)
    scenario = what_if(an, {"conversion-rate": 2.6})
    assert scenario.results["orders"].actual == pytest.approx(800_000 * 2.6 / 100)
    assert scenario.results["revenue"].actual == pytest.approx(20_800 * 36.0)
    assert scenario.results["revenue"].actual_source == "formula"
    assert scenario.results["conversion-rate"].actual_source == "what-if"
    assert scenario.hypothetical == {"conversion-rate", "orders", "revenue"}
    assert an.results["revenue"].actual == 604_800  # the base analysis is untouched
    assert [c.node for c in scenario.changes()] == ["revenue", "orders", "conversion-rate"]
    revenue = scenario.changes()[0]
    assert revenue.fields[0] == ("actual", 604_800, pytest.approx(748_800))


def test_what_if_statuses_and_rollup_statuses_follow(analyse: Analyse) -> None:
    an = analyse(SHOP)
    assert an.results["conversion-rate"].status == "off_track"  # 2.1 against 2.5: 84%
    scenario = what_if(an, {"conversion-rate": 2.5})
    assert scenario.results["conversion-rate"].status == "on_track"
    assert scenario.results["orders"].rollup_status == "on_track"
    assert an.results["orders"].rollup_status == "off_track"
    cleared = scenario.findings_changed()[1]
    assert ("off_track", "conversion-rate") in [(f.code, f.node) for f in cleared]


def test_what_if_on_targets(analyse: Analyse) -> None:
    an = analyse(SHOP.replace("target = 1_200_000\n", ""))
    scenario = what_if(an, {"order-value": 40.0}, "target")
    assert scenario.results["revenue"].target == 37_500 * 40.0
    assert scenario.results["revenue"].actual == an.results["revenue"].actual


def test_what_if_of_an_unknown_id_says_so(analyse: Analyse) -> None:
    with pytest.raises(DriverError, match="there is no node 'sesions' \\(did you mean 'sessions'\\?\\)"):
        what_if(analyse(SHOP), {"sesions": 1.0})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=st.sampled_from(sorted(p.name for p in SAMPLES.glob("*.toml"))), data=st.data())
def test_what_if_with_unchanged_values_equals_the_plain_analysis(sample: str, data: st.DataObject) -> None:
    an = analyze(load_tree(SAMPLES / sample))
    kind = data.draw(st.sampled_from(["actual", "target"]))
    layer = an.layers[kind]
    known = [n for n in an.tree.nodes if layer.value(n) is not None]
    if not known:
        return
    chosen = data.draw(st.lists(st.sampled_from(known), min_size=1, max_size=4, unique=True))
    overrides = {n: layer.value(n) for n in chosen}
    scenario = what_if(an, {n: v for n, v in overrides.items() if v is not None}, kind)
    plain = {n: (r.actual, r.target, r.status, r.rollup_status, r.forecast) for n, r in an.results.items()}
    hypothetical = {n: (r.actual, r.target, r.status, r.rollup_status, r.forecast) for n, r in scenario.results.items()}
    assert hypothetical == plain
    assert scenario.changes() == []
    assert [(f.code, f.node, f.message) for f in scenario.analysis().findings] == [
        (f.code, f.node, f.message) for f in an.findings
    ]


# ── Goal seek ──────────────────────────────────────────────────────────


def test_goal_seek_linear_chain_to_the_pace_of_the_target(analyse: Analyse) -> None:
    an = analyse(SHOP)
    # revenue = sessions x rate / 100 x 36 must reach 1.2M x 180/364 by 2026-06-30
    seek = seek_goal(an, "revenue", "sessions")
    expected = 1_200_000 * 180 / 364
    assert seek.goal == pytest.approx(expected)
    assert seek.goal_label == "expected by 2026-06-30"
    assert seek.current == 800_000
    assert seek.value == pytest.approx(expected / (2.1 / 100 * 36), rel=1e-9)
    assert seek.scenario is not None
    assert seek.scenario.results["revenue"].actual == pytest.approx(expected, rel=1e-9)


def test_goal_seek_to_a_value_asked(analyse: Analyse) -> None:
    seek = seek_goal(analyse(SHOP), "revenue", "conversion-rate", to=1_200_000)
    assert seek.value == pytest.approx(1_200_000 / (800_000 * 36) * 100, rel=1e-9)  # 4.1667%


def test_goal_seek_level_target(analyse: Analyse) -> None:
    text = SHOP.replace('target = 1_200_000\npacing = "linear"', "target = 700_000")
    seek = seek_goal(analyse(text), "revenue", "order-value")
    assert seek.goal_label == "target"
    assert seek.value == pytest.approx(700_000 / 16_800, rel=1e-9)


def test_goal_seek_non_linear_chain(analyse: Analyse) -> None:
    text = """
    [nodes.area]
    name = "Area"
    kind = "goal"
    formula = "side * side - 2 * side"
    target = 48
    [nodes.side]
    name = "Side"
    parent = "area"
    actual = 5
    """
    seek = seek_goal(analyse(text), "area", "side")
    assert seek.value == pytest.approx(8.0, rel=1e-9)  # 64 - 16 = 48, the root nearest 5 (the other is -6)
    quotient = analyse(text.replace("side * side - 2 * side", "120 / side"))
    assert seek_goal(quotient, "area", "side").value == pytest.approx(2.5, rel=1e-9)


def test_goal_seek_with_no_solution(analyse: Analyse) -> None:
    text = """
    [nodes.capped]
    name = "Capped"
    kind = "goal"
    formula = "min(x, 10) + 0 * y"
    target = 50
    [nodes.x]
    name = "X"
    parent = "capped"
    actual = 3
    [nodes.y]
    name = "Y"
    parent = "capped"
    actual = 1
    """
    an = analyse(text)
    seek = seek_goal(an, "capped", "x")
    assert seek.value is None
    assert seek.scenario is None
    assert seek_goal(an, "capped", "y").value is None  # y does not move it at all


def test_goal_seek_refuses_what_cannot_be_asked(analyse: Analyse) -> None:
    an = analyse(SHOP)
    with pytest.raises(DriverError, match="'order-value' does not drive 'orders'; its drivers are: sessions"):
        seek_goal(an, "orders", "order-value")
    with pytest.raises(DriverError, match="has no target"):
        seek_goal(
            analyse(SHOP.replace("target = 1_200_000\n", "").replace("target = 32.0\n", "")), "revenue", "sessions"
        )


def test_solve_brackets_outwards_and_narrows() -> None:
    assert solve(lambda x: x**3, 27.0, 0.0) == pytest.approx(3.0, rel=1e-9)
    assert solve(lambda x: 1 / x if x else None, 0.25, 1.0) == pytest.approx(4.0, rel=1e-9)  # not across the pole
    assert solve(lambda x: x * x, -1.0, 3.0) is None
    assert solve(lambda x: 7.0, 7.0, 3.0) == 3.0


# ── What moved it ──────────────────────────────────────────────────────

HISTORY = """
[tree]
as_of = 2026-06-30
measurements = "m.csv"
[nodes.revenue]
name = "Revenue"
kind = "goal"
formula = "orders * aov"
[nodes.orders]
name = "Orders"
parent = "revenue"
formula = "sessions * rate"
[nodes.sessions]
name = "Sessions"
parent = "orders"
[nodes.rate]
name = "Rate"
parent = "orders"
[nodes.aov]
name = "Order value"
parent = "revenue"
[nodes.total]
name = "Total"
kind = "goal"
rollup = "sum"
[nodes.shop]
name = "Shop"
parent = "total"
[nodes.web]
name = "Web"
parent = "total"
"""
ROWS = """node,date,value
sessions,2026-06-01,1000
sessions,2026-06-29,1200
rate,2026-06-01,0.02
rate,2026-06-29,0.025
aov,2026-06-01,40
aov,2026-06-29,38
shop,2026-06-01,100
shop,2026-06-29,130
web,2026-06-01,50
web,2026-06-29,45
"""


@pytest.fixture
def two_dates(write_tree: Callable[[str], object]) -> tuple[Analysis, Analysis]:
    path = write_tree(HISTORY)
    (path.parent / "m.csv").write_text(ROWS)  # type: ignore[attr-defined]
    tree = load_tree(path)  # type: ignore[arg-type]
    return analyze(tree, date(2026, 6, 15)), analyze(tree, date(2026, 6, 30))


def test_sums_split_into_the_childrens_own_changes(two_dates: tuple[Analysis, Analysis]) -> None:
    before, after = two_dates
    moved = attribute(before, after, "total")
    assert moved is not None
    assert (moved.before, moved.after, moved.method) == (150, 175, "sum")
    assert moved.parts == (("shop", 30), ("web", -5))


def test_products_split_by_shapley_and_add_up_exactly(two_dates: tuple[Analysis, Analysis]) -> None:
    before, after = two_dates
    moved = attribute(before, after, "orders")
    assert moved is not None
    # orders 20 -> 30: sessions (1000->1200) and rate (0.02->0.025), Shapley of a product:
    # sessions: 0.5*(200*0.02) + 0.5*(200*0.025) = 4.5; rate: 0.5*(1000*0.005) + 0.5*(1200*0.005) = 5.5
    assert moved.method == "shapley"
    assert [n for n, _ in moved.parts] == ["rate", "sessions"]
    assert [p for _, p in moved.parts] == pytest.approx([5.5, 4.5], rel=1e-12)
    assert math.fsum(p for _, p in moved.parts) == pytest.approx(moved.change, abs=1e-12)


def test_deep_attribution_reaches_the_measured_drivers_and_adds_up(two_dates: tuple[Analysis, Analysis]) -> None:
    before, after = two_dates
    moved = attribute(before, after, "revenue", deep=True)
    assert moved is not None
    assert (moved.before, moved.after) == pytest.approx((800, 1140))
    assert {n for n, _ in moved.parts} == {"sessions", "rate", "aov"}
    assert math.fsum(p for _, p in moved.parts) == pytest.approx(340, abs=1e-9)
    shares = dict(moved.parts)
    assert shares["aov"] < 0 < shares["rate"]


def test_no_attribution_for_a_measured_node(two_dates: tuple[Analysis, Analysis]) -> None:
    before, after = two_dates
    assert attribute(before, after, "sessions") is None


def test_a_hypothetical_value_keeps_when_the_node_was_last_measured(analyse: Analyse) -> None:
    text = SHOP.replace("actual = 2.1\n", 'actual = 2.1\nmeasured = 2026-06-01\nfrequency = "weekly"\n')
    an = analyse(text)
    assert an.results["conversion-rate"].stale
    scenario = what_if(an, {"conversion-rate": 2.6})
    assert scenario.results["conversion-rate"].last_measured == date(2026, 6, 1)
    assert ("stale", "conversion-rate") in [(f.code, f.node) for f in scenario.analysis().findings]
