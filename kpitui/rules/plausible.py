"""Implausible values (`implausible_value`): a new value that its node's history makes doubtful.

A `linear` KPI counted from zero (no baseline, or 0) is a running total for the period: it moves
from zero towards its target (up where it has no target) and never back, and a fall is doubtful;
its tenfold rise is not, since from near zero it grows that fast. Any other node's value — a
level, or a linear KPI moving from a baseline of its own, such as a conversion rate from 2.4% to
2.8%, which may dip — is doubtful when it is ten times larger or smaller than the one before it
(zero compared with nothing).

`kpitui record` and the TUI's `v` ask about a new value before it is written (through
kpitui.services.entry); the analysis reports a node whose newest value is doubtful.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from kpitui.common.format import number, plain
from kpitui.common.text import safe_text
from kpitui.model.domain import FINDING_SEVERITY, Finding, Node, unchecked

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis

JUMP = 10  # a value this many times larger or smaller than the one before it is doubtful

Observation = tuple[date, float]


def way(node: Node, target: float | None) -> int | None:
    """+1 or -1, the way a running total (a `linear` KPI counted from zero) moves: towards its
    target, else up; None for any other node."""
    if node.pacing != "linear" or node.effective_baseline != 0:
        return None
    return -1 if target is not None and target < 0 else 1


def doubtful(before: float, after: float, moves: int | None) -> bool:
    """Whether a step from `before` to `after` is implausible (`moves`: see `way`)."""
    if moves is not None:
        return (after - before) * moves < 0
    if before == 0 or after == 0:
        return False
    return abs(after) >= JUMP * abs(before) or abs(before) >= JUMP * abs(after)


def shown(value: float, unit: str | None) -> str:
    """A value exactly as it was written (7.93, 7912), with its unit."""
    text = plain(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {safe_text(unit)}"


def step_text(before: Observation, after: Observation, moves: int | None, unit: str | None) -> str:
    """A doubtful step in words: `7.93 on 2026-12-07 is 998 times smaller than 7912 on 2026-11-30 (…)`."""
    (first_day, first), (day, value) = before, after
    now, then = f"{shown(value, unit)} on {day}", f"{shown(first, unit)} on {first_day}"
    if moves is not None:
        side, goes = ("below", "only rises") if moves > 0 else ("above", "only falls")
        text = f"{now} is {side} {then}, but a linear KPI counted from zero is a running total for the period, "
        text += f"which {goes}"
    else:
        times = max(abs(value / first), abs(first / value))
        text = f"{now} is {number(times)} times {'larger' if abs(value) > abs(first) else 'smaller'} than {then}"
    return text + _slip(first, value)


def _slip(before: float, after: float) -> str:
    """What a thousandfold step most likely was: a separator read the other way."""
    if before == 0 or after == 0:
        return ""
    times = abs(after / before)
    if 1 / 1100 <= times <= 1 / 900:
        return f" ({plain(after)} typed for {plain(after * 1000)}? a thousands separator read as a decimal point)"
    if 900 <= times <= 1100:
        return f" ({plain(after)} typed for {plain(after / 1000)}? a decimal separator read as a thousands separator)"
    return ""


def doubts(
    history: Sequence[Observation], new: Iterable[Observation], moves: int | None, unit: str | None
) -> list[tuple[Observation, str]]:
    """Each new observation that makes a doubtful step in its history, and the step in words.

    `history` and the new observations together, one value a day (a new one after a known one
    of its day, as the row written last counts for its day): a running total's new value is
    compared with the highest value before it and the lowest after it (the lowest before and
    highest after, for one that falls), any other new value with the values of the days just
    before and after it. Each new observation is reported once, with its first doubtful step (a
    step between two new ones under the later).
    """
    added = sorted(new, key=lambda o: o[0])
    merged = sorted([(d, 0, v) for d, v in history] + [(d, 1, v) for d, v in added], key=lambda t: (t[0], t[1]))
    days: dict[date, tuple[float, bool]] = {}
    for day, is_new, value in merged:
        days[day] = (value, bool(is_new))
    ordered = [(day, value) for day, (value, _new) in sorted(days.items())]
    fresh = {day for day, (_value, is_new) in days.items() if is_new}
    found: list[tuple[Observation, str]] = []
    for at, observation in enumerate(ordered):
        if observation[0] not in fresh:
            continue
        for before, after in _neighbours(ordered, at, moves):
            if before is observation and after[0] in fresh:
                continue  # a step to another new value is that one's to answer for
            if doubtful(before[1], after[1], moves):
                found.append((observation, step_text(before, after, moves, unit)))
                break
    return found


def _neighbours(ordered: Sequence[Observation], at: int, moves: int | None) -> list[tuple[Observation, Observation]]:
    """The steps an observation makes: from the one that bounds it before to it, and from it to the
    one that bounds it after (for a running total the furthest on its way before, and the least
    far after; for any other value the days next to it)."""
    earlier, later = ordered[:at], ordered[at + 1 :]
    if moves is None:
        before, after = earlier[-1:], later[:1]
    else:
        furthest = max if moves > 0 else min
        before = [furthest(reversed(earlier), key=lambda o: o[1])] if earlier else []
        least = min if moves > 0 else max
        after = [least(later, key=lambda o: o[1])] if later else []
    return [(b, ordered[at]) for b in before] + [(ordered[at], a) for a in after]


# ── the finding ─────────────────────────────────────────────────────────


def implausible_findings(an: Analysis, only: Iterable[str] | None = None) -> list[Finding]:
    """`implausible_value` for each node (of `only`) whose newest value in its period makes a
    doubtful step from the values before it (see `doubts`).

    The measurement rows' spread (kept by the analysis's one query over them) rules out nearly
    every node at once; the few left are settled by one more query over their rows.
    """
    spread = an.spread
    if not spread:
        return []
    nodes, results, as_of = an.tree.nodes, an.results, an.as_of
    ids = spread if only is None else [n for n in only if n in spread]
    steps: dict[str, tuple[Observation, Observation]] = {}
    unsure: dict[str, tuple[date, date]] = {}
    for node_id in ids:
        result = results.get(node_id)
        node = nodes.get(node_id)
        if result is None or node is None or result.period is None:
            continue
        start, end = result.period.start, min(result.period.end, as_of)
        s = spread[node_id]
        if not start <= s.last_day <= end:
            continue  # the newest row lies outside the period: nothing in it to compare with
        moves = way(node, result.target)
        measured = node.measured
        if node.actual is not None and measured is not None and s.last_day < measured <= end:
            # The inline actual is the newest value: its step is from the newest row.
            if doubtful(s.last_value, node.actual, moves):
                steps[node_id] = ((s.last_day, s.last_value), (measured, node.actual))
            continue
        if _maybe(s.last_value, s.high, s.low, moves):
            unsure[node_id] = (start, end)
    if unsure and an.measurements is not None:
        inline = [(n, d, v) for n in unsure for d, v in _inline(nodes[n], *unsure[n])]
        for node_id, step in an.measurements.newest_steps(unsure, inline).items():
            moves = way(nodes[node_id], results[node_id].target)
            before = step.previous if moves is None else step.highest if moves > 0 else step.lowest
            if before is not None and doubtful(before[1], step.last[1], moves):
                steps[node_id] = (before, step.last)
    found = []
    for node_id in [n for n in nodes if n in steps] if only is None else [n for n in only if n in steps]:
        node, result = nodes[node_id], results[node_id]
        before, after = steps[node_id]
        text = step_text(before, after, way(node, result.target), node.unit)
        message = (
            f"'{node.name}': its newest value {text}: check it; if it is wrong, record the right value "
            "for that date, and if it is right, accept this finding"
        )
        found.append(
            unchecked(
                Finding,
                code="implausible_value",
                severity=FINDING_SEVERITY["implausible_value"],
                node=node_id,
                message=message,
                related=(),
                kind=None,
                accepted=False,
                reason=None,
            )
        )
    return found


def _maybe(last: float, high: float, low: float, moves: int | None) -> bool:
    """Whether a newest value may make a doubtful step, from what the values in its window span
    (itself among them): a running total below its highest (above its lowest, falling), or any
    other value tenfold from the largest or smallest of them (a range through zero: maybe)."""
    if moves is not None:
        return last < high if moves > 0 else last > low
    if last == 0:
        return False
    biggest = max(abs(high), abs(low))
    smallest = low if low > 0 else -high if high < 0 else None
    return biggest >= JUMP * abs(last) or smallest is None or smallest * JUMP <= abs(last)


def _inline(node: Node, start: date, end: date) -> list[Observation]:
    """The node's dated inline actual, where it lies within [start, end]."""
    if node.actual is None or node.measured is None or not start <= node.measured <= end:
        return []
    return [(node.measured, node.actual)]
