"""Colours that stay apart, and NO_COLOR at full contrast.

Textual draws the ANSI colour names our marks use ("red", "magenta", "yellow") in RGB taken from
an ANSI palette, one for dark themes and one for light. Its dark one (Monokai) gives red and
magenta the same RGB (244, 0, 95): a node off track and a conflict looked alike. And on a terminal
of 16 colours (TERM=xterm) each RGB colour is rounded to the nearest of 16: that red became
magenta, Monokai's orange yellow became red, the light palette's red became yellow and its
magenta grey. `DARK_ANSI` and `LIGHT_ANSI` are those palettes with each colour apart from the
others and rounded, on 16 colours, to its own name (red to red, magenta to magenta).

NO_COLOR at full contrast: Textual's greyscale filter, with no text left grey-on-grey.

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
from rich.terminal_theme import TerminalTheme
from textual.color import Color
from textual.filter import LineFilter, Monochrome

# Textual's dark ANSI palette (Monokai) with a red, a yellow and a magenta of their own.
_DARK = [(26, 26, 26), (240, 60, 60), (152, 224, 36), (230, 219, 116), (157, 101, 255), (235, 110, 245), (88, 209, 235)]
DARK_ANSI = TerminalTheme(
    (12, 12, 12), (217, 217, 217), [*_DARK, (196, 197, 181)], [(98, 94, 76), *_DARK[1:], (246, 246, 239)]
)
# Textual's light ANSI palette (Alabaster) with a red and a magenta of their own.
LIGHT_ANSI = TerminalTheme(
    (247, 247, 247),
    (0, 0, 0),
    [
        (0, 0, 0),
        (200, 40, 40),
        (68, 140, 39),
        (203, 144, 0),
        (50, 92, 192),
        (160, 50, 170),
        (0, 131, 178),
        (247, 247, 247),
    ],
    [
        (119, 119, 119),
        (240, 80, 80),
        (96, 203, 0),
        (255, 188, 93),
        (0, 122, 204),
        (230, 76, 230),
        (0, 170, 203),
        (247, 247, 247),
    ],
)

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
