"""Saving finds node tables whatever TOML key form names them (issue 7 item 3, docs/contract.md#saving)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpitui.io.loader import load_tree
from kpitui.services.document import Document

BARE = "abcxyzABZ019_-"
# Characters that stress a scanner: brackets, dots, quotes, escapes, comment signs, Unicode.
SPECIAL = " ][\"'.#=\\\t{}\n\u00e9\u20ac\U0001f600\u0000\u007f\u2028"
ids = st.text(alphabet=st.sampled_from(BARE + SPECIAL), min_size=1, max_size=6)


def _escape(ch: str, how: int) -> str:
    short = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\b": "\\b", "\f": "\\f", "\r": "\\r"}
    if how == 0 and ch in short:
        return short[ch]
    if how == 1 or ch in short or ord(ch) < 0x20 or ord(ch) == 0x7F:
        return f"\\u{ord(ch):04X}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08X}"
    if how == 2:
        return f"\\U{ord(ch):08x}"
    return ch


@st.composite
def key_form(draw: st.DrawFn, node_id: str) -> str:
    """One of the ways TOML lets a key name this id."""
    forms = ["basic"]
    if all(c in BARE for c in node_id):
        forms.append("bare")
    if all(c not in "'\n\r" and (ord(c) >= 0x20 or c == "\t") and ord(c) != 0x7F for c in node_id):
        forms.append("literal")
    form = draw(st.sampled_from(forms))
    if form == "bare":
        return node_id
    if form == "literal":
        return f"'{node_id}'"
    hows = draw(st.lists(st.integers(0, 3), min_size=len(node_id), max_size=len(node_id)))
    return '"' + "".join(_escape(c, h) for c, h in zip(node_id, hows, strict=True)) + '"'


@st.composite
def tree_files(draw: st.DrawFn) -> tuple[str, list[str]]:
    node_ids = draw(st.lists(ids, min_size=2, max_size=6, unique=True))
    parts = ['# top\n[tree]\ntitle = "T"  # ] not a header\n']
    for n, node_id in enumerate(node_ids):
        key = draw(key_form(node_id))
        sp = draw(st.sampled_from(["", " ", "\t"]))
        header = f"[{sp}nodes{sp}.{sp}{key}{sp}]"
        comment = draw(st.sampled_from(["", "  # [nodes.x]", ' # "]"']))
        body = f'name = "node {n}"\nnote = "[nodes.fake]"\n'
        if draw(st.booleans()):
            body += f"\n[{sp}nodes{sp}.{sp}{key}{sp}.{sp}period{sp}]\nstart = 2026-01-01\nend = 2026-12-31\n"
        parts.append(f"\n# about node {n}\n{header}{comment}\n{body}")
    return "".join(parts), node_ids


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=tree_files(), choices=st.data())
def test_every_untouched_node_survives_a_save_whatever_its_key_form(
    tmp_path: Path, data: tuple[str, list[str]], choices: st.DataObject
) -> None:
    text, node_ids = data
    path = tmp_path / "keys.toml"
    path.write_text(text, encoding="utf-8")
    original = tomllib.loads(text)["nodes"]
    assert list(original) == node_ids
    doc = Document.open(path)
    touched: set[str] = set()
    for node_id in node_ids:
        action = choices.draw(st.sampled_from(["keep", "keep", "set", "delete"]))
        if action == "set":
            doc.set_fields(node_id, {"actual": 1})
            touched.add(node_id)
        elif action == "delete":
            doc.delete_node(node_id, children="reparent")
            touched.add(node_id)
    new_id = choices.draw(ids.filter(lambda i: i not in node_ids))
    doc.add_node({"name": "new"}, node_id=new_id)
    expected = {k: dict(v) for k, v in doc.tables.items()}
    doc.save()
    saved = path.read_text(encoding="utf-8")
    assert {k: dict(v) for k, v in load_tree(path).doc["nodes"].items()} == expected
    for node_id in node_ids:
        if node_id not in touched:
            assert expected[node_id] == original[node_id]
    assert saved.startswith('# top\n[tree]\ntitle = "T"  # ] not a header\n')


@pytest.mark.parametrize(
    "header",
    [
        '[nodes."b]"]',
        "[nodes.'b]']",
        '[nodes."b\\"]"]',
        '[nodes."b\\u005D"]',
        '[ nodes . "b]" ]',
        '[nodes."a.b]"]',
    ],
)
def test_saving_the_node_above_a_quoted_id_with_a_bracket_keeps_it(tmp_path: Path, header: str) -> None:
    path = tmp_path / "t.toml"
    text = f'[nodes.a]\nname = "A"\n\n{header}\nname = "B"\nparent = "a"\n'
    path.write_text(text, encoding="utf-8")
    (b_id,) = [k for k in tomllib.loads(text)["nodes"] if k != "a"]
    doc = Document.open(path)
    doc.set_fields("a", {"actual": 2})
    doc.save()
    assert (
        path.read_text(encoding="utf-8") == f'[nodes.a]\nname = "A"\nactual = 2\n\n{header}\nname = "B"\nparent = "a"\n'
    )
    assert load_tree(path).doc["nodes"][b_id] == {"name": "B", "parent": "a"}


@pytest.mark.parametrize("node_id", [" = ", "a = b", '" = "', "x = 0"])
def test_a_new_id_holding_an_equals_sign_is_written_as_one_quoted_key(tmp_path: Path, node_id: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[nodes.a]\nname = "A"\n', encoding="utf-8")
    doc = Document.open(path)
    doc.add_node({"name": "new"}, node_id=node_id)
    doc.save()
    assert load_tree(path).doc["nodes"] == {"a": {"name": "A"}, node_id: {"name": "new"}}
