"""Reading what people type: numbers, dates and periods, the ambiguous cases included."""

from __future__ import annotations

from datetime import date

import pytest

from kpitui.model.domain import Period
from kpitui.model.inputs import InputError, parse_date, parse_number, parse_period, shown_number, shown_period

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("42", 42),
        ("-3", -3),
        ("+3", 3),
        ("−3", -3),  # the typographic minus
        ("1.5", 1.5),
        ("1,5", 1.5),
        ("0,25", 0.25),
        (",5", 0.5),
        (".5", 0.5),
        ("1 000", 1000),
        ("1\u00a0000", 1000),
        ("1_000_000", 1_000_000),
        ("1'000", 1000),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1.234.567", 1_234_567),
        ("1,234,567", 1_234_567),
        ("1.234.567,89", 1234567.89),
        ("3M", 3_000_000),
        ("3 M", 3_000_000),
        ("2,5M", 2_500_000),
        ("1.4M", 1_400_000),
        ("25k", 25_000),
        ("25K", 25_000),
        ("2,7 mln", 2_700_000),
        ("1,2mld", 1_200_000_000),
        ("3bn", 3_000_000_000),
        ("-1,5k", -1500),
        ("1e6", 1_000_000),
        ("2.50", 2.5),
        ("  7  ", 7),
        ("1.0", 1),
        ("0.1", 0.1),
        ("0,3k", 300),  # exact: no 299.99999999999994
    ],
)
def test_numbers(text: str, value: float) -> None:
    result = parse_number(text)
    assert result == value
    assert type(result) is type(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # Repeated, a separator groups thousands; with both, the last one is decimal.
        ("1.000.000", 1_000_000),
        ("1.000,00", 1000),
        ("1,000.00", 1000),
        # One separator that cannot be grouping: a lone 0 before it, or more or fewer than three digits after.
        ("0.125", 0.125),
        ("0,125", 0.125),
        ("1234.567", 1234.567),
        ("7.93", 7.93),
        ("7.9301", 7.9301),
    ],
)
def test_separators_read_one_way(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("text", "says"),
    [
        # `7.930` is 7,930 to a Dutch reader and 7.93 to an English one: refused, never guessed.
        (
            "7.930",
            "'7.930' is ambiguous: 7930 ('.' grouping thousands) or 7.93 ('.' as the decimal separator)? "
            "Write 7930 for the one, 7.93 for the other",
        ),
        (
            "1,234",
            "'1,234' is ambiguous: 1234 (',' grouping thousands) or 1,234 (',' as the decimal separator)? "
            "Write 1234 for the one, 1,2340 for the other",
        ),
        (
            "-1.000",
            "'-1.000' is ambiguous: 1000 ('.' grouping thousands) or 1 ('.' as the decimal separator)? "
            "Write -1000 for the one, -1 for the other",
        ),
        (
            "2,500k",
            "'2,500k' is ambiguous: 2500 (',' grouping thousands) or 2,5 (',' as the decimal separator)? "
            "Write 2500k for the one, 2,5k for the other",
        ),
    ],
)
def test_an_ambiguous_separator_is_refused(text: str, says: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_number(text)
    assert str(refused.value) == says


def test_a_file_reads_a_lone_point_as_the_decimal_point() -> None:
    # `kpitui record` reads CSV files as programs write them; a lone comma stays ambiguous there.
    assert parse_number("7.930", decimal_point=True) == 7.93
    assert parse_number("1.000", decimal_point=True) == 1
    with pytest.raises(InputError, match="ambiguous"):
        parse_number("7,930", decimal_point=True)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("lots", "not a number"),
        ("1,2,3", "groups of three"),
        ("1.23.456", "groups of three"),
        ("1.234,5,6", "more than one decimal separator"),
        ("12,34.5", "groups of three"),
        ("3m", "not a number"),  # m is not million: meters? minutes?
        ("k", "not a number"),
        ("1 k k", "not a number"),
        ("1e", "not a number"),
        ("nan", "not a number"),
        ("inf", "not a number"),
        ("--1", "not a number"),
        ("1-", "not a number"),
        ("€5", "not a number"),
    ],
)
def test_not_numbers(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        parse_number(text)


def test_shown_number() -> None:
    assert shown_number(3_000_000) == "3,000,000"
    assert shown_number(1234.5) == "1,234.5"
    assert shown_number(0.25) == "0.25"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-06-30", date(2026, 6, 30)),
        ("2026-6-3", date(2026, 6, 3)),
        ("2026/06/30", date(2026, 6, 30)),
        ("30-06-2026", date(2026, 6, 30)),
        ("30-6-2026", date(2026, 6, 30)),
        ("3-6-2026", date(2026, 6, 3)),  # day first, as written in the Netherlands
        ("30/06/2026", date(2026, 6, 30)),
        ("30.06.2026", date(2026, 6, 30)),
        ("30-06-26", date(2026, 6, 30)),
        ("today", TODAY),
        ("Today", TODAY),
        ("vandaag", TODAY),
        ("yesterday", date(2026, 6, 14)),
        ("tomorrow", date(2026, 6, 16)),
        ("+7d", date(2026, 6, 22)),
        ("-7d", date(2026, 6, 8)),
        ("+2w", date(2026, 6, 29)),
        ("+1m", date(2026, 7, 15)),
        ("-6m", date(2025, 12, 15)),
        ("+1y", date(2027, 6, 15)),
        ("+ 3 D", date(2026, 6, 18)),
    ],
)
def test_dates(text: str, day: date) -> None:
    assert parse_date(text, TODAY) == day


def test_months_clamp_to_the_last_day() -> None:
    assert parse_date("+1m", date(2026, 1, 31)) == date(2026, 2, 28)
    assert parse_date("+1y", date(2028, 2, 29)) == date(2029, 2, 28)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("31-06-2026", "no day 31 in month 6"),
        ("2026-13-01", "no day 1 in month 13"),
        ("06-30-2026", "no day 6 in month 30"),  # American order is refused, not guessed
        ("soon", "not a date"),
        ("+7", "not a date"),
        ("2026-06-30T10:00", "not a date"),
        ("", "not a date"),
        ("+99999999y", "too far"),
    ],
)
def test_not_dates(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        parse_date(text, TODAY)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("Q1 2026", date(2026, 1, 1), date(2026, 3, 31)),
        ("q3 2026", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2027Q2", date(2027, 4, 1), date(2027, 6, 30)),
        ("Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("H1 2027", date(2027, 1, 1), date(2027, 6, 30)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-01-01..2026-06-30", date(2026, 1, 1), date(2026, 6, 30)),
        ("1-1-2026 - 30-6-2026", date(2026, 1, 1), date(2026, 6, 30)),
        ("1-1-2026 t/m 30-6-2026", date(2026, 1, 1), date(2026, 6, 30)),
        ("today..+3m", TODAY, date(2026, 9, 15)),
        ("2026-01-01 to 2026-01-01", date(2026, 1, 1), date(2026, 1, 1)),
    ],
)
def test_periods(text: str, start: date, end: date) -> None:
    assert parse_period(text, TODAY) == Period(start, end)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("H3", "two halves"),
        ("Q5", "not a period"),
        ("2026-13", "not a period"),
        ("2026-12-31..2026-01-01", "after it ends"),
        ("2026-01-01..", "not a period"),
        ("next year", "not a period"),
        ("2026-01-01..soon", "not a date"),
    ],
)
def test_not_periods(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        parse_period(text, TODAY)


def test_a_shown_period_reads_back() -> None:
    period = Period(date(2026, 1, 1), date(2026, 6, 30))
    assert parse_period(shown_period(period), TODAY) == period


def test_a_quarter_without_a_year_is_in_the_year_given() -> None:
    assert parse_period("Q1", TODAY, 2027) == Period(date(2027, 1, 1), date(2027, 3, 31))
    assert parse_period("Q1 2025", TODAY, 2027) == Period(date(2025, 1, 1), date(2025, 3, 31))
