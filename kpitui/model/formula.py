"""Formulas (docs/contract.md#formulas): a small parser into an immutable expression tree, and its evaluation.

Grammar (usual precedence; `*` `/` before `+` `-`; unary minus binds tightest):

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | primary
    primary := NUMBER | NAME | "{" id "}" | ("min" | "max") "(" sum ("," sum)* ")" | "(" sum ")"

A NAME is a plain identifier (`orders`); any other id goes in braces (`{order-value}`).
Chains of `+`/`-` and of `*`/`/` are kept flat (one node with many terms), so the depth
of the tree is the formula's nesting, which the parser caps at MAX_DEPTH. Never `eval`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kpitui.model.formula_errors import FormulaError as FormulaError  # re-exported: the errors of formulas
from kpitui.model.formula_errors import ZeroDivision as ZeroDivision

MAX_DEPTH = 100
FUNCTIONS: tuple[str, ...] = ("min", "max")


@dataclass(frozen=True)
class Num:
    """A number written in the formula."""

    value: float


@dataclass(frozen=True)
class Ref:
    """Another node's value; `offset` is where its id is written."""

    id: str
    offset: int = 0


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True)
class Sum:
    """`a + b - c`: terms with their signs (+1 / -1)."""

    terms: tuple[tuple[int, Expr], ...]


@dataclass(frozen=True)
class Product:
    """`a * b / c`: factors, each True where it divides."""

    factors: tuple[tuple[bool, Expr], ...]


@dataclass(frozen=True)
class Call:
    """`min(…)` or `max(…)`."""

    name: str
    args: tuple[Expr, ...]


Expr = Num | Ref | Neg | Sum | Product | Call


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, its tree and the ids it reads (in order of first use)."""

    text: str
    expr: Expr
    refs: tuple[str, ...]

    def evaluate(self, value_of: Callable[[str], float | None]) -> float | None:
        """The formula's value; None when an input is unknown.

        Raises:
            ZeroDivision: a divisor was zero.
        """
        return evaluate(self.expr, value_of)

    def __str__(self) -> str:
        return self.text


# ── Tokens ─────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Token:
    kind: str  # number, name, id, op, end
    text: str
    offset: int
    value: float = 0.0


def _is_name_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_")


def _is_name_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _tokens(text: str) -> Iterator[_Token]:
    pos, size = 0, len(text)
    while pos < size:
        ch = text[pos]
        if ch in " \t\r\n":
            pos += 1
        elif ch in "+-*/(),":
            yield _Token("op", ch, pos)
            pos += 1
        elif ch.isascii() and (ch.isdigit() or ch == "."):
            token = _number(text, pos)
            yield token
            pos += len(token.text)
        elif _is_name_start(ch):
            end = pos
            while end < size and _is_name_char(text[end]):
                end += 1
            yield _Token("name", text[pos:end], pos)
            pos = end
        elif ch == "{":
            end = text.find("}", pos + 1)
            if end < 0:
                raise FormulaError("'{' is never closed; write the id as {node-id}", pos)
            inner = text[pos + 1 : end].strip()
            if not inner:
                raise FormulaError("'{}' names no node; put a node id between the braces", pos)
            yield _Token("id", inner, pos + 1 + text[pos + 1 : end].index(inner))
            pos = end + 1
        elif ch == "}":
            raise FormulaError("'}' without a '{' before it", pos)
        else:
            hint = " (an id with this character goes in braces: {node-id})" if ch.isprintable() else ""
            raise FormulaError(f"unexpected character {ch!r}{hint}", pos)
    yield _Token("end", "", size)


def _number(text: str, pos: int) -> _Token:
    end = pos
    size = len(text)
    while end < size and (text[end].isascii() and (text[end].isdigit() or text[end] in "._")):
        end += 1
    if end < size and text[end] in "eE":
        exp = end + 1
        if exp < size and text[exp] in "+-":
            exp += 1
        if exp < size and text[exp].isascii() and text[exp].isdigit():
            end = exp
            while end < size and text[end].isascii() and text[end].isdigit():
                end += 1
    raw = text[pos:end]
    bad = raw.startswith("_") or raw.endswith("_") or "__" in raw or "._" in raw or "_." in raw
    try:
        value = float(raw.replace("_", ""))
    except ValueError:
        bad = True
        value = 0.0
    if bad or not math.isfinite(value):
        raise FormulaError(f"{raw!r} is not a number", pos)
    return _Token("number", raw, pos, value)


# ── Parser ─────────────────────────────────────────────────────────────


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(_tokens(text))
        self.pos = 0
        self.depth = 0
        self.refs: dict[str, None] = {}

    @property
    def current(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at(self, *ops: str) -> bool:
        return self.current.kind == "op" and self.current.text in ops

    def enter(self, offset: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"the formula nests more than {MAX_DEPTH} levels deep; simplify it", offset)

    def parse(self) -> Formula:
        if self.current.kind == "end":
            raise FormulaError("the formula is empty; write an expression like `orders * {order-value}`", 0)
        expr = self.sum()
        token = self.current
        if token.kind != "end":
            if token.text == ")":
                raise FormulaError("')' without a '(' before it", token.offset)
            raise FormulaError(f"expected an operator (+ - * /) before {token.text!r}", token.offset)
        return Formula(self.text, expr, tuple(self.refs))

    def sum(self) -> Expr:
        terms: list[tuple[int, Expr]] = [(1, self.product())]
        while self.at("+", "-"):
            sign = 1 if self.take().text == "+" else -1
            terms.append((sign, self.product()))
        return terms[0][1] if len(terms) == 1 else Sum(tuple(terms))

    def product(self) -> Expr:
        factors: list[tuple[bool, Expr]] = [(False, self.unary())]
        while self.at("*", "/"):
            divide = self.take().text == "/"
            factors.append((divide, self.unary()))
        return factors[0][1] if len(factors) == 1 else Product(tuple(factors))

    def unary(self) -> Expr:
        signs = 1
        while self.at("-", "+"):
            if self.take().text == "-":
                signs = -signs
        operand = self.primary()
        return Neg(operand) if signs < 0 else operand

    def primary(self) -> Expr:
        token = self.take()
        if token.kind == "number":
            return Num(token.value)
        if token.kind == "id":
            self.refs.setdefault(token.text, None)
            return Ref(token.text, token.offset)
        if token.kind == "name":
            if self.at("("):
                return self.call(token)
            self.refs.setdefault(token.text, None)
            return Ref(token.text, token.offset)
        if token.kind == "op" and token.text == "(":
            self.enter(token.offset)
            inner = self.sum()
            self.close(token)
            self.depth -= 1
            return inner
        where = "at the end of the formula" if token.kind == "end" else f"but found {token.text!r}"
        before = self.tokens[self.pos - 2].text if self.pos >= 2 else ""
        after = f" after {before!r}" if before else ""
        raise FormulaError(f"expected a number, a node id or '('{after} {where}", token.offset)

    def call(self, name: _Token) -> Expr:
        if name.text not in FUNCTIONS:
            raise FormulaError(
                f"unknown function {name.text!r}: only min(…) and max(…) exist "
                f"(a node named {name.text!r} is written {{{name.text}}})",
                name.offset,
            )
        opening = self.take()
        self.enter(opening.offset)
        if self.at(")"):
            raise FormulaError(f"{name.text}() needs at least one value", self.current.offset)
        args = [self.sum()]
        while self.at(","):
            self.take()
            args.append(self.sum())
        self.close(opening)
        self.depth -= 1
        return Call(name.text, tuple(args))

    def close(self, opening: _Token) -> None:
        if self.at(")"):
            self.take()
            return
        token = self.current
        if token.kind == "end":
            raise FormulaError(
                f"'(' at column {opening.offset + 1} of the formula is never closed; add ')'", token.offset
            )
        raise FormulaError(f"expected ')' or an operator before {token.text!r}", token.offset)


def parse(text: str) -> Formula:
    """Parse a formula.

    Raises:
        FormulaError: with a message and the offset of the offending character.
    """
    return _Parser(text).parse()


# ── Evaluation ─────────────────────────────────────────────────────────


def evaluate(expr: Expr, value_of: Callable[[str], float | None]) -> float | None:
    """The value of an expression; None when any input it reads is unknown.

    Recursion follows the formula's nesting, which the parser caps at MAX_DEPTH.

    Raises:
        ZeroDivision: a divisor was zero.
    """
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Ref):
        return value_of(expr.id)
    if isinstance(expr, Neg):
        inner = evaluate(expr.operand, value_of)
        return None if inner is None else -inner
    if isinstance(expr, Sum):
        total = 0.0
        known = True
        for sign, term in expr.terms:
            value = evaluate(term, value_of)
            if value is None:
                known = False
            else:
                total += sign * value
        return total if known else None
    if isinstance(expr, Product):
        values = [(divide, evaluate(factor, value_of)) for divide, factor in expr.factors]
        if any(v is None for _, v in values):
            return None
        result = 1.0
        for (divide, value), (_, factor) in zip(values, expr.factors, strict=True):
            assert value is not None
            if divide:
                if value == 0:
                    raise ZeroDivision(render(factor))
                result /= value
            else:
                result *= value
        return result
    args = [evaluate(arg, value_of) for arg in expr.args]
    if any(a is None for a in args):
        return None
    known_args = [a for a in args if a is not None]
    return min(known_args) if expr.name == "min" else max(known_args)


def _plain(node_id: str) -> bool:
    return bool(node_id) and _is_name_start(node_id[0]) and all(_is_name_char(c) for c in node_id)


def render(expr: Expr) -> str:
    """The expression written back as formula text (ids in braces where needed)."""
    if isinstance(expr, Num):
        return f"{expr.value:g}"
    if isinstance(expr, Ref):
        return expr.id if _plain(expr.id) and expr.id not in FUNCTIONS else f"{{{expr.id}}}"
    if isinstance(expr, Neg):
        return f"-{_wrapped(expr.operand)}"
    if isinstance(expr, Sum):
        parts = [("" if i == 0 else (" + " if s > 0 else " - ")) + render(t) for i, (s, t) in enumerate(expr.terms)]
        return "".join(parts)
    if isinstance(expr, Product):
        parts = [("" if i == 0 else (" / " if d else " * ")) + _wrapped(f) for i, (d, f) in enumerate(expr.factors)]
        return "".join(parts)
    return f"{expr.name}({', '.join(render(a) for a in expr.args)})"


def _wrapped(expr: Expr) -> str:
    text = render(expr)
    return f"({text})" if isinstance(expr, Sum | Product) else text


def inputs_of(expr: Expr) -> Iterator[Ref]:
    """Every reference in an expression, iteratively, in written order."""
    stack: list[Expr] = [expr]
    while stack:
        current = stack.pop()
        if isinstance(current, Ref):
            yield current
        elif isinstance(current, Neg):
            stack.append(current.operand)
        elif isinstance(current, Sum):
            stack.extend(t for _, t in reversed(current.terms))
        elif isinstance(current, Product):
            stack.extend(f for _, f in reversed(current.factors))
        elif isinstance(current, Call):
            stack.extend(reversed(current.args))
