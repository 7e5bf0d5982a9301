"""CSV export (docs/contract.md#outputs): one row per node in tree order, formula injection escaped."""

from __future__ import annotations

import unicodedata
from typing import IO

from kpitui.analysis.forecast import Forecast
from kpitui.analysis.results import Analysis
from kpitui.analysis.walk import join_path
from kpitui.common.format import plain

COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "parent",
    "depth",
    "path",
    "owner",
    "owner_type",
    "unit",
    "direction",
    "pacing",
    "baseline",
    "target",
    "actual",
    "expected",
    "attainment",
    "status",
    "rollup_status",
    "orphaned",
    "orphan_reason",
    "conflicts",
    "period_start",
    "period_end",
    "last_measured",
    "stale",
    "findings",
    "trend",
    "forecast_date",
    "forecast",
    "forecast_low",
    "forecast_high",
    "forecast_status",
)
NUMERIC = frozenset(
    {"depth", "baseline", "target", "actual", "expected", "attainment", "forecast", "forecast_low", "forecast_high"}
)
RISKY_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_START = frozenset("=+-@")


def escape(text: str) -> str:
    """Neutralise a cell a spreadsheet would read as a formula.

    A cell starting with a tab or CR, or whose first character after any leading
    whitespace (Unicode spaces such as U+00A0 and U+3000, newlines, and invisible format
    characters such as U+200B and U+FEFF) is `=`, `+`, `-` or `@`, in ASCII or in a
    full-width or small form (U+FF1D, U+FE66 …), gets a `'` in front: spreadsheets
    trim such whitespace, and some fold those forms to ASCII, before they look for a formula.
    """
    if text.startswith(RISKY_START):
        return "'" + text
    if text[:1].isascii() and not text[:1].isspace():
        return text  # the usual cell: its first character decides, and is no trigger
    for char in text:
        if char.isspace() or unicodedata.category(char) == "Cf":
            continue
        return "'" + text if unicodedata.normalize("NFKC", char) in FORMULA_START else text
    return text


def rows(analysis: Analysis, raw: bool = False) -> list[dict[str, str]]:
    """The export's rows as text cells, in tree order."""
    nodes = analysis.tree.nodes
    result: list[dict[str, str]] = []
    walk = analysis.walk
    for node_id in walk.order:
        depth = walk.depth[node_id]
        head, skipped, tail = walk.short_path(node_id)
        node, res = nodes[node_id], analysis.results[node_id]
        codes = dict.fromkeys(f.code for f in analysis.findings_of(node_id))
        cells = {
            "id": node_id,
            "name": node.name,
            "kind": node.kind,
            "parent": ";".join(node.parents),
            "depth": str(depth),
            "path": join_path([nodes[n].name for n in head], skipped, [nodes[n].name for n in tail], " > "),
            "owner": node.owner or "",
            "owner_type": node.owner_type or "",
            "unit": node.unit or "",
            "direction": node.direction,
            "pacing": node.pacing,
            "baseline": plain(res.baseline),
            "target": plain(res.target),
            "actual": plain(res.actual),
            "expected": plain(res.pace.expected),
            "attainment": plain(res.pace.attainment),
            "status": res.status,
            "rollup_status": res.rollup_status,
            "orphaned": "true" if res.orphaned else "false",
            "orphan_reason": res.orphan_reason or "",
            "conflicts": ";".join(analysis.partners(node_id)),
            "period_start": res.period.start.isoformat() if res.period else "",
            "period_end": res.period.end.isoformat() if res.period else "",
            "last_measured": res.last_measured.isoformat() if res.last_measured else "",
            "stale": "true" if res.stale else "false",
            "findings": ";".join(codes),
            **_forecast_cells(res.forecast),
        }
        if not raw:
            cells = {k: v if k in NUMERIC else escape(v) for k, v in cells.items()}
        result.append(cells)
    return result


def _forecast_cells(forecast: Forecast | None) -> dict[str, str]:
    """The six forecast columns (docs/contract.md#forecast): empty without one, low/high empty for a combined one."""
    if forecast is None:
        return dict.fromkeys(COLUMNS[-6:], "")
    return {
        "trend": forecast.trend or "",
        "forecast_date": forecast.day.isoformat(),
        "forecast": plain(forecast.value),
        "forecast_low": plain(forecast.low),
        "forecast_high": plain(forecast.high),
        "forecast_status": forecast.status,
    }


def write_csv(analysis: Analysis, out: IO[bytes], raw: bool = False) -> None:
    """Write the export as CSV (header first) with polars."""
    import polars as pl

    table = rows(analysis, raw)
    # Empty cells as nulls, which polars writes unquoted: an empty *quoted* cell would make
    # CSV readers (polars, pandas, spreadsheets) type a numeric column as text.
    frame = pl.DataFrame(
        {c: [r[c] or None for r in table] for c in COLUMNS},
        schema=dict.fromkeys(COLUMNS, pl.String),
    )
    frame.write_csv(out)
