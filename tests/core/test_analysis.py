"""Analysis (docs/contract.md) on small trees: one behaviour a test, exact results."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

from kpitui.analysis.results import Analysis
from kpitui.model.domain import Period

Analyse = Callable[..., Analysis]

HEAD = """
[tree]
as_of = 2026-07-02
period = { start = 2026-01-01, end = 2026-12-31 }
[nodes.g]
name = "Goal"
kind = "goal"
"""


def codes(an: Analysis, node: str | None = None) -> list[str]:
    return [f.code for f in an.findings if node is None or f.node == node]


# ── as_of and periods ────────────────────────────────────────────────


def test_as_of_option_beats_tree_as_of(analyse: Analyse) -> None:
    assert analyse(HEAD).as_of == date(2026, 7, 2)
    assert analyse(HEAD, date(2026, 3, 1)).as_of == date(2026, 3, 1)


def test_as_of_defaults_to_today(analyse: Analyse) -> None:
    assert analyse('[nodes.g]\nname = "G"\nkind = "goal"\n').as_of == date.today()


def test_period_own_then_nearest_ancestor_then_tree(analyse: Analyse) -> None:
    an = analyse(
        HEAD
        + """
[nodes.o]
name = "O"
kind = "objective"
parent = "g"
period = { start = 2026-04-01, end = 2026-06-30 }
[nodes.k]
name = "K"
parent = "o"
[nodes.own]
name = "Own"
parent = "o"
period = { start = 2026-05-01, end = 2026-05-31 }
[nodes.top]
name = "Top"
parent = "g"
"""
    )
    q2 = Period(date(2026, 4, 1), date(2026, 6, 30))
    assert an.results["k"].period == q2
    assert an.results["own"].period == Period(date(2026, 5, 1), date(2026, 5, 31))
    assert an.results["top"].period == Period(date(2026, 1, 1), date(2026, 12, 31))


def test_period_nearest_ancestor_wins_over_first_parents_grandparent(analyse: Analyse) -> None:
    an = analyse(
        """
[nodes.g1]
name = "G1"
kind = "goal"
period = { start = 2026-01-01, end = 2026-12-31 }
[nodes.p1]
name = "P1"
kind = "objective"
parent = "g1"
[nodes.p2]
name = "P2"
kind = "objective"
period = { start = 2026-04-01, end = 2026-06-30 }
[nodes.p3]
name = "P3"
kind = "objective"
period = { start = 2026-07-01, end = 2026-09-30 }
[nodes.k]
name = "K"
parent = ["p1", "p2", "p3"]
"""
    )
    # p1 has none of its own; p2 is at distance 1 and named before p3.
    assert an.results["k"].period == Period(date(2026, 4, 1), date(2026, 6, 30))


# ── actuals, measurements and staleness ──────────────────────────────


def test_measurements_give_actual_unless_inline_is_later(write_tree: Callable[..., Path], tmp_path: Path) -> None:
    from kpitui.engine import analyze
    from kpitui.io.loader import load_tree

    (tmp_path / "m.csv").write_text(
        "node,date,value,note\n"
        "a,2026-06-01,10,\n"
        "a,2026-06-20,12,\n"
        "a,2026-07-10,99,future\n"
        "b,2026-06-20,5,\n"
        "ghost,2026-06-01,1,\n"
    )
    path = write_tree(
        """
[tree]
as_of = 2026-07-02
measurements = "m.csv"
[nodes.a]
name = "A"
actual = 1
measured = 2026-06-19
frequency = "weekly"
[nodes.b]
name = "B"
actual = 7
measured = 2026-06-21
"""
    )
    an = analyze(load_tree(path))
    a, b = an.results["a"], an.results["b"]
    assert (a.actual, a.last_measured, a.actual_source) == (12, date(2026, 6, 20), "measurements")
    # The history is every observation up to as_of: rows, and the inline actual with its date.
    assert an.history("a") == [(date(2026, 6, 1), 10), (date(2026, 6, 19), 1), (date(2026, 6, 20), 12)]
    assert (b.actual, b.last_measured, b.actual_source) == (7, date(2026, 6, 21), "inline")
    assert a.stale  # 12 days old, measured weekly
    ghost = [f for f in an.findings if f.code == "unknown_node_in_measurements"]
    assert len(ghost) == 1 and ghost[0].related == ("ghost",)
    assert "line 6" in ghost[0].message


def test_an_inline_actual_measured_after_as_of_is_ignored(write_tree: Callable[..., Path], tmp_path: Path) -> None:
    # docs/contract.md#observations: "and so is an inline actual whose measured date is after as_of" — with or without
    # a measurements file; an undated inline actual always counts.
    from kpitui.engine import analyze
    from kpitui.io.loader import load_tree

    nodes = """
[nodes.a]
name = "A"
target = 100
actual = 50
measured = 2026-07-15
[nodes.b]
name = "B"
target = 100
actual = 97
"""
    bare = analyze(load_tree(write_tree("[tree]\nas_of = 2026-07-02\n" + nodes)))
    assert (bare.results["a"].actual, bare.results["a"].status, bare.results["a"].last_measured) == (
        None,
        "unknown",
        None,
    )
    assert (bare.results["b"].actual, bare.results["b"].status) == (97, "on_track")
    assert "off_track" not in codes(bare, "a")
    # From its date on it counts.
    later = analyze(load_tree(write_tree("[tree]\nas_of = 2026-07-02\n" + nodes)), date(2026, 7, 15))
    assert (later.results["a"].actual, later.results["a"].status) == (50, "off_track")
    # With measurements: the newest row on or before as_of wins over the future inline actual.
    (tmp_path / "m.csv").write_text("node,date,value,note\na,2026-06-30,80,\n")
    path = write_tree('[tree]\nas_of = 2026-07-02\nmeasurements = "m.csv"\n' + nodes, name="with_rows.toml")
    a = analyze(load_tree(path)).results["a"]
    assert (a.actual, a.last_measured, a.actual_source) == (80, date(2026, 6, 30), "measurements")


def test_bad_measurement_rows_and_missing_file_are_findings(write_tree: Callable[..., Path], tmp_path: Path) -> None:
    from kpitui.engine import analyze
    from kpitui.io.loader import load_tree

    (tmp_path / "m.csv").write_text("node,date,value\na,2026-13-01,1\na,2026-01-01,lots\n")
    an = analyze(load_tree(write_tree('[tree]\nmeasurements = "m.csv"\n[nodes.a]\nname = "A"\n')))
    assert codes(an)[:2] == ["bad_measurement", "bad_measurement"]
    assert [f.message.split(" ")[2] for f in an.findings if f.code == "bad_measurement"] == ["2", "3"]
    an = analyze(load_tree(write_tree('[tree]\nmeasurements = "none.csv"\n[nodes.a]\nname = "A"\n')))
    assert codes(an)[0] == "measurements_error"


def test_bad_rows_are_told_with_their_own_text_and_good_rows_kept(tmp_path: Path) -> None:
    # Only the bad rows' date and value text is read back (the good rows keep no text).
    import polars as pl

    from kpitui.io.measurements import load_measurements

    rows = "node,date,value,note\na,2026-01-05,1,\n ,2026-01-06,2,\nb,6 jan,3,\nb,2026-01-07, lots ,\nb,2026-01-08,4,\n"
    (tmp_path / "m.csv").write_text(rows)
    m = load_measurements(tmp_path / "m.csv")
    assert m.bad_rows == [
        (3, "has no node id"),
        (4, "has date '6 jan', not an ISO date like 2026-06-30"),
        (5, "has value ' lots ', not a number"),
    ]
    assert m.frame is not None and m.frame.select("node", "value", "line").rows() == [("a", 1.0, 2), ("b", 4.0, 6)]
    frame = pl.read_csv(tmp_path / "m.csv", infer_schema=False)
    frame.write_parquet(tmp_path / "m.parquet")
    assert load_measurements(tmp_path / "m.parquet").bad_rows == m.bad_rows
    (tmp_path / "ok.csv").write_text("node,date,value\na,2026-01-05,1\n")
    assert load_measurements(tmp_path / "ok.csv").bad_rows == []


def test_stale_needs_frequency_and_is_strictly_older(analyse: Analyse) -> None:
    an = analyse(
        HEAD
        + """
[nodes.week]
name = "W"
parent = "g"
actual = 1
measured = 2026-06-25
frequency = "weekly"
[nodes.eight]
name = "E"
parent = "g"
actual = 1
measured = 2026-06-24
frequency = "weekly"
[nodes.nofreq]
name = "N"
parent = "g"
actual = 1
measured = 2020-01-01
"""
    )
    assert [an.results[n].stale for n in ("week", "eight", "nofreq")] == [False, True, False]


# ── rollup ───────────────────────────────────────────────────────────


ROLLUP = (
    HEAD
    + """
[nodes.team]
name = "Team"
kind = "objective"
parent = "g"
rollup = "{how}"
target = 3000
pacing = "level"
[nodes.a]
name = "A"
parent = "team"
target = 1000
actual = 500
[nodes.b]
name = "B"
parent = "team"
target = 1700
actual = 900
"""
)


def rollup(how: str) -> str:
    return ROLLUP.replace("{how}", how)


def test_rollup_sum_of_actuals_and_target_gap(analyse: Analyse) -> None:
    an = analyse(rollup("sum"))
    team = an.results["team"]
    assert (team.actual, team.actual_source, team.target) == (1400, "rollup", 3000)
    # One finding on the parent, naming its children; not a conflict of each child's.
    [gap] = [f for f in an.findings if f.code == "target_gap"]
    assert (gap.node, gap.related, gap.kind, gap.severity) == ("team", ("a", "b"), None, "warning")
    assert gap.message == (
        "'Team' has a target gap: its children's targets ('A', 'B') add up to 2700, short of its 3000: "
        "make the children's targets add up, or change its target"
    )
    assert not [f for f in an.findings if f.code == "conflict"] and not list(an.conflicts)
    assert an.partners("team") == [] and an.partners("a") == []
    assert [f.code for f in an.findings_of("a") if f.code == "target_gap"] == []
    assert [f.code for f in an.findings_of("team") if f.code == "target_gap"] == ["target_gap"]


def test_rollup_mean_min_max(analyse: Analyse) -> None:
    assert analyse(rollup("mean")).results["team"].actual == 700
    assert analyse(rollup("min")).results["team"].actual == 500
    assert analyse(rollup("max")).results["team"].actual == 900


def test_rollup_target_when_node_has_none(analyse: Analyse) -> None:
    an = analyse(rollup("sum").replace("target = 3000\n", ""))
    assert an.results["team"].target == 2700
    assert "target_gap" not in [f.code for f in an.findings]


def test_rollup_is_unknown_when_a_child_is_unknown(analyse: Analyse) -> None:
    an = analyse(rollup("sum").replace("actual = 900\n", ""))
    assert an.results["team"].actual is None
    assert an.results["team"].status == "unknown"


def test_rollup_nests(analyse: Analyse) -> None:
    text = rollup("sum") + '[nodes.a1]\nname = "A1"\nparent = "a"\nactual = 5\n'
    text = text.replace(
        'name = "A"\nparent = "team"\ntarget = 1000\nactual = 500',
        'name = "A"\nparent = "team"\ntarget = 1000\nrollup = "sum"',
    )
    an = analyse(text)
    assert (an.results["a"].actual, an.results["team"].actual) == (5, 905)


def test_decrease_target_gap_is_when_children_exceed(analyse: Analyse) -> None:
    an = analyse(rollup("sum").replace('pacing = "level"', 'direction = "decrease"'))
    assert "target_gap" not in [f.code for f in an.findings]
    an = analyse(rollup("sum").replace('pacing = "level"', 'direction = "decrease"').replace("3000", "2000"))
    [gap] = [f.message for f in an.findings if f.code == "target_gap"]
    assert "its children's targets ('A', 'B') add up to 2700, above its 2000:" in gap


def test_rollup_status_is_worst_known_below(analyse: Analyse) -> None:
    an = analyse(rollup("sum"))
    # a: level 500 of 1000 -> off_track; b: 900 of 1700 -> off_track; team 1400/3000 off_track
    assert an.results["a"].status == "off_track"
    assert an.results["g"].status == "unknown"
    assert an.results["g"].rollup_status == "off_track"


# ── orphans ─────────────────────────────────────────────────────────


def test_each_orphan_reason(analyse: Analyse) -> None:
    an = analyse(
        HEAD
        + """
[nodes.served]
name = "Served"
parent = "g"
[nodes.lonely]
name = "Lonely"
[nodes.lost]
name = "Lost"
parent = "nowhere"
[nodes.below-lost]
name = "Below lost"
parent = "lost"
[nodes.obj]
name = "Obj"
kind = "objective"
[nodes.under-obj]
name = "Under obj"
parent = "obj"
[nodes.c1]
name = "C1"
parent = "c2"
[nodes.c2]
name = "C2"
parent = "c1"
[nodes.under-cycle]
name = "Under cycle"
parent = "c1"
"""
    )
    reasons = {n: r.orphan_reason for n, r in an.results.items()}
    assert reasons == {
        "g": None,
        "served": None,
        "lonely": "no parent",
        "lost": "parent 'nowhere' does not exist",
        "below-lost": "parent 'nowhere' does not exist",
        "obj": "no parent",
        "under-obj": "root 'obj' is not a goal",
        "c1": "in a cycle",
        "c2": "in a cycle",
        "under-cycle": "in a cycle",
    }
    assert codes(an).count("orphan") == 8
    assert codes(an).count("cycle") == 2
    assert codes(an, "lost")[0] == "dangling_ref"


def test_goal_is_never_orphan_but_may_be_unmeasured(analyse: Analyse) -> None:
    an = analyse('[nodes.g]\nname = "G"\nkind = "goal"\nparent = "missing"\n')
    assert an.results["g"].orphan_reason is None
    assert codes(an, "g") == ["dangling_ref", "unmeasured_goal"]


def test_a_kpi_two_levels_down_measures_the_goal(analyse: Analyse) -> None:
    an = analyse(
        HEAD + '[nodes.o]\nname = "O"\nkind = "objective"\nparent = "g"\n[nodes.k]\nname = "K"\nparent = "o"\n'
    )
    assert "unmeasured_goal" not in codes(an)


# ── conflicts ─────────────────────────────────────────────────────────


def test_declared_conflict_from_either_side(analyse: Analyse) -> None:
    an = analyse(
        HEAD + '[nodes.a]\nname = "A"\nparent = "g"\nconflicts = ["b"]\n'
        '[nodes.b]\nname = "B"\nparent = "g"\nconflicts = ["a"]\n'
    )
    assert [(c.a, c.b, c.kind) for c in an.conflicts] == [("a", "b", "declared")]
    assert codes(an).count("conflict") == 1
    assert (an.partners("a"), an.partners("b")) == (["b"], ["a"])


def test_declared_conflicts_come_in_file_order_of_their_members(analyse: Analyse) -> None:
    an = analyse(
        HEAD + '[nodes.a]\nname = "A"\nparent = "g"\nconflicts = ["d"]\n'
        '[nodes.b]\nname = "B"\nparent = "g"\n'
        '[nodes.c]\nname = "C"\nparent = "g"\nconflicts = ["b", "a"]\n'
        '[nodes.d]\nname = "D"\nparent = "g"\nconflicts = ["c", "b"]\n'
    )
    pairs = [(c.a, c.b) for c in an.conflicts if c.kind == "declared"]
    assert pairs == [("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")]


def test_influence_conflict_with_witness_path(analyse: Analyse) -> None:
    an = analyse(
        HEAD
        + """
[nodes.spend]
name = "Spend"
parent = "g"
influences = { clicks = "+" }
[nodes.clicks]
name = "Clicks"
parent = "g"
influences = { margin = "-" }
[nodes.margin]
name = "Margin"
parent = "g"
[nodes.cost]
name = "Cost"
parent = "g"
direction = "decrease"
influences = { margin = "-" }
"""
    )
    pairs = {(c.a, c.b): c for c in an.conflicts}
    assert set(pairs) == {("spend", "margin"), ("clicks", "margin")}
    assert pairs[("spend", "margin")].path == ("spend", "clicks", "margin")
    assert pairs[("spend", "margin")].explanation == (
        "influence: pushing 'Spend' up pushes 'Margin' down, against its increase: Spend →(+) Clicks →(−) Margin"
    )
    # Cost goes down, which pushes margin up: that helps, no conflict.
    assert an.partners("cost") == []
    assert an.partners("margin") == ["clicks", "spend"]


def test_influence_aligned_with_directions_is_no_conflict(analyse: Analyse) -> None:
    an = analyse(
        HEAD
        + '[nodes.a]\nname = "A"\nparent = "g"\ninfluences = { b = "-" }\n'
        + '[nodes.b]\nname = "B"\nparent = "g"\ndirection = "decrease"\n'
    )
    assert an.conflicts == []


# ── other findings ────────────────────────────────────────────────


def test_status_findings(analyse: Analyse) -> None:
    an = analyse(
        HEAD
        + """
[nodes.off]
name = "Off"
parent = "g"
unit = "EUR"
target = 1000
actual = 400
pacing = "linear"
[nodes.risk]
name = "Risk"
parent = "g"
target = 100
actual = 90
[nodes.nop]
name = "No period"
parent = "g"
pacing = "linear"
period = { start = 2026-01-01, end = 2026-12-31 }
"""
    ).findings
    off = next(f for f in an if f.code == "off_track")
    assert off.message == (
        "'Off' is off track: 400 EUR against 500 EUR expected by 2026-07-02 (attainment 80%): "
        "act on its drivers or revise the target"
    )
    assert [f.node for f in an if f.code == "at_risk"] == ["risk"]


def test_no_period_when_linear_without_any_period(analyse: Analyse) -> None:
    an = analyse(
        '[nodes.g]\nname = "G"\nkind = "goal"\n[nodes.k]\nname = "K"\n'
        'parent = "g"\npacing = "linear"\ntarget = 5\nactual = 1\n'
    )
    assert "no_period" in codes(an, "k")
    assert an.results["k"].status == "unknown"


def test_quality_findings(analyse: Analyse) -> None:
    children = "".join(f'[nodes.c{i}]\nname = "C{i}"\nparent = "wide"\nkind = "objective"\n' for i in range(8))
    an = analyse(
        HEAD
        + """
[nodes.wide]
name = "Wide"
kind = "objective"
parent = "g"
[nodes.single]
name = "Single"
kind = "objective"
parent = "g"
[nodes.only]
name = "Only"
parent = "single"
owner = "Jan"
owner_type = "individual"
unit = "x"
target = 1
"""
        + children
    )
    assert "too_many_children" in codes(an, "wide")
    assert "single_kpi_goal" in codes(an, "single")
    assert "individual_target" in codes(an, "only")
    assert "not_smart" not in codes(an, "only")
    # The goal has objectives, not a lone KPI.
    assert "single_kpi_goal" not in codes(an, "g")


def test_not_smart_lists_what_is_missing(analyse: Analyse) -> None:
    an = analyse('[nodes.g]\nname = "G"\nkind = "goal"\n[nodes.k]\nname = "K"\nparent = "g"\n')
    [finding] = [f for f in an.findings if f.code == "not_smart"]
    assert finding.message.startswith("KPI 'K' lacks a target, a unit, an owner and a period:")


def test_single_kpi_goal_not_raised_with_declared_counter_metric(analyse: Analyse) -> None:
    an = analyse(
        HEAD + '[nodes.k]\nname = "K"\nparent = "g"\nconflicts = ["x"]\n'
        '[nodes.x]\nname = "X"\nkind = "objective"\nparent = "g"\n'
    )
    assert "single_kpi_goal" not in codes(an)
    an = analyse(HEAD + '[nodes.k]\nname = "K"\nparent = "g"\n')
    assert "single_kpi_goal" in codes(an, "g")


def test_unknown_key_finding_suggests(analyse: Analyse) -> None:
    an = analyse('[nodes.g]\nname = "G"\nkind = "goal"\ntaget = 3\n[tree]\ntitel = "x"\n')
    messages = [f.message for f in an.findings if f.code == "unknown_key"]
    assert messages == [
        "unknown key `tree.titel` in the file (line 6), kept as written; did you mean `tree.title`?",
        "unknown key `taget` in node 'G' (line 4), kept as written; did you mean `target`?",
    ]


def test_findings_are_sorted_by_severity(analyse: Analyse) -> None:
    an = analyse(HEAD + '[nodes.x]\nname = "X"\nparent = "missing"\n')
    severities = [f.severity for f in an.findings]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
