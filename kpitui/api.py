"""The Python API: a tree analysed as kpitui analyses it, for a notebook's own questions.

    import kpitui
    tree = kpitui.load("sample_trees/webshop.toml")
    tree.results            # a polars DataFrame: the export's columns, typed, one row a node
    tree.graph              # a networkx MultiDiGraph of the tree's links, nodes carrying their values
    tree.findings           # every finding, most severe first

The graph's edges point the way value and strategy flow: `parent` from a node to each of its
parents, `drives` from a formula's input to the formula node, `influence` from a node to the
one it pushes (with `sign` +1 or -1), `conflict` both ways between a declared pair. Each node
carries the export's row for it (name, kind, owner, unit, target, actual, expected,
attainment, status, forecast, …) and `findings`, the codes of the findings shown on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpitui.analysis.results import Analysis
from kpitui.engine import analyze
from kpitui.io.loader import load_tree
from kpitui.model.domain import Finding
from kpitui.outputs.spreadsheet import frame

if TYPE_CHECKING:
    import networkx
    import polars


@dataclass
class Tree:
    """A tree file analysed at a date."""

    analysis: Analysis
    _graph: Any = field(default=None, repr=False)
    _results: Any = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.analysis.tree.path

    @property
    def as_of(self) -> date:
        return self.analysis.as_of

    @property
    def findings(self) -> list[Finding]:
        """Every finding, most severe first, then in file order of their nodes."""
        return self.analysis.findings

    @property
    def results(self) -> polars.DataFrame:
        """The export's columns (`kpitui export`), typed: one row a node, in tree order."""
        if self._results is None:
            self._results = frame(self.analysis)
        results: polars.DataFrame = self._results
        return results

    @property
    def graph(self) -> networkx.MultiDiGraph:
        """The tree's links as a networkx MultiDiGraph, each node carrying its values and findings."""
        if self._graph is None:
            self._graph = _graph(self.analysis, self.results)
        return self._graph


def load(path: str | os.PathLike[str], as_of: date | None = None) -> Tree:
    """Load and analyse a tree file (at `as_of`, else its `as_of`, else today).

    Raises:
        TreeLoadError: the file is not a usable tree; `str()` of it lists every reason.
    """
    return Tree(analyze(load_tree(path), as_of))


def _graph(analysis: Analysis, results: polars.DataFrame) -> networkx.MultiDiGraph:
    import networkx as nx

    links = analysis.graph
    graph = nx.MultiDiGraph(title=analysis.tree.settings.title, as_of=analysis.as_of)
    for row in results.iter_rows(named=True):
        node_id = row["id"]
        codes = list(dict.fromkeys(f.code for f in analysis.findings_of(node_id)))
        values = {k: v for k, v in row.items() if k != "id"}
        values["findings"] = codes  # a list here, where the export joins them with ';'
        graph.add_node(node_id, **values)
    for node_id in analysis.tree.nodes:
        for parent in links.parents_of(node_id):
            graph.add_edge(node_id, parent, key="parent")
        for formula_node in links.drives(node_id):
            graph.add_edge(node_id, formula_node, key="drives")
        for other, sign in links.influence.get(node_id, {}).items():
            graph.add_edge(node_id, other, key="influence", sign=sign)
    for pair in sorted(links.declared, key=lambda p: sorted(links.order[n] for n in p)):
        a, b = sorted(pair, key=links.order.__getitem__)
        graph.add_edge(a, b, key="conflict")
        graph.add_edge(b, a, key="conflict")
    return graph
