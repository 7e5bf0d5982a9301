"""`kpitui diagram`: the tree as Mermaid (for wikis and Markdown) or Graphviz DOT (for slides).

Nodes are labelled with name and status and coloured by rollup status; parent links run
from goal down; nodes serving no goal sit apart in their own group; declared and
influence conflicts are dashed lines without arrows.
"""

from __future__ import annotations

from kpitui.analysis.results import Analysis
from kpitui.common.text import safe_text

# Fill, line and text colour per rollup status (the spreadsheet's greens, yellows, reds).
COLOURS: dict[str, tuple[str, str, str]] = {
    "on_track": ("#C6EFCE", "#006100", "#006100"),
    "at_risk": ("#FFEB9C", "#9C5700", "#9C5700"),
    "off_track": ("#FFC7CE", "#9C0006", "#9C0006"),
    "unknown": ("#EEEEEE", "#666666", "#333333"),
}
CONFLICT_COLOUR = "#9C0006"
ORPHANS = "Serving no goal"
FORMATS = ("mermaid", "dot")


def _visible(text: str) -> str:
    """Control characters shown as escapes, so a label never carries them."""
    return safe_text(text)


def _status_text(status: str) -> str:
    return status.replace("_", " ")


def _conflicts(analysis: Analysis) -> list[tuple[str, str, str]]:
    """(a, b, kind) for each declared or influence pair, once, in the analysis' order."""
    seen: dict[frozenset[str], tuple[str, str, str]] = {}
    for c in analysis.conflicts:
        if c.kind in ("declared", "influence"):
            pair = frozenset((c.a, c.b))
            if pair in seen and seen[pair][2] != c.kind:
                seen[pair] = (seen[pair][0], seen[pair][1], "declared, influence")
            else:
                seen.setdefault(pair, (c.a, c.b, c.kind))
    return list(seen.values())


def _order(analysis: Analysis) -> list[str]:
    return list(analysis.walk.order)


def mermaid(analysis: Analysis) -> str:
    """A Mermaid flowchart, top down."""
    order = _order(analysis)
    ref = {node_id: f"n{i}" for i, node_id in enumerate(order)}
    results = analysis.results
    lines = ["flowchart TD"]
    for status, (fill, stroke, text) in COLOURS.items():
        lines.append(f"  classDef {status} fill:{fill},stroke:{stroke},color:{text}")

    def node_line(node_id: str, indent: str) -> str:
        status = results[node_id].rollup_status
        label = _mermaid_text(analysis.tree.nodes[node_id].name) + "<br/>" + _status_text(status)
        return f'{indent}{ref[node_id]}["{label}"]:::{status}'

    orphans = [n for n in order if results[n].orphaned]
    lines += [node_line(n, "  ") for n in order if not results[n].orphaned]
    if orphans:
        lines.append(f'  subgraph orphans["{ORPHANS}"]')
        lines += [node_line(n, "    ") for n in orphans]
        lines.append("  end")
    for node_id in order:
        for child in analysis.graph.children(node_id):
            lines.append(f"  {ref[node_id]} --> {ref[child]}")
    for a, b, kind in _conflicts(analysis):
        lines.append(f'  {ref[a]} -. "{kind} conflict" .- {ref[b]}')
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    text = _visible(text).replace("#", "#35;").replace('"', "#quot;")
    return text.replace("<", "#lt;").replace(">", "#gt;")


def _dot_id(text: str) -> str:
    return '"' + _visible(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(analysis: Analysis) -> str:
    """A Graphviz digraph, top down."""
    order = _order(analysis)
    results = analysis.results
    title = analysis.tree.display_name
    lines = [
        "digraph kpitree {",
        f"  label={_dot_id(title)};",
        "  labelloc=t;",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    ]

    def node_line(node_id: str, indent: str) -> str:
        status = results[node_id].rollup_status
        fill, stroke, text = COLOURS[status]
        name = _visible(analysis.tree.nodes[node_id].name).replace("\\", "\\\\").replace('"', '\\"')
        label = f'"{name}\\n{_status_text(status)}"'
        attrs = f'label={label}, fillcolor="{fill}", color="{stroke}", fontcolor="{text}"'
        return f"{indent}{_dot_id(node_id)} [{attrs}];"

    lines += [node_line(n, "  ") for n in order if not results[n].orphaned]
    orphans = [n for n in order if results[n].orphaned]
    if orphans:
        lines.append("  subgraph cluster_orphans {")
        lines.append(f'    label="{ORPHANS}";')
        lines.append("    style=dashed;")
        lines += [node_line(n, "    ") for n in orphans]
        lines.append("  }")
    for node_id in order:
        for child in analysis.graph.children(node_id):
            lines.append(f"  {_dot_id(node_id)} -> {_dot_id(child)};")
    for a, b, kind in _conflicts(analysis):
        attrs = f'dir=none, style=dashed, color="{CONFLICT_COLOUR}", fontcolor="{CONFLICT_COLOUR}", label="{kind}"'
        lines.append(f"  {_dot_id(a)} -> {_dot_id(b)} [{attrs}, constraint=false];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def diagram(analysis: Analysis, form: str) -> str:
    """The diagram in `form` (mermaid or dot)."""
    return dot(analysis) if form == "dot" else mermaid(analysis)
