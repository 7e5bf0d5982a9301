"""The fast TOML reader (toml-rs) only reads documents `shallow` has proved to nest shallowly.

toml-rs crashes the process on values nested thousands of levels deep, so `shallow` must
never call such a document shallow: hostile documents, the toml-test corpus and random
documents check that whatever it accepts nests at most SHALLOW_DEPTH levels, and that the
result of loading (the document, or the error and its position) is the same as without it.
"""

import contextlib
import json
import math
import random
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import tomli
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from kpitui.io.loader import load_tree
from kpitui.io.toml_read import SHALLOW_DEPTH, nesting, read_toml, shallow
from kpitui.model.domain import TreeLoadError
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "toml-test" / "tests"  # the public toml-test corpus (MIT, LICENSE beside it)
FILES = sorted(CORPUS.rglob("*.toml")) if CORPUS.exists() else []

N = 100_000
HOSTILE = {
    "deep array": "a = " + "[" * 6000 + "]" * 6000 + "\n",
    "deep inline table": "a = " + "{b = " * 6000 + "1" + "}" * 6000 + "\n",
    "deep mixed": "a = " + "[{b = " * 3000 + "1" + "}]" * 3000 + "\n",
    "dotted key": "a" + ".a" * N + " = 1\n",
    "dotted key, spaces": "a" + " . a" * N + " = 1\n",
    "dotted key, quoted parts": '"a"' + '."a"' * N + " = 1\n",
    "header": "[a" + ".a" * N + "]\n",
    "array of tables header": "[[a" + ".a" * N + "]]\n",
    "dotted key in inline table": "x = { a" + ".a" * N + " = 1 }\n",
    "deep array after a string of closing brackets": 'a = "' + "]" * 6000 + '"\nb = ' + "[" * 6000 + "]" * 6000 + "\n",
    "deep array after a comment of closing brackets": "# " + "]" * 6000 + "\nb = " + "[" * 6000 + "]" * 6000 + "\n",
    "deep array after a literal string": "a = '" + "]" * 6000 + "'\nb = " + "[" * 6000 + "]" * 6000 + "\n",
    "deep array after multi-line strings": 'a = """\n'
    + "]" * 6000
    + "\n\"\"\"\nc = '''\n]]]\n'''\nb = "
    + "[" * 6000
    + "]" * 6000
    + "\n",
    "deep array after escaped quotes": 'a = "\\"]]]]\\\\"\nb = ' + "[" * 6000 + "]" * 6000 + "\n",
    "string closing brackets inside the array": "a = " + '["]", ' * 3000 + "1" + "]" * 3000 + "\n",
    "multi-line array": "a = [\n" + "[\n" * 6000 + "]\n" * 6000 + "]\n",
    "many dots on one line of floats": "a = [" + "1.5, " * 20 + "]\n",
    "unterminated string": 'a = "' + "[" * 6000 + "\n",
    "unterminated multi-line string": 'a = """' + "[" * 6000 + "\n",
    "four quotes": 'a = """x""""\nb = ' + "[" * 6000 + "]" * 6000 + "\n",
    "unbalanced": "a = " + "[" * 6000 + "\n",
    "mismatched": "a = [[}}\n",
    # toml-rs reads on after an error: where it reads a string or a comment differently
    "lone carriage return in a comment": "a = 1 # x\r b = " + "[" * 20_000 + "]" * 20_000 + "\n",
    "escaped quote outside a string": '\\"a" = ' + "[" * 20_000 + "]" * 20_000 + ' "\n',
    "escaped quote outside a string, in a table": '[t]\n\\"a" = ' + "[" * 20_000 + "]" * 20_000 + ' "\n',
    "control character in a string": 'a.b"\x7f=' + "[" * 20_000 + '"\n',
    "line separator outside a string": '.\u2028" = ' + "{a=" * 12_000 + '"\n',
    # arrays of inline tables: one level a bracket, not two a round
    "alternating brackets": "a = " + "[{a = " * 15 + "1" + "}]" * 15 + "\n",
}


def outcome(text: str, *, fast: bool) -> Any:
    """The document read (as comparable values) or the error's text, with toml-rs or without."""
    try:
        return normal(read_toml(text, "f.toml", bounded=fast and shallow(text.encode())))
    except TreeLoadError as exc:
        return [str(e) for e in exc.errors]


def normal(value: Any) -> Any:
    if isinstance(value, dict):
        return ("table", [(k, normal(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [normal(v) for v in value])
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value, math.copysign(1, value))
    if isinstance(value, datetime):  # rtoml's time zones are its own class, toml-rs's the standard one
        return ("datetime", value.replace(tzinfo=None), value.utcoffset())
    return (type(value).__name__, value)


def test_the_bound_stays_within_the_loaders_depth_limit() -> None:
    from kpitui.io.toml_read import DEPTH_LIMIT

    assert SHALLOW_DEPTH <= DEPTH_LIMIT


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_documents_are_never_called_shallow(name: str) -> None:
    text = HOSTILE[name]
    assert not shallow(text.encode())


def load_outcome(path: Path, monkeypatch: pytest.MonkeyPatch, *, fast: bool) -> Any:
    """The nodes loaded from `path` or the errors' text, with the guard or without it."""
    with monkeypatch.context() as patched:  # undone alone: the XDG folders stay the test's own
        if not fast:
            patched.setattr("kpitui.io.loader.shallow", lambda data: False)  # the name the loader calls
        try:
            tree = load_tree(path)
        except TreeLoadError as exc:
            return [str(e) for e in exc.errors]
    return list(tree.nodes.values()), normal(tree.doc)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_documents_load_as_before(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = HOSTILE[name]
    assert outcome(text, fast=True) == outcome(text, fast=False)
    path = tmp_path / "f.toml"
    path.write_text(f'{text}\n[nodes.a]\nname = "A"\n', encoding="utf-8")
    assert load_outcome(path, monkeypatch, fast=True) == load_outcome(path, monkeypatch, fast=False)


@pytest.mark.parametrize(
    "text",
    [
        'a = "]]]"\nb = [[1]]\n',
        "# [[[[\nb = [[1]]\n",
        'a = ""\nb = "" # ""\n',
        'a = "x\\\\"\nb = [1]\n',
        "[a.b.c]\nd.e.f = { g.h = [1.5, 2.5] }\n",
        "[[a]]\n[[a.b]]\n[a.b.c]\n",
        "a = [\"x\", \"y\", 'z', 'w']\nb = [[1]]\n",  # quotes in a row once the rest is left out
        'a = "x\\"' + "[" * 6000 + '"\n',
    ],
)
def test_ordinary_documents_are_shallow(text: str) -> None:
    assert shallow(text.encode())
    assert outcome(text, fast=True) == outcome(text, fast=False)


@pytest.mark.parametrize(
    "text",
    [
        "a = '''\n[[[[\n'''\nb = [[1]]\n",
        'a = """\n\\"""[[[[\n"""\nb = [[1]]\n',
        'a = "x"\nb = [' + "1.5, " * 9 + "]\n",
        "a" + ".a" * 9 + " = 1\n",
        "a = " + "[" * 17 + "]" * 17 + "\n",
        "a = [[}}\n",
    ],
)
def test_doubt_is_not_shallow(text: str) -> None:
    # Multi-line strings (told apart by adjacent quotes, which the guard does not keep), too
    # many dots on a line, brackets too deep or unbalanced: read by rtoml, as before toml-rs.
    assert not shallow(text.encode())
    assert outcome(text, fast=True) == outcome(text, fast=False)


@pytest.mark.skipif(not FILES, reason="tests/data/toml-test is missing")
def test_the_corpus_reads_the_same_with_the_fast_reader() -> None:
    called_shallow = 0
    for path in FILES:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if shallow(data):
            called_shallow += 1
            with contextlib.suppress(tomli.TOMLDecodeError):
                assert nesting(tomli.loads(text)) <= SHALLOW_DEPTH, path
        assert outcome(text, fast=True) == outcome(text, fast=False), path
    assert called_shallow > 550


toml_values = st.recursive(
    st.integers() | st.floats(allow_nan=False) | st.text(max_size=5) | st.booleans(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet="ab.\"[]#\\' ", min_size=1, max_size=3), inner, max_size=3)
    ),
    max_leaves=60,
)


@settings(max_examples=200, deadline=None)
@given(doc=st.dictionaries(st.text(alphabet="ab.\"[]#\\' ", min_size=1, max_size=3), toml_values, max_size=4))
def test_shallow_documents_nest_within_the_bound(doc: dict[str, Any]) -> None:
    text = tomli_w.dumps(doc)
    assert tomli.loads(text) == doc
    if shallow(text.encode()):
        assert nesting(doc) <= SHALLOW_DEPTH
    assert outcome(text, fast=True) == outcome(text, fast=False)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from(['"', "'", '"""', "'''", "#", "\n", "[", "]", "{", "}", ".", "a", " = ", ", ", "\\", "1", " "]),
        max_size=60,
    )
)
def test_any_text_the_guard_accepts_nests_within_the_bound(pieces: list[str]) -> None:
    text = "".join(pieces)
    if shallow(text.encode()):
        with contextlib.suppress(tomli.TOMLDecodeError):
            assert nesting(tomli.loads(text)) <= SHALLOW_DEPTH
    assert outcome(text, fast=True) == outcome(text, fast=False)


DEEP = "[" * 20_000  # toml-rs crashes the process from about 10,000 levels
PIECES = ['"', "'", "#", "\n", "\r", "\r\n", "\\", "[", "]", "{", "}", ".", "a", " = ", ", ", "1", " ", "x"]
PIECES += ["\x7f", "\u2028", "@", "\n[nodes.a]\n", "\n[nodes.b]\n", DEEP]


def test_no_text_the_guard_accepts_crashes_the_fast_reader(tmp_path: Path) -> None:
    # Random texts with 20,000 brackets somewhere, among quotes, comment marks, line ends and
    # backslashes: whatever `shallow` accepts, toml-rs reads without crashing (in a process of
    # its own, which a crash ends with a signal).
    rng = random.Random(11)
    accepted: list[str] = []
    for _ in range(200_000):
        parts = [rng.choice(PIECES) for _ in range(rng.randrange(2, 16))]
        if DEEP not in parts:
            parts.append(DEEP)
            rng.shuffle(parts)
        text = "".join(parts)
        if shallow(text.encode()):
            accepted.append(text)
            if len(accepted) == 200:
                break
    assert len(accepted) >= 100, "the guard accepted some of the texts to try"
    (tmp_path / "texts.json").write_text(json.dumps(accepted), encoding="utf-8")
    script = (  # each text whole, and in pieces of one node table each, as a big file is read
        "import json, sys, toml_rs\n"
        "from kpitui.io.stepwise import read_toml_in_steps\n"
        "for i, text in enumerate(json.load(open(sys.argv[1], encoding='utf-8'))):\n"
        "    print(i, flush=True)\n"
        "    for read in (toml_rs.loads, lambda t: read_toml_in_steps(t, 't', per_step=1, bounded=True)):\n"
        "        try:\n"
        "            read(text)\n"
        "        except Exception:\n"
        "            pass\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "texts.json")], capture_output=True, text=True)
    last = done.stdout.split()[-1] if done.stdout.split() else "0"
    assert done.returncode == 0, f"toml-rs crashed on {accepted[int(last)][:200]!r}"
