"""NO_COLOR at full contrast: Textual's greyscale filter, with no text left grey-on-grey.

With NO_COLOR set, Textual (`App.__init__`) adds the line filter `textual.filter.Monochrome`,
which turns each colour into the grey of its brightness: red text (brightness 0.21) became
grey 237 on a background of 235. Our marks carry no colour under NO_COLOR (see
`marks.use_no_color`); this filter is the net under everything else a stylesheet colours
(Textual's own widgets, `$error`, `$text-muted`): text whose grey is too close to its
background's is drawn light on a dark background, dark on a light one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter, Monochrome

MIN_CONTRAST = 0.4  # the least difference in brightness (0–1) between text and its background
LIGHT, DARK = Color(238, 238, 238), Color(18, 18, 18)


def brightness(color: Color) -> float:
    """0 (black) to 1 (white): the grey Textual's Monochrome filter gives a colour."""
    return color.monochrome.r / 255


@lru_cache(4096)
def contrast_style(style: Style, background: Color) -> Style:
    """The style in greys, with its text at least MIN_CONTRAST away from its background."""
    fg = None if style.color is None else Color.from_rich_color(style.color).monochrome
    bg = background if style.bgcolor is None else Color.from_rich_color(style.bgcolor)
    bg = bg.monochrome
    if fg is not None and abs(brightness(fg) - brightness(bg)) < MIN_CONTRAST:
        fg = DARK if brightness(bg) > 0.5 else LIGHT
    return style + Style.from_color(
        None if fg is None else fg.rich_color,
        None if style.bgcolor is None else bg.rich_color,
    )


class ContrastMonochrome(LineFilter):
    """Monochrome, but text never fades into its background."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(text, None if style is None else contrast_style(style, background), None)
            for text, style, _ in segments
        ]


def with_full_contrast(filters: Sequence[LineFilter]) -> list[LineFilter]:
    """The app's line filters with Textual's Monochrome (added for NO_COLOR) swapped for ContrastMonochrome."""
    return [_CONTRAST if type(line_filter) is Monochrome else line_filter for line_filter in filters]


_CONTRAST = ContrastMonochrome()
