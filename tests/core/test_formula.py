"""The formula parser (docs/contract.md#formulas): precedence, unary minus, braces, and every error with its column."""

from collections.abc import Callable
from pathlib import Path

import pytest

from kpitui.io.loader import KpiTree
from kpitui.model.domain import TreeLoadError
from kpitui.model.formula import MAX_DEPTH, FormulaError, ZeroDivision, evaluate, parse, render

VALUES = {"a": 2.0, "b": 3.0, "c": 4.0, "orders": 10.0, "order-value": 5.0, "min": 7.0}


def value(text: str) -> float | None:
    return parse(text).evaluate(VALUES.get)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),  # left to right
        ("24 / 4 / 3", 2),
        ("2 * 3 / 4 * 2", 3),
        ("-a * b", -6),
        ("-(a + b)", -5),
        ("--a", 2),
        ("a - -b", 5),
        ("+a", 2),
        ("-a + -b * -c", 10),
        ("orders * {order-value}", 50),
        ("{ order-value } / 2", 2.5),
        ("{min} + 1", 8),
        ("min(a, b, c)", 2),
        ("max(a, b * c, 1)", 12),
        ("min(a)", 2),
        ("max(a - 5, 0)", 0),
        ("1_000 + 1.5e3 + .5", 2500.5),
        ("2.1e-2 * 100", 2.1),
    ],
)
def test_precedence_unary_minus_braces_functions(text: str, expected: float) -> None:
    assert value(text) == pytest.approx(expected, abs=1e-12)


def test_refs_in_order_of_first_use_without_repeats() -> None:
    assert parse("b * a + {order-value} - b").refs == ("b", "a", "order-value")


def test_unknown_input_makes_the_result_unknown() -> None:
    assert value("a + nothing") is None
    assert value("max(a, nothing)") is None


def test_division_by_zero_names_the_divisor() -> None:
    with pytest.raises(ZeroDivision) as caught:
        value("a / (b - 3)")
    assert caught.value.divisor == "b - 3"


def test_render_round_trips() -> None:
    for text in ("orders * {order-value}", "-a * (b + c) / 2", "min(a, b - 1, 2000)"):
        assert render(parse(text).expr) == text


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("", 0, "the formula is empty"),
        ("a +", 3, "expected a number, a node id or '(' after '+' at the end of the formula"),
        ("a * * b", 4, "expected a number, a node id or '(' after '*' but found '*'"),
        ("(a + b", 6, "'(' at column 1 of the formula is never closed; add ')'"),
        ("a + b)", 5, "')' without a '(' before it"),
        ("a b", 2, "expected an operator (+ - * /) before 'b'"),
        ("a % 2", 2, "unexpected character '%'"),
        ("{order-value", 0, "'{' is never closed"),
        ("{ } + 1", 0, "'{}' names no node"),
        ("a }", 2, "'}' without a '{' before it"),
        ("sqrt(a)", 0, "unknown function 'sqrt'"),
        ("min()", 4, "min() needs at least one value"),
        ("max(a, b", 8, "'(' at column 4 of the formula is never closed"),
        ("min(a b)", 6, "expected ')' or an operator before 'b'"),
        ("1__0", 0, "'1__0' is not a number"),
        ("1.2.3", 0, "'1.2.3' is not a number"),
    ],
)
def test_every_error_with_its_offset(text: str, offset: int, message: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(text)
    assert caught.value.offset == offset
    assert message in caught.value.message


def test_order_value_without_braces_is_a_subtraction_of_ids() -> None:
    assert parse("order - value").refs == ("order", "value")


def test_nesting_is_capped_with_a_clear_error_not_a_crash() -> None:
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert value(ok) == 2
    with pytest.raises(FormulaError) as caught:
        parse("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    assert caught.value.offset == MAX_DEPTH
    assert "nests more than 100 levels" in caught.value.message
    with pytest.raises(FormulaError):
        parse("min(" * 5000 + "a" + ")" * 5000)


def test_long_flat_chains_do_not_recurse() -> None:
    text = " + ".join(["a"] * 20000)
    assert value(text) == 40000
    assert evaluate(parse(" * ".join(["1"] * 20000)).expr, VALUES.get) == 1


# ── In a tree file: schema errors with FILE:LINE:COL ─────────────────


def test_a_formula_that_does_not_parse_is_a_schema_error_at_its_column(
    load: Callable[[str], KpiTree], tmp_path: Path
) -> None:
    text = '[nodes.a]\nname = "A"\nformula = "b * (c + "\n\n[nodes.b]\nname = "B"\nformula   =   \'b % 2\'\n'
    with pytest.raises(TreeLoadError) as caught:
        load(text)
    assert [str(e) for e in caught.value.errors] == [
        f"{tmp_path / 'tree.toml'}:3:21: `formula` does not parse: expected a number, a node id or '(' "
        "after '+' at the end of the formula",
        f"{tmp_path / 'tree.toml'}:7:18: `formula` does not parse: unexpected character '%' "
        "(an id with this character goes in braces: {node-id})",
    ]


def test_a_formula_must_be_a_string(load: Callable[[str], KpiTree], tmp_path: Path) -> None:
    with pytest.raises(TreeLoadError) as caught:
        load('[nodes.a]\nname = "A"\nformula = 3\n')
    assert [str(e) for e in caught.value.errors] == [
        f"{tmp_path / 'tree.toml'}:3: `formula` must be a string, not a number"
    ]


def test_a_parsed_formula_is_on_the_node(load: Callable[[str], KpiTree]) -> None:
    tree = load('[nodes.a]\nname = "A"\nformula = "b * 2"\n[nodes.b]\nname = "B"\n')
    formula = tree.nodes["a"].formula
    assert formula is not None
    assert formula.refs == ("b",)
    assert tree.unknown == []
