"""Colours a user tells apart: off track, at risk and a conflict never share a colour, in any
theme, on a terminal of 16 colours (TERM=xterm), 256 or millions."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import ColorSystem
from rich.segment import Segment
from textual.geometry import Region

from kpitui.tui.app import make_app
from kpitui.tui.marks import CONFLICT, STATUS_GLYPH
from tests.tui.test_browse import SIZE, ready, tree

# An off-track KPI that another one's push lowers (a conflict, a warning), a declared pair (info)
# and a KPI at risk.
TREE = """\
version = 1
[tree]
title = "Colours"
as_of = 2026-06-30
period = { start = 2026-01-01, end = 2026-12-31 }

[nodes.g]
name = "Goal"
kind = "goal"

[nodes.leads]
name = "Leads"
parent = "g"
target = 100
actual = 100
influences = { quality = "-" }

[nodes.quality]
name = "Lead quality"
parent = "g"
target = 100
actual = 10

[nodes.speed]
name = "Speed"
parent = "g"
target = 10
actual = 10
conflicts = ["care"]

[nodes.care]
name = "Care"
parent = "g"
target = 10
actual = 10

[nodes.tempo]
name = "Tempo"
parent = "g"
target = 10
actual = 9
"""
SYSTEMS = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT, "truecolor": ColorSystem.TRUECOLOR}


def drawn(segment: Segment, system: ColorSystem) -> object:
    """The colour the terminal is sent for a segment: as the app's colour system rounds it."""
    assert segment.style is not None and segment.style.color is not None
    color = segment.style.color.downgrade(system)
    return color.number if color.triplet is None else tuple(color.triplet)


@pytest.mark.parametrize(
    ("term", "colorterm", "system"),
    [("xterm", None, "standard"), ("xterm-256color", None, "256"), ("xterm-256color", "truecolor", "truecolor")],
)
async def test_off_track_at_risk_and_conflicts_are_apart_in_every_palette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, term: str, colorterm: str | None, system: str
) -> None:
    monkeypatch.setenv("TERM", term)
    monkeypatch.delenv("NO_COLOR", raising=False)
    if colorterm is None:
        monkeypatch.delenv("COLORTERM", raising=False)
    else:
        monkeypatch.setenv("COLORTERM", colorterm)
    path = tmp_path / "colours.toml"
    path.write_text(TREE, encoding="utf-8")
    app = make_app(path)
    assert app.console.color_system == system
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        view = tree(app)
        together = []
        # Marks are ANSI colours: a theme draws them through its ANSI palette (dark, light) or, an
        # ansi theme, as they are; one theme of each kind stands for all.
        for theme in ("textual-dark", "nord", "textual-light", "solarized-light", "ansi-dark"):
            app.theme = theme
            await pilot.pause()
            segments = [s for strip in view.render_lines(Region(0, 0, *view.size)) for s in strip]
            off = [drawn(s, SYSTEMS[system]) for s in segments if s.text.strip() == STATUS_GLYPH["off_track"]]
            risk = [drawn(s, SYSTEMS[system]) for s in segments if s.text.strip() == STATUS_GLYPH["at_risk"]]
            conflict = [drawn(s, SYSTEMS[system]) for s in segments if s.text.strip() == CONFLICT]
            assert off and len(risk) == 1 and len(conflict) == 4, theme  # the ⇄ of both pairs
            if set(off) & set(conflict) or set(off) & set(risk) or set(risk) & set(conflict):
                together.append(theme)
        assert together == []
