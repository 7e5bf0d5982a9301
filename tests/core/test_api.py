"""`kpitui.load()`: the analysis as a polars table and a networkx graph, the numbers the TUI shows."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from importlib.metadata import version

import networkx as nx
import pytest

import kpitui
from kpitui.engine import analyze
from kpitui.io.loader import load_tree
from kpitui.model.domain import TreeLoadError
from kpitui.outputs.export import COLUMNS, write_csv
from tests.conftest import ROOT, SAMPLES


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.toml")))
def test_results_are_the_export_row_for_row(sample: str) -> None:
    tree = kpitui.load(SAMPLES / sample)
    out = io.BytesIO()
    write_csv(analyze(load_tree(SAMPLES / sample)), out, raw=True)
    exported = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    assert list(tree.results.columns) == list(COLUMNS)
    assert tree.results.height == len(exported)
    for row, written in zip(tree.results.iter_rows(named=True), exported, strict=True):
        for column in ("id", "status", "rollup_status", "findings", "forecast_status"):
            assert (row[column] or "") == written[column]
        for column in ("target", "actual", "attainment", "forecast"):
            assert row[column] == (float(written[column]) if written[column] else None)


def test_the_graph_holds_every_node_and_link_with_its_values() -> None:
    tree = kpitui.load(SAMPLES / "webshop.toml")
    analysis = tree.analysis
    graph = tree.graph
    assert isinstance(graph, nx.MultiDiGraph)
    assert list(graph.nodes) == list(tree.results["id"])
    assert set(graph.nodes) == set(analysis.tree.nodes)
    parents = {(a, b) for a, b, k in graph.edges(keys=True) if k == "parent"}
    assert parents == {(n, p) for n in analysis.tree.nodes for p in analysis.graph.parents_of(n)}
    drives = {(a, b) for a, b, k in graph.edges(keys=True) if k == "drives"}
    assert drives == {(i, n) for n in analysis.tree.nodes for i in analysis.graph.drivers(n)}
    signs = {(a, b): d["sign"] for a, b, k, d in graph.edges(keys=True, data=True) if k == "influence"}
    assert signs == {(a, b): s for a, links in analysis.graph.influence.items() for b, s in links.items()}
    conflicts = {frozenset((a, b)) for a, b, k in graph.edges(keys=True) if k == "conflict"}
    assert conflicts == analysis.graph.declared
    for node_id, data in graph.nodes(data=True):
        result = analysis.results[node_id]
        assert data["status"] == result.status
        assert data["findings"] == list(dict.fromkeys(f.code for f in analysis.findings_of(node_id)))
    goal = next(n for n, d in graph.nodes(data=True) if d["kind"] == "goal")
    strategy = graph.edge_subgraph([e for e in graph.edges(keys=True) if e[2] == "parent"])
    served = nx.ancestors(strategy, goal)  # edges point up: whatever reaches the goal serves it
    orphans = {n for n, r in analysis.results.items() if r.orphaned}
    assert served and orphans and not served & orphans


def test_as_of_is_the_analysis_date() -> None:
    from datetime import date

    tree = kpitui.load(SAMPLES / "webshop.toml", as_of=date(2026, 3, 31))
    assert tree.as_of == date(2026, 3, 31) == tree.analysis.as_of


def test_a_bad_file_raises_the_load_error(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "bad.toml"  # type: ignore[operator]
    path.write_text("[nodes.a\n", encoding="utf-8")
    with pytest.raises(TreeLoadError, match="not valid TOML"):
        kpitui.load(path)


def test_importing_kpitui_loads_neither_networkx_nor_polars() -> None:
    code = "import sys, kpitui; print(sorted(m for m in ('networkx', 'polars', 'kpitui.api') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_readme_notebook_example_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example is not None
    run = subprocess.run([sys.executable, "-c", example.group(1)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "serves no goal" in run.stdout and " → omzet" in run.stdout


def test_the_version_is_the_package_s() -> None:
    assert kpitui.__version__ == version("kpitui")
