"""How numbers and amounts read in messages, reports and the TUI."""

from __future__ import annotations

import math


def number(value: float) -> str:
    """A number as a person writes it: 3M, 2.7M, 25k, 0.95, 12."""
    if not math.isfinite(value):
        return "–"
    magnitude = abs(value)
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if magnitude >= size:
            return f"{value / size:.3g}{suffix}" if size != 1e4 else f"{value / 1e3:.3g}k"
    if value == int(value):
        return str(int(value))
    return f"{value:.0f}" if magnitude >= 100 else f"{value:.3g}"


def amount(value: float | None, unit: str | None) -> str:
    """A number with its unit (`94%`, `2.7M EUR`); `–` when unknown."""
    if value is None:
        return "–"
    text = number(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {unit}"


def percent(fraction: float | None) -> str:
    """A fraction as a whole percentage (0.934 -> 93%); `–` when unknown."""
    return "–" if fraction is None else f"{fraction * 100:.0f}%"


def plain(value: float | None) -> str:
    """A number for a CSV cell: integers without `.0`, floats to 6 decimals at most."""
    if value is None or not math.isfinite(value):
        return ""
    if abs(value) >= 1e15:
        return repr(float(value))
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")
