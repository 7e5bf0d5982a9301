"""Every sample's export reads back with numbers typed as numbers (SPEC 5: missing values unquoted)."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from kpitui.cli import main
from kpitui.core.export import COLUMNS, NUMERIC
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
