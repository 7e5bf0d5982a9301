"""A full analysis: the tree analysed at a date, then judged by the rules.

The analysis layer computes values, statuses, forecasts, conflicts and the structural indexes;
the rules turn them into findings. This is the one place both meet for a whole tree (the update
after an edit, `incremental.py`, meets them for the nodes it touched).
"""

from __future__ import annotations

from datetime import date

from kpitui.analysis.graph import KpiGraph
from kpitui.analysis.results import Analysis, compute, count_open
from kpitui.analysis.state import split_findings
from kpitui.io.loader import KpiTree
from kpitui.io.measurements import Measurements
from kpitui.model.domain import SEVERITY_ORDER, Finding
from kpitui.rules.findings import collect_findings


def analyze(
    tree: KpiTree,
    as_of: date | None = None,
    graph: KpiGraph | None = None,
    extra_rows: list[tuple[str, date, float]] | None = None,
    measurements: Measurements | None = None,
) -> Analysis:
    """Analyse a tree at a date (docs/contract.md) and find its problems (docs/contract.md#findings).

    Args:
        extra_rows: measurements recorded but not yet saved.
        measurements: the tree's measurements file as already read (time travel reuses it);
            read from disk when None.
    """
    analysis = compute(tree, as_of, graph, extra_rows, measurements)
    state = analysis.state
    assert state is not None  # compute always keeps what an update starts from
    findings = judge(analysis)
    state.groups, state.pairs = split_findings(findings)
    state.many = {k for k in state.pairs if len(k) > 2}
    state.counts = count_open(findings)
    return analysis


def judge(analysis: Analysis) -> list[Finding]:
    """Run the rules over an analysis and keep their findings on it, in the order they are listed:
    most severe first, then in file order of their nodes, then by code."""
    order = analysis.graph.order
    findings = collect_findings(analysis)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], order.get(f.node or "", -1), f.code))
    analysis.findings = findings
    return findings
