"""`export -o OUT.xlsx`: the CSV's columns as a typed Excel sheet, through polars and xlsxwriter.

Numbers are numbers, dates dates, attainment a percentage; the header is frozen with
filters; status cells are coloured; text that a spreadsheet would run as a formula is
escaped as in the CSV, and the workbook never turns a string into a formula.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from kpitui.analysis.results import Analysis
from kpitui.outputs.export import COLUMNS, NUMERIC, rows

DATES = frozenset({"period_start", "period_end", "last_measured", "forecast_date"})
BOOLEANS = frozenset({"orphaned", "stale"})
WHOLE = frozenset({"depth"})
PERCENT = frozenset({"attainment"})
STATUS = ("status", "rollup_status", "forecast_status")
# Fill and font per status: the usual spreadsheet greens, yellows and reds.
STATUS_COLOURS: dict[str, dict[str, str]] = {
    "on_track": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "at_risk": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "off_track": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
}
SHEET = "KPIs"


def _cell(column: str, text: str) -> Any:
    if text == "":
        return None
    if column in WHOLE:
        return int(text)
    if column in NUMERIC:
        return float(text)
    if column in DATES:
        return date.fromisoformat(text)
    if column in BOOLEANS:
        return text == "true"
    return text


def frame(analysis: Analysis, raw: bool = True) -> Any:
    """The export as a typed polars DataFrame: numbers, dates and booleans as such, one row a node
    in tree order (`raw`: text cells as written, not escaped against formula injection)."""
    import polars as pl

    table = rows(analysis, raw)
    columns = [c for c in COLUMNS if not table or c in table[0]]
    schema: dict[str, Any] = {}
    for c in columns:
        if c in WHOLE:
            schema[c] = pl.Int64
        elif c in NUMERIC:
            schema[c] = pl.Float64
        elif c in DATES:
            schema[c] = pl.Date
        elif c in BOOLEANS:
            schema[c] = pl.Boolean
        else:
            schema[c] = pl.String
    return pl.DataFrame({c: [_cell(c, r[c]) for r in table] for c in columns}, schema=schema)


def write_xlsx(analysis: Analysis, path: str | Path, raw: bool = False) -> None:
    """Write the export to an .xlsx workbook at `path`."""
    import xlsxwriter

    table = frame(analysis, raw)
    columns = list(table.columns)
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    try:
        _write(table, columns, xlsxwriter.Workbook(str(path), options))
    except xlsxwriter.exceptions.FileCreateError as exc:
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else OSError(str(exc))
        raise cause from None


def _write(frame: Any, columns: list[str], workbook: Any) -> None:
    with workbook:
        frame.write_excel(
            workbook,
            SHEET,
            table_style={"style": "Table Style Light 1", "banded_rows": False},
            table_name=SHEET,
            column_formats={
                **{c: "0.0%" for c in columns if c in PERCENT},
                **{c: "yyyy-mm-dd" for c in columns if c in DATES},
                **{c: "General" for c in columns if c in NUMERIC and c not in PERCENT},
            },
            conditional_formats={
                c: [
                    {"type": "cell", "criteria": "==", "value": f'"{status}"', "format": fmt}
                    for status, fmt in STATUS_COLOURS.items()
                ]
                for c in STATUS
                if c in columns
            },
            header_format={"bold": True},
            autofilter=True,
            autofit=True,
            freeze_panes=(1, 0),
            float_precision=6,
        )
