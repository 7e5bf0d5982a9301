from kpitui.outputs.whatif_report import exact, with_unit


def test_a_value_a_float_step_away_from_a_whole_number_is_shown_whole() -> None:
    assert exact(1_199_999.9999998) == "1,200,000"
    assert exact(1_200_000.0000001) == "1,200,000"
    assert with_unit(1_199_999.9999998, "EUR") == "1,200,000 EUR"


def test_other_values_keep_the_digits_a_hand_check_needs() -> None:
    assert exact(796_419.3) == "796,419.30"
    assert exact(593_406.593) == "593,406.59"
    assert exact(539_742) == "539,742"
    assert exact(2.3418) == "2.3418"
    assert exact(0.023418) == "0.02342"
    assert exact(None) == "–"


def test_a_value_beyond_a_float_is_unknown_and_a_huge_one_is_short() -> None:
    assert exact(float("inf")) == "–"
    assert exact(float("nan")) == "–"
    assert exact(1e308) == "1e+308"
    assert exact(-1.5e20) == "-1.5e+20"
    assert exact(123_456_789_012_345.0) == "123,456,789,012,345"


def test_a_unit_is_shown_with_every_control_escaped_as_everywhere_else() -> None:
    # The report once had its own, weaker escaping: a bidi override went through.
    assert with_unit(3, "EUR\u202e\x1b]0;x\x07\x9b") == "3 EUR\\u202e\\x1b]0;x\\x07\\x9b"
