"""What people type into a form, read into TOML values: numbers, dates and periods.

Pure functions: each returns the value or raises `InputError` with a message that says
what would be understood instead. The rules are written in the README ("Typing numbers
and dates").
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from kpitui.model.domain import Period

Number = int | float


class InputError(ValueError):
    """Text that cannot be read as the value asked for; the message says how to write it."""


_SCALES: dict[str, int] = {
    "k": 1_000,
    "K": 1_000,
    "M": 1_000_000,
    "mln": 1_000_000,
    "mio": 1_000_000,
    "B": 1_000_000_000,
    "bn": 1_000_000_000,
    "mld": 1_000_000_000,
}
_SCALE = re.compile(r"^(.*?)\s*(" + "|".join(sorted(_SCALES, key=len, reverse=True)) + r")$")
_SPACES = re.compile(r"[\s\u00a0\u202f_']")
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:X[0-9]{3})+")
# One separator after one to three digits (not a lone 0) and before exactly three: `7.930`, `1,250`.
_AMBIGUOUS = re.compile(r"([1-9][0-9]{0,2})([.,])([0-9]{3})")


def parse_number(text: str, decimal_point: bool = False) -> Number:
    """A number as people write it: `1,5`, `1.234,5`, `1 000`, `3M`, `25k`, `-0.5`, `1e6`.

    Rules: spaces, `_` and `'` group digits and are dropped. One `,` or one `.` is the
    decimal separator (`1,5` and `1.5` are both one and a half). A separator that appears
    more than once groups thousands (`1.234.567`, `1,234,567`); with both kinds, the last
    one is the decimal separator (`1.234,5` and `1,234.5`). A suffix k, M (or mln, mio),
    B (or bn, mld) multiplies. A whole result is an integer, anything else a float.

    One separator with exactly three digits after one to three others (`7.930`, `1,250`)
    is ambiguous — a Dutch 7,930 or an English 7.93 — and refused, unless `decimal_point`
    says a lone `.` is the decimal point (a CSV file, as programs write it).

    Raises:
        InputError: the text is not such a number, or is ambiguous.
    """
    raw = text.strip()
    if not raw:
        raise InputError("empty: type a number such as 1500, 1,5 or 25k")
    body = raw
    sign = 1
    if body[0] in "+-−":
        sign = -1 if body[0] != "+" else 1
        body = body[1:].lstrip()
    scale = 1
    match = _SCALE.match(body)
    if match and match.group(1):
        body, scale = match.group(1), _SCALES[match.group(2)]
    body = _SPACES.sub("", body)
    ambiguous = _AMBIGUOUS.fullmatch(body)
    if ambiguous and not (decimal_point and ambiguous.group(2) == "."):
        raise InputError(_ambiguous(raw, *ambiguous.groups()))
    digits = _decimal_text(body, raw)
    try:
        value = Decimal(digits) * scale * sign
    except InvalidOperation:
        raise InputError(_not_a_number(raw)) from None
    if not value.is_finite():
        raise InputError(_not_a_number(raw))
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _ambiguous(raw: str, whole: str, separator: str, fraction: str) -> str:
    """What to write instead of `7.930`: the thousands and the decimal reading, unmistakably."""
    written = f"{whole}{separator}{fraction}"
    decimal = f"{whole}{separator}{fraction.rstrip('0')}".rstrip(separator)
    # Three decimals would be as ambiguous again; four are decimals (1,2340).
    unmistakable = decimal + "0" if len(fraction.rstrip("0")) == 3 else decimal

    def instead(digits: str) -> str:
        return raw.strip().replace(written, digits) if written in raw else digits

    return (
        f"{raw.strip()!r} is ambiguous: {whole}{fraction} ({separator!r} grouping thousands) or {decimal} "
        f"({separator!r} as the decimal separator)? Write {instead(whole + fraction)} for the one, "
        f"{instead(unmistakable)} for the other"
    )


def number_problem(text: str) -> str | None:
    """Why `text` is not a number `parse_number` reads, or None: a dialog's check."""
    try:
        parse_number(text)
    except InputError as exc:
        return str(exc)
    return None


def date_problem(text: str, today: date) -> str | None:
    """Why `text` is not a date `parse_date` reads, or None: a dialog's check."""
    try:
        parse_date(text, today)
    except InputError as exc:
        return str(exc)
    return None


def _not_a_number(raw: str) -> str:
    return f"{raw!r} is not a number; write for example 1500, 1 500, 1,5, 1.234,5, 25k or 3M"


def _decimal_text(body: str, raw: str) -> str:
    """Digits with `.` as the only (decimal) separator, following the rules above."""
    commas, dots = body.count(","), body.count(".")
    if commas and dots:
        decimal = "," if body.rfind(",") > body.rfind(".") else "."
        group = "." if decimal == "," else ","
        if body.count(decimal) > 1:
            raise InputError(f"{raw!r} has more than one decimal separator {decimal!r}")
        whole, _, fraction = body.partition(decimal)
        if not _GROUPED.fullmatch(whole.replace(group, "X")):
            raise InputError(f"{raw!r}: {group!r} groups thousands here, in groups of three digits (1.234.567,5)")
        body = whole.replace(group, "") + "." + fraction
    elif commas > 1 or dots > 1:
        group = "," if commas else "."
        if not _GROUPED.fullmatch(body.replace(group, "X")):
            raise InputError(f"{raw!r}: a repeated {group!r} groups thousands, in groups of three digits (1.234.567)")
        body = body.replace(group, "")
    elif commas:
        body = body.replace(",", ".")
    if not _PLAIN.fullmatch(body):
        raise InputError(_not_a_number(raw))
    return body


def shown_number(value: Number) -> str:
    """A number as the form shows what it understood: `1,234.5` style grouping, no `.0`."""
    if isinstance(value, int):
        return f"{value:,}"
    text = f"{value:,.10f}".rstrip("0").rstrip(".")
    return text


# ── dates ────────────────────────────────────────────────────────────────

_RELATIVE = re.compile(r"^([+-])\s*(\d+)\s*([dwmy])$", re.IGNORECASE)
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_NAMED = {"today": 0, "vandaag": 0, "yesterday": -1, "gisteren": -1, "tomorrow": 1, "morgen": 1}


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def parse_date(text: str, today: date) -> date:
    """A date as people write it: `2026-06-30`, `30-06-2026`, `30/6/26`, `today`, `+7d`, `-2w`, `+1m`, `+1y`.

    Day-first (`30-06-2026`) as written in the Netherlands; four digits first is ISO.
    A two-digit year is in this century.

    Raises:
        InputError: the text is not such a date, or names a day that does not exist.
    """
    raw = text.strip()
    lowered = raw.casefold()
    if lowered in _NAMED:
        return today + timedelta(days=_NAMED[lowered])
    relative = _RELATIVE.match(raw)
    if relative:
        count = int(relative.group(2)) * (1 if relative.group(1) == "+" else -1)
        unit = relative.group(3).lower()
        try:
            if unit == "d":
                return today + timedelta(days=count)
            if unit == "w":
                return today + timedelta(weeks=count)
            return add_months(today, count * (12 if unit == "y" else 1))
        except (OverflowError, ValueError):
            raise InputError(f"{raw!r} is too far away") from None
    iso, dmy = _ISO.match(raw), _DMY.match(raw)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif dmy:
        day, month, year = (int(g) for g in dmy.groups())
        if len(dmy.group(3)) == 2:
            year += 2000
    else:
        raise InputError(f"{raw!r} is not a date; write 2026-06-30, 30-06-2026, today or +7d")
    try:
        return date(year, month, day)
    except ValueError:
        raise InputError(f"{raw!r}: there is no day {day} in month {month} of {year}") from None


# ── periods ──────────────────────────────────────────────────────────────

_YEAR = re.compile(r"^(\d{4})$")
_PART = re.compile(r"^(?:(\d{4})\s*[-/ ]?\s*)?([QqHh])([1-4])(?:\s*[-/ ]?\s*(\d{4}))?$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_RANGE = re.compile(r"\s*(?:\.\.|…|→|–|—|\s+to\s+|\s+tot\s+|\s+t/m\s+|\s+-\s+)\s*")


def parse_period(text: str, today: date, year: int | None = None) -> Period:
    """A period: `2026`, `Q3 2026`, `2026-Q3`, `Q3`, `H2 2026`, `2026-07`, or `START..END`.

    A quarter or half without a year is in `year` (the tree's period), else this year.

    START and END are dates as `parse_date` reads them, separated by `..`, ` - `, ` to `
    or ` t/m `.

    Raises:
        InputError: the text is not such a period, or it ends before it starts.
    """
    raw = text.strip()
    whole = _YEAR.match(raw)
    if whole:
        y = int(whole.group(1))
        return Period(date(y, 1, 1), date(y, 12, 31))
    part = _PART.match(raw)
    if part:
        y = int(part.group(1) or part.group(4) or year or today.year)
        kind, n = part.group(2).upper(), int(part.group(3))
        if kind == "H" and n > 2:
            raise InputError(f"{raw!r}: a year has two halves, H1 and H2")
        months = 3 if kind == "Q" else 6
        first = date(y, (n - 1) * months + 1, 1)
        return Period(first, add_months(first, months) - timedelta(days=1))
    month = _MONTH.match(raw)
    if month and 1 <= int(month.group(2)) <= 12:
        first = date(int(month.group(1)), int(month.group(2)), 1)
        return Period(first, add_months(first, 1) - timedelta(days=1))
    pieces = _RANGE.split(raw)
    if len(pieces) != 2 or not all(pieces):
        raise InputError(f"{raw!r} is not a period; write 2026, Q3 2026, H2, 2026-07 or 2026-01-01..2026-06-30")
    start, end = parse_date(pieces[0], today), parse_date(pieces[1], today)
    if start > end:
        raise InputError(f"{raw!r} starts {start} after it ends {end}; swap them")
    return Period(start, end)


def shown_period(period: Period) -> str:
    """How a period is shown in a field and read back by `parse_period`."""
    return f"{period.start}..{period.end}"
