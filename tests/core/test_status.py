"""The pacing formulas of docs/contract.md#status, with values worked out by hand."""

from datetime import date

import pytest

from kpitui.analysis.status import aggregate, classify, elapsed, pace, worst
from kpitui.model.domain import Period, Thresholds

YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))  # 364 days long
T = Thresholds()


def run(**kw: object) -> tuple[float | None, float | None, str]:
    args: dict[str, object] = {
        "pacing": "linear",
        "sign": 1,
        "baseline": 0,
        "period": YEAR,
        "as_of": date(2026, 7, 2),  # day 182 of 364: half way
        "thresholds": T,
    }
    args.update(kw)
    p = pace(**args)  # type: ignore[arg-type]
    return p.expected, p.attainment, p.status


def test_elapsed_is_days_gone_over_period_length() -> None:
    assert elapsed(YEAR, date(2026, 7, 2)) == 182 / 364


def test_elapsed_is_clamped_before_and_after_the_period() -> None:
    assert elapsed(YEAR, date(2025, 6, 1)) == 0.0
    assert elapsed(YEAR, date(2027, 3, 1)) == 1.0


def test_elapsed_of_a_one_day_period_is_one_from_its_end_on() -> None:
    day = Period(date(2026, 3, 1), date(2026, 3, 1))
    assert elapsed(day, date(2026, 3, 1)) == 1.0
    assert elapsed(day, date(2026, 2, 28)) == 0.0


def test_linear_increase_half_way() -> None:
    assert run(target=1000, actual=450) == (500, 0.9, "at_risk")


def test_linear_increase_with_baseline() -> None:
    # expected = 100 + (300 - 100) * 0.5 = 200; attainment = (190 - 100) / (200 - 100)
    assert run(baseline=100, target=300, actual=190) == (200, 0.9, "at_risk")


def test_linear_decrease_with_baseline() -> None:
    # expected = 100 + (50 - 100) * 0.5 = 75; attainment = (80 - 100) / (75 - 100) = 0.8
    assert run(sign=-1, baseline=100, target=50, actual=80) == (75, 0.8, "off_track")


def test_linear_at_period_start_is_judged_by_direction_only() -> None:
    start = date(2026, 1, 1)
    assert run(target=1000, actual=0, as_of=start) == (0, 1.0, "on_track")
    assert run(target=1000, actual=-5, as_of=start) == (0, 0.0, "off_track")
    assert run(sign=-1, baseline=10, target=5, actual=11, as_of=start) == (10, 0.0, "off_track")
    assert run(sign=-1, baseline=10, target=5, actual=9, as_of=start) == (10, 1.0, "on_track")


def test_linear_without_period_is_unknown() -> None:
    assert run(target=1000, actual=450, period=None) == (None, None, "unknown")


def test_level_increase() -> None:
    assert run(pacing="level", target=90, actual=81) == (90, 0.9, "at_risk")


def test_level_decrease() -> None:
    # attainment = 1 - (-1) * (12 - 15) / 12 = 0.75
    assert run(pacing="level", sign=-1, target=12, actual=15) == (12, 0.75, "off_track")


def test_level_above_target_attains_more_than_one() -> None:
    assert run(pacing="level", target=40, actual=44) == (40, 1.1, "on_track")


def test_level_target_zero_uses_scale_one() -> None:
    assert run(pacing="level", sign=-1, target=0, actual=0.1) == (0, 0.9, "at_risk")


def test_level_negative_target_uses_its_absolute_value() -> None:
    assert run(pacing="level", target=-10, actual=-12) == (-10, 0.8, "off_track")


def test_without_target_or_actual_status_is_unknown() -> None:
    assert run(target=None, actual=5) == (None, None, "unknown")
    assert run(target=5, actual=None) == (None, None, "unknown")


@pytest.mark.parametrize(
    ("attainment", "status"),
    [(0.95, "on_track"), (0.9499, "at_risk"), (0.85, "at_risk"), (0.8499, "off_track"), (1.3, "on_track")],
)
def test_thresholds_are_inclusive_lower_bounds(attainment: float, status: str) -> None:
    assert classify(attainment, T) == status


def test_custom_thresholds() -> None:
    assert classify(0.9, Thresholds(on_track=0.9, at_risk=0.5)) == "on_track"
    assert classify(0.6, Thresholds(on_track=0.9, at_risk=0.5)) == "at_risk"


def test_worst_ignores_unknown() -> None:
    assert worst(["on_track", "unknown", "at_risk"]) == "at_risk"
    assert worst(["on_track", "off_track", "at_risk"]) == "off_track"
    assert worst(["unknown", "unknown"]) == "unknown"


@pytest.mark.parametrize(("how", "value"), [("sum", 10), ("mean", 2.5), ("min", 1), ("max", 4)])
def test_aggregate(how: str, value: float) -> None:
    assert aggregate(how, [1, 2, 3, 4]) == value
