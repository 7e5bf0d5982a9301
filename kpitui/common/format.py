"""How numbers and amounts read in messages, reports and the TUI."""

from __future__ import annotations

import itertools
import math

from kpitui.common.text import safe_text


def number(value: float, digits: int = 3) -> str:
    """A number as a person writes it: 3M, 2.7M, 25k, 0.95, 12 (`digits` significant)."""
    if not math.isfinite(value):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1e4:
        for size, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
            if magnitude >= size:
                return f"{value / size:.{digits}g}{suffix}" if size != 1e4 else f"{value / 1e3:.{digits}g}k"
    whole = int(value)
    if value == whole:
        return str(whole)
    return f"{value:.0f}" if magnitude >= 10 ** (digits - 1) else format(value, _G.get(digits) or f".{digits}g")


_G = {d: f".{d}g" for d in range(1, 10)}  # format specs of `digits` significant digits


def amount(value: float | None, unit: str | None, digits: int = 3) -> str:
    """A number with its unit (`94%`, `2.7M EUR`); `–` when unknown.

    The unit is the file's text: shown escaped (`safe_text`), as everything that prints an
    amount (messages, reports, the TUI) shows it.
    """
    if value is None:
        return "–"
    text = number(value, digits)
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {safe_text(unit)}"


def difference(value: float | None, unit: str | None, digits: int = 3) -> str:
    """How far apart two amounts of a unit are: `8 points` between two `%` values (percentage
    points: `8% below 35%` would read as 32.2%), else the amount (`2.5 EUR`); `–` when unknown."""
    if value is None:
        return "–"
    if unit == "%":
        text = number(value, digits)
        return f"{text} point" if text == "1" else f"{text} points"
    return amount(value, unit, digits)


def signed(value: float, unit: str | None, digits: int = 3) -> str:
    """A change with its sign: `+2.5 EUR`, `−0.075 points` (a true minus), `0 EUR`."""
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + difference(abs(value), unit, digits)


def digits_apart(*values: float | None) -> int:
    """Significant digits (3 to 6) that keep rounding well inside the smallest gap between
    the values, so an uptime of 99.87% never reads as its SLA of 99.95% ("99.9% against 100%")."""
    digits = 3
    if len(values) == 2:  # the usual case (an actual against what was expected), without sorting
        first, second = values
        if first is None or second is None or first == second:
            return digits
        if not (math.isfinite(first) and math.isfinite(second)):
            return digits
        gap, largest = abs(first - second), max(abs(first), abs(second))
    else:
        known = sorted({v for v in values if v is not None and math.isfinite(v)})
        if len(known) < 2:
            return digits
        gap = min(b - a for a, b in itertools.pairwise(known))
        largest = max(abs(known[0]), abs(known[-1]))
    while digits < 6 and 0.5 * 10 ** (math.floor(math.log10(largest)) - digits + 1) > gap / 10:
        digits += 1
    return digits


def apart(first: float | None, second: float | None, unit: str | None) -> tuple[str, str]:
    """Two amounts with enough digits to tell them apart (see digits_apart)."""
    digits = digits_apart(first, second)
    return amount(first, unit, digits), amount(second, unit, digits)


def percent(fraction: float | None) -> str:
    """A fraction as a whole percentage (0.934 -> 93%); `–` when unknown.

    Within a point of 100% it keeps two decimals (0.9992 -> 99.92%): an uptime just short of
    its strict threshold must not read as 100%.
    """
    if fraction is None:
        return "–"
    if fraction != 1 and 0.99 < fraction < 1.01:
        return f"{fraction * 100:.2f}%"
    return f"{fraction * 100:.0f}%"


def plain(value: float | None) -> str:
    """A number for a CSV cell: integers without `.0`, floats to 6 decimals at most."""
    if value is None or not math.isfinite(value):
        return ""
    if abs(value) >= 1e15:
        return repr(float(value))
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")
