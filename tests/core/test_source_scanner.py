"""The source map reads strings as TOML does, and a save proves itself before it writes.

A save after a multi-line string ending in a quote (`\"\"\"Say "hi"\"\"\"\"`) once took the rest of the
file for the string: `[tree]` and its title were deleted, with exit 0.
"""

from __future__ import annotations

import random
import textwrap
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpitui.cli import main
from kpitui.io.saving import SaveError, differences
from kpitui.io.source import NodeSource, SourceMap, locate, scan, string_end
from kpitui.io.toml_read import read_toml
from kpitui.services import document as document_module
from kpitui.services.document import Document
from tests import toml_shapes

QUOTED = textwrap.dedent(
    '''\
    version = 1
    nodes.a = { name = """Say "hi"""", kind = "goal", unit = """€""" }

    [tree]
    title = """The "big" tree"""
    as_of = 2026-06-30

    [nodes.b]
    name = "B"
    parent = "a"
    '''
)


@pytest.mark.parametrize(
    ("text", "quotes", "end"),
    [
        ('hi"""', '"""', 5),
        ('hi""""', '"""', 6),
        ('hi"""""', '"""', 7),
        ('hi\\""""', '"""', 7),  # an escaped quote, then the closing three
        ('hi\\\\"""', '"""', 7),  # an escaped backslash, then the closing three
        ('a "b" ""c"""', '"""', 12),
        ('hi"" no end', '"""', -1),
        ("it'''", "'''", 5),
        ("it''''", "'''", 6),
        ("it'''''", "'''", 7),
        ("it\\'''", "'''", 6),  # no escapes in a literal string
        ("it'' no end", "'''", -1),
    ],
)
def test_a_multiline_string_ends_where_toml_ends_it(text: str, quotes: str, end: int) -> None:
    assert string_end(text, 0, quotes) == end
    if end > 0:
        assert tomllib.loads(f"s = {quotes}{text[:end]}\nt = 1")["t"] == 1


def test_a_save_after_a_string_ending_in_a_quote_keeps_the_tree_table(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_text(QUOTED, encoding="utf-8")
    assert main(["set", str(path), "a", "owner=x"]) == 0
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["tree"] == {"title": 'The "big" tree', "as_of": tomllib.loads("d = 2026-06-30")["d"]}
    assert doc["nodes"]["a"] == {"name": 'Say "hi"', "kind": "goal", "unit": "€", "owner": "x"}
    assert doc["nodes"]["b"] == {"name": "B", "parent": "a"}
    assert (tmp_path / "f.toml~").read_text(encoding="utf-8") == QUOTED


def test_nodes_after_a_string_ending_in_a_quote_are_not_taken_for_scattered(tmp_path: Path) -> None:
    text = (
        "version = 1\n"
        'nodes.n3 = { name = """Name 3 with "quotes"""", owner = """Team""" }\n\n'
        '[nodes.n7]\nname = "Seven"\nparent = "n3"\n\n[nodes.n8]\nname = "Eight"\nparent = "n3"\n'
    )
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    source = scan(text, tomllib.loads(text))
    assert (source.nodes["n7"].form, source.nodes["n8"].form) == ("table", "table")
    assert main(["set", str(path), "n8", "owner=Y"]) == 0
    assert main(["set", str(path), "n7", "owner=Z"]) == 0
    nodes = tomllib.loads(path.read_text(encoding="utf-8"))["nodes"]
    assert (nodes["n7"]["owner"], nodes["n8"]["owner"], nodes["n3"]["name"]) == ("Z", "Y", 'Name 3 with "quotes"')


def _misplaced(text: str, doc: object, ids: set[str]) -> SourceMap:
    """A source map that puts node b's end at the end of the file (a scanner bug)."""
    found = scan(text)
    b = found.nodes["b"]
    return SourceMap(nodes={"b": NodeSource(line=b.line, start=b.start, end=len(text))}, text=text, complete=False)


def test_a_save_that_would_not_read_back_as_edited_is_refused_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = 'version = 1\n\n[nodes.b]\nname = "B"\n\n[nodes.c]\nname = "C"\nparent = "b"\n'
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "t.toml~").write_text("the backup", encoding="utf-8")
    monkeypatch.setattr("kpitui.io.source.locate", _misplaced)
    doc = Document.open(path)
    doc.set_fields("b", {"owner": "x"})
    with pytest.raises(SaveError, match=r"would not read back as edited .*nodes\.c missing"):
        doc.save()
    assert path.read_text(encoding="utf-8") == text
    assert (tmp_path / "t.toml~").read_text(encoding="utf-8") == "the backup"
    assert main(["set", str(path), "b", "owner=x"]) == 2
    assert "would not read back as edited" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == text


def test_differences_name_what_differs() -> None:
    nan = float("nan")
    assert differences({"a": [1, {"b": nan}]}, {"a": [1, {"b": nan}]}) == []
    assert differences({"nodes": {}, "x": 1}, {"x": 1}) == []
    assert differences({"a": 1, "b": 2}, {"a": 2, "b": 2}) == ["a changed"]
    assert differences({"t": {"x": 1}}, {"t": {"y": 1}}) == ["t.x added", "t.y missing"]
    assert differences({"l": [1, 2]}, {"l": [1, 3]}) == ["l[1] changed"]
    deep: object = 1
    for _ in range(5000):
        deep = [deep]
    assert differences({"d": deep}, {"d": deep}) == []


def _check_spans(shape: toml_shapes.Shape) -> None:
    text = shape.text.removeprefix(toml_shapes.BOM)
    doc = tomllib.loads(text)
    for source in (scan(text), scan(text, doc)):
        for node_id in shape.ids:
            src = source.nodes[node_id]
            assert src.form in ("table", "inline"), (node_id, src.form)
            alone = tomllib.loads(text[src.start : src.end])
            assert alone == {"nodes": {node_id: doc["nodes"][node_id]}}, node_id
    tables = [i for i in shape.ids if scan(text).nodes[i].form == "table"]
    if tables:
        target = locate(text, doc, set(tables[:1]))
        src = target.nodes[tables[0]]
        assert tomllib.loads(text[src.start : src.end]) == {"nodes": {tables[0]: doc["nodes"][tables[0]]}}


def edit_and_save(tmp_path: Path, shape: toml_shapes.Shape, rng: random.Random) -> None:
    """Edit one node of the shape at random, save, and check the file reads back as edited with
    every byte outside that node's span as it was."""
    path = tmp_path / "t.toml"
    data = shape.text.encode("utf-8")
    path.write_bytes(data)
    node_id = rng.choice(shape.ids)
    text = shape.text.removeprefix(toml_shapes.BOM)
    src = scan(text).nodes[node_id]
    value = toml_shapes.words(rng)
    doc = Document.open(path)
    doc.set_fields(node_id, {"owner": value})
    doc.save()
    saved = path.read_bytes()
    bom = len(data) - len(text.encode("utf-8"))
    before = data[: bom + len(text[: src.start].encode("utf-8"))]
    after = text[src.end :].encode("utf-8")
    assert saved.startswith(before)
    rest = saved[len(before) :]
    if src.form == "table":
        assert rest.endswith(after)
    else:  # an inline node moves to a table at the end of the file
        assert rest.startswith(after)
    # As kpitui reads TOML (its reader keeps a CRLF inside a multi-line string; tomllib makes it LF).
    intended = read_toml(text, "t.toml")
    intended["nodes"][node_id]["owner"] = value
    assert read_toml(saved.decode("utf-8").removeprefix(toml_shapes.BOM), "t.toml") == intended
    assert (tmp_path / "t.toml~").read_bytes() == data


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_every_node_span_read_alone_is_the_node_as_the_parser_reads_it(seed: int) -> None:
    _check_spans(toml_shapes.tree(random.Random(seed)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_an_edit_changes_no_byte_outside_its_node(tmp_path_factory: pytest.TempPathFactory, seed: int) -> None:
    rng = random.Random(seed)
    edit_and_save(tmp_path_factory.mktemp("edit"), toml_shapes.tree(rng), rng)


def test_the_proof_reads_big_files_in_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_module, "READ_WHOLE", 3)
    lines = ["version = 1", "", '[nodes.g]\nname = "G"\nkind = "goal"']
    lines += [f'[nodes.k{i}]\nname = "K{i}"\nparent = "g"' for i in range(8)]
    path = tmp_path / "t.toml"
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    doc = Document.open(path)
    doc.set_fields("k3", {"owner": "o"})
    doc.save()
    assert tomllib.loads(path.read_text(encoding="utf-8"))["nodes"]["k3"]["owner"] == "o"
