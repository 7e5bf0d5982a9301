"""The detail panel's chart: a node's history against its pacing line and target, and its forecast.

Drawn by textual-plotext (plotext in a Textual widget). Each series has a glyph of its own, so
the chart reads without colour (NO_COLOR); the legend under it names the glyphs and the numbers.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.widget import Widget
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from kpitui.common.format import amount, number
from kpitui.tui.marks import STATUS_GLYPH, STATUS_STYLE, STATUS_WORD

if TYPE_CHECKING:
    from kpitui.outputs.chart import ChartData, Series

# One glyph per series: the chart is read by shape first, colour second.
ACTUAL, PACE, FORECAST, BAND = "●", "·", "×", "-"
# Plotext colours in colour mode; with NO_COLOR every series is the terminal's own foreground.
COLOURS = {"actual": "cyan+", "pace": "gray+", "on_track": "green+", "at_risk": "yellow+", "off_track": "red+"}
STYLES = {"actual": "bright_cyan", "pace": "grey70", "on_track": "green", "at_risk": "yellow", "off_track": "red"}


def day_label(day: date, years: bool) -> str:
    """`30 Jun`, or `Jun 26` when the chart spans more than one year."""
    return f"{day:%b} {day:%y}" if years else f"{day.day} {day:%b}"


def nice_ticks(low: float, high: float, count: int = 3) -> list[float]:
    """About `count` round values from `low` to `high` for the y axis (0, 600k, 1.2M)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 2.5, 5, 10)), key=lambda c: abs(math.log(c / raw)))
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks or [low]


class ChartPlot(PlotextPlot):
    """The plot, drawn afresh at each render for the width it has then (the as_of label needs room)."""

    data: ChartData | None = None

    def render(self) -> RenderResult:
        if self.data is not None:
            draw(self.plt, self.data, self.app.no_color, self.size.width)
        return super().render()


class Legend(Widget):
    """The legend: one item a glyph and its words, wrapped between items, never inside one."""

    DEFAULT_CSS = "Legend { height: auto; }"

    items: tuple[Text, ...] = ()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(pack(self.items, width))

    def render(self) -> RenderResult:
        return Text("\n").join(pack(self.items, self.size.width))


def pack(items: tuple[Text, ...], width: int) -> list[Text]:
    """Items two spaces apart, as many on a line as fit in `width` (at least one a line)."""
    lines: list[Text] = []
    for item in items:
        if lines and lines[-1].cell_len + 2 + item.cell_len <= width:
            lines[-1] = Text.assemble(lines[-1], "  ", item)
        else:
            lines.append(item.copy())
    return lines


class HistoryChart(Vertical):
    """The plot and its legend; the panel pushes a node's `ChartData` in with `show`."""

    DEFAULT_CSS = """
    HistoryChart { height: auto; margin: 1 0; }
    HistoryChart > ChartPlot { height: 11; }
    """

    data: ChartData | None = None

    def compose(self) -> ComposeResult:
        plot = ChartPlot(id="chart-plot")
        plot.theme = "clear"  # no background of its own: the panel's shows through
        yield plot
        yield Legend(id="chart-legend")

    def show(self, data: ChartData | None, unit: str | None) -> None:
        """Draw a node's chart, or hide the chart when there is none."""
        self.data = data
        self.display = data is not None
        if data is None:
            return
        plot = self.query_one(ChartPlot)
        plot.data = data
        plot.refresh()
        key = self.query_one(Legend)
        key.items = legend(data, unit, self.app.no_color)
        key.refresh(layout=True)


def draw(plt: Plot, data: ChartData, mono: bool, width: int) -> None:
    """Put the series on the plot (`width` cells wide): the band first, so the forecast line is drawn over it."""
    plt.clear_figure()
    plt.theme("clear")

    def colour(name: str | None) -> str:
        return "default" if mono or name is None else COLOURS.get(name, "default")

    def xy(series: Series) -> tuple[list[float], list[float]]:
        return [float((day - data.start).days) for day, _ in series], [value for _, value in series]

    for edge in (data.low, data.high):
        if edge:
            plt.plot(*xy(edge), marker=BAND, color=colour(data.forecast_status))
    if data.pace:
        plt.plot(*xy(data.pace), marker=PACE, color=colour("pace"))
    if data.forecast:
        plt.plot(*xy(data.forecast), marker=FORECAST, color=colour(data.forecast_status))
    plt.scatter(*xy(data.points), marker=ACTUAL, color=colour("actual"))
    span = float((data.end - data.start).days)
    plt.xlim(0.0, span)
    years = data.start.year != data.end.year
    ticks = [data.start, data.as_of, data.end] if data.start < data.as_of < data.end else [data.start, data.end]
    # A date label is some 6 cells wide: drop as_of's when it would come near an edge's (plotext places
    # labels that touch in an order that changes from run to run).
    room = max(width - 8, 10)
    if len(ticks) == 3 and min(data.as_of - data.start, data.end - data.as_of).days / max(span, 1) * room < 10:
        ticks = [data.start, data.end]
    plt.xticks([float((d - data.start).days) for d in ticks], [day_label(d, years) for d in ticks])
    values = data.values()
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    plt.ylim(low, high)
    y_ticks = nice_ticks(low, high, 4)
    if data.target is not None and low <= data.target <= high:  # the target is the number to read off
        step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else high - low
        y_ticks = sorted([t for t in y_ticks if abs(t - data.target) >= step / 2] + [data.target])
    plt.yticks(y_ticks, [number(v) for v in y_ticks])


def legend(data: ChartData, unit: str | None, mono: bool) -> tuple[Text, ...]:
    """What each glyph is, with the numbers: `● actual 574k`, `· pace → 1.2M by 31 Dec`,
    `× forecast 974k ✖ off track`, `- 80% 972k–976k`. Units only where short (%): the panel says them."""

    def item(glyph: str, colour: str, words: str) -> Text:
        return Text.assemble((glyph, "" if mono else STYLES.get(colour, "")), " ", words)

    def num(value: float | None) -> str:
        return amount(value, unit if unit in ("%", "‰") else None)

    years = data.start.year != data.end.year
    items = [
        item(ACTUAL, "actual", f"actual {num(data.points[-1][1])}" + (" (from its inputs)" if data.combined else ""))
    ]
    if data.pace:
        if data.pacing == "linear":
            items.append(item(PACE, "pace", f"pace → {num(data.target)} by {day_label(data.pace[-1][0], years)}"))
        else:
            items.append(item(PACE, "pace", f"target level {num(data.target)}"))
    if data.forecast:
        day, value = data.forecast[-1]
        status = data.forecast_status or "unknown"
        forecast = item(FORECAST, status, f"forecast {num(value)} by {day_label(day, years)} ")
        forecast.append(f"{STATUS_GLYPH[status]} {STATUS_WORD[status]}", style=STATUS_STYLE[status])
        items.append(forecast)
        if data.low and data.high:
            items.append(item(BAND, status, f"80% {num(data.low[-1][1])}–{num(data.high[-1][1])}"))
    return tuple(items)
