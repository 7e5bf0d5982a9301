"""The `kpitui check` report for people: grouped by severity (annotations.py has the formats for CI)."""

from __future__ import annotations

from collections import Counter

from kpitui.core.analysis import Analysis
from kpitui.core.model import SEVERITY_ORDER, Finding
from kpitui.core.text import safe_text

GROUPS = (("error", "Errors", "✗"), ("warning", "Warnings", "!"), ("info", "Info", "i"))
COLOURS = {"error": "\033[1;31m", "warning": "\033[33m", "info": "\033[36m"}
DIM, BOLD, RESET = "\033[2m", "\033[1m", "\033[0m"


def summary(findings: list[Finding]) -> dict[str, int]:
    """Open (not accepted) findings counted by code, in order of first appearance."""
    return dict(Counter(f.code for f in findings if not f.accepted))


def fails(findings: list[Finding], fail_on: str) -> bool:
    """Whether any finding is at or above the `--fail-on` level."""
    if fail_on == "never":
        return False
    limit = SEVERITY_ORDER[fail_on]
    return any(SEVERITY_ORDER[f.severity] <= limit for f in findings if not f.accepted)


def as_text(analysis: Analysis, colour: bool) -> str:
    """The report for a person: a header, findings grouped by severity, a one-line summary."""

    def paint(code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if colour else text

    tree = analysis.tree
    lines = [paint(BOLD, safe_text(f"{tree.display_name} — {tree.path} — as of {analysis.as_of}")), ""]

    def where(f: Finding) -> str:
        if f.node is not None and f.node in tree.nodes:
            return " " + paint(DIM, safe_text(analysis.path_text(f.node)))
        return ""

    for severity, title, mark in GROUPS:
        group = [f for f in analysis.findings if f.severity == severity and not f.accepted]
        if not group:
            continue
        lines.append(paint(COLOURS[severity], f"{title} ({len(group)})"))
        for f in group:
            lines.append(f"  {paint(COLOURS[severity], mark)} {f.code}{where(f)}")
            lines.append(f"      {safe_text(f.message)}")
        lines.append("")
    accepted = [f for f in analysis.findings if f.accepted]
    if accepted:
        lines.append(paint(DIM, f"Accepted ({len(accepted)}): reported, not counted"))
        for f in accepted:
            lines.append(paint(DIM, f"  ✓ {f.code} ({f.severity}){where(f)}"))
            lines.append(paint(DIM, safe_text(f"      accepted: {f.reason}")))
            lines.append(paint(DIM, safe_text(f"      {f.message}")))
        lines.append("")
    lines.append(_summary_line(analysis))
    return "\n".join(lines) + "\n"


def _summary_line(analysis: Analysis) -> str:
    open_findings = [f for f in analysis.findings if not f.accepted]
    counts = Counter(f.severity for f in open_findings)
    codes = Counter(f.code for f in open_findings)
    # As in the TUI header: declared pairs the data does not question are managed tensions.
    conflicts = sum(f.conflicting_pairs for f in open_findings if f.severity != "info")
    nodes = len(analysis.tree.nodes)
    accepted = len(analysis.findings) - len(open_findings)
    also = f" ({accepted} accepted finding(s) not counted)" if accepted else ""
    if not open_findings:
        return f"{nodes} nodes, no findings: the tree is in order{also}."
    parts = [
        f"{counts['error']} error(s)",
        f"{counts['warning']} warning(s)",
        f"{counts['info']} info",
    ]
    highlights = [
        f"{codes['orphan']} orphan(s)",
        f"{conflicts} conflict(s)",
        f"{codes['off_track']} off track",
    ]
    return f"{nodes} nodes: {', '.join(parts)} — {', '.join(highlights)}{also}."
