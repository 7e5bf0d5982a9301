"""The errors of formulas (docs/contract.md#formulas), apart from the parser: reading and analysing a tree
without formulas never loads it."""

from __future__ import annotations


class FormulaError(ValueError):
    """A formula that does not parse; `offset` is the 0-based position in the formula text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class ZeroDivision(ArithmeticError):
    """A division by zero while evaluating; `divisor` is the formula text that was zero."""

    def __init__(self, divisor: str) -> None:
        super().__init__(divisor)
        self.divisor = divisor
