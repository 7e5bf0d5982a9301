"""Reading TOML in steps gives exactly the document read in one call, or reads it in one call."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path
from typing import Any

import pytest
import tomli
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import tree_text
from kpitui.io import loader, stepwise
from kpitui.io.loader import load_tree
from kpitui.io.stepwise import read_toml_in_steps
from kpitui.io.toml_read import SHALLOW_DEPTH, nesting, read_toml, shallow
from kpitui.model.domain import TreeLoadError
from tests.conftest import SAMPLES

HEAD = 'version = 1\n\n[tree]\ntitle = "T"\n\n'


def nodes(*ids: str) -> str:
    return "".join(f'[nodes.{i}]\nname = "{i.strip(chr(34))}"\n\n' for i in ids)


def both(text: str, per_step: int = 1) -> tuple[Any, Any]:
    """The one-call reading and the stepwise one: each the document, or the error's message and place."""
    results = []
    for read in (lambda: read_toml(text, "t.toml"), lambda: read_toml_in_steps(text, "t.toml", per_step=per_step)):
        try:
            results.append(read())
        except TreeLoadError as exc:
            results.append([(str(e.location), e.message) for e in exc.errors])
    return results[0], results[1]


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.toml")))
def test_every_sample_reads_the_same(sample: str) -> None:
    one, steps = both((SAMPLES / sample).read_text(encoding="utf-8"))
    assert steps == one and list(steps) == list(one) and list(steps.get("nodes", {})) == list(one.get("nodes", {}))


def test_a_generated_tree_reads_the_same_and_says_how_far_it_got() -> None:
    text = tree_text(2000)
    seen: list[tuple[int, int]] = []
    steps = read_toml_in_steps(text, "t.toml", lambda done, total: seen.append((done, total)), per_step=300)
    assert steps == read_toml(text, "t.toml") and list(steps["nodes"]) == [f"n{i}" for i in range(2000)]
    assert [d for d, _ in seen] == [*range(300, 2000, 300), 2000] and {t for _, t in seen} == {2000}


@pytest.mark.parametrize(
    "text",
    [
        # a cut would fall inside a multi-line string holding a line like a node's header
        HEAD + nodes("a") + '[nodes.b]\nname = "B"\ndescription = """\n[nodes.c]\nname = 1\n"""\n' + nodes("d", "e"),
        HEAD + nodes("a") + "[nodes.b]\nname = 'B'\ndescription = '''\n[nodes.c]\n'''\n" + nodes("d"),
        # a node defined twice, in different pieces: an error at its second definition
        HEAD + nodes("a", "b", "a"),
        HEAD + nodes("a", '"a"'),
        # a node's sub-table written after another node: valid, and the same document
        HEAD + nodes("a", "b") + "[nodes.a.thresholds]\non_track = 0.9\n",
        # `nodes` defined before its first table, or a [nodes] table: only the whole document can tell
        HEAD + "nodes = { }\n" + nodes("a", "b"),
        HEAD + "[nodes]\n" + nodes("a", "b") + "[nodes]\n",
        HEAD + nodes("a", "b") + "[nodes]\nx = 1\n",
        HEAD + nodes("a") + "[[nodes]]\nname = 'x'\n" + nodes("b"),
        # other tables after the nodes, one of them defined twice
        HEAD + nodes("a", "b") + "[tree.thresholds]\non_track = 0.9\n",
        HEAD + nodes("a", "b") + '[tree]\ntitle = "again"\n',
        HEAD + nodes("a", "b") + "[other]\nx = 1\n" + nodes("c"),
        # an unterminated array across a cut; a syntax error in a later piece
        HEAD + nodes("a") + '[nodes.b]\nparent = [\n"a",\n' + nodes("c"),
        HEAD + nodes("a", "b") + "[nodes.c]\nname = \n" + nodes("d"),
        # a piece too deep for toml-rs (it would crash the process): rtoml, then tomli read it
        HEAD + nodes("a") + "[nodes.b]\ndeep = " + "[" * 6000 + "]" * 6000 + "\n" + nodes("c"),
        HEAD + nodes("a") + "[nodes.b]\ndeep = " + "[" * 150 + "]" * 150 + "\n" + nodes("c"),
        HEAD + nodes("a") + "[nodes.b]\nk" + ".k" * 100_000 + " = 1\n" + nodes("c"),
        # a multi-line string cut where a line looks like a node table
        HEAD + nodes("a") + '[nodes.b]\ndescription = """\n[nodes.x]\nname = "X"\n"""\n' + nodes("c"),
        # a file that starts with a node table, or with [nodes]
        nodes("a", "b", "c"),
        "[nodes]\n" + nodes("a", "b"),
        # comments and blanks after headers; quoted ids
        HEAD + '[nodes.a] # first\nname = "A"\n[nodes."b c"]\nname = "B"\n[nodes.d]   \nname = "D"\n',
    ],
)
def test_tricky_documents_read_the_same(text: str) -> None:
    one, steps = both(text)
    assert steps == one
    if isinstance(one, dict):
        assert list(steps) == list(one) and list(steps.get("nodes", {})) == list(one.get("nodes", {}))
    if shallow(text.encode("utf-8")):  # then its pieces are read without proving each shallow again
        try:
            bounded: Any = read_toml_in_steps(text, "t.toml", per_step=1, bounded=True)
        except TreeLoadError as exc:
            bounded = [(str(e.location), e.message) for e in exc.errors]
        assert bounded == one


def test_a_big_file_is_loaded_in_pieces_as_it_reads_whole(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(tree_text(600), encoding="utf-8")
    whole = load_tree(path)
    pieces: list[int] = []

    def counting(text: str, name: str, step: Any = None, per_step: int = 0, *, bounded: bool = False) -> Any:
        pieces.append(per_step)
        return read_toml_in_steps(text, name, lambda done, _total: pieces.append(done), per_step, bounded=bounded)

    monkeypatch.setattr(stepwise, "read_toml_in_steps", counting)
    monkeypatch.setattr(loader, "PIECE_NODES", 200)
    monkeypatch.setattr(loader, "READ_WHOLE", 600)
    assert load_tree(path).doc == whole.doc and not pieces  # up to READ_WHOLE node tables: one call
    monkeypatch.setattr(loader, "READ_WHOLE", 599)
    tree = load_tree(path)
    assert pieces == [200, 200, 400, 600]
    assert tree.doc == whole.doc and list(tree.doc["nodes"]) == list(whole.doc["nodes"])
    assert tree.nodes == whole.nodes and list(tree.nodes) == list(whole.nodes)
    path.write_text(tree_text(600).replace('name = "Kpi 450', 'name = ["Kpi 450', 1), encoding="utf-8")
    with pytest.raises(TreeLoadError) as caught:  # an error in a later piece: where the whole file says
        load_tree(path)
    with pytest.raises(TreeLoadError) as reference:
        read_toml(path.read_text(encoding="utf-8"), str(path))
    assert [str(e) for e in caught.value.errors] == [str(e) for e in reference.value.errors]


def test_windows_line_ends_are_read_in_steps_too() -> None:
    text = tree_text(1000).replace("\n", "\r\n")
    seen: list[int] = []
    steps = read_toml_in_steps(text, "t.toml", lambda done, _total: seen.append(done), per_step=300)
    assert steps == read_toml(text, "t.toml") and seen == [300, 600, 900, 1000]


HEADERS = ["[nodes.a]", "[nodes.b]", '[nodes."c d"]', "[nodes.a.period]", "[nodes]", "[tree.thresholds]", "[other]"]
VALUES = [
    '"[[[ {{"',
    "'{ ]'",
    "[\n1,\n[2], # ]]\n]",
    "{ a = [1, { b = 2 }] }",
    "1.5",
    '"x" # [[ {',
    '"\\"[["',
    "[[1], [2]]",
    "[\n[nodes.z]\n]",
    '"""\n[nodes.z]\n"""',
    "[",
]
blocks = st.lists(
    st.tuples(st.sampled_from(HEADERS), st.lists(st.sampled_from(VALUES), max_size=3)),
    max_size=8,
)


@settings(max_examples=600, deadline=None)
@given(blocks=blocks)
def test_a_shallow_text_reads_the_same_in_unproved_pieces(blocks: list[tuple[str, list[str]]]) -> None:
    text = HEAD + "".join(
        f"{header}\n" + "".join(f"k{i} = {value}\n" for i, value in enumerate(values)) for header, values in blocks
    )
    if not shallow(text.encode("utf-8")):
        return
    # Each piece toml-rs may be given nests no deeper than the whole text was proved to.
    starts = [0, *(m.start() + 1 for m in stepwise._HEADER.finditer(text)), len(text)]
    for begin, end in itertools.pairwise(starts):
        with contextlib.suppress(tomli.TOMLDecodeError):
            assert nesting(tomli.loads(text[begin:end])) <= SHALLOW_DEPTH
    one = both(text)[0]
    try:
        steps: Any = read_toml_in_steps(text, "t.toml", per_step=1, bounded=True)
    except TreeLoadError as exc:
        steps = [(str(e.location), e.message) for e in exc.errors]
    assert steps == one
