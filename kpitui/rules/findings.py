"""Findings (docs/contract.md#findings): each problem the analysis sees, with a message that says what to do."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from kpitui.analysis.below import below_goals, kpi_below_map
from kpitui.analysis.results import target_gap
from kpitui.common.format import amount, apart, digits_apart, number, percent
from kpitui.model.domain import FINDING_SEVERITY, FREQUENCIES, PAIR_CODES, Finding, Location, Node, unchecked
from kpitui.rules.checks import Suggester, goodhart, mixed_units, scale_mismatch
from kpitui.rules.pace import is_cap, reference
from kpitui.rules.plausible import implausible_findings

if TYPE_CHECKING:
    from kpitui.analysis.conflicts import Conflict
    from kpitui.analysis.graph import KpiGraph
    from kpitui.analysis.results import Analysis, NodeResult

# Loops of more nodes than this are named by their first and last LOOP_ENDS nodes.
LOOP_LIMIT = 12
LOOP_ENDS = 3
# A node with more influence conflicts than this (as the first of each pair) gets one finding
# naming INFLUENCE_NAMED of its partners and how many others; `related` holds them all.
INFLUENCE_LIMIT = 5
INFLUENCE_NAMED = 3

SEVERITY: dict[str, str] = FINDING_SEVERITY


def _finding(
    code: str,
    node: str | None,
    message: str,
    related: tuple[str, ...] = (),
    kind: str | None = None,
    place: Location | None = None,
) -> Finding:
    """`Finding(code, SEVERITY[code], node, message, related, kind, place=place)`, made without the
    frozen dataclass's checked assignments (a big tree has a finding for most of its nodes)."""
    return unchecked(
        Finding,
        code=code,
        severity=SEVERITY[code],
        node=node,
        message=message,
        related=related,
        kind=kind,
        accepted=False,
        reason=None,
        place=place,
    )


_HYPHENATED = re.compile(r"[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)+")


def _formula_hint(missing: str, node: Node, nodes: Mapping[str, Node]) -> str | None:
    """`order-value` written bare reads as `order - value`: point at the braces."""
    if node.formula is None:
        return None
    for written in _HYPHENATED.findall(node.formula.text):
        if written in nodes and missing in written.split("-"):
            return f" ('{written}' is one id: write it in braces, {{{written}}})"
    return None


def collect_findings(analysis: Analysis) -> list[Finding]:
    """Every finding of docs/contract.md#findings for an analysed tree (unsorted)."""
    found: list[Finding] = []
    found += _structure(analysis)
    found += _conflict_findings(analysis)
    found += _target_gaps(analysis)
    found += _status(analysis)
    found += _forecast_findings(analysis)
    found += _quality(analysis)
    found += _units(analysis)
    found += _goals(analysis)
    found += _file_findings(analysis)
    found += _formula_findings(analysis)
    found += implausible_findings(analysis)
    return _accepted(found, analysis.tree.nodes)


def node_findings(analysis: Analysis, only: list[str]) -> list[Finding]:
    """The findings about the nodes `only` (in file order), as `collect_findings` words them,
    except cycles and pairs (conflict, goodhart): what an incremental update recomputes.

    The nodes must not sit in a loop of parent links or of formulas.
    """
    found: list[Finding] = []
    found += _structure(analysis, only)
    found += _target_gaps(analysis, only)
    found += _status(analysis, only)
    found += _forecast_findings(analysis, only)
    found += _quality(analysis, only)
    found += _units(analysis, only)
    found += _goals(analysis, only)
    found += _file_findings(analysis, only)
    found += _formula_findings(analysis, only)
    found += implausible_findings(analysis, only)
    return _accepted(found, analysis.tree.nodes)


def pair_findings(analysis: Analysis, pairs: Collection[frozenset[str]] | None = None) -> list[Finding]:
    """The findings about pairs of nodes (conflict, goodhart), in the order of the conflicts;
    of the pairs `pairs` only, where given."""
    return _accepted(_conflict_findings(analysis, pairs), analysis.tree.nodes)


def file_findings(analysis: Analysis) -> list[Finding]:
    """The findings about no node: the measurements file's."""
    return _accepted([f for f in _file_findings(analysis) if f.node is None], analysis.tree.nodes)


def _accepted(found: list[Finding], nodes: Mapping[str, Node]) -> list[Finding]:
    """Mark the findings a node accepts (docs/contract.md#findings): its own, and pairs it is one side of."""
    result: list[Finding] = []
    accepting: set[str] | None = None  # the nodes that accept any code, once a finding names many
    for finding in found:
        reason = None
        if finding.severity != "error":
            concerns = finding.concerns if finding.code in PAIR_CODES else (finding.node,)
            if len(concerns) > 2:  # a node's many influence conflicts: one look per finding, not per pair
                if accepting is None:
                    accepting = {node_id for node_id, node in nodes.items() if node.accept}
                if accepting.isdisjoint(concerns):
                    concerns = ()
            for node_id in concerns:
                node = nodes.get(node_id) if node_id is not None else None
                if node is not None and node.accept:  # most nodes accept nothing
                    reason = node.accepted(finding.code)
                    if reason is not None:
                        break
        result.append(finding if reason is None else replace(finding, accepted=True, reason=reason))
    return result


def _loop_walk(nodes: Mapping[str, Node], loop: list[str], members: list[str]) -> tuple[str, list[str]]:
    """A loop (a closed walk, first node repeated last) in words, and the nodes its findings name.

    A long loop is named by its ends and length: naming 10,000 nodes in 10,000 findings is no help.
    """
    if len(loop) - 1 <= LOOP_LIMIT:
        return " → ".join(nodes[n].name for n in loop), members
    ends = [*loop[:LOOP_ENDS], *loop[-LOOP_ENDS - 1 :]]
    head = " → ".join(nodes[n].name for n in ends[:LOOP_ENDS])
    tail = " → ".join(nodes[n].name for n in ends[LOOP_ENDS:])
    return f"a {len(members):,}-node loop: {head} → … → {tail}", list(dict.fromkeys(ends))


def _formula_findings(an: Analysis, only: list[str] | None = None) -> list[Finding]:
    """Loops of formulas (`cycle`) and formulas without a value (`formula_error`)."""
    found: list[Finding] = []
    if an.values is None:
        return found
    nodes = an.tree.nodes
    for members in an.values.formula_loops() if only is None else ():
        walk, named = _loop_walk(nodes, [*members, members[0]], members)
        for member in members:
            others = tuple(m for m in named if m != member)
            found.append(
                _finding(
                    "cycle",
                    member,
                    f"'{nodes[member].name}' is in a loop of values that depend on each other ({walk}): "
                    "change one of these formulas so it does not read back its own result",
                    others,
                )
            )
    for kind, layer in an.layers.items():
        errors = layer.errors if only is None else {n: layer.errors[n] for n in only if n in layer.errors}
        for node_id, reason in errors.items():
            found.append(
                _finding(
                    "formula_error",
                    node_id,
                    f"'{nodes[node_id].name}' has no {kind}: {reason}; "
                    "fix the input, or guard the formula (for example max(x, 1))",
                )
            )
    return found


def _structure(an: Analysis, only: list[str] | None = None) -> list[Finding]:
    nodes, graph = an.tree.nodes, an.graph
    suggest = Suggester(nodes)
    found: list[Finding] = []
    dangling = graph.dangling
    if only is not None:
        wanted = set(only)
        dangling = [d for d in dangling if d[0] in wanted]
    for node_id, field, missing in dangling:
        what = {
            "parent": "parent",
            "influences": "an influence on",
            "conflicts": "a conflict with",
            "formula": "an input",
        }[field]
        hint = (_formula_hint(missing, nodes[node_id], nodes) if field == "formula" else None) or suggest.hint(missing)
        found.append(
            _finding(
                "dangling_ref",
                node_id,
                f"'{nodes[node_id].name}' names {what} '{missing}', which does not exist"
                f"{hint}: fix the id in `{field}` or add a node '{missing}'",
                (missing,),
            )
        )
    for members in graph.cycles() if only is None else ():
        walk, named = _loop_walk(nodes, graph.cycle_path(members), members)
        for member in members:
            others = tuple(m for m in named if m != member)
            found.append(
                _finding(
                    "cycle",
                    member,
                    f"'{nodes[member].name}' is in a cycle of parent links ({walk}): remove one of these parent links",
                    others,
                )
            )
    for node_id, result in _results(an, only):
        if result.orphan_reason is not None:
            # Feeding a formula is not serving a goal (docs/contract.md#orphan), but it says where it belongs.
            feeds = an.graph.drives(node_id)
            advice = "give it a parent that leads to a goal, or delete it if nobody steers on it"
            if feeds:
                advice = (
                    f"it drives '{nodes[feeds[0]].name}' through a formula, but only parent links serve a goal: "
                    "make that node (or an objective above it) its parent"
                )
            why = f"'{nodes[node_id].name}' serves no goal ({result.orphan_reason}): {advice}"
            found.append(_finding("orphan", node_id, why))
    return found


def _conflict_findings(an: Analysis, only: Collection[frozenset[str]] | None = None) -> list[Finding]:
    """The pair findings; with `only`, of those pairs (which must hold every influence pair of
    each source they name: a source with many is said in one finding)."""
    nodes = an.tree.nodes
    conflicts = an.conflicts
    influence = conflicts.influence
    declared = conflicts.declared
    sources: Mapping[str, Sequence[str]] = influence.partners
    if only is not None:
        wanted = set(only)
        declared = [c for c in declared if frozenset((c.a, c.b)) in wanted]
        picked: dict[str, set[str]] = {}
        for pair in wanted:
            source = influence.source_of(pair)
            if source is not None:
                picked.setdefault(source, set()).update(pair - {source})
        order = an.graph.order.__getitem__
        sources = {a: [b for b in influence.partners[a] if b in picked[a]] for a in sorted(picked, key=order)}
    # Pairs in conflict only through influences, by their first node: a node with many gets one
    # finding. (Each influence pair comes once; other kinds are few, so they are set apart first.)
    other_kinds: dict[str, set[str]] = {}  # node -> the nodes it conflicts with in other ways
    for c in declared:
        other_kinds.setdefault(c.a, set()).add(c.b)
        other_kinds.setdefault(c.b, set()).add(c.a)
    many: dict[str, Sequence[str]] = {}
    for a, partners in sources.items():
        also = other_kinds.get(a)
        alone = [b for b in partners if b not in also] if also else partners
        if len(alone) > INFLUENCE_LIMIT:
            many[a] = alone
    found: list[Finding] = [_many_influence_conflicts(nodes, a, partners) for a, partners in many.items()]
    pairs: dict[frozenset[str], list[Conflict]] = {}
    for conflict in declared:
        pairs.setdefault(frozenset((conflict.a, conflict.b)), []).append(conflict)
    for a, partners in sources.items():
        shown: Container[str] = partners
        if a in many:  # said by its node's one finding, but for the pairs that conflict in other ways too
            shown = other_kinds.get(a, set()).intersection(partners)
            if not shown:
                continue
        for b in influence.ordered(a):
            if b in shown:
                pairs.setdefault(frozenset((a, b)), []).append(influence.conflict(a, b))
    for group in pairs.values():
        a, b = group[0].a, group[0].b
        reasons = "; ".join(c.explanation for c in group)
        advice = {
            "declared": "steer them together and never reward one without the other",
            "influence": "set a floor for the one that suffers, or weigh both when steering",
        }[group[0].kind]
        kinds = {c.kind for c in group}
        bought = goodhart(an, a, b) if "declared" in kinds else None
        if bought is not None:
            message = (
                f"'{nodes[a].name}' and '{nodes[b].name}' are declared counter-metrics, and the data shows "
                f"one bought at the other's cost: {bought}; find out how the first is being reached"
            )
            found.append(_finding("goodhart", a, message, (b,), group[0].kind))
            continue
        if kinds == {"declared"}:
            # Declaring the counter-metric is the remedy for Goodhart's law, not a fault.
            message = (
                f"'{nodes[a].name}' and '{nodes[b].name}' are declared counter-metrics, a managed tension: "
                "steer them together and never reward one without the other"
            )
            found.append(replace(_finding("conflict", a, message, (b,), "declared"), severity="info"))
            continue
        message = f"'{nodes[a].name}' conflicts with '{nodes[b].name}' ({reasons}): {advice}"
        found.append(_finding("conflict", a, message, (b,), group[0].kind))
    return found


GAP_NAMED = 5  # a target gap's message names this many children; `related` holds them all
GAP_VERBS = {"sum": "add up to", "mean": "average", "min": "have a minimum of", "max": "have a maximum of"}


def _target_gaps(an: Analysis, only: list[str] | None = None) -> list[Finding]:
    """One finding on each rollup node whose children's targets fall short of its own, naming them."""
    nodes = an.tree.nodes
    found: list[Finding] = []
    for node_id, node in _nodes(an, only):
        if node.rollup is None or node.target is None:
            continue
        gap = target_gap(an.tree, an.graph, an.results, node_id)
        if gap is None:
            continue
        total, children = gap
        side = "short of" if node.sign > 0 else "above"
        listed = ", ".join(f"'{nodes[c].name}'" for c in children[:GAP_NAMED])
        if len(children) > GAP_NAMED:
            listed += f" and {len(children) - GAP_NAMED:,} more"
        message = (
            f"'{node.name}' has a target gap: its children's targets ({listed}) {GAP_VERBS[node.rollup]} "
            f"{amount(total, node.unit)}, {side} its {amount(node.target, node.unit)}: make the "
            "children's targets add up, or change its target"
        )
        found.append(_finding("target_gap", node_id, message, children))
    return found


def _many_influence_conflicts(nodes: Mapping[str, Node], a: str, partners: Sequence[str]) -> Finding:
    """One finding for a node in influence conflict with many others: a few named, all related."""
    named = [f"'{nodes[p].name}'" for p in partners[:INFLUENCE_NAMED]]
    rest = len(partners) - len(named)
    direction = "up" if nodes[a].sign > 0 else "down"
    message = (
        f"'{nodes[a].name}' conflicts through influences with {', '.join(named)} and {rest:,} others: "
        f"pushing it {direction} pushes each of them against its direction (all of them: `related` in "
        "`check --format json`, and the detail panel with each one's path): set floors for the ones that "
        "suffer, or weigh them when steering, or thin out the influences"
    )
    return _finding("conflict", a, message, tuple(partners), "influence")


def _results(an: Analysis, only: list[str] | None) -> Iterable[tuple[str, NodeResult]]:
    """(id, result) of every node, or of the nodes `only`."""
    if only is None:
        return an.results.items()
    return ((n, an.results[n]) for n in only)


def _nodes(an: Analysis, only: list[str] | None) -> Iterable[tuple[str, Node]]:
    """(id, node) of every node, or of the nodes `only`."""
    if only is None:
        return an.tree.nodes.items()
    return ((n, an.tree.nodes[n]) for n in only)


def _status(an: Analysis, only: list[str] | None = None) -> list[Finding]:
    nodes = an.tree.nodes
    as_of = str(an.as_of)
    found: list[Finding] = []
    for node_id, result in _results(an, only):
        status = result.pace.status
        if status == "off_track" or status == "at_risk":
            node = nodes[node_id]
            label, advice = (
                ("off track", "act on its drivers or revise the target")
                if status == "off_track"
                else ("at risk", "watch it closely")
            )
            actual, expected = apart(result.actual, result.pace.expected, node.unit)
            found.append(
                _finding(
                    status,
                    node_id,
                    f"'{node.name}' is {label}: {actual} against {expected} {reference(node, result)} by {as_of} "
                    f"(attainment {percent(result.pace.attainment)}): {advice}",
                )
            )
        if result.stale and result.last_measured is not None:
            node = nodes[node_id]
            if node.frequency is not None:
                days = (an.as_of - result.last_measured).days
                found.append(
                    _finding(
                        "stale",
                        node_id,
                        f"'{node.name}' was last measured {result.last_measured}, {days} days before {an.as_of}, "
                        f"but is measured {node.frequency} (every {FREQUENCIES[node.frequency]} days): "
                        "record a new actual",
                    )
                )
        if result.overflow:
            found.append(
                _finding(
                    "overflow",
                    node_id,
                    f"'{nodes[node_id].name}': a value computed from its numbers is beyond ±1.8e308, so it is "
                    "unknown: check its target, actual and baseline (and its children's)",
                )
            )
        if result.period is None and nodes[node_id].pacing == "linear":
            found.append(
                _finding(
                    "no_period",
                    node_id,
                    f"'{nodes[node_id].name}' is paced linearly but has no period, so its pace is unknown: "
                    "give it, an ancestor or [tree] a period = { start = ..., end = ... }",
                )
            )
    return found


def _quality(an: Analysis, only: list[str] | None = None) -> list[Finding]:
    nodes, graph = an.tree.nodes, an.graph
    limit = an.tree.settings.thresholds.max_children
    # Every declared node at once for the whole tree; for a few nodes, each is looked up.
    declared: Container[str] = {n for pair in graph.declared for n in pair} if only is None else _Declared(graph)
    kpi_below = kpi_below_map(an.tree.nodes, an.graph) if an.state is None else an.state.kpi_below
    found: list[Finding] = []
    results, children_of = an.results, graph.children
    for node_id, node in _nodes(an, only):
        kind = node.kind
        children = children_of(node_id)
        if kind == "goal" and not kpi_below[node_id]:
            found.append(
                _finding(
                    "unmeasured_goal",
                    node_id,
                    f"goal '{node.name}' has no KPI anywhere below it: add a KPI that measures it",
                )
            )
        if len(children) > limit:
            found.append(
                _finding(
                    "too_many_children",
                    node_id,
                    f"'{node.name}' has {len(children)} children, more than {limit}: "
                    "group them under objectives so the tree stays readable",
                )
            )
        result = results[node_id]
        if kind == "kpi" and (
            result.target is None or node.unit is None or node.owner is None or result.period is None
        ):
            lacking = [
                label
                for label, present in (
                    ("a target", result.target is not None),
                    ("a unit", node.unit is not None),
                    ("an owner", node.owner is not None),
                    ("a period", result.period is not None),
                )
                if not present
            ]
            if lacking:
                found.append(
                    _finding(
                        "not_smart",
                        node_id,
                        f"KPI '{node.name}' lacks {_and(lacking)}: add {'it' if len(lacking) == 1 else 'them'} "
                        "so it is measurable "
                        "and someone answers for it",
                    )
                )
        single = len(children) == 1 and kind != "kpi" and nodes[children[0]].kind == "kpi"
        drivers = single and any(nodes[c].kind == "kpi" for c in children_of(children[0]))
        if kind in ("goal", "objective") and single and not drivers and children[0] not in declared:
            one = nodes[children[0]].name
            found.append(
                _finding(
                    "single_kpi_goal",
                    node_id,
                    f"'{node.name}' is measured by one KPI, '{one}', with no counter-metric: people will "
                    f"optimise '{one}' at any cost (Goodhart's law); add a KPI that would suffer if it "
                    "were gamed and declare the conflict",
                    (children[0],),
                )
            )
        if node.owner_type == "individual" and node.target is not None and kind != "goal":
            found.append(
                _finding(
                    "individual_target",
                    node_id,
                    f"'{node.name}' sets a target for one person ({node.owner or 'no owner named'}): "
                    "prefer a team target, or make sure that person controls the result",
                )
            )
    return found


def _units(an: Analysis, only: list[str] | None = None) -> list[Finding]:
    found: list[Finding] = []
    results = an.results
    for node_id, node in _nodes(an, only):
        units = mixed_units(an, node_id) if node.rollup is not None else None
        if units is not None:
            found.append(
                _finding(
                    "mixed_units",
                    node_id,
                    f"'{node.name}' rolls up ({node.rollup}) over different units ({', '.join(units)}): "
                    f"a {node.rollup} of different units means nothing; give it and its children one unit, "
                    "or drop `rollup` and record its actual yourself",
                )
            )
        # Only a `%` node can mix scales: most nodes are not asked.
        scale = scale_mismatch(node, results[node_id]) if node.unit is not None and "%" in node.unit else None
        if scale is not None:
            low, high = scale
            found.append(
                _finding(
                    "scale_mismatch",
                    node_id,
                    f"'{node.name}' is in % but mixes scales: {number(low)} against {number(high)} "
                    f"({high / low:.0f} times); `%` means 0–100, so write 89 for 89%, not 0.89",
                )
            )
    return found


def _goals(an: Analysis, only: list[str] | None = None) -> list[Finding]:
    nodes = an.tree.nodes
    limit = an.tree.settings.thresholds.max_kpis
    found: list[Finding] = []
    if an.state is None:
        goals = below_goals(an.tree.nodes, an.graph, an.tree.settings.thresholds.max_kpis)
    else:
        kpis = an.state.maps[0]
        ids = [n for n, node in nodes.items() if node.kind == "goal"] if only is None else only
        goals = {n: an.state.below(n) for n in ids if n in kpis and nodes[n].kind == "goal"}
    for goal_id, below in goals.items():
        name = nodes[goal_id].name
        if len(below.with_horizon) >= 2 and not below.long:
            found.append(
                _finding(
                    "short_term_only",
                    goal_id,
                    f"goal '{name}': every KPI below it that states a horizon is short-term: "
                    'add a long-term KPI (horizon = "long") so the goal is not steered on the short term only',
                )
            )
        if len(below.kpis) > limit:
            found.append(
                _finding(
                    "too_many_kpis",
                    goal_id,
                    f"goal '{name}' has more than {limit} KPIs below it: focus is lost; keep the few that "
                    "steer it, move the rest under objectives of their own goal, or raise "
                    "tree.thresholds.max_kpis",
                )
            )
    return found


class _Declared:
    """`node in _Declared(graph)`: whether a node is one side of a declared conflict."""

    def __init__(self, graph: KpiGraph) -> None:
        self.graph = graph

    def __contains__(self, node_id: object) -> bool:
        return any(node_id in pair for pair in self.graph.declared)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _file_findings(an: Analysis, only: list[str] | None = None) -> list[Finding]:
    tree = an.tree
    found: list[Finding] = []
    unknown_keys = tree.unknown
    if only is not None:
        wanted = set(only)
        unknown_keys = [u for u in tree.unknown if u[0] in wanted]
    for node_id, unknown in unknown_keys:
        if node_id is not None and node_id not in tree.nodes:
            continue  # a node deleted since the file was read
        where = f"node '{tree.nodes[node_id].name}'" if node_id is not None else "the file"
        line = tree.location(node_id, unknown.key).line
        hint = f"; did you mean `{unknown.suggestion}`?" if unknown.suggestion else ""
        found.append(
            _finding(
                "unknown_key",
                node_id,
                f"unknown key `{unknown.key}` in {where} (line {line}), kept as written{hint}",
            )
        )
    m = an.measurements
    if m is None or only is not None:
        return found
    for problem in m.problems:
        found.append(_finding("measurements_error", None, problem))
    # The file as the tree names it, from where the tree was named (sample_trees/x.csv), so that
    # a CI annotation lands on it; a Parquet file's rows have no line to point at.
    where = os.path.normpath(m.path)
    lines = m.path.suffix.lower() != ".parquet"
    for line, reason in m.bad_rows:
        message = f"{m.path.name} line {line} {reason}: fix or delete the row"
        found.append(_finding("bad_measurement", None, message, place=Location(where, line if lines else 0)))
    suggest = Suggester(tree.nodes)
    for node_id, rows, first_line in m.unknown_nodes(tree.nodes):
        found.append(
            _finding(
                "unknown_node_in_measurements",
                None,
                f"{m.path.name} has {rows} row(s) for node '{node_id}' (first on line "
                f"{first_line}), which is not in the tree{suggest.hint(node_id)}: "
                "fix the id or add the node",
                (node_id,),
                place=Location(where, first_line if lines else 0),
            )
        )
    return found


def _forecast_findings(an: Analysis, only: list[str] | None = None) -> list[Finding]:
    """`forecast_miss` (docs/contract.md#forecast): fine today, off track at the horizon."""
    found: list[Finding] = []
    for node_id, result in _results(an, only):
        forecast = result.forecast
        if forecast is None or forecast.status != "off_track" or result.status not in ("on_track", "at_risk"):
            continue
        node = an.tree.nodes[node_id]
        digits = digits_apart(forecast.value, forecast.low, forecast.high, result.target)

        def show(value: float | None, unit: str | None = node.unit, digits: int = digits) -> str:
            return amount(value, unit, digits)

        spread = ""
        if forecast.low is not None and forecast.high is not None and forecast.low != forecast.high:
            spread = f" (80%: {show(forecast.low)}–{show(forecast.high)})"
        # A rollup or formula node without a line of its own combines its inputs' forecasts (docs/contract.md#forecast).
        reaches = "its trend reaches" if forecast.line is not None else "its inputs' trends give it"
        limit = "cap" if is_cap(node, result) else "target"
        found.append(
            _finding(
                "forecast_miss",
                node_id,
                f"'{node.name}' is {result.status.replace('_', ' ')} today but {reaches} "
                f"{show(forecast.value)}{spread} by {forecast.day}, against a {limit} of "
                f"{show(result.target)}: act now, before it shows",
            )
        )
    return found
