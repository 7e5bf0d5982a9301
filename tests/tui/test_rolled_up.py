"""A node's own status, and beside it what lags below it: the rolled-up status is never drawn as its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kpitui.analysis.results import Analysis
from kpitui.tui.app import make_app
from kpitui.tui.marks import LEGEND, STATUS_STYLE, node_label_parts
from kpitui.tui.widgets.detail import describe_head
from tests.tui.test_browse import SIZE, detail_text, ready, tree

# MRR at 107% of its target, one child far behind; a team objective without numbers of its own.
AHEAD = """\
[tree]
as_of = 2026-07-02
period = { start = 2026-01-01, end = 2026-12-31 }

[nodes.mrr]
name = "MRR"
kind = "goal"
target = 100
actual = 107

[nodes.new]
name = "Nieuwe klanten"
parent = "mrr"
target = 40
actual = 20

[nodes.kept]
name = "Behouden klanten"
parent = "mrr"
target = 60
actual = 87

[nodes.team]
name = "Team"
kind = "objective"
parent = "mrr"

[nodes.calls]
name = "Calls"
parent = "team"
target = 100
actual = 90
"""


def lines(analysis: Analysis, node_id: str) -> str:
    return "\n".join(t.plain for t in describe_head(analysis, node_id))


def test_a_goal_ahead_of_its_pace_is_on_track_with_what_lags_below_beside_it(
    analyse: Callable[[str], Analysis],
) -> None:
    analysis = analyse(AHEAD)
    parts = node_label_parts(analysis, "mrr")
    # Its own ✔ first; ▾✖ among its marks says something below it is off track.
    assert parts.full().plain == "✔ MRR (goal)  107 / 100 ▾✖"
    assert parts.head.plain == "✔ "
    below = next(s for s in parts.marks.spans if parts.marks.plain[s.start : s.end] == "▾✖")
    assert below.style == STATUS_STYLE["off_track"]
    assert parts.fit(12).plain == "✔ MRR (g… ▾✖"  # kept, like every mark, on a narrow line
    # The detail panel names the child that lags.
    assert "Status: ✔ on track · below: ▾✖ 'Nieuwe klanten' off track" in lines(analysis, "mrr")


def test_a_node_without_numbers_of_its_own_shows_only_what_is_below_it(analyse: Callable[[str], Analysis]) -> None:
    analysis = analyse(AHEAD)
    # Team has no target or actual: no own status, only ▾▲ (Calls is at risk), in the glyph's place.
    assert node_label_parts(analysis, "team").full().plain == "▾▲ Team (objective)"
    assert "Status: ○ unknown · below: ▾▲ 'Calls' at risk" in lines(analysis, "team")
    # Nothing worse below: no mark, and no "below" in the panel.
    assert node_label_parts(analysis, "kept").full().plain == "✔ Behouden klanten  87 / 60"
    assert "below:" not in lines(analysis, "calls") and "below:" not in lines(analysis, "kept")
    assert any(glyph == "▾✖" for glyph, _, _ in LEGEND)


def test_a_child_that_lags_through_its_own_children_is_named_as_such(analyse: Callable[[str], Analysis]) -> None:
    text = AHEAD.replace("target = 40\nactual = 20", "target = 40\nactual = 41").replace("actual = 90", "actual = 50")
    analysis = analyse(text)
    # Calls is off track now; Team has no own status, so MRR's below names Team, with where it lags.
    assert node_label_parts(analysis, "mrr").full().plain == "✔ MRR (goal)  107 / 100 ▾✖"
    assert "below: ▾✖ 'Team' (below it) off track" in lines(analysis, "mrr")
    assert node_label_parts(analysis, "team").full().plain == "▾✖ Team (objective)"


def test_the_header_counts_own_statuses_only(analyse: Callable[[str], Analysis]) -> None:
    # One node is off track (Nieuwe klanten); MRR's rolled-up status does not make it two.
    assert analyse(AHEAD).open_counts()["off_track"] == 1


async def test_the_sample_goal_at_risk_with_an_off_track_kpi_below(samples: Path) -> None:
    # The web shop's revenue goal is at risk by its own numbers (539k of 593k by now); CPA,
    # top-3 keywords and others below it are off track.
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        analysis = app.main.analysis
        assert analysis is not None
        assert node_label_parts(analysis, "omzet").full().plain.startswith("▲ Online omzet €1,2M (goal)  ")
        assert " ▾✖ ↯ miss" in node_label_parts(analysis, "omzet").full().plain
        assert node_label_parts(analysis, "sea").full().plain == "▾✖ SEA: winstgevend adverteren (objective)"
        assert tree(app).reveal("sea")
        await pilot.pause()
        assert "Status: ○ unknown · below: ▾✖ 'CPA (kosten per aankoop)' off track" in detail_text(app)
