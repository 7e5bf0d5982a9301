"""The house's layers: no import circle, no reach into another module's private names.

`make test` also runs import-linter with the layer contract of pyproject.toml (imports flow one
way: cli → tui → outputs → services → drivers → engine → rules → analysis → io → model → common).
"""

from __future__ import annotations

import ast

import grimp
import networkx as nx

from tests.conftest import ROOT

# The main screen and the helpers cut out of it import each other still: one class in five
# files. Nothing else may form a circle.
KNOWN_CIRCLE = {
    "kpitui.tui.screens.accepting",
    "kpitui.tui.screens.editing",
    "kpitui.tui.screens.main",
    "kpitui.tui.screens.seeking",
    "kpitui.tui.screens.whatif",
}


def test_no_import_circle_counting_imports_in_functions_and_under_type_checking() -> None:
    graph = grimp.build_graph("kpitui", exclude_type_checking_imports=False)
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("kpitui"):
                edges.add_edge(module, imported)
    circles = [sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1]
    assert [c for c in circles if set(c) != KNOWN_CIRCLE] == []


def test_no_module_imports_a_private_name_of_another() -> None:
    found = []
    for path in sorted((ROOT / "kpitui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kpitui"):
                found += [
                    f"{path.relative_to(ROOT)}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert found == []


def test_every_package_says_what_it_holds() -> None:
    for package in sorted(p.parent for p in (ROOT / "kpitui").rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        assert doc, f"{package} has no docstring"
    assert not (ROOT / "kpitui" / "core").exists()
