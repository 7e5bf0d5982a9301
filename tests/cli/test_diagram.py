"""`kpitui diagram`: Mermaid and Graphviz DOT of the tree, checked by parsing them back."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pydot
import pytest

from kpitui.cli import main
from kpitui.engine import analyze
from kpitui.io.loader import load_tree
from kpitui.outputs.diagram import COLOURS
from tests.conftest import SAMPLES

TREE = """\
[nodes.g]
name = "Goal \\"1\\" <x>"
kind = "goal"

[nodes.a]
name = "A # one"
parent = "g"
target = 10
actual = 10
conflicts = ["b"]
influences = { c = "-" }

[nodes.b]
name = "B"
parent = "g"
target = 10
actual = 5

[nodes.c]
name = "C"
parent = "g"

[nodes.lost]
name = "Lost\\u001b[2J"
target = 10
actual = 9
"""


def unquote(text: str) -> str:
    return text[1:-1].replace('\\"', '"').replace("\\\\", "\\") if text.startswith('"') else text


def draw(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["diagram", *args]) == 0
    return capsys.readouterr().out


@pytest.fixture
def tree(write_tree: Callable[..., Path]) -> str:
    return str(write_tree(TREE))


def test_dot_nodes_edges_colours_and_orphans(tree: str, capsys: pytest.CaptureFixture[str]) -> None:
    graph = pydot.graph_from_dot_data(draw(capsys, tree, "--format", "dot"))[0]
    nodes = {unquote(n.get_name()): n for n in graph.get_nodes() if n.get_name() not in ("node", "edge", "graph")}
    assert set(nodes) == {"g", "a", "b", "c"}
    assert unquote(nodes["a"].get("label")) == "A # one\\n10 / 10\\non track"
    # The goal has no numbers of its own: no own status, only what is below it (b is off track).
    assert unquote(nodes["g"].get("label")) == 'Goal "1" <x>\\n▾ off track below'
    assert unquote(nodes["b"].get("fillcolor")) == COLOURS["off_track"][0]
    assert unquote(nodes["a"].get("fillcolor")) == COLOURS["on_track"][0]
    assert unquote(nodes["c"].get("fillcolor")) == COLOURS["unknown"][0]
    assert unquote(nodes["g"].get("fillcolor")) == COLOURS["unknown"][0]  # its own, not the rolled-up status
    assert unquote(nodes["g"].get("color")) == COLOURS["off_track"][1]  # the border: what is below it
    assert unquote(nodes["g"].get("style")) == "rounded,filled,dashed"
    assert nodes["b"].get("style") is None  # a node with nothing worse below it: the default box
    (cluster,) = graph.get_subgraphs()
    assert cluster.get_name() == "cluster_orphans"
    (lost,) = cluster.get_nodes()
    assert unquote(lost.get_name()) == "lost"
    assert unquote(lost.get("label")) == "Lost\\x1b[2J\\n9 / 10\\nat risk"
    assert unquote(lost.get("fillcolor")) == COLOURS["at_risk"][0]
    edges = {(unquote(e.get_source()), unquote(e.get_destination())): e for e in graph.get_edges()}
    assert set(edges) == {("g", "a"), ("g", "b"), ("g", "c"), ("a", "b"), ("a", "c")}
    assert edges[("g", "a")].get("style") is None
    for pair, kind in ((("a", "b"), "declared"), (("a", "c"), "influence")):
        assert edges[pair].get("style") == "dashed"
        assert edges[pair].get("dir") == "none"
        assert unquote(edges[pair].get("label")) == kind


def test_dot_reads_as_a_networkx_graph(capsys: pytest.CaptureFixture[str]) -> None:
    import networkx as nx

    parsed = pydot.graph_from_dot_data(draw(capsys, str(SAMPLES / "webshop.toml"), "--format", "dot"))[0]
    graph = nx.nx_pydot.from_pydot(parsed)
    analysis = analyze(load_tree(SAMPLES / "webshop.toml"))
    # networkx leaves out nodes that sit only in a cluster: the orphan group holds those.
    cluster = {unquote(n.get_name()) for n in parsed.get_subgraphs()[0].get_nodes()}
    assert cluster == {"instagram"}
    ids = ({unquote(n) for n in graph.nodes} | cluster) - {"node"}
    assert ids == set(analysis.tree.nodes)
    parent_links = sum(len(analysis.graph.children(n)) for n in analysis.tree.nodes)
    dashed = [e for e in graph.edges(data=True) if e[2].get("style") == "dashed"]
    assert graph.number_of_edges() - len(dashed) == parent_links


def test_mermaid_structure(tree: str, capsys: pytest.CaptureFixture[str]) -> None:
    lines = draw(capsys, tree).splitlines()
    assert lines[0] == "flowchart TD"
    node = re.compile(r'^\s+(n\d+)\["([^"]*)"\]:::(on_track|at_risk|off_track|unknown)$')
    link = re.compile(r"^  (n\d+) --> (n\d+)$")
    dashed = re.compile(r'^  (n\d+) -\. "(declared|influence|declared, influence) conflict" \.- (n\d+)$')
    classdef = re.compile(r"^  classDef (on_track|at_risk|off_track|unknown) fill:#[0-9A-F]{6},stroke:#[0-9A-F]{6},")
    below = re.compile(r"^  style (n\d+) stroke:(#[0-9A-F]{6}),stroke-width:3px,stroke-dasharray:6 3$")
    hangs = re.compile(r"^  (n\d+) ~~~ orphans$")
    declared: dict[str, tuple[str, str]] = {}
    bordered: dict[str, str] = {}
    links, conflicts, orphans, under, inside = [], [], [], [], False
    for line in lines[1:]:
        if line == '  subgraph orphans["Serving no goal"]':
            inside = True
        elif line == "  end":
            inside = False
        elif m := node.match(line):
            declared[m[1]] = (m[2], m[3])
            if inside:
                orphans.append(m[1])
        elif m := link.match(line):
            links.append((m[1], m[2]))
        elif m := dashed.match(line):
            conflicts.append((m[1], m[2], m[3]))
        elif m := below.match(line):
            bordered[m[1]] = m[2]
        elif m := hangs.match(line):
            under.append(m[1])
        else:
            assert classdef.match(line), line
    by_name = {label.split("<br/>")[0]: ref for ref, (label, _) in declared.items()}
    assert declared[by_name["Goal #quot;1#quot; #lt;x#gt;"]] == (
        "Goal #quot;1#quot; #lt;x#gt;<br/>▾ off track below",
        "unknown",
    )
    assert declared[by_name["A #35; one"]] == ("A #35; one<br/>10 / 10<br/>on track", "on_track")
    assert declared[by_name["C"]] == ("C<br/>unknown", "unknown")  # no value, no target: no line for them
    assert orphans == [by_name["Lost\\x1b[2J"]]
    g, a, b, c = (by_name[n] for n in ("Goal #quot;1#quot; #lt;x#gt;", "A #35; one", "B", "C"))
    assert links == [(g, a), (g, b), (g, c)]
    assert under == [a]  # the group of orphans hangs below the tree's lowest node
    assert conflicts == [(a, "declared", b), (a, "influence", c)]
    assert bordered == {g: COLOURS["off_track"][1]}
    assert all(ref in declared for pair in links for ref in pair)


AHEAD = """\
[tree]
as_of = 2026-07-02
period = { start = 2026-01-01, end = 2026-12-31 }

[nodes.mrr]
name = "MRR"
kind = "goal"
target = 100
actual = 107

[nodes.new]
name = "Nieuwe klanten"
parent = "mrr"
target = 40
actual = 20

[nodes.kept]
name = "Behouden klanten"
parent = "mrr"
target = 60
actual = 87
"""


def test_a_node_ahead_with_a_child_off_track_is_drawn_on_track(
    write_tree: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # MRR at 107% of its target is on track; one child lags. Its box is on track (fill and first
    # line) and says, with a dashed border in off track's colour, that something below is off track.
    tree = str(write_tree(AHEAD))
    graph = pydot.graph_from_dot_data(draw(capsys, tree, "--format", "dot"))[0]
    nodes = {unquote(n.get_name()): n for n in graph.get_nodes()}
    mrr = nodes["mrr"]
    assert unquote(mrr.get("label")) == "MRR\\n107 / 100\\non track\\n▾ off track below"
    assert unquote(mrr.get("fillcolor")) == COLOURS["on_track"][0]
    assert unquote(mrr.get("fontcolor")) == COLOURS["on_track"][2]
    assert (unquote(mrr.get("color")), unquote(mrr.get("style"))) == (COLOURS["off_track"][1], "rounded,filled,dashed")
    assert unquote(nodes["new"].get("label")) == "Nieuwe klanten\\n20 / 40\\noff track"
    lines = draw(capsys, tree).splitlines()
    assert '  n0["MRR<br/>107 / 100<br/>on track<br/>▾ off track below"]:::on_track' in lines
    assert f"  style n0 stroke:{COLOURS['off_track'][1]},stroke-width:3px,stroke-dasharray:6 3" in lines
    assert not [line for line in lines if line.startswith(("  style n1", "  style n2"))]


def test_output_file_and_format_from_its_name(tree: str, tmp_path: Path) -> None:
    out = tmp_path / "tree.dot"
    assert main(["diagram", tree, "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("digraph kpitree {")
    out = tmp_path / "tree.mmd"
    assert main(["diagram", tree, "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("flowchart TD\n")


def test_a_tree_that_does_not_load_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", str(tmp_path / "nope.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_renders_every_sample(tmp_path: Path) -> None:
    for sample in sorted(SAMPLES.glob("*.toml")):
        out = tmp_path / "tree.dot"
        assert main(["diagram", str(sample), "-o", str(out)]) == 0
        svg = subprocess.run(["dot", "-Tsvg", str(out)], check=True, capture_output=True, text=True).stdout
        assert "<svg" in svg


def mermaid_blocks(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Where each box sits (the innermost subgraph holding it, "" for none) and every link (from, kind, to)."""
    where: dict[str, str] = {}
    links: list[tuple[str, str, str]] = []
    stack = [""]
    for line in text.splitlines()[1:]:
        words = line.split()
        if words[0] == "subgraph":
            stack.append(words[1].split("[")[0])
        elif words == ["end"]:
            stack.pop()
        elif m := re.match(r'^\s+(\w+)\["[^"]*"\]:::(\w+)$', line):
            where[m[1]] = stack[-1] if m[2] != "blank" else "blank " + stack[-1]  # an empty cell of a row
        elif m := re.match(r"^\s+(\w+) (-->|~~~|-\.) .*?(\w+)$", line):
            links.append((m[1], m[2], m[3]))
    return where, links


def test_mermaid_puts_the_orphans_below_the_tree_with_no_link_into_them(capsys: pytest.CaptureFixture[str]) -> None:
    # On the sales sample the group sat beside the goal, and the goal's link to its objective ran
    # through it: the objective seemed to serve no goal.
    where, links = mermaid_blocks(draw(capsys, str(SAMPLES / "sales.toml")))
    inside = {ref for ref, block in where.items() if block == "orphans"}
    assert len(inside) == 4
    into = [(a, kind, b) for a, kind, b in links if (b in inside or b == "orphans") and a not in inside]
    assert len(into) == 1 and into[0][1:] == ("~~~", "orphans")  # only the invisible link that puts it below
    assert where[into[0][0]] == ""  # from a node of the tree itself


def test_mermaid_boxes_show_value_against_target(capsys: pytest.CaptureFixture[str]) -> None:
    text = draw(capsys, str(SAMPLES / "webshop.toml"))
    # The value's line follows the name; the status lines follow it.
    assert '["Online omzet €1,2M<br/>540k / 1.2M EUR<br/>' in text
    assert '["CPA (kosten per aankoop)<br/>14.5 / 12 EUR<br/>off track"]:::off_track' in text
    assert '["Conversieratio<br/>2.1 / 2.8%<br/>off track"]:::off_track' in text


def wide_tree(objectives: int, kpis: int) -> str:
    text = '[nodes.g]\nname = "Goal"\nkind = "goal"\n'
    for o in range(objectives):
        text += f'[nodes.o{o}]\nname = "O{o}"\nkind = "objective"\nparent = "g"\n'
    for k in range(kpis):
        parent = f"o{k % objectives}" if objectives else "g"
        text += f'[nodes.k{k}]\nname = "K{k}"\nparent = "{parent}"\ntarget = 100\nactual = {k}\n'
    return text


@pytest.mark.parametrize(
    ("objectives", "kpis", "rows"),
    [
        (0, 26, [6, 6, 6, 6, 2]),  # 27 nodes in one row were 5,865 px wide: now 6 boxes across
        (3, 23, [3, 3, 2]),  # three boxes of 8, 8 and 7 leaves, 3 columns each: 9 across
    ],
)
def test_mermaid_wraps_the_leaves_of_a_wide_tree_in_boxes(
    objectives: int, kpis: int, rows: list[int], write_tree: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    text = draw(capsys, str(write_tree(wide_tree(objectives, kpis))))
    assert text.startswith("flowchart TD\n")
    where, links = mermaid_blocks(text)
    boxes = sorted({block for block in where.values() if block and not block.startswith("blank")})
    assert len(boxes) == max(1, objectives)
    parents = [a for a, kind, b in links if kind == "-->" and b in boxes]
    assert len(parents) == len(boxes)  # one link from each parent to its box, none to the leaves in it
    assert not [b for a, kind, b in links if kind == "-->" and where.get(b)]
    first = boxes[0]
    chains = dict((a, b) for a, kind, b in links if kind == "~~~" and where.get(a) == first)
    # Columns are chains of invisible links down; the top row holds the boxes no link leads into.
    row = [ref for ref, block in where.items() if block == first and ref not in chains.values()]
    counts = []
    while row:
        counts.append(sum(1 for ref in row if where[ref] == first))  # empty cells pad the last row
        row = [chains[ref] for ref in row if ref in chains]
    assert counts == rows
