"""How a node's pace is worded: a budget is over or under what is allowed, a `%` difference is
in points, an average says the weeks it covers; the same in review, the review screen, the
detail panel and the findings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kpitui.analysis.results import NodeResult
from kpitui.analysis.status import Pace
from kpitui.common.format import difference, signed
from kpitui.engine import analyze
from kpitui.io.loader import load_tree
from kpitui.model.domain import Node, Period
from kpitui.outputs.whatif_report import apart_by
from kpitui.rules import pace
from kpitui.services.review import as_text, review
from kpitui.tui.screens.review import review_lines
from kpitui.tui.widgets.detail import describe_head

# A year of 364 days; at 2026-06-08 158 days are gone: 180,000 × 158/364 = 78,131.87 allowed by now.
BUDGETS = """\
[tree]
as_of = 2026-06-08
period = { start = 2026-01-01, end = 2026-12-31 }
measurements = "m.csv"

[nodes.g]
name = "Goal"
kind = "goal"

[nodes.spend]
name = "Marketing spend"
parent = "g"
owner = "Marketing"
unit = "EUR"
direction = "decrease"
pacing = "linear"
target = 180_000

[nodes.travel]
name = "Travel"
parent = "g"
owner = "Office"
unit = "EUR"
direction = "decrease"
pacing = "linear"
target = 180_000
actual = 66_000

[nodes.events]
name = "Events"
parent = "g"
owner = "Events team"
unit = "EUR"
direction = "decrease"
pacing = "linear"
target = 180_000
actual = 190_000

[nodes.ads]
name = "Ads"
parent = "g"
owner = "Ads team"
unit = "EUR"
direction = "decrease"
pacing = "linear"
target = 180_000
"""


@pytest.fixture
def budgets(tmp_path: Path) -> Path:
    tree = tmp_path / "budgets.toml"
    tree.write_text(BUDGETS, encoding="utf-8")
    # spend: one week of data, 101,000 then 104,000 (+3,000 in the week). ads: under its allowance,
    # but spent at 6,500 a week it passes the cap before the year ends.
    (tmp_path / "m.csv").write_text(
        "node,date,value\nspend,2026-06-01,101000\nspend,2026-06-08,104000\n"
        "ads,2026-05-18,55500\nads,2026-05-25,62000\nads,2026-06-01,68500\nads,2026-06-08,75000\n"
    )
    return tree


# 104,000 − 78,131.87 = 25,868 over; (180,000 − 104,000) / (206 days / 7) = 2,582.5 a week left.
SPEND = (
    "25.9k EUR over the 78.1k EUR allowed by now; at most 2583 EUR per week left to stay within 180k EUR; "
    "averaged +3000 EUR per week over the 1 week measured"
)
EVENTS = "112k EUR over the 78.1k EUR allowed by now; already 10k EUR over the 180k EUR cap"
# 75,000 is 3,132 under; (180,000 − 75,000) / (206 / 7) = 3,568 a week left; +19,500 over 3 weeks.
ADS = (
    "3132 EUR under the 78.1k EUR allowed by now; up to 3568 EUR per week left to stay within 180k EUR; "
    "averaged +6500 EUR per week over the 3 weeks measured"
)


def test_review_says_a_budget_is_over_what_is_allowed_and_what_is_left(budgets: Path) -> None:
    out = as_text(review(load_tree(budgets)))
    assert f"  Marketing spend — Marketing — ✖ off track\n      {SPEND}\n" in out
    assert f"  Events — Events team — ✖ off track\n      {EVENTS}\n" in out
    assert f"  Ads — Ads team — ✔ on track, forecast to miss: 266k EUR by 2026-12-31\n      {ADS}\n" in out
    for wrong in ("behind", "needed per week", "to reach", "last 4 weeks"):
        assert wrong not in out


def test_the_review_screen_says_it_in_the_same_words(budgets: Path) -> None:
    lines = {node: text for text, node in review_lines(review(load_tree(budgets))) if node and " — " in text}
    assert lines["spend"] == f"  ✖ Marketing spend — Marketing — off track; {SPEND}"
    assert lines["events"] == f"  ✖ Events — Events team — off track; {EVENTS}"
    assert lines["ads"] == f"  ✔ Ads — Ads team — on track, forecast to miss: 266k EUR by 2026-12-31; {ADS}"


def test_the_detail_panel_shows_attainment_and_the_actual_against_the_allowance(budgets: Path) -> None:
    an = analyze(load_tree(budgets))
    # 104k is 133% of the 78.1k allowed; the attainment, 1 − 25,868/78,132, is 67%.
    said = [t.plain for t in describe_head(an, "spend")]
    assert said[-2].endswith("\nAllowed by 2026-06-08: 78.1k EUR · 25.9k EUR over")
    assert said[-1] == "█" * 16 + "░" * 8 + " 67% attainment: 104k EUR of 78.1k EUR allowed"
    under = [t.plain for t in describe_head(an, "travel")]
    assert under[-2].endswith("\nAllowed by 2026-06-08: 78.1k EUR · 12.1k EUR under")
    assert under[-1] == "█" * 24 + " 116% attainment: 66k EUR of 78.1k EUR allowed"
    assert not any("of expected" in text or "Expected by" in text for text in said + under)


def test_the_findings_of_a_budget_say_allowed_and_cap(budgets: Path) -> None:
    findings = analyze(load_tree(budgets)).findings
    (spend,) = [f.message for f in findings if f.node == "spend"]
    assert spend == (
        "'Marketing spend' is off track: 104k EUR against 78.1k EUR allowed by 2026-06-08 (attainment 67%): "
        "act on its drivers or revise the target"
    )
    (ads,) = [f.message for f in findings if f.node == "ads"]
    assert ads == (
        "'Ads' is on track today but its trend reaches 266k EUR by 2026-12-31, against a cap of 180k EUR: "
        "act now, before it shows"
    )


def result(node: Node, actual: float, expected: float, baseline: float | None = None) -> NodeResult:
    return NodeResult(
        node.id,
        baseline=baseline,
        target=node.target,
        actual=actual,
        pace=Pace(expected, None, "unknown"),
        period=Period(date(2026, 1, 1), date(2026, 12, 31)),
    )


CAP = Node("cap", "Cap", unit="EUR", direction="decrease", pacing="linear", target=180_000)


def test_a_cap_under_its_allowance_has_up_to_so_much_a_week_left() -> None:
    under = result(CAP, 66_600, 78_600)
    assert pace.gap(CAP, under) == "12k EUR under the 78.6k EUR allowed by now"
    assert pace.weekly(CAP, under, 2_595) == "up to 2595 EUR per week left to stay within 180k EUR"
    over = result(CAP, 104_000, 78_600)
    assert pace.gap(CAP, over) == "25.4k EUR over the 78.6k EUR allowed by now"
    assert pace.weekly(CAP, over, 2_595) == "at most 2595 EUR per week left to stay within 180k EUR"
    spent = result(CAP, 180_000, 78_600)
    assert pace.weekly(CAP, spent, 0) == "nothing left: the 180k EUR cap is reached"
    assert pace.gap(CAP, result(CAP, 78_600, 78_600)) == "at the 78.6k EUR allowed by now"


def test_a_kpi_to_increase_is_behind_or_ahead() -> None:
    sales = Node("s", "Sales", unit="EUR", pacing="linear", target=1_200_000)
    assert pace.gap(sales, result(sales, 540_000, 593_000)) == "53k EUR behind the 593k EUR expected by now"
    assert pace.gap(sales, result(sales, 600_000, 593_000), short=True) == "7000 EUR ahead"
    assert pace.weekly(sales, result(sales, 540_000, 593_000), 25_100) == "25.1k EUR per week needed to reach 1.2M EUR"
    assert pace.weekly(sales, result(sales, 1_300_000, 593_000), -1) == "the 1.2M EUR target is reached"


def test_a_kpi_to_bring_down_to_a_lower_target_must_fall() -> None:
    # Churn from 5% to 3% over the year: not a cap (its target is below its baseline).
    churn = Node("c", "Churn", unit="%", direction="decrease", pacing="linear", baseline=5, target=3)
    now = result(churn, 4.5, 4, baseline=5)
    assert not pace.is_cap(churn, now)
    assert pace.gap(churn, now) == "0.5 points above the 4% expected by now"
    assert pace.weekly(churn, now, -0.05) == "a fall of 0.05 points per week needed to reach 3%"


def test_a_difference_of_two_percentages_is_in_points() -> None:
    lead = Node("l", "Lead quality", unit="%", target=35)
    assert pace.gap(lead, result(lead, 27, 35)) == "8 points below the 35% target level"
    assert pace.gap(lead, result(lead, 36, 35)) == "1 point above the 35% target level"
    assert pace.recent(lead, -0.25, 7) == "averaged −0.25 points per week over the 1 week measured"
    assert (difference(8, "%"), difference(8, "EUR"), difference(None, "%")) == ("8 points", "8 EUR", "–")
    assert (signed(2, "%"), signed(-0.5, "‰"), signed(0, "EUR")) == ("+2 points", "−0.5‰", "0 EUR")
    assert (apart_by(0.25, "%"), apart_by(1, "%"), apart_by(18_866.35, "EUR")) == (
        "0.25 points",
        "1 point",
        "18,866.35 EUR",
    )


def test_an_average_says_the_stretch_it_covers() -> None:
    assert [pace.span(d) for d in (1, 7, 10, 28, 30)] == ["1 day", "1 week", "10 days", "4 weeks", "30 days"]
