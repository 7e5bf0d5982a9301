"""Export for spreadsheets: CSV that readers type correctly, and a typed .xlsx workbook."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import polars as pl
import pytest

from kpitui.cli import main
from kpitui.outputs.export import COLUMNS, NUMERIC
from kpitui.outputs.spreadsheet import DATES
from tests.conftest import SAMPLES

SAMPLE_NAMES = sorted(p.name for p in SAMPLES.glob("*.toml"))
TEXT_COLUMNS = [c for c in COLUMNS if c not in NUMERIC]


def export(tmp_path: Path, sample: Path, suffix: str, *extra: str) -> Path:
    out = tmp_path / f"out{suffix}"
    assert main(["export", str(sample), "-o", str(out), *extra]) == 0
    return out


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_csv_readers_type_numeric_columns_as_numbers(sample: str, tmp_path: Path) -> None:
    out = export(tmp_path, SAMPLES / sample, ".csv")
    assert ',""' not in out.read_text(encoding="utf-8")  # missing values are empty, unquoted
    frame = pl.read_csv(out)
    for column in NUMERIC:
        # A column without a single value has no type to infer (polars calls it String).
        assert frame.schema[column].is_numeric() or frame[column].null_count() == frame.height, column
    assert frame.schema["target"].is_numeric()
    pandas_frame = pd.read_csv(out)
    for column in NUMERIC:
        assert pd.api.types.is_numeric_dtype(pandas_frame[column]), column


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_xlsx_holds_the_csv_values_typed(sample: str, tmp_path: Path) -> None:
    expected = csv_rows(export(tmp_path, SAMPLES / sample, ".csv"))
    sheet = openpyxl.load_workbook(export(tmp_path, SAMPLES / sample, ".xlsx"))["KPIs"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(COLUMNS)
    assert len(values) == len(expected) + 1
    for row, want in zip(values[1:], expected, strict=True):
        for column, cell in zip(COLUMNS, row, strict=True):
            text = want[column]
            if text == "":
                assert cell is None, column
            elif column in NUMERIC:
                assert isinstance(cell, int | float) and not isinstance(cell, bool)
                assert cell == pytest.approx(float(text)), column
            elif column in DATES:
                assert isinstance(cell, datetime) and cell.date().isoformat() == text, column
            elif column in ("orphaned", "stale"):
                assert cell is (text == "true"), column
            else:
                assert cell == text, column


def test_xlsx_formats_header_filters_and_status_colours(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(export(tmp_path, SAMPLES / "webshop.toml", ".xlsx"))
    sheet = book["KPIs"]
    assert sheet.freeze_panes == "A2"
    table = sheet.tables["KPIs"]
    assert table.ref == f"A1:{openpyxl.utils.get_column_letter(len(COLUMNS))}{sheet.max_row}"
    assert table.autoFilter is not None
    col = {c: openpyxl.utils.get_column_letter(i + 1) for i, c in enumerate(COLUMNS)}
    assert sheet[f"{col['attainment']}2"].number_format == "0.0%"
    assert sheet[f"{col['period_start']}2"].number_format == "yyyy-mm-dd"
    assert sheet[f"{col['period_start']}2"].is_date
    assert all(cell.font.bold for cell in sheet[1])
    rules = {
        (str(cf.sqref), rule.formula[0]): rule.dxf.fill.bgColor.rgb
        for cf in sheet.conditional_formatting
        for rule in cf.rules
    }
    span = f"2:{sheet.max_row}"
    status = col["status"] + span.replace(":", f":{col['status']}")
    assert rules[(status, '"on_track"')] == "FFC6EFCE"
    assert rules[(status, '"at_risk"')] == "FFFFEB9C"
    assert rules[(status, '"off_track"')] == "FFFFC7CE"
    rollup = col["rollup_status"] + span.replace(":", f":{col['rollup_status']}")
    assert rules[(rollup, '"off_track"')] == "FFFFC7CE"


@pytest.mark.parametrize("raw", [False, True])
def test_xlsx_never_holds_a_formula(raw: bool, write_tree: Callable[..., Path], tmp_path: Path) -> None:
    tree = write_tree('[nodes.a]\nname = "=HYPERLINK(\\"http://x\\")"\nkind = "goal"\nowner = "@ops"\n')
    sheet = openpyxl.load_workbook(export(tmp_path, tree, ".xlsx", *(["--raw"] if raw else [])))["KPIs"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    names = [c.value for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    prefix = "" if raw else "'"
    assert names[0] == prefix + '=HYPERLINK("http://x")'
    assert prefix + "@ops" in [c.value for c in cells]


def test_xlsx_unwritable_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "missing-folder" / "out.xlsx"
    assert main(["export", str(SAMPLES / "sales.toml"), "-o", str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"{out}: cannot write: ")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_libreoffice_reads_text_and_numbers(suffix: str, tmp_path: Path) -> None:
    source = export(tmp_path, SAMPLES / "sales.toml", suffix)
    converted = tmp_path / "converted"
    # Filter options: comma separated, double-quoted, UTF-8, from line 1 (CSV in and out).
    options = "csv:Text - txt - csv (StarCalc):44,34,76,1"
    args = ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile"]
    if suffix == ".csv":
        args += ["--infilter=CSV:44,34,76,1"]
    args += ["--convert-to", options, "--outdir", str(converted), str(source)]
    subprocess.run(args, check=True, capture_output=True, timeout=180)
    text = (converted / "out.csv").read_text(encoding="utf-8")
    rows = csv_rows(converted / "out.csv")
    by_id = {r["id"]: r for r in rows}
    assert rows[0]["name"] == "Omzet €3M"
    assert any(r["name"] == "Omzet Joël Bakker" for r in rows)
    # LibreOffice quotes text cells and writes numeric cells bare: the numbers came in as numbers.
    team = next(line for line in text.splitlines() if line.startswith('"teamomzet"'))
    assert ',"Teamomzet","objective","omzet",1,' in team
    assert ',"linear",0,3000000,978500,' in team
    assert float(by_id["teamomzet"]["target"]) == 3_000_000
    assert by_id["omzet"]["period_start"] == "2026-01-01"


def test_xlsx_escapes_a_formula_behind_a_space_or_in_full_width(
    write_tree: Callable[..., Path], tmp_path: Path
) -> None:
    tree = write_tree('[nodes.a]\nname = " =HYPERLINK(1)"\nkind = "goal"\nowner = "\\uff1d1+2"\nbaseline = -5\n')
    sheet = openpyxl.load_workbook(export(tmp_path, tree, ".xlsx"))["KPIs"]
    header = [cell.value for cell in sheet[1]]
    row = {name: cell.value for name, cell in zip(header, sheet[2], strict=True)}
    assert (row["name"], row["owner"], row["baseline"]) == ("' =HYPERLINK(1)", "'\uff1d1+2", -5)
