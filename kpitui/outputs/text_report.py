"""The `kpitui check` report for people: grouped by severity (annotations.py has the formats for CI)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping

from kpitui.analysis.results import Analysis
from kpitui.analysis.walk import PATH_LIMIT
from kpitui.common.text import safe_text
from kpitui.model.domain import SEVERITY_ORDER, Finding

GROUPS = (("error", "Errors", "✗"), ("warning", "Warnings", "!"), ("info", "Info", "i"))
COLOURS = {"error": "\033[1;31m", "warning": "\033[33m", "info": "\033[36m"}
DIM, BOLD, RESET = "\033[2m", "\033[1m", "\033[0m"


def colour_wanted(terminal: bool, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether a report for people is coloured: NO_COLOR (set, not empty) never; else FORCE_COLOR
    (set, not empty) always, as in a CI log that shows colours; else only on a terminal."""
    if environ.get("NO_COLOR"):
        return False
    return bool(environ.get("FORCE_COLOR")) or terminal


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

    paths = _Paths(analysis)

    def where(f: Finding) -> str:
        if f.node is not None and f.node in tree.nodes:
            return " " + paint(DIM, paths.text(f.node))
        return ""

    groups: dict[str, list[Finding]] = {severity: [] for severity, _, _ in GROUPS}
    for f in analysis.findings:
        if not f.accepted:
            groups[f.severity].append(f)
    for severity, title, mark in GROUPS:
        group = groups[severity]
        if not group:
            continue
        lines.append(paint(COLOURS[severity], f"{title} ({len(group)})"))
        marker = paint(COLOURS[severity], mark)
        for f in group:
            lines.append(f"  {marker} {f.code}{where(f)}")
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


class _Paths:
    """Each node's path as `Analysis.path_text` words it, made safe for a terminal; a path is
    its parent's and one more name, so each is built once from the one above it."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.walk = analysis.walk
        self.names = analysis.tree.nodes
        self.known: dict[str, str] = {}

    def text(self, node_id: str) -> str:
        """The node's path, `safe_text` applied."""
        found = self.known.get(node_id)
        if found is not None:
            return found
        if self.walk.depth[node_id] >= PATH_LIMIT:  # shortened: as path_text has it
            return safe_text(self.analysis.path_text(node_id))
        up, known, names = self.walk.up, self.known, self.names
        climbed: list[str] = []
        current: str | None = node_id
        while current is not None and current not in known:
            climbed.append(current)
            current = up[current]
        above = known[current] if current is not None else None
        for n in reversed(climbed):
            # Escaping works character by character: the names' escapes joined are the path's.
            name = safe_text(names[n].name)
            above = known[n] = name if above is None else f"{above} > {name}"
        return known[node_id]


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
