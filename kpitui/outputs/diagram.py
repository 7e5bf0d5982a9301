"""`kpitui diagram`: the tree as Mermaid (for wikis and Markdown) or Graphviz DOT (for slides).

Nodes are labelled with name and their own status and filled in its colour; where something
below a node is worse than its own status (its rolled-up status), the label says so (`▾ off
track below`) and the border is dashed in that status's colour — a node's rolled-up status is
never drawn as its own. Parent links run from goal down; nodes serving no goal sit apart in
their own group; declared and influence conflicts are dashed lines without arrows.

Each box shows the node's value against its target, as the TUI's tree line does. A wide
tree stays readable in Mermaid: a parent's leaves (KPIs without children of their own,
another parent or a conflict line) are wrapped in a box of a few columns, one link from the parent
to the box, as few columns as keep the widest row of boxes within ACROSS; the nodes
serving no goal sit below the tree, tied there by an invisible link, so no parent link
runs through their group.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from kpitui.analysis.results import Analysis
from kpitui.common.format import amount, digits_apart
from kpitui.common.text import safe_text

# Fill, line and text colour per status (the spreadsheet's greens, yellows, reds).
COLOURS: dict[str, tuple[str, str, str]] = {
    "on_track": ("#C6EFCE", "#006100", "#006100"),
    "at_risk": ("#FFEB9C", "#9C5700", "#9C5700"),
    "off_track": ("#FFC7CE", "#9C0006", "#9C0006"),
    "unknown": ("#EEEEEE", "#666666", "#333333"),
}
CONFLICT_COLOUR = "#9C0006"
ORPHANS = "Serving no goal"
FORMATS = ("mermaid", "dot")
# Boxes side by side at most, where wrapping leaves can keep to it (a box is some 150-250 px
# wide: ten fill a wiki page or a slide); the columns of a box of leaves, widest first.
ACROSS = 10
COLUMNS = (6, 5, 4, 3, 2)
GROUP_STYLE = "fill:none,stroke:#BBBBBB"


def _visible(text: str) -> str:
    """Control characters shown as escapes, so a label never carries them."""
    return safe_text(text)


def _status_text(status: str) -> str:
    return status.replace("_", " ")


def _statuses(analysis: Analysis, node_id: str) -> tuple[str, str | None, list[str]]:
    """(its own status, the worse status below it or None, the label's lines after the name).

    A node without its own status (no target or actual) says only what is below it."""
    own = analysis.results[node_id].status
    lag = analysis.lagging(node_id)
    below = lag[0] if lag is not None and lag[0] != "unknown" else None
    lines = [] if own == "unknown" and below is not None else [_status_text(own)]
    if below is not None:
        lines.append(f"▾ {_status_text(below)} below")
    return own, below, lines


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


def _value_lines(analysis: Analysis, node_id: str) -> list[str]:
    """[`actual / target unit`], as the TUI's tree line shows it; [] for a node with neither."""
    result = analysis.results[node_id]
    if result.actual is None and result.target is None:
        return []
    digits = digits_apart(result.actual, result.target)
    unit = analysis.tree.nodes[node_id].unit
    return [f"{amount(result.actual, None, digits)} / {amount(result.target, unit, digits)}"]


@dataclass(frozen=True)
class _Group:
    """A parent's leaves, wrapped: `rows` of `columns` boxes, row by row, None for an empty cell."""

    parent: str
    cells: list[list[str | None]]


def _groups(analysis: Analysis, order: list[str]) -> dict[str, _Group]:
    """The boxes of leaves, by parent: a parent's leaves are wrapped when there are more of them
    than the columns that keep the tree within ACROSS boxes side by side (fewest wrapped first)."""
    graph, up = analysis.graph, analysis.walk.up
    kids: dict[str, list[str]] = {}
    for node_id in order:
        parent = up.get(node_id)
        if parent is not None:
            kids.setdefault(parent, []).append(node_id)
    # A conflict's dashed line ranks its ends as a parent link does: a leaf drawn with one stays
    # out of the boxes, whose rows it would pull apart.
    conflicting = {end for a, b, _ in _conflicts(analysis) for end in (a, b)}
    leaves = {
        parent: [
            c for c in children if not graph.children(c) and graph.parents_of(c) == [parent] and c not in conflicting
        ]
        for parent, children in kids.items()
    }
    served_roots = [n for n in order if up.get(n) is None and not analysis.results[n].orphaned]

    def across(columns: int) -> int:
        width: dict[str, int] = {}
        for node_id in reversed(order):  # children before their parent in a depth-first order
            own = leaves.get(node_id, [])
            wrapped = len(own) > columns
            rest = sum(width.get(c, 1) for c in kids.get(node_id, []) if not (wrapped and c in own))
            width[node_id] = max(1, rest + (columns if wrapped else 0))
        return sum(width[r] for r in served_roots)

    columns = next((c for c in COLUMNS if across(c) <= ACROSS), COLUMNS[-1])
    groups: dict[str, _Group] = {}
    for parent, own in leaves.items():
        if len(own) > columns:
            rows = math.ceil(len(own) / columns)
            wide = math.ceil(len(own) / rows)  # as few empty cells as the rows allow
            padded: list[str | None] = [*own, *[None] * (rows * wide - len(own))]
            groups[parent] = _Group(parent, [padded[r * wide : (r + 1) * wide] for r in range(rows)])
    return groups


def mermaid(analysis: Analysis) -> str:
    """A Mermaid flowchart, top down, wide trees wrapped (see the module's doc)."""
    order = _order(analysis)
    ref = {node_id: f"n{i}" for i, node_id in enumerate(order)}
    results = analysis.results
    groups = _groups(analysis, order)
    box = {parent: f"w{i}" for i, parent in enumerate(groups)}
    grouped = {leaf: parent for parent, g in groups.items() for row in g.cells for leaf in row if leaf is not None}
    lines = ["flowchart TD"]
    for status, (fill, stroke, text) in COLOURS.items():
        lines.append(f"  classDef {status} fill:{fill},stroke:{stroke},color:{text}")
    if any(None in row for g in groups.values() for row in g.cells):
        lines.append("  classDef blank fill:none,stroke:none")

    def node_line(node_id: str, indent: str) -> str:
        status, below, more = _statuses(analysis, node_id)
        values = [_mermaid_text(v) for v in _value_lines(analysis, node_id)]
        label = "<br/>".join([_mermaid_text(analysis.tree.nodes[node_id].name), *values, *more])
        if below is not None:
            styles.append(f"  style {ref[node_id]} stroke:{COLOURS[below][1]},stroke-width:3px,stroke-dasharray:6 3")
        return f'{indent}{ref[node_id]}["{label}"]:::{status}'

    styles: list[str] = []

    def group_lines(parent: str, indent: str) -> list[str]:
        group, name = groups[parent], box[parent]
        cells = [
            [ref[c] if c is not None else f"{name}c{r * len(row) + i}" for i, c in enumerate(row)]
            for r, row in enumerate(group.cells)
        ]
        out = [f'{indent}subgraph {name}[" "]', f"{indent}  direction TB"]
        for row, row_refs in zip(group.cells, cells, strict=True):
            for leaf, leaf_ref in zip(row, row_refs, strict=True):
                out.append(node_line(leaf, indent + "  ") if leaf is not None else f'{indent}  {leaf_ref}[" "]:::blank')
        # Each column a chain of invisible links: the rows stack, the cells of a row sit side by side.
        for upper, lower in itertools.pairwise(cells):
            out += [f"{indent}  {a} ~~~ {b}" for a, b in zip(upper, lower, strict=True)]
        out.append(f"{indent}end")
        return out

    def place(nodes: list[str], indent: str) -> list[str]:
        out: list[str] = []
        for node_id in nodes:
            if node_id not in grouped:
                out.append(node_line(node_id, indent))
            if node_id in groups:
                out += group_lines(node_id, indent)
        return out

    orphans = [n for n in order if results[n].orphaned]
    served = [n for n in order if not results[n].orphaned]
    lines += place(served, "  ")
    if orphans:
        lines.append(f'  subgraph orphans["{ORPHANS}"]')
        lines += place(orphans, "    ")
        lines.append("  end")
    for node_id in order:
        wrapped = False
        for child in analysis.graph.children(node_id):
            if grouped.get(child) == node_id:
                if not wrapped:
                    lines.append(f"  {ref[node_id]} --> {box[node_id]}")
                wrapped = True
            else:
                lines.append(f"  {ref[node_id]} --> {ref[child]}")
    for a, b, kind in _conflicts(analysis):
        lines.append(f'  {ref[a]} -. "{kind} conflict" .- {ref[b]}')
    if orphans and served:
        # Below the tree, not beside its top: a group beside the goals had parent links run through it.
        lines.append(f"  {_bottom(analysis, served, groups, ref, box)} ~~~ orphans")
    lines += [f"  style {name} {GROUP_STYLE}" for name in box.values()]
    lines += styles
    return "\n".join(lines) + "\n"


def _bottom(
    analysis: Analysis,
    served: list[str],
    groups: dict[str, _Group],
    ref: dict[str, str],
    box: dict[str, str],
) -> str:
    """What sits lowest in the tree: its deepest node, or the box of leaves whose last row is lowest."""
    depth = analysis.walk.depth
    inside = {leaf for g in groups.values() for row in g.cells for leaf in row}
    lowest, low = ref[served[0]], -1
    for node_id in (n for n in served if n not in inside):
        here = depth.get(node_id, 0)
        if here > low:
            lowest, low = ref[node_id], here
        if node_id in groups and here + len(groups[node_id].cells) > low:
            lowest, low = box[node_id], here + len(groups[node_id].cells)
    return lowest


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
        status, below, more = _statuses(analysis, node_id)
        fill, stroke, text = COLOURS[status]
        parts = [analysis.tree.nodes[node_id].name, *_value_lines(analysis, node_id)]
        name = "\\n".join(_visible(p).replace("\\", "\\\\").replace('"', '\\"') for p in parts)
        label = '"' + "\\n".join([name, *more]) + '"'
        if below is not None:  # the border says what lags below it
            stroke = COLOURS[below][1]
        attrs = f'label={label}, fillcolor="{fill}", color="{stroke}", fontcolor="{text}"'
        if below is not None:
            attrs += ', style="rounded,filled,dashed", penwidth=2'
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
