"""Marks an analyst can trust (issue 9): each rule of docs/contract.md, both sides of every boundary."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from kpitui.analysis.results import Analysis
from kpitui.analysis.status import aggregate, pace
from kpitui.common.format import apart, percent
from kpitui.engine import analyze
from kpitui.io.loader import KpiTree, load_tree
from kpitui.model.domain import Period, Thresholds, TreeLoadError
from kpitui.outputs.ci import as_json
from kpitui.outputs.text_report import as_text, fails, summary

Analyse = Callable[..., Analysis]
Load = Callable[[str], KpiTree]

YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))  # 364 days long
HALF = date(2026, 7, 2)  # day 182 of 364

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


def errors_of(load: Load, text: str) -> list[str]:
    with pytest.raises(TreeLoadError) as info:
        load(text)
    return [e.message for e in info.value.errors]


def kpi(node_id: str, parent: str = "g", **fields: object) -> str:
    lines = [f"[nodes.{node_id}]", f'name = "{node_id.upper()}"', f'parent = "{parent}"']
    for key, value in fields.items():
        text = f'"{value}"' if isinstance(value, str) and not value.startswith(("{", "[")) else str(value)
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


# ── docs/contract.md#status: one attainment formula for both directions ────────────────


def linear(**kw: object) -> tuple[float | None, float | None, str]:
    args: dict[str, object] = {
        "pacing": "linear",
        "sign": 1,
        "baseline": 0,
        "period": YEAR,
        "as_of": HALF,
        "thresholds": Thresholds(),
    }
    args.update(kw)
    p = pace(**args)  # type: ignore[arg-type]
    return p.expected, p.attainment, p.status


def test_a_budget_spent_ahead_of_its_pace_is_behind() -> None:
    # Cap 1000 over the year, half gone: 500 allowed so far; 600 spent is 100 over:
    # attainment = 1 + (−1)(600 − 500)/|500 − 0| = 0.8.
    assert linear(sign=-1, target=1000, actual=600) == (500, 0.8, "off_track")


def test_a_budget_spent_behind_its_pace_is_ahead() -> None:
    # 400 spent of 500 allowed: 1 + (−1)(400 − 500)/500 = 1.2.
    assert linear(sign=-1, target=1000, actual=400) == (500, 1.2, "on_track")


def test_a_growing_cap_with_a_baseline() -> None:
    # Churn may grow from 100 to 300: expected 200; 230 churned: 1 − 30/100 = 0.7.
    _, attainment, status = linear(sign=-1, baseline=100, target=300, actual=230)
    assert attainment == pytest.approx(0.7)
    assert status == "off_track"


def test_targets_in_the_kpis_direction_keep_their_numbers() -> None:
    # The old (actual − baseline)/(expected − baseline): 450/500 and (80 − 100)/(75 − 100).
    assert linear(target=1000, actual=450) == (500, 0.9, "at_risk")
    assert linear(sign=-1, baseline=100, target=50, actual=80) == (75, 0.8, "off_track")


def test_a_cap_at_the_period_start_is_judged_by_direction() -> None:
    start = date(2026, 1, 1)
    assert linear(sign=-1, target=1000, actual=0, as_of=start) == (0, 1.0, "on_track")
    assert linear(sign=-1, target=1000, actual=5, as_of=start) == (0, 0.0, "off_track")


def test_the_budget_shows_off_track_in_a_tree(analyse: Analyse) -> None:
    an = analyse(HEAD + kpi("budget", unit="EUR", direction="decrease", pacing="linear", target=1000, actual=600))
    assert an.results["budget"].status == "off_track"
    assert "off_track" in codes(an, "budget")


# ── per-node thresholds ──────────────────────────────────────────────────


UPTIME = HEAD + kpi("uptime", unit="%", target=99.95, actual=99.5)


def test_uptime_is_on_track_by_the_trees_thresholds(analyse: Analyse) -> None:
    # 1 − (99.95 − 99.5)/99.95 = 0.99549…, above the tree's 0.95.
    result = analyse(UPTIME).results["uptime"]
    assert result.pace.attainment == pytest.approx(1 - 0.45 / 99.95)
    assert result.status == "on_track"


def test_own_thresholds_judge_the_node(analyse: Analyse) -> None:
    text = UPTIME + "thresholds = { on_track = 0.999, at_risk = 0.995 }\n"
    assert analyse(text).results["uptime"].status == "at_risk"  # 0.99549 ≥ 0.995
    text = UPTIME.replace("99.5", "99.4") + "thresholds = { on_track = 0.999, at_risk = 0.995 }\n"
    assert analyse(text).results["uptime"].status == "off_track"  # 1 − 0.55/99.95 = 0.99449


def test_own_threshold_boundary_is_inclusive(analyse: Analyse) -> None:
    # level: 1 − (1000 − 999)/1000 = 0.999 exactly.
    text = HEAD + kpi("k", target=1000, actual=999) + "thresholds = { on_track = 0.999 }\n"
    assert analyse(text).results["k"].status == "on_track"
    text = HEAD + kpi("k", target=1000, actual=998.9) + "thresholds = { on_track = 0.999 }\n"
    # 0.9989: not on track; the tree's at_risk 0.85 still applies.
    assert analyse(text).results["k"].status == "at_risk"


def test_own_on_track_below_the_trees_at_risk_leaves_no_at_risk_band(analyse: Analyse) -> None:
    text = HEAD + kpi("k", target=100, actual=81) + "thresholds = { on_track = 0.8 }\n"
    assert analyse(text).results["k"].status == "on_track"
    text = HEAD + kpi("k", target=100, actual=79) + "thresholds = { on_track = 0.8 }\n"
    assert analyse(text).results["k"].status == "off_track"


def test_other_nodes_keep_the_trees_thresholds(analyse: Analyse) -> None:
    text = UPTIME + "thresholds = { on_track = 0.999 }\n" + kpi("other", target=100, actual=96)
    an = analyse(text)
    assert (an.results["uptime"].status, an.results["other"].status) == ("at_risk", "on_track")


def test_own_thresholds_are_validated_like_the_trees(load: Load) -> None:
    assert errors_of(load, HEAD + kpi("k") + "thresholds = { on_track = 0.9, at_risk = 0.95 }\n") == [
        "`at_risk` (0.95) must not be above `on_track` (0.9)"
    ]
    assert errors_of(load, HEAD + kpi("k") + 'thresholds = { on_track = "high" }\n') == [
        "`on_track` must be a number, not a string"
    ]
    assert errors_of(load, HEAD + kpi("k") + "thresholds = { at_risk = -0.1 }\n") == [
        "`at_risk` must be at least 0, not -0.1"
    ]
    assert errors_of(load, HEAD + kpi("k") + "thresholds = 0.9\n") == [
        "`thresholds` must be a table like { on_track = 0.999, at_risk = 0.995 }"
    ]


def test_unknown_key_in_own_thresholds_is_kept_and_named(analyse: Analyse) -> None:
    an = analyse(HEAD + kpi("k") + "thresholds = { on_trak = 0.9 }\n")
    [message] = [f.message for f in an.findings if f.code == "unknown_key"]
    assert "`thresholds.on_trak`" in message
    assert "did you mean `thresholds.on_track`?" in message


# ── weight in a mean rollup ─────────────────────────────────────────────


def test_aggregate_weighs_only_the_mean() -> None:
    assert aggregate("mean", [100, 0], [3, 1]) == 75
    assert aggregate("mean", [100, 0]) == 50
    assert aggregate("sum", [100, 0], [3, 1]) == 100
    assert aggregate("max", [100, 0], [3, 1]) == 100


MEAN = (
    HEAD
    + '[nodes.avg]\nname = "Avg"\nparent = "g"\nrollup = "mean"\nunit = "%"\n'
    + kpi("a", parent="avg", unit="%", target=90, actual=100, weight=3)
    + kpi("b", parent="avg", unit="%", target=50, actual=0)
)


def test_weighted_mean_of_actuals_and_targets(analyse: Analyse) -> None:
    avg = analyse(MEAN).results["avg"]
    # (3·100 + 1·0)/4 = 75; targets (3·90 + 50)/4 = 80.
    assert (avg.actual, avg.target) == (75, 80)


def test_weighted_mean_in_the_target_gap(analyse: Analyse) -> None:
    an = analyse(MEAN.replace('rollup = "mean"', 'rollup = "mean"\ntarget = 81'))
    [gap] = [f.message for f in an.findings if f.code == "target_gap"]
    assert "its children's targets ('A', 'B') average 80%, short of its 81%:" in gap
    an = analyse(MEAN.replace('rollup = "mean"', 'rollup = "mean"\ntarget = 80'))
    assert "target_gap" not in codes(an)


def test_weight_must_be_a_positive_number(load: Load) -> None:
    assert errors_of(load, HEAD + kpi("k", weight=0)) == [
        "`weight` must be a number above 0 (its share in a parent's mean), not 0"
    ]
    assert errors_of(load, HEAD + kpi("k", weight="heavy")) == ["`weight` must be a number, not a string"]
    assert load(HEAD + kpi("k", weight=0.5)).nodes["k"].weight == 0.5


# ── units ──────────────────────────────────────────────────────────────


def test_mixed_units_over_days_and_percentages(analyse: Analyse) -> None:
    text = (
        HEAD
        + '[nodes.avg]\nname = "Avg"\nparent = "g"\nrollup = "mean"\n'
        + kpi("days", parent="avg", unit="days", target=4, actual=4)
        + kpi("pct", parent="avg", unit="%", target=95, actual=95)
    )
    an = analyse(text)
    [finding] = [f for f in an.findings if f.code == "mixed_units"]
    assert (finding.node, finding.severity) == ("avg", "warning")
    assert finding.message.startswith("'Avg' rolls up (mean) over different units (days, %):")


def test_mixed_units_when_the_nodes_own_unit_differs(analyse: Analyse) -> None:
    text = (
        HEAD
        + '[nodes.sum]\nname = "Sum"\nparent = "g"\nrollup = "sum"\nunit = "EUR"\n'
        + kpi("a", parent="sum", unit="kEUR", target=4, actual=4)
        + kpi("b", parent="sum", unit="kEUR", target=4, actual=4)
    )
    assert "mixed_units" in codes(analyse(text), "sum")


def test_one_unit_in_any_case_is_not_mixed(analyse: Analyse) -> None:
    text = (
        HEAD
        + '[nodes.sum]\nname = "Sum"\nparent = "g"\nrollup = "sum"\nunit = "EUR"\n'
        + kpi("a", parent="sum", unit="eur", target=4, actual=4)
        + kpi("b", parent="sum", target=4, actual=4)  # no unit: not_smart says so, not mixed_units
    )
    assert "mixed_units" not in codes(analyse(text))


@pytest.mark.parametrize(
    ("target", "actual", "expected"),
    [
        (92, 0.89, True),  # 103 times: a 0–1 value against a 0–100 target
        (50, 1, True),  # exactly 50 times: flagged
        (49.99, 1, False),  # just under 50 times
        (0.92, 0.89, False),  # both 0–1: consistent (if odd)
        (92, 0, False),  # zero takes no part
    ],
)
def test_scale_mismatch_50_times_rule(analyse: Analyse, target: float, actual: float, expected: bool) -> None:
    an = analyse(HEAD + kpi("ret", unit="%", target=target, actual=actual))
    assert ("scale_mismatch" in codes(an, "ret")) is expected


def test_scale_mismatch_counts_the_baseline_and_says_what_to_write(analyse: Analyse) -> None:
    an = analyse(HEAD + kpi("ret", unit="%", baseline=0.8, target=92, actual=89))
    [finding] = [f for f in an.findings if f.code == "scale_mismatch"]
    assert finding.message == (
        "'RET' is in % but mixes scales: 0.8 against 92 (115 times); `%` means 0–100, so write 89 for 89%, not 0.89"
    )


def test_scale_mismatch_only_for_percentages(analyse: Analyse) -> None:
    assert "scale_mismatch" not in codes(analyse(HEAD + kpi("k", unit="EUR", target=92, actual=0.89)))


# ── horizon and focus ────────────────────────────────────────────────────


def test_short_term_only_needs_two_short_kpis_and_no_long_one(analyse: Analyse) -> None:
    two_short = HEAD + kpi("a", horizon="short") + kpi("b", horizon="short")
    assert "short_term_only" in codes(analyse(two_short), "g")
    assert "short_term_only" not in codes(analyse(HEAD + kpi("a", horizon="short") + kpi("b")))
    with_long = two_short + '[nodes.obj]\nname = "Obj"\nkind = "objective"\nparent = "g"\n'
    with_long += kpi("c", parent="obj", horizon="long")
    assert "short_term_only" not in codes(analyse(with_long))


def test_short_term_only_looks_through_objectives_and_sub_goals(analyse: Analyse) -> None:
    text = HEAD + '[nodes.sub]\nname = "Sub"\nkind = "goal"\nparent = "g"\n'
    text += kpi("a", parent="sub", horizon="short") + kpi("b", parent="sub", horizon="short")
    an = analyse(text)
    assert [f.node for f in an.findings if f.code == "short_term_only"] == ["g", "sub"]


def kpis(count: int, parent: str = "g", prefix: str = "k") -> str:
    return "".join(kpi(f"{prefix}{i}", parent=parent) for i in range(count))


def test_too_many_kpis_above_twelve(analyse: Analyse) -> None:
    objectives = "".join(f'[nodes.o{i}]\nname = "O{i}"\nkind = "objective"\nparent = "g"\n' for i in range(3))
    twelve = HEAD + objectives + kpis(4, "o0", "a") + kpis(4, "o1", "b") + kpis(4, "o2", "c")
    assert "too_many_kpis" not in codes(analyse(twelve))
    an = analyse(twelve + kpi("extra", parent="o2"))
    [finding] = [f for f in an.findings if f.code == "too_many_kpis"]
    assert (finding.node, finding.severity) == ("g", "info")
    assert finding.message.startswith("goal 'Goal' has more than 12 KPIs below it: focus is lost;")


def test_max_kpis_is_a_tree_threshold(analyse: Analyse, load: Load) -> None:
    text = HEAD.replace("[nodes.g]", "[tree.thresholds]\nmax_kpis = 2\n[nodes.g]")
    assert "too_many_kpis" not in codes(analyse(text + kpis(2)))
    assert "too_many_kpis" in codes(analyse(text + kpis(3)))
    assert errors_of(load, text.replace("max_kpis = 2", "max_kpis = 0")) == [
        "`max_kpis` must be a whole number of at least 1"
    ]


def test_too_many_kpis_leaves_a_sub_goals_kpis_to_it(analyse: Analyse) -> None:
    text = HEAD + '[nodes.sub]\nname = "Sub"\nkind = "goal"\nparent = "g"\n' + kpis(13, "sub")
    an = analyse(text)
    assert [f.node for f in an.findings if f.code == "too_many_kpis"] == ["sub"]


def test_a_kpis_drivers_count_as_kpis_below_the_goal(analyse: Analyse) -> None:
    text = HEAD + kpi("top") + kpis(12, "top", "d")
    assert "too_many_kpis" in codes(analyse(text), "g")


# ── declared conflicts and goodhart ─────────────────────────────────────


PAIR = HEAD + kpi("leads", target=100, actual=100, conflicts='["quality"]') + kpi("quality", target=40, actual=40)


def test_a_declared_pair_is_info(analyse: Analyse) -> None:
    [finding] = [f for f in analyse(PAIR).findings if f.code in ("conflict", "goodhart")]
    assert (finding.code, finding.severity, finding.kind) == ("conflict", "info", "declared")
    assert finding.message == (
        "'LEADS' and 'QUALITY' are declared counter-metrics, a managed tension: "
        "steer them together and never reward one without the other"
    )


def test_goodhart_when_one_is_on_track_and_the_other_off_track(analyse: Analyse) -> None:
    # quality 33 of 40: 1 − 7/40 = 0.825, off track; leads 100 of 100 on track.
    an = analyse(PAIR.replace("actual = 40", "actual = 33"))
    [finding] = [f for f in an.findings if f.code in ("conflict", "goodhart")]
    assert (finding.code, finding.severity, finding.node, finding.related) == (
        "goodhart",
        "warning",
        "leads",
        ("quality",),
    )
    assert "'LEADS' is on track while 'QUALITY' is off track" in finding.message


def test_no_goodhart_when_the_other_is_only_at_risk(analyse: Analyse) -> None:
    # quality 34 of 40: 0.85, at risk — not off track.
    an = analyse(PAIR.replace("actual = 40", "actual = 34"))
    assert "goodhart" not in codes(an)
    assert [f.severity for f in an.findings if f.code == "conflict"] == ["info"]


def write_measurements(tmp_path: Path, rows: str) -> None:
    (tmp_path / "m.csv").write_text("node,date,value\n" + rows, encoding="utf-8")


TREND = HEAD.replace("[nodes.g]", 'measurements = "m.csv"\n[nodes.g]') + (
    kpi("leads", target=100, conflicts='["quality"]') + kpi("quality", target=40)
)


def test_goodhart_when_one_trend_improves_while_the_other_worsens(analyse: Analyse, tmp_path: Path) -> None:
    # Both on track now (100 and 39 of 40 = 0.975), but leads climb while quality slides.
    write_measurements(
        tmp_path,
        "leads,2026-04-01,80\nleads,2026-05-01,90\nleads,2026-06-01,100\n"
        "quality,2026-04-01,41\nquality,2026-05-01,40\nquality,2026-06-01,39\n",
    )
    an = analyse(TREND)
    assert (an.results["leads"].status, an.results["quality"].status) == ("on_track", "on_track")
    [finding] = [f for f in an.findings if f.code == "goodhart"]
    assert "'LEADS' improves while 'QUALITY' worsens (least-squares trend over 3 and 3 observations)" in finding.message


def test_goodhart_by_trend_judges_a_running_total_against_its_plan(analyse: Analyse, tmp_path: Path) -> None:
    # Leads as a running total, 80, 90, 100 by 1 June: growing about 0.33 a day; quality slides.
    write_measurements(
        tmp_path,
        "leads,2026-04-01,80\nleads,2026-05-01,90\nleads,2026-06-01,100\n"
        "quality,2026-04-01,41\nquality,2026-05-01,40\nquality,2026-06-01,39\n",
    )
    planned = TREND.replace("target = 100", 'pacing = "linear"\ntarget = 200')
    # Against 200 by the year end the plan needs about 0.49 a day from the line's 110 on 2 July:
    # growing, but losing ground — not bought at quality's cost.
    an = analyse(planned)
    assert (an.results["leads"].status, an.results["leads"].trend) == ("on_track", "worsening")
    assert "goodhart" not in codes(an)
    # Against 150 it needs about 0.22 a day: it gains on its plan while quality worsens.
    an = analyse(TREND.replace("target = 100", 'pacing = "linear"\ntarget = 150'))
    [finding] = [f for f in an.findings if f.code == "goodhart"]
    assert (
        "'LEADS' gains on its plan while 'QUALITY' worsens (least-squares trend over 3 and 3 observations)"
        in finding.message
    )


def test_no_goodhart_trend_with_only_two_observations(analyse: Analyse, tmp_path: Path) -> None:
    write_measurements(
        tmp_path,
        "leads,2026-04-01,80\nleads,2026-05-01,90\nleads,2026-06-01,100\nquality,2026-05-01,40\nquality,2026-06-01,39\n",
    )
    assert "goodhart" not in codes(analyse(TREND))


def test_no_goodhart_when_both_improve(analyse: Analyse, tmp_path: Path) -> None:
    write_measurements(
        tmp_path,
        "leads,2026-04-01,80\nleads,2026-05-01,90\nleads,2026-06-01,100\n"
        "quality,2026-04-01,37\nquality,2026-05-01,38\nquality,2026-06-01,39\n",
    )
    assert "goodhart" not in codes(analyse(TREND))


def test_the_inline_actual_counts_as_an_observation(analyse: Analyse, tmp_path: Path) -> None:
    write_measurements(
        tmp_path,
        "leads,2026-04-01,80\nleads,2026-05-01,90\nleads,2026-06-01,100\nquality,2026-04-01,41\nquality,2026-05-01,40\n",
    )
    text = TREND + "actual = 39\nmeasured = 2026-06-01\n"
    assert "goodhart" in codes(analyse(text))


# ── accepting a finding ────────────────────────────────────────────────


def test_an_accepted_finding_is_reported_with_its_reason(analyse: Analyse) -> None:
    text = HEAD + kpi("k", unit="x", owner="T", target=100, actual=50) + 'accept = { off_track = "new product" }\n'
    an = analyse(text)
    [finding] = [f for f in an.findings if f.code == "off_track"]
    assert (finding.accepted, finding.reason) == (True, "new product")
    assert not fails(an.findings, "warning")
    assert summary(an.findings) == {"single_kpi_goal": 1}  # the open ones only


def test_accept_covers_only_the_named_code_and_node(analyse: Analyse) -> None:
    text = (
        HEAD
        + kpi("k", unit="x", owner="T", target=100, actual=50)
        + 'accept = { at_risk = "fine" }\n'
        + kpi("j", unit="x", owner="T", target=100, actual=50)
    )
    an = analyse(text)
    assert [(f.node, f.accepted) for f in an.findings if f.code == "off_track"] == [("k", False), ("j", False)]
    assert fails(an.findings, "warning")


def test_either_side_accepts_a_pair(analyse: Analyse) -> None:
    text = PAIR.replace("actual = 40", "actual = 33") + 'accept = { goodhart = "quality dips in launch month" }\n'
    [finding] = [f for f in analyse(text).findings if f.code == "goodhart"]
    assert (finding.node, finding.accepted) == ("leads", True)


def test_accept_refuses_errors_unknown_codes_and_empty_reasons(load: Load) -> None:
    assert errors_of(load, HEAD + kpi("k") + 'accept = { cycle = "we like it" }\n') == [
        "`accept` names 'cycle', an error: errors cannot be accepted, only fixed"
    ]
    assert errors_of(load, HEAD + kpi("k") + 'accept = { of_track = "x" }\n') == [
        "`accept` names 'of_track', which is not a finding code (did you mean 'off_track'?)"
    ]
    assert errors_of(load, HEAD + kpi("k") + 'accept = { off_track = "  " }\n') == [
        "accepting 'off_track' needs a reason: say why the team accepts it"
    ]
    assert errors_of(load, HEAD + kpi("k") + "accept = { off_track = true }\n") == [
        "the reason for accepting 'off_track' must be a string, not a boolean"
    ]
    assert errors_of(load, HEAD + kpi("k") + 'accept = "off_track"\n') == [
        '`accept` must be a table like { single_kpi_goal = "why the team accepts it" }'
    ]


def test_reports_show_accepted_findings(analyse: Analyse) -> None:
    import json

    text = HEAD + kpi("k", unit="x", owner="T", target=100, actual=50) + 'accept = { off_track = "new product" }\n'
    an = analyse(text)
    doc = json.loads(as_json([an], several=False))
    item = next(f for f in doc["findings"] if f["code"] == "off_track")
    assert (item["accepted"], item["reason"]) == (True, "new product")
    assert all(f["accepted"] is False and "reason" not in f for f in doc["findings"] if f["code"] != "off_track")
    report = as_text(an, colour=False)
    assert (
        "Accepted (1): reported, not counted\n  ✓ off_track (warning) Goal > K\n      accepted: new product\n" in report
    )
    assert report.endswith("(1 accepted finding(s) not counted).\n")
    assert "Warnings" not in report


# ── did you mean ───────────────────────────────────────────────────────


def test_dangling_ref_suggests_the_close_id(analyse: Analyse) -> None:
    text = HEAD + '[nodes.acquisitie]\nname = "Acquisitie"\nkind = "objective"\nparent = "g"\n'
    text += kpi("pipe", parent="aquisitie")
    [finding] = [f for f in analyse(text).findings if f.code == "dangling_ref"]
    assert "'aquisitie', which does not exist (did you mean 'acquisitie'?)" in finding.message


def test_dangling_ref_suggests_the_id_of_a_node_named_so(analyse: Analyse) -> None:
    text = HEAD + '[nodes.acq]\nname = "Acquisitie"\nkind = "objective"\nparent = "g"\n' + kpi("p", parent="acquisitie")
    [finding] = [f for f in analyse(text).findings if f.code == "dangling_ref"]
    assert "(did you mean 'acq'?)" in finding.message


def test_no_suggestion_when_nothing_is_close(analyse: Analyse) -> None:
    [finding] = [f for f in analyse(HEAD + kpi("p", parent="zzzz")).findings if f.code == "dangling_ref"]
    assert "did you mean" not in finding.message


def test_unknown_measurement_id_suggests(analyse: Analyse, tmp_path: Path) -> None:
    write_measurements(tmp_path, "nps-relational,2026-06-01,31\n")
    text = HEAD.replace("[nodes.g]", 'measurements = "m.csv"\n[nodes.g]')
    text += '[nodes."nps (relational)"]\nname = "NPS"\nparent = "g"\n'
    [finding] = [f for f in analyse(text).findings if f.code == "unknown_node_in_measurements"]
    assert "which is not in the tree (did you mean 'nps (relational)'?)" in finding.message


# ── fewer false alarms ─────────────────────────────────────────────────


def test_individual_target_is_not_raised_on_a_goal(analyse: Analyse) -> None:
    text = HEAD.replace('kind = "goal"', 'kind = "goal"\nowner_type = "individual"\ntarget = 3')
    text += kpi("k", owner_type="individual", target=1)
    an = analyse(text)
    assert [f.node for f in an.findings if f.code == "individual_target"] == ["k"]


def test_single_kpi_goal_not_raised_when_the_kpi_has_drivers(analyse: Analyse) -> None:
    alone = HEAD + kpi("k")
    assert "single_kpi_goal" in codes(analyse(alone), "g")
    assert "single_kpi_goal" not in codes(analyse(alone + kpi("driver", parent="k")))


def test_accept_is_read_and_covers_the_nodes_own_findings(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(HEAD + kpi("k") + 'accept = { single_kpi_goal = "checked at the gate" }\n', encoding="utf-8")
    tree = load_tree(path)
    assert tree.nodes["k"].accept == (("single_kpi_goal", "checked at the gate"),)
    an = analyze(tree)
    # single_kpi_goal is about the goal, so accepting it on the KPI does not cover it.
    assert [f.accepted for f in an.findings if f.code == "single_kpi_goal"] == [False]


# ── numbers that do not lie by rounding ───────────────────────────────


def test_amounts_get_the_digits_to_stay_apart() -> None:
    assert apart(99.87, 99.95, "%") == ("99.87%", "99.95%")  # not 99.9% against 100%
    assert apart(14.5, 12, "EUR") == ("14.5 EUR", "12 EUR")
    assert apart(410_000, 296_703.3, "EUR") == ("410k EUR", "297k EUR")
    assert apart(10_280_000, 10_483_516.5, "EUR") == ("10.28M EUR", "10.48M EUR")
    assert apart(None, 5, "x") == ("–", "5 x")


def test_attainment_near_100_percent_keeps_two_decimals() -> None:
    assert (percent(0.9992), percent(1.0), percent(0.934), percent(1.183), percent(0.99)) == (
        "99.92%",
        "100%",
        "93%",
        "118%",
        "99%",
    )


def test_the_uptime_message_does_not_round_into_its_sla(analyse: Analyse) -> None:
    text = UPTIME.replace("99.5", "99.87") + "thresholds = { on_track = 0.9995, at_risk = 0.999 }\n"
    [finding] = [f for f in analyse(text).findings if f.code == "at_risk"]
    assert finding.message.startswith(
        "'UPTIME' is at risk: 99.87% against 99.95% expected by 2026-07-02 (attainment 99.92%)"
    )


def test_the_forecast_is_judged_by_the_nodes_own_thresholds(analyse: Analyse, tmp_path: Path) -> None:
    # Sliding 0.05 a month, the level four weeks on is about 99.77: 0.9982 attainment, on track
    # by the tree's 0.95 but off track by the node's 0.9995 / 0.999.
    write_measurements(tmp_path, "uptime,2026-04-01,99.97\nuptime,2026-05-01,99.92\nuptime,2026-06-01,99.87\n")
    text = HEAD.replace("[nodes.g]", 'measurements = "m.csv"\n[nodes.g]') + kpi("uptime", unit="%", target=99.95)
    assert analyse(text).results["uptime"].forecast.status == "on_track"  # type: ignore[union-attr]
    an = analyse(text + "thresholds = { on_track = 0.9995, at_risk = 0.999 }\n")
    assert an.results["uptime"].forecast.status == "off_track"  # type: ignore[union-attr]
    [miss] = [f for f in an.findings if f.code == "forecast_miss"]
    assert "against a target of 99.95%" in miss.message


def test_a_mean_rollups_forecast_is_weighted(analyse: Analyse, tmp_path: Path) -> None:
    write_measurements(
        tmp_path,
        "a,2026-04-01,100\na,2026-05-01,100\na,2026-06-01,100\nb,2026-04-01,0\nb,2026-05-01,0\nb,2026-06-01,0\n",
    )
    text = MEAN.replace("[nodes.g]", 'measurements = "m.csv"\n[nodes.g]')
    text = text.replace("actual = 100\n", "").replace("actual = 0\n", "")
    forecast = analyse(text).results["avg"].forecast
    assert forecast is not None
    assert forecast.value == 75  # (3·100 + 1·0) / 4


def test_the_report_counts_goodhart_but_not_managed_tensions_as_conflicts(analyse: Analyse) -> None:
    assert "0 conflict(s)" in as_text(analyse(PAIR), colour=False).splitlines()[-1]
    assert (
        "1 conflict(s)" in as_text(analyse(PAIR.replace("actual = 40", "actual = 33")), colour=False).splitlines()[-1]
    )
