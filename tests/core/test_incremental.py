"""Incremental analysis equals a full analysis after any sequence of edits (issue 14)."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpitui.analysis.results import Analysis
from kpitui.engine import analyze
from kpitui.engine.incremental import update
from kpitui.io.measurements import load_measurements
from kpitui.services.document import Document, EditError
from kpitui.services.outline import Outline

EXAMPLES = int(os.environ.get("INCREMENTAL_EXAMPLES", "200"))
IDS = ["a", "b", "c", "d", "e", "f", "g", "h"]
ids = st.sampled_from(IDS)
some_ids = st.lists(ids, max_size=3)
numbers = st.one_of(st.none(), st.integers(-5, 120).map(float))
days = st.dates(date(2026, 1, 1), date(2026, 12, 31))
periods = st.one_of(
    st.none(),
    st.tuples(days, days).map(lambda p: {"start": min(p), "end": max(p)}),
)
formulas = st.one_of(
    st.none(),
    st.sampled_from(["a + b", "c * 2", "d / e", "max(a, f) - g", "h", "b / (c - c)", "zz + a"]),
)
FIELDS: dict[str, Any] = {
    "kind": st.sampled_from(["goal", "objective", "kpi"]),
    "parent": st.one_of(ids, some_ids, st.just("missing")),
    "target": numbers,
    "actual": numbers,
    "baseline": numbers,
    "measured": st.one_of(st.none(), days),
    "period": periods,
    "pacing": st.sampled_from(["linear", "level"]),
    "direction": st.sampled_from(["increase", "decrease"]),
    "rollup": st.one_of(st.none(), st.sampled_from(["sum", "mean", "min", "max"])),
    "formula": formulas,
    "unit": st.one_of(st.none(), st.sampled_from(["EUR", "%", "eur"])),
    "horizon": st.one_of(st.none(), st.sampled_from(["short", "long"])),
    "frequency": st.one_of(st.none(), st.sampled_from(["weekly", "monthly"])),
    "owner_type": st.one_of(st.none(), st.just("individual")),
    "conflicts": st.one_of(st.none(), some_ids.map(lambda x: x or ["zz"])),
    "influences": st.one_of(
        st.none(), st.dictionaries(st.sampled_from([*IDS, "zz"]), st.sampled_from(["+", "-"]), max_size=3)
    ),
    "name": st.sampled_from(["Revenue", "Margin", "NPS", "Leads"]),
}


@st.composite
def tables(draw: st.DrawFn) -> dict[str, Any]:
    table: dict[str, Any] = {"name": draw(FIELDS["name"])}
    for key in draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=7, unique=True)):
        value = draw(FIELDS[key])
        if value is not None:
            table[key] = value
    return table


@st.composite
def trees(draw: st.DrawFn) -> dict[str, Any]:
    chosen = draw(st.lists(ids, min_size=1, max_size=7, unique=True))
    return {node_id: draw(tables()) for node_id in chosen}


EDITS = st.sampled_from(
    ["set", "unset", "rename", "add", "delete", "reparent", "move", "conflict", "influence", "record", "undo", "redo"]
)


@st.composite
def edits(draw: st.DrawFn) -> tuple[Any, ...]:
    kind = draw(EDITS)
    if kind == "set":
        key = draw(st.sampled_from(sorted(FIELDS)))
        return (kind, draw(ids), key, draw(FIELDS[key]))
    if kind == "unset":
        return (kind, draw(ids), draw(st.sampled_from(sorted(FIELDS))))
    if kind == "rename":
        return (kind, draw(ids), draw(st.sampled_from([*IDS, "x1", "x2"])))
    if kind == "add":
        return (kind, draw(st.sampled_from([*IDS, "x1", "x2"])), draw(tables()), draw(st.one_of(st.none(), ids)))
    if kind in ("delete", "reparent"):
        return (kind, draw(ids))
    if kind == "move":
        return (kind, draw(ids), draw(st.one_of(st.none(), ids)))
    if kind == "conflict":
        return (kind, draw(ids), draw(ids))
    if kind == "influence":
        return (kind, draw(ids), draw(ids), draw(st.sampled_from(["+", "-", None])))
    if kind == "record":
        return (kind, draw(ids), draw(st.integers(0, 100)), draw(days))
    return (kind,)


def apply(doc: Document, edit: tuple[Any, ...], into_file: bool) -> bool:
    """Apply one edit to the document; False when the document refuses it (nothing changed)."""
    kind, *args = edit
    try:
        if kind == "set":
            node_id, key, value = args
            if value is None:
                doc.set_fields(node_id, {}, (key,))
            else:
                doc.set_fields(node_id, {key: value})
        elif kind == "unset":
            doc.set_fields(args[0], {}, (args[1],))
        elif kind == "rename":
            old, new = args
            doc.replace(old, doc.require(old), new)
        elif kind == "add":
            new, table, after = args
            doc.add_node(table, new, after=after if after in doc.tables else None)
        elif kind in ("delete", "reparent"):
            doc.delete_node(args[0], "delete" if kind == "delete" else "reparent")
        elif kind == "move":
            doc.move_node(*args)
        elif kind == "conflict":
            doc.toggle_conflict(*args)
        elif kind == "influence":
            doc.set_influence(*args)
        elif kind == "record":
            doc.record_actual(args[0], float(args[1]), args[2], into_file)
        elif kind == "undo":
            return doc.undo()
        elif kind == "redo":
            return doc.redo()
    except EditError:
        return False
    return True


def shown(an: Analysis) -> dict[str, Any]:
    """Everything the TUI shows and `check` prints, as plain values."""
    graph = an.graph
    nodes = an.tree.nodes
    values = an.values
    assert values is not None
    walk = an.walk
    return {
        "walk": (dict(walk.up), dict(walk.depth), dict(walk.top)),  # before its order is asked for
        "results": an.results,
        "findings": an.findings,
        "by_node": {n: an.findings_of(n) for n in nodes},
        "conflicts": an.conflicts,
        "conflicts_of": {n: an.conflicts_of(n) for n in nodes},
        "counts": an.open_counts(),
        "orphaned": an.state.orphaned if an.state is not None else None,
        "layers": {k: (layer.values, layer.errors) for k, layer in an.layers.items()},
        "children": {n: graph.children(n) for n in nodes},
        "parents": {n: graph.parents_of(n) for n in nodes},
        "roots": graph.roots(),
        "cycles": graph.cycles(),
        "topological": graph.topological(),
        "dangling": graph.dangling,
        "declared": graph.declared,
        "influence": graph.influence,
        "inputs": {n: values.inputs[n] for n in nodes},
        "drivers": {n: graph.drivers(n) for n in nodes},
        "drives": {n: graph.drives(n) for n in nodes},
        "driven": {n: values.driven(n) for n in nodes},
        "value_order": values.order,
        "value_loops": values.cyclic,
        "paths": {n: an.path_text(n) for n in nodes},
        "problems": Outline(an).problems,
    }


def check_sequence(table: dict[str, Any], steps: list[tuple[Any, ...]], measurements: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tree.toml"
        doc: dict[str, Any] = {
            "tree": {"as_of": date(2026, 6, 30), "period": {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}},
            "nodes": table,
        }
        if measurements:
            doc["tree"]["measurements"] = "rows.csv"
            rows = ["node,date,value", "a,2026-02-01,10", "a,2026-04-01,20", "a,2026-06-01,25", "c,2026-05-01,7"]
            (Path(folder) / "rows.csv").write_text("\n".join(rows) + "\n")
        path.write_text(tomli_w.dumps(doc))
        document = Document.open(path)
        base = load_measurements(Path(folder) / "rows.csv") if measurements else None
        tree = document.current_tree()
        analysis = analyze(tree, extra_rows=document.pending_rows(), measurements=base)
        document.take_changes()
        for step in steps:
            before = dict(document.tables)
            if not apply(document, step, measurements):
                continue
            after = document.tables
            changed = document.take_changes()
            assert {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} <= changed
            tree = document.current_tree()
            assert list(tree.nodes) == list(after)
            rows = document.pending_rows()
            analysis = update(analysis, tree, changed, extra_rows=rows, measurements=base).analysis
            full = analyze(tree, extra_rows=rows, measurements=base)
            got, want = shown(analysis), shown(full)
            for key in want:
                assert got[key] == want[key], (key, step)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=trees(), steps=st.lists(edits(), min_size=1, max_size=8))
def test_incremental_analysis_equals_a_full_analysis_after_any_edits(
    table: dict[str, Any], steps: list[tuple[Any, ...]]
) -> None:
    check_sequence(table, steps, measurements=False)


@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=trees(), steps=st.lists(edits(), min_size=1, max_size=6))
def test_incremental_analysis_with_measurement_rows_equals_a_full_analysis(
    table: dict[str, Any], steps: list[tuple[Any, ...]]
) -> None:
    check_sequence(table, steps, measurements=True)


PLAIN = {
    "g": {"name": "Goal", "kind": "goal", "rollup": "sum"},
    "o": {"name": "Objective", "kind": "objective", "parent": "g", "rollup": "sum"},
    "p": {"name": "Other objective", "kind": "objective", "parent": "g"},
    "k1": {"name": "KPI 1", "parent": "o", "target": 10.0, "actual": 9.0},
    "k2": {"name": "KPI 2", "parent": "o", "target": 10.0, "actual": 2.0},
    "k3": {"name": "KPI 3", "parent": "p", "target": 5.0, "actual": 5.0},
}
COMMON = {
    "set a value": ("set", "k1", "actual", 1.0),
    "rename": ("rename", "k2", "k9"),
    "add a leaf": ("add", "k4", {"name": "KPI 4", "parent": "p", "target": 3.0}, "k3"),
    "delete a leaf": ("delete", "k3"),
    "re-parent": ("move", "k1", "p"),
    "declare a conflict": ("conflict", "k1", "k3"),
    "set an influence": ("influence", "k1", "k3", "-"),
    "undo": ("undo",),
}


@pytest.mark.parametrize("name", sorted(COMMON))
def test_common_edits_are_incremental_and_touch_few_nodes(name: str, tmp_path: Path) -> None:
    path = tmp_path / "tree.toml"
    filler = {f"f{i}": {"name": f"Filler {i}", "parent": "p", "target": 1.0, "actual": 1.0} for i in range(40)}
    path.write_text(tomli_w.dumps({"tree": {"as_of": date(2026, 6, 30)}, "nodes": {**PLAIN, **filler}}))
    document = Document.open(path)
    analysis = analyze(document.current_tree())
    if name == "undo":
        apply(document, ("set", "k1", "actual", 1.0), False)
        document.take_changes()
        analysis = analyze(document.current_tree())
    assert apply(document, COMMON[name], False)
    updated = update(analysis, document.current_tree(), document.take_changes())
    assert updated.touched is not None  # not analysed as a whole
    assert len(updated.touched) <= 10  # the 40 other KPIs under `p` are left alone
    assert shown(updated.analysis) == shown(analyze(document.current_tree()))


def test_an_edit_touching_a_parent_cycle_is_analysed_as_a_whole(tmp_path: Path) -> None:
    path = tmp_path / "tree.toml"
    nodes = {"a": {"name": "A", "parent": "b"}, "b": {"name": "B", "parent": "a"}, "c": {"name": "C"}}
    path.write_text(tomli_w.dumps({"nodes": nodes}))
    document = Document.open(path)
    analysis = analyze(document.current_tree())
    document.set_fields("a", {"target": 3})
    assert update(analysis, document.current_tree(), document.take_changes()).touched is None


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=trees(), steps=st.lists(edits(), min_size=1, max_size=10))
def test_the_journal_of_any_edits_recovers_the_same_tables_in_the_same_order(
    table: dict[str, Any], steps: list[tuple[Any, ...]]
) -> None:
    from kpitui.io.journal import read_journals

    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_STATE_HOME"] = folder
        path = Path(folder) / "tree.toml"
        path.write_text(tomli_w.dumps({"nodes": table}))
        document = Document.open(path)
        for step in steps:
            apply(document, step, False)
            assert document.write_journal() is None
        fresh = Document.open(path)
        journals = read_journals(path, fresh.session).journals
        if not document.dirty:
            assert journals == []
            return
        (journal,) = journals
        fresh.recover(journal)
        assert list(fresh.tables) == list(document.tables)
        assert fresh.tables == document.tables


def test_undo_puts_a_deleted_node_back_where_it_was(tmp_path: Path) -> None:
    path = tmp_path / "tree.toml"
    path.write_text(tomli_w.dumps({"nodes": {k: {"name": k} for k in ("a", "b", "c")}}))
    document = Document.open(path)
    document.delete_node("a")
    document.undo()
    assert list(document.tables) == ["a", "b", "c"]
    document.redo()
    assert list(document.tables) == ["b", "c"]


def test_a_node_with_many_influence_conflicts_keeps_its_one_finding_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "tree.toml"
    targets = {f"t{i}": {"name": f"Target {i}", "direction": "decrease"} for i in range(8)}
    source = {"s": {"name": "Source", "influences": {t: "+" for t in targets}}}
    path.write_text(tomli_w.dumps({"nodes": {**source, **targets}}))
    document = Document.open(path)
    analysis = analyze(document.current_tree())
    for edit in (
        ("set", "t3", "direction", "increase"),
        ("set", "t4", "name", "Renamed"),
        ("delete", "t5"),
        ("set", "t1", "direction", "increase"),
        ("set", "t2", "direction", "increase"),
        ("undo",),
    ):
        assert apply(document, edit, False)
        analysis = update(analysis, document.current_tree(), document.take_changes()).analysis
        assert shown(analysis) == shown(analyze(document.current_tree())), edit


def test_a_target_gap_follows_a_target_moved_through_a_formula(tmp_path: Path) -> None:
    # p asks 100 of f, whose target is its formula of x's: x is no child of p's, so editing x's
    # target moves f's, and p's gap must follow although neither p nor a node below it was edited.
    path = tmp_path / "tree.toml"
    nodes = {
        "p": {"name": "P", "kind": "goal", "rollup": "sum", "target": 100.0},
        "f": {"name": "F", "parent": "p", "formula": "{x} * 2"},
        "x": {"name": "X", "target": 10.0},
    }
    path.write_text(tomli_w.dumps({"tree": {"as_of": date(2026, 6, 30)}, "nodes": nodes}))
    document = Document.open(path)
    analysis = analyze(document.current_tree())
    assert [(f.node, f.related) for f in analysis.findings if f.code == "target_gap"] == [("p", ("f",))]
    for edit, gap in ((("set", "x", "target", 60.0), []), (("set", "x", "target", 40.0), [("p", ("f",))])):
        assert apply(document, edit, False)
        updated = update(analysis, document.current_tree(), document.take_changes())
        assert updated.touched is not None  # updated, not analysed whole
        analysis = updated.analysis
        assert [(f.node, f.related) for f in analysis.findings if f.code == "target_gap"] == gap
        assert shown(analysis) == shown(analyze(document.current_tree())), edit
