"""Every sample's export reads back with numbers typed as numbers (docs/contract.md#outputs)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from kpitui.cli import main
from kpitui.outputs.export import COLUMNS, NUMERIC, escape
from tests.conftest import SAMPLES

SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.toml"))


def export(sample: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["export", str(SAMPLES / sample)]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_polars_types_the_numeric_columns_as_numbers(sample: str, capsys: pytest.CaptureFixture[str]) -> None:
    frame = pl.read_csv(io.StringIO(export(sample, capsys)))
    assert tuple(frame.columns) == COLUMNS
    for column in NUMERIC:
        # A column with no value at all has no type to infer (polars reads it as text).
        typed = frame[column].dtype.is_numeric() or frame[column].null_count() == len(frame)
        assert typed, (column, frame[column].dtype)
    frame["actual"].sum()  # failed on text columns before


@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_missing_values_are_empty_and_unquoted(sample: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = export(sample, capsys)
    assert '""' not in text.replace('"""', "")
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        for column in NUMERIC:
            if row[column]:
                float(row[column])
    assert any(row["target"] == "" for row in rows)


@pytest.mark.parametrize(
    "text",
    [
        " =1+2",  # a space
        "\u00a0=1+2",  # a no-break space
        "\u3000@SUM(A1)",  # an ideographic space
        "\n=1+2",  # a newline
        "\r\n-2+3",
        "\u200b=1+2",  # a zero-width space
        "\uff1dHYPERLINK(1)",  # full-width =
        "\uff0b1+2",  # full-width +
        "\uff0d1+2",  # full-width -
        "\uff20SUM(A1)",  # full-width @
        " \u00a0\uff1d1",
        "\ufe66SUM(A1)",  # small =
    ],
)
def test_a_formula_behind_whitespace_or_in_full_width_is_escaped(text: str) -> None:
    assert escape(text) == "'" + text


@pytest.mark.parametrize("text", ["Revenue", " Revenue", "\u00a0Revenue", "a=b", "", "  ", "\u00e9=1", "100%"])
def test_text_that_is_no_formula_stays_as_it_is(text: str) -> None:
    assert escape(text) == text


def test_export_escapes_hidden_formulas_and_keeps_negative_numbers_numbers(
    write_tree: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    tree = write_tree(
        '[nodes.g]\nname = "\\u00a0=HYPERLINK(1)"\nkind = "goal"\nowner = "\\uff20ops"\nunit = "\\n+1"\n'
        "baseline = -5\ntarget = -1\nactual = -3\n"
    )
    assert main(["export", str(tree)]) == 0
    text = capsys.readouterr().out
    row = next(iter(csv.DictReader(io.StringIO(text))))
    assert (row["name"], row["owner"], row["unit"]) == ("'\u00a0=HYPERLINK(1)", "'\uff20ops", "'\n+1")
    assert (row["baseline"], row["target"], row["actual"]) == ("-5", "-1", "-3")
    frame = pl.read_csv(io.StringIO(text))
    assert frame["baseline"].dtype.is_numeric() and frame["baseline"][0] == -5
