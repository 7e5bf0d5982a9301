"""NO_COLOR (issue 8 item 14): the marks a user must see are drawn at full contrast, by glyph, bold,
reverse and underline, never as a grey close to its background."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.filter import Monochrome
from textual.geometry import Region
from textual.widget import Widget

from kpitui.tui.app import make_app
from kpitui.tui.contrast import MIN_CONTRAST, ContrastMonochrome, brightness, contrast_style
from kpitui.tui.marks import COLOUR_STYLES, MARK_STYLE
from kpitui.tui.widgets.detail import DetailPanel
from kpitui.tui.widgets.header import TreeHeader
from kpitui.tui.widgets.tree_view import KpiTreeView
from tests.tui.test_browse import SIZE, ready, tree


def segments(widget: Widget) -> Iterator[tuple[Segment, Color]]:
    """Each segment the widget draws, after the app's filters, with the background it is drawn on."""
    background = widget.background_colors[1]
    for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height)):
        for segment in strip:
            if segment.text.strip():
                yield segment, background


def contrast(segment: Segment, background: Color) -> float:
    style = segment.style
    assert style is not None
    if style.color is None:  # the terminal's own foreground
        return 1.0
    fg = Color.from_rich_color(style.color)
    bg = Color.from_rich_color(style.bgcolor) if style.bgcolor is not None else background
    return abs(brightness(fg.monochrome) - brightness(bg.monochrome))


def find(widget: Widget, text: str) -> list[Segment]:
    found = [segment for segment, _ in segments(widget) if text in segment.text]
    assert found, f"{text!r} is not drawn in {widget}"
    return found


@pytest.fixture
def no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


async def test_marks_are_bold_reverse_and_underlined_at_full_contrast(samples: Path, no_color: None) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.no_color
        tree(app).reveal("organisch-conversies")  # ahead of its plan and gaining on it: ↗
        tree(app).reveal("conversieratio")  # off track, worsening, a declared counter-metric
        await pilot.pause()
        header, view, detail = app.main.query_one(TreeHeader), app.main.query_one(KpiTreeView), None
        detail = app.main.query_one(DetailPanel)
        # Every letter on the screen's main widgets stands out from its background.
        for widget in (header, view, *detail.query("Static")):
            for segment, background in segments(widget):
                assert contrast(segment, background) >= MIN_CONTRAST, (segment, background)
        # Errors and what is off track: bold and reverse. Warnings and what is at risk: underlined.
        for segment in find(header, "✖ 6 off track") + find(header, "⌀ 1 orphan"):
            assert segment.style is not None and segment.style.bold and segment.style.reverse
        for glyph in ("✖", "⌀"):
            for segment in find(view, glyph):
                assert segment.style is not None and segment.style.reverse, segment
        for segment in find(view, "Serving no goal"):  # the orphan group's label
            assert segment.style is not None and segment.style.bold and segment.style.reverse
        for segment in find(view, "▲"):
            assert segment.style is not None and segment.style.underline and not segment.style.reverse
        for segment in find(view, "↘"):  # worsening: underlined; improving: bold
            assert segment.style is not None and segment.style.underline
        for segment in find(view, "↗"):
            assert segment.style is not None and segment.style.bold and not segment.style.underline
        (status,) = [s for s, _ in segments(detail.query_one("#detail-text")) if "off track" in s.text]
        assert status.style is not None and status.style.bold and status.style.reverse
        # No mark is dim: nothing is drawn with the dim attribute.
        for widget in (header, view):
            assert not any(s.style is not None and s.style.dim for s, _ in segments(widget))


async def test_with_colour_the_marks_keep_their_colours(samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert not app.no_color and MARK_STYLE == COLOUR_STYLES
        assert not any(isinstance(f, ContrastMonochrome) for f in app.get_line_filters())


async def test_no_color_uses_the_contrast_filter_instead_of_textuals_greyscale(samples: Path, no_color: None) -> None:
    app = make_app(samples / "webshop.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        filters = app.get_line_filters()
        assert any(isinstance(f, ContrastMonochrome) for f in filters)
        assert not any(type(f) is Monochrome for f in filters)


def test_contrast_filter_lifts_grey_on_grey() -> None:
    dark = Color.parse("#1e1e1e")
    # Red on a dark background: Textual's greyscale makes it grey 54 on 30; the filter makes it light.
    lifted = contrast_style(Style(color="#ff0000"), dark)
    assert lifted.color is not None
    assert brightness(Color.from_rich_color(lifted.color)) - brightness(dark.monochrome) >= MIN_CONTRAST
    # Text that already stands out keeps its grey; reverse and bold stay.
    kept = contrast_style(Style(color="#e0e0e0", bold=True, reverse=True), dark)
    assert kept.color is not None and Color.from_rich_color(kept.color) == Color.parse("#e0e0e0").monochrome
    assert kept.bold and kept.reverse
    # On a light background, faint text turns dark.
    light = Color.parse("#f0f0f0")
    darkened = contrast_style(Style(color="#ffff00"), light)
    assert darkened.color is not None and brightness(Color.from_rich_color(darkened.color)) < 0.2


def style_of(text: Text, part: str) -> Style:
    """The style a Text gives to `part` (the spans over its first character)."""
    start = text.plain.index(part)
    style = Style()
    for span in text.spans:
        if span.start <= start < span.end:
            style += Style.parse(str(span.style))
    return style


async def test_cycle_hypothetical_and_accepted_marks_under_no_color(samples: Path, no_color: None) -> None:
    from kpitui.tui.marks import node_label, node_label_parts
    from kpitui.tui.screens.whatif import hypothetical

    app = make_app(samples / "saas.toml")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        analysis = app.main.analysis
        assert analysis is not None
        node = next(iter(analysis.tree.nodes))
        cycle = style_of(node_label(analysis, node, cycle_back=True), "↻ cycle")
        assert cycle.bold and cycle.reverse and cycle.color is None
        head = hypothetical(node_label_parts(analysis, node)).head
        assert style_of(head, "≈").reverse and style_of(head, "≈").color is None
        assert not style_of(head, " ").reverse  # the glyph only, not the space after it
        # An accepted finding is quiet, but not dim: italic, at full contrast.
        tree(app).reveal("trust")
        await pilot.pause()
        accepted = [s for s, _ in segments(app.main.query_one("#detail-rest")) if "accepted" in s.text]
        assert accepted
        for segment, background in segments(app.main.query_one("#detail-rest")):
            assert contrast(segment, background) >= MIN_CONTRAST
        for segment in accepted:
            assert segment.style is not None and segment.style.italic and not segment.style.dim
