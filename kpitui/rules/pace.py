"""How a node's pace is said: the same words in the findings, the review and the detail panel.

The words follow the node's direction:

- a KPI to increase is *behind* or *ahead of* what its pace expects by now, and needs so much
  per week to reach its target;
- a cap (direction = "decrease", paced linearly, its target at or above its baseline: a budget,
  an allowance of churn) is *over* or *under* what is allowed by now, and has at most so much per
  week left to stay within it, or is already over it;
- a KPI to decrease towards a lower target is *above* or *below* what is expected by now, and
  must fall so much per week to reach it;
- a level KPI (a rate to hold) is *above* or *below* its target level.

A difference of two `%` values is in points (`8 points below the 35% target level`): `8% below`
would read as a share of the 35%.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpitui.common.format import amount, difference, digits_apart, signed

if TYPE_CHECKING:
    from kpitui.analysis.results import NodeResult
    from kpitui.model.domain import Node

WEEK = 7


def is_cap(node: Node, result: NodeResult) -> bool:
    """A budget or allowance: less is better, paced linearly, its target at or above its baseline,
    so what is allowed grows over the period."""
    return (
        node.sign < 0
        and node.pacing == "linear"
        and result.target is not None
        and result.target >= (result.baseline or 0.0)
    )


def reference(node: Node, result: NodeResult) -> str:
    """What the pace's value by now is to the node: `allowed` (a cap) or `expected`."""
    return "allowed" if is_cap(node, result) else "expected"


def gap(node: Node, result: NodeResult, digits: int | None = None, short: bool = False) -> str | None:
    """Where the actual stands against the pace, in the node's direction: `25.4k EUR over the 78.6k
    EUR allowed by now`, `0.5 points behind the 2.6% expected by now`, `9 points below the 35% target
    level`; `short`, without what it is measured against (`25.4k EUR over`). None when unknown.

    Args:
        digits: significant digits; by default enough to tell the actual from the pace's value.
    """
    expected, actual, unit = result.pace.expected, result.actual, node.unit
    if expected is None or actual is None:
        return None
    if digits is None:
        digits = digits_apart(actual, expected)
    shown = amount(expected, unit, digits)
    if node.pacing == "level":
        against = f"the {shown} target level"
        if actual == expected:
            return "at the target level" if short else f"at {against}"
        side = "below" if actual < expected else "above"
    else:
        against = f"the {shown} {reference(node, result)} by now"
        if actual == expected:
            return "on pace" if short else f"at {against}"
        if is_cap(node, result):
            side = "over" if actual > expected else "under"
        elif node.sign > 0:
            side = "behind" if actual < expected else "ahead of"
        else:
            side = "above" if actual > expected else "below"
    distance = difference(abs(actual - expected), unit, digits)
    if short:
        return f"{distance} {side.removesuffix(' of')}"
    return f"{distance} {side} {against}"


def weekly(node: Node, result: NodeResult, per_week: float | None, digits: int = 3) -> str | None:
    """What the rest of the period asks per week (`per_week`: the target less the actual, over the
    weeks left): `2595 EUR per week needed to reach 180k EUR`; of a cap, `at most 2595 EUR per week
    left to stay within 180k EUR` or `already 5k EUR over the 180k EUR cap`. None when unknown."""
    target, actual, unit = result.target, result.actual, node.unit
    if per_week is None or target is None or actual is None:
        return None
    goal = amount(target, unit, digits)
    step = difference(abs(per_week), unit, digits)
    if is_cap(node, result):
        if actual > target:
            return f"already {difference(actual - target, unit, digits)} over the {goal} cap"
        if actual == target:
            return f"nothing left: the {goal} cap is reached"
        over = result.pace.expected is not None and actual > result.pace.expected
        return f"{'at most' if over else 'up to'} {step} per week left to stay within {goal}"
    if node.sign > 0:
        return f"{step} per week needed to reach {goal}" if per_week > 0 else f"the {goal} target is reached"
    return f"a fall of {step} per week needed to reach {goal}" if per_week < 0 else f"the {goal} target is reached"


def span(days: int) -> str:
    """A stretch of days in weeks where it is whole ones: `1 week`, `4 weeks`, `10 days`."""
    if days % WEEK:
        return f"{days} day" if days == 1 else f"{days} days"
    weeks = days // WEEK
    return "1 week" if weeks == 1 else f"{weeks} weeks"


def recent(node: Node, per_week: float | None, days: int | None, digits: int = 3) -> str | None:
    """The change per week the measurements show, over the stretch they really cover:
    `averaged +18.7k EUR per week over the 4 weeks measured`, `averaged −0.075 points per week
    over the 1 week measured`. None when unknown."""
    if per_week is None or days is None:
        return None
    return f"averaged {signed(per_week, node.unit, digits)} per week over the {span(days)} measured"
