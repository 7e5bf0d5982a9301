"""Saving (docs/contract.md#saving) and editing through Document: only changed nodes rewritten, atomic, FILE~."""

from __future__ import annotations

import os
import stat
import textwrap
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpitui.io.journal import discard, journal_path, read_journals
from kpitui.io.loader import load_tree
from kpitui.io.saving import ExternalChange, SaveError, render_node
from kpitui.model.schema import read_node
from kpitui.services.document import Document, EditError

TREE = textwrap.dedent(
    """\
    # Top comment
    version = 1

    [tree]
    title = "T"   # trailing comment

    [nodes.g]
    name = "Goal"
    kind = "goal"
    weird_key = { nested = [1, 2] }   # unknown, kept

    # A comment about k
    [nodes.k]
    name = "KPI"
    parent = "g"
    target = 1_000
    period = { start = 2026-01-01, end = 2026-12-31 }

    [nodes.j]
    name = "Other"
    parent = "g"
    # comment at the end
    """
)


@pytest.fixture
def tree_file(tmp_path: Path) -> Path:
    path = tmp_path / "tree.toml"
    path.write_text(TREE, encoding="utf-8")
    return path


def test_only_the_changed_node_is_rewritten(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.set_fields("k", {"actual": 250})
    doc.save()
    expected = TREE.replace(
        "target = 1_000\nperiod = { start = 2026-01-01, end = 2026-12-31 }\n",
        "target = 1000\nperiod = { start = 2026-01-01, end = 2026-12-31 }\nactual = 250\n",
    )
    assert tree_file.read_text(encoding="utf-8") == expected
    assert (tree_file.parent / "tree.toml~").read_text(encoding="utf-8") == TREE
    assert load_tree(tree_file).nodes["k"].actual == 250
    assert not doc.dirty


def test_new_nodes_are_appended_and_deleted_ones_removed(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.add_node({"name": "New one", "parent": "g"})
    doc.delete_node("j")
    doc.save()
    text = tree_file.read_text(encoding="utf-8")
    assert "[nodes.j]" not in text and 'name = "Other"' not in text
    assert text.endswith('# comment at the end\n\n[nodes.new-one]\nname = "New one"\nparent = "g"\n')
    assert text.startswith(TREE.split("[nodes.j]")[0])


def test_a_new_node_is_written_right_after_the_node_it_follows(tree_file: Path) -> None:
    # As the tree shows it: a new sibling after the third of four is no longer saved last.
    doc = Document.open(tree_file)
    doc.add_node({"name": "A", "parent": "g"}, "a", after="k")
    doc.add_node({"name": "B", "parent": "g"}, "b", after="a")
    doc.set_fields("k", {"actual": 5})  # the node they follow is rewritten too
    doc.save()
    assert tree_file.read_text(encoding="utf-8") == TREE.replace(
        "target = 1_000\nperiod = { start = 2026-01-01, end = 2026-12-31 }\n",
        "target = 1000\nperiod = { start = 2026-01-01, end = 2026-12-31 }\nactual = 5\n"
        '\n[nodes.a]\nname = "A"\nparent = "g"\n\n[nodes.b]\nname = "B"\nparent = "g"\n',
    )
    assert list(load_tree(tree_file).nodes) == ["g", "k", "a", "b", "j"] == list(doc.tables)


def test_a_save_that_would_put_a_new_node_elsewhere_proves_itself_wrong(
    tree_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kpitui.services.document as document
    from kpitui.io.source import SourceMap

    rendered = document.render_file

    def appending(*args: object, **kwargs: object) -> tuple[str, bytes]:  # finds no node: appends the new one
        text, _source, *rest = args
        return rendered(text, SourceMap(), *rest, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(document, "render_file", appending)
    doc = Document.open(tree_file)
    doc.add_node({"name": "A", "parent": "g"}, "a", after="k")
    with pytest.raises(SaveError, match=r"would not read back as edited \(nodes\.a not right after nodes\.k\)"):
        doc.save()
    assert tree_file.read_text(encoding="utf-8") == TREE


def test_unknown_keys_survive_an_edit_of_their_node(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.set_fields("g", {"owner": "Board"})
    doc.save()
    tree = load_tree(tree_file)
    assert tree.nodes["g"].raw["weird_key"] == {"nested": [1, 2]}
    assert tree.nodes["g"].owner == "Board"


def test_save_keeps_permissions(tree_file: Path) -> None:
    os.chmod(tree_file, 0o640)
    doc = Document.open(tree_file)
    doc.set_fields("k", {"actual": 1})
    doc.save()
    assert stat.S_IMODE(tree_file.stat().st_mode) == 0o640


def test_external_change_refuses_to_overwrite(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.set_fields("k", {"actual": 1})
    tree_file.write_text(TREE + "\n# someone else\n", encoding="utf-8")
    with pytest.raises(ExternalChange, match="changed on disk since it was loaded"):
        doc.save()
    assert tree_file.read_text(encoding="utf-8").endswith("# someone else\n")
    other = tree_file.parent / "mine.toml"
    doc.save(to=other)
    assert load_tree(other).nodes["k"].actual == 1
    assert doc.path == other and not doc.dirty


def test_another_file_is_replaced_only_as_agreed(tree_file: Path) -> None:
    other = tree_file.parent / "other.toml"
    other.write_text("# another tree\n", encoding="utf-8")
    doc = Document.open(tree_file)
    doc.set_fields("k", {"actual": 1})
    with pytest.raises(ExternalChange, match="was created"):
        doc.save(to=other)
    with pytest.raises(ExternalChange, match="changed on disk"):
        doc.save(to=other, replacing=b"# what the user saw\n")
    assert other.read_text(encoding="utf-8") == "# another tree\n"
    doc.save(to=other, replacing=b"# another tree\n")
    assert load_tree(other).nodes["k"].actual == 1


def test_edits_are_validated_like_the_loader(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    with pytest.raises(EditError, match="`kind` is 'goa'"):
        doc.set_fields("k", {"kind": "goa"})
    with pytest.raises(EditError, match="there is no node 'zz'"):
        doc.set_fields("zz", {"actual": 1})
    assert not doc.dirty


def test_undo_and_redo(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.set_fields("k", {"actual": 1})
    doc.set_fields("k", {"actual": 2})
    assert doc.undo() and doc.tables["k"]["actual"] == 1
    assert doc.undo() and "actual" not in doc.tables["k"] and not doc.dirty
    assert not doc.undo()
    assert doc.redo() and doc.redo() and doc.tables["k"]["actual"] == 2
    assert not doc.redo()


def test_delete_moving_children_up(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.add_node({"name": "Child", "parent": "k"}, node_id="c")
    doc.delete_node("k", children="reparent")
    assert doc.tables["c"]["parent"] == "g"
    doc.undo()
    doc.delete_node("k", children="delete")
    assert "c" not in doc.tables and "k" not in doc.tables


def test_rename_follows_references(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.set_fields("j", {"conflicts": ["k"], "influences": {"k": "-"}})
    doc.replace("k", {**doc.tables["k"]}, new_id="kpi-1")
    assert list(doc.tables) == ["g", "kpi-1", "j"]
    assert doc.tables["j"]["conflicts"] == ["kpi-1"] and doc.tables["j"]["influences"] == {"kpi-1": "-"}


def test_conflicts_and_influences(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    assert doc.toggle_conflict("k", "j") is True
    assert doc.tables["k"]["conflicts"] == ["j"]
    assert doc.toggle_conflict("j", "k") is False
    assert "conflicts" not in doc.tables["k"] and "conflicts" not in doc.tables["j"]
    doc.set_influence("k", "j", "-")
    assert doc.tables["k"]["influences"] == {"j": "-"}
    doc.set_influence("k", "j", None)
    assert "influences" not in doc.tables["k"]


def test_record_actual_inline_and_in_measurements(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.record_actual("k", 97, date(2026, 7, 1), measurements=False)
    assert (doc.tables["k"]["actual"], doc.tables["k"]["measured"]) == (97, date(2026, 7, 1))
    text = TREE.replace('title = "T"', 'title = "T"\nmeasurements = "m.csv"')
    tree_file.write_text(text, encoding="utf-8")
    (tree_file.parent / "m.csv").write_text("node,date,value,note\nk,2026-06-01,5,\n")
    doc = Document.open(tree_file)
    doc.record_actual("k", 97.5, date(2026, 7, 1), measurements=True)
    assert doc.dirty
    doc.save()
    assert (tree_file.parent / "m.csv").read_text().endswith("k,2026-06-01,5,\nk,2026-07-01,97.5,\n")
    assert tree_file.read_text(encoding="utf-8") == text


def test_new_file_is_written_on_first_save(tmp_path: Path) -> None:
    path = tmp_path / "fresh.toml"
    doc = Document.open(path)
    assert doc.tables == {} and not path.exists()
    doc.add_node({"name": "Loyal customers", "kind": "goal"})
    doc.save()
    tree = load_tree(path)
    assert [n.name for n in tree.nodes.values()] == ["Loyal customers"]
    assert tree.settings.title == "fresh"


def test_inline_node_is_moved_to_a_table_and_said_so(tmp_path: Path) -> None:
    path = tmp_path / "inline.toml"
    path.write_text('[nodes]\na = { name = "A", kind = "goal" }\nb = { name = "B", parent = "a" }\n')
    doc = Document.open(path)
    doc.set_fields("b", {"owner": "X"})
    assert doc.layout_notes() == [
        "node 'b' is written as an inline table; saving moves it to a [nodes.b] table at the end of the file"
    ]
    doc.save()
    text = path.read_text()
    assert text == '[nodes]\na = { name = "A", kind = "goal" }\n\n[nodes.b]\nname = "B"\nparent = "a"\nowner = "X"\n'


def test_journal_records_and_recovers(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.set_fields("k", {"actual": 5})
    doc.add_node({"name": "N"}, node_id="n")
    doc.write_journal()
    assert journal_path(tree_file, doc.session).exists()
    fresh = Document.open(tree_file)
    (recovered,) = read_journals(tree_file, fresh.session).journals
    fresh.recover(recovered)
    assert fresh.tables == doc.tables
    fresh.write_journal()
    discard(recovered)
    fresh.save()
    assert not journal_path(tree_file, fresh.session).exists()
    assert read_journals(tree_file).journals == []


def test_render_node_inline_small_tables() -> None:
    table = {"name": "X", "period": {"start": date(2026, 1, 1), "end": date(2026, 2, 1)}, "deep": {"a": [{"b": 1}]}}
    assert render_node("x y", table) == (
        '[nodes."x y"]\nname = "X"\nperiod = { start = 2026-01-01, end = 2026-02-01 }\ndeep = { a = [{ b = 1 }] }\n'
    )


def test_scattered_node_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        '[nodes.a]\nname = "A"\n[nodes.b]\nname = "B"\n[nodes.a.period]\nstart = 2026-01-01\nend = 2026-02-01\n'
    )
    doc = Document.open(path)
    doc.set_fields("a", {"owner": "X"})
    with pytest.raises(SaveError, match="written in several places"):
        doc.save()


@pytest.mark.parametrize(
    "header",
    ["[nodes.a.period]", "[nodes . a . period]", '[nodes."a".period]'],
    ids=["plain", "spaced", "quoted"],
)
def test_node_with_a_part_written_above_its_header_is_refused_not_broken(tmp_path: Path, header: str) -> None:
    # Rewriting only the [nodes.a] section would leave the part above behind, defined twice:
    # a file that no longer loads.
    path = tmp_path / "s.toml"
    text = (
        f'[nodes.g]\nname = "G"\nkind = "goal"\n\n{header}\nstart = 2026-01-01\nend = 2026-02-01\n\n'
        '[nodes.a]\nname = "A"\n'
    )
    path.write_text(text)
    doc = Document.open(path)
    doc.set_fields("a", {"owner": "X"})
    with pytest.raises(SaveError, match="written in several places"):
        doc.save()
    assert path.read_text() == text
    load_tree(path)


@pytest.mark.parametrize("bom", [False, True])
def test_saved_bytes_are_the_saved_text_in_utf8(tmp_path: Path, bom: bool) -> None:
    # The bytes are spliced from the file as loaded: every edit, addition and deletion,
    # near either end and with multi-byte characters before and after, must come out as
    # the text encoded.
    path = tmp_path / "u.toml"
    names = ["Ümsatz €", "Ωmega — 目標", "plain", "emoji 🎯", "é" * 50]
    body = "".join(f'[nodes.n{i}]\nname = "{name}"\ntarget = {i}\n\n' for i, name in enumerate(names))
    path.write_bytes(("\ufeff" if bom else "").encode() + body.encode())
    doc = Document.open(path)
    doc.set_fields("n0", {"owner": "Ünal"})
    doc.set_fields("n3", {"name": "moved 🎯🎯"})
    doc.delete_node("n2")
    doc.add_node({"name": "new ë"}, node_id="z")
    for _ in range(2):  # the second save splices the bytes the first one wrote
        doc.save()
        data = path.read_bytes()
        assert data == ("\ufeff" if bom else "").encode() + doc.tree.text.encode()
        assert {n: t["name"] for n, t in load_tree(path).doc["nodes"].items()} == {
            "n0": "Ümsatz €",
            "n1": "Ωmega — 目標",
            "n3": "moved 🎯🎯",
            "n4": "é" * 50,
            "z": "new ë",
        }
        doc.set_fields("n4", {"owner": "Zoë"})


# ── property: load → random edits → save → load gives the edited model ──────────

IDS = [f"n{i}" for i in range(6)]
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
    lambda s: s.strip() != ""
)
edits = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.sampled_from(IDS), st.sampled_from(["actual", "target"]), st.integers(-5, 10**6)),
        st.tuples(st.just("name"), st.sampled_from(IDS), names),
        st.tuples(st.just("add"), names),
        st.tuples(st.just("delete"), st.sampled_from(IDS)),
    ),
    max_size=8,
)


def generated_tree(comment: str) -> str:
    parts = [f"# {comment}\nversion = 1\n"]
    for i, node_id in enumerate(IDS):
        parent = f'parent = "n{i - 1}"\n' if i else 'kind = "goal"\n'
        parts.append(f'\n# about {node_id} {comment}\n[nodes.{node_id}]\nname = "Node {i}"  # {comment}\n{parent}')
    return "".join(parts) + f"# tail {comment}\n"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(edits=edits, comment=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10))
def test_save_then_load_gives_the_edited_model_and_keeps_other_bytes(
    tmp_path: Path, edits: list[tuple[object, ...]], comment: str
) -> None:
    path = tmp_path / "prop.toml"
    original = generated_tree(comment)
    path.write_text(original, encoding="utf-8")
    doc = Document.open(path)
    touched: set[str] = set()
    for edit in edits:
        kind = edit[0]
        try:
            if kind == "set" and edit[1] in doc.tables:
                doc.set_fields(str(edit[1]), {str(edit[2]): edit[3]})
                touched.add(str(edit[1]))
            elif kind == "name" and edit[1] in doc.tables:
                doc.set_fields(str(edit[1]), {"name": edit[2]})
                touched.add(str(edit[1]))
            elif kind == "add":
                touched.add(doc.add_node({"name": edit[1]}))
            elif kind == "delete" and edit[1] in doc.tables:
                touched.update(doc.delete_node(str(edit[1]), children="reparent"))
                touched.update(doc.tables)  # reparented children change too
        except EditError:
            pass
    expected = {k: dict(v) for k, v in doc.tables.items()}
    doc.save(force=True)
    reloaded = load_tree(path)
    assert {k: dict(v) for k, v in reloaded.doc["nodes"].items()} == expected
    untouched = [n for n in IDS if n not in touched]
    for node_id in untouched:
        block = original.split(f"[nodes.{node_id}]")[1].split("\n[")[0].split("\n# ")[0]
        assert f"[nodes.{node_id}]{block}" in path.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").startswith(f"# {comment}\nversion = 1\n")


def test_multiline_array_lines_do_not_end_a_node(tmp_path: Path) -> None:
    path = tmp_path / "arrays.toml"
    path.write_text('[nodes.a]\nname = "A"\nmatrix = [\n[1, 2],\n[3, 4],\n]\nkind = "goal"\n\n[nodes.b]\nname = "B"\n')
    doc = Document.open(path)
    doc.set_fields("a", {"owner": "X"})
    doc.save()
    assert path.read_text() == (
        '[nodes.a]\nname = "A"\nmatrix = [[1, 2], [3, 4]]\nkind = "goal"\nowner = "X"\n\n[nodes.b]\nname = "B"\n'
    )


def test_pending_rows_count_in_analysis_without_moving_as_of(tree_file: Path) -> None:
    from kpitui.engine import analyze

    text = TREE.replace('title = "T"', 'title = "T"\nas_of = 2026-07-01\nmeasurements = "m.csv"')
    tree_file.write_text(text, encoding="utf-8")
    (tree_file.parent / "m.csv").write_text("node,date,value,note\n")
    doc = Document.open(tree_file)
    doc.record_actual("k", 400, date(2026, 6, 30), measurements=True)
    doc.record_actual("j", 5, date(2026, 8, 1), measurements=True)
    an = analyze(doc.current_tree(), extra_rows=doc.pending_rows())
    assert an.as_of == date(2026, 7, 1)
    assert an.results["k"].actual == 400
    assert an.results["j"].actual is None  # dated after as_of: not yet made


def test_delete_removes_every_reference_in_one_undoable_edit(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.add_node({"name": "Other", "parent": "g"}, node_id="o")
    doc.set_fields("j", {"conflicts": ["k", "o"], "influences": {"k": "-"}, "formula": "k * 2"})
    doc.set_fields("o", {"conflicts": "k", "influences": {"k": "+", "j": "-"}})
    before = {key: dict(table) for key, table in doc.tables.items()}
    doc.delete_node("k")
    assert "influences" not in doc.tables["j"] and doc.tables["j"]["conflicts"] == ["o"]
    assert "conflicts" not in doc.tables["o"] and doc.tables["o"]["influences"] == {"j": "-"}
    assert doc.removed_references == [
        "j: influence on k",
        "j: conflict with k",
        "j: its formula still names k; edit it",
        "o: influence on k",
        "o: conflict with k",
    ]
    assert doc.undo()
    assert {key: dict(table) for key, table in doc.tables.items()} == before


# ── property: saving compares only the nodes edits touched, through undo, redo and saves ──

steps = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.sampled_from(IDS), st.integers(0, 3)),
        st.tuples(st.just("add"), st.sampled_from(["x", "y"])),
        st.tuples(st.just("delete"), st.sampled_from(IDS)),
        st.tuples(st.just("move"), st.sampled_from(IDS), st.sampled_from([*IDS, None])),
        st.tuples(st.just("conflict"), st.sampled_from(IDS), st.sampled_from(IDS)),
        st.tuples(st.just("influence"), st.sampled_from(IDS), st.sampled_from(IDS)),
        st.just(("undo",)),
        st.just(("redo",)),
        st.just(("save",)),
    ),
    max_size=14,
)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(steps=steps)
def test_edits_never_change_another_state_and_saving_finds_every_change(
    tmp_path: Path, steps: list[tuple[object, ...]]
) -> None:
    # Edits share the tables they leave alone (each copies the ones it changes), and saving
    # compares only the ids edits touched: neither may miss a change or alter an undo state.
    path = tmp_path / "steps.toml"
    path.write_text(generated_tree("c"), encoding="utf-8")
    doc = Document.open(path)
    # Undo and redo must bring back exactly the tables as they were before and after each edit.
    history: list[dict[str, dict[str, object]]] = []
    future: list[dict[str, dict[str, object]]] = []
    for step in steps:
        kind = step[0]
        before = {k: dict(v) for k, v in doc.tables.items()}
        edits = len(doc.undo_stack)
        try:
            if kind == "set" and step[1] in doc.tables:
                doc.set_fields(str(step[1]), {"target": step[2]})
            elif kind == "add":
                doc.add_node({"name": str(step[1])})
            elif kind == "delete" and step[1] in doc.tables:
                doc.delete_node(str(step[1]), children="reparent")
            elif kind == "move" and step[1] in doc.tables and (step[2] is None or step[2] in doc.tables):
                doc.move_node(str(step[1]), None if step[2] is None else str(step[2]))
            elif kind == "conflict" and step[1] in doc.tables and step[2] in doc.tables and step[1] != step[2]:
                doc.toggle_conflict(str(step[1]), str(step[2]))
            elif kind == "influence" and step[1] in doc.tables and step[2] in doc.tables and step[1] != step[2]:
                doc.set_influence(str(step[1]), str(step[2]), "-")
            elif kind == "undo":
                if doc.undo():
                    assert {k: dict(v) for k, v in doc.tables.items()} == history.pop()
                    future.append(before)
            elif kind == "redo":
                if doc.redo():
                    assert {k: dict(v) for k, v in doc.tables.items()} == future.pop()
                    history.append(before)
            elif kind == "save":
                expected = {k: dict(v) for k, v in doc.tables.items()}
                doc.save(force=True)
                assert {k: dict(v) for k, v in load_tree(path).doc["nodes"].items()} == expected
        except EditError:
            pass
        if kind not in ("undo", "redo", "save") and len(doc.undo_stack) > edits:
            history.append(before)
            future.clear()
        brute = {n for n in doc.base if n not in doc.tables or doc.tables[n] != doc.base[n]}
        assert doc._changed() == brute
        # Nodes made afresh (the loaded tree's, those of touched ids replaced) are the ones
        # reading every table gives, in the tables' order.
        doc._current = None
        read = {k: read_node(k, v)[0] for k, v in doc.tables.items()}
        assert list(doc.current_tree().nodes.items()) == list(read.items())
    expected = {k: dict(v) for k, v in doc.tables.items()}
    doc.save(force=True)
    assert {k: dict(v) for k, v in load_tree(path).doc["nodes"].items()} == expected


def test_a_header_written_inside_a_value_is_not_taken_for_the_node(tmp_path: Path) -> None:
    # Saving finds a node's header by searching for its text: only a line that is the header counts.
    path = tmp_path / "quoted.toml"
    path.write_text(
        '[nodes.g]\nname = "G"\nkind = "goal"\ndescription = "see [nodes.k] below"  # [nodes.k]\n'
        '\n  [nodes.k]   # the KPI\nname = "K"\nparent = "g"\n'
    )
    doc = Document.open(path)
    doc.set_fields("k", {"target": 5})
    doc.save()
    assert path.read_text() == (
        '[nodes.g]\nname = "G"\nkind = "goal"\ndescription = "see [nodes.k] below"  # [nodes.k]\n'
        '\n[nodes.k]\nname = "K"\nparent = "g"\ntarget = 5\n'
    )


def test_the_index_of_references_is_what_indexing_each_table_gives(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(
        textwrap.dedent(
            """\
            [nodes.g]
            name = "G"
            [nodes.a]
            name = "A"
            parent = "g"
            [nodes.b]
            name = "B"
            parent = ["g", "a", "gone"]
            [nodes.c]
            name = "C"
            parent = "a"
            conflicts = ["b", "gone"]
            [nodes.d]
            name = "D"
            parent = "missing"
            influences = { c = "+", b = "-" }
            [nodes.e]
            name = "E"
            conflicts = "d"
            """
        ),
        encoding="utf-8",
    )
    document = Document.open(path)
    assert document._referring("a", "parent") == {"b", "c"}  # builds the index
    built = document._refs
    document._refs = ({}, {})
    for key, table in document.tables.items():
        document._index(key, table, 1)
    assert built == document._refs
    assert built[0] == {"g": {"a", "b"}, "a": {"b", "c"}, "gone": {"b"}, "missing": {"d"}}
    assert built[1] == {
        "g": {"a", "b"},
        "a": {"b", "c"},
        "gone": {"b", "c"},
        "b": {"c", "d"},
        "missing": {"d"},
        "c": {"d"},
        "d": {"e"},
    }


def test_saving_to_another_file_takes_the_tree_s_mode_not_the_umask(tree_file: Path) -> None:
    tree_file.chmod(0o600)
    old = os.umask(0o022)
    try:
        doc = Document.open(tree_file)
        doc.set_fields("k", {"owner": "me"})
        other = tree_file.with_name("mine.toml")
        doc.save(to=other)
    finally:
        os.umask(old)
    assert stat.S_IMODE(other.stat().st_mode) == 0o600
    assert load_tree(other).nodes["k"].owner == "me"


def test_a_forced_save_over_a_broken_file_keeps_the_backup_that_reads(tree_file: Path) -> None:
    doc = Document.open(tree_file)
    doc.set_fields("k", {"owner": "first"})
    doc.save()
    backup = tree_file.with_name("tree.toml~")
    good_backup = backup.read_bytes()
    tree_file.write_text("[nodes.k\nname = broken", encoding="utf-8")  # someone broke the file
    doc.set_fields("k", {"owner": "second"})
    doc.save(force=True)
    assert backup.read_bytes() == good_backup
    assert load_tree(tree_file).nodes["k"].owner == "second"
