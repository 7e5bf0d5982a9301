"""Loading a tree file: the model it gives, and a clear error for every kind of bad input."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpitui.io.loader import KpiTree, load_tree
from kpitui.model.domain import Period, TreeLoadError

Load = Callable[[str], KpiTree]


def errors_of(load: Load, text: str) -> list[str]:
    with pytest.raises(TreeLoadError) as info:
        load(text)
    return [str(e) for e in info.value.errors]


def test_nodes_keep_file_order_and_fields(load: Load) -> None:
    tree = load(
        """
        [tree]
        title = "T"
        period = { start = 2026-01-01, end = 2026-12-31 }
        [nodes.b]
        name = "B"
        kind = "goal"
        [nodes.a]
        name = "A"
        parent = ["b", "c"]
        target = 3_000
        direction = "decrease"
        influences = { b = "-", c = "+" }
        """
    )
    assert list(tree.nodes) == ["b", "a"]
    a = tree.nodes["a"]
    assert (a.kind, a.parents, a.target, a.direction, a.influences) == (
        "kpi",
        ("b", "c"),
        3000,
        "decrease",
        (("b", -1), ("c", 1)),
    )
    assert tree.settings.title == "T"
    assert tree.settings.period == Period(date(2026, 1, 1), date(2026, 12, 31))


def test_defaults(load: Load) -> None:
    node = load('[nodes.x]\nname = "X"\n').nodes["x"]
    assert (node.kind, node.direction, node.pacing, node.baseline, node.effective_baseline) == (
        "kpi",
        "increase",
        "level",
        None,
        None,
    )
    linear = load('[nodes.x]\nname = "X"\npacing = "linear"\n').nodes["x"]
    assert linear.effective_baseline == 0


def test_syntax_error_names_file_line_and_column(write_tree: Callable[[str], Path]) -> None:
    path = write_tree('[nodes.x]\nname = "X"\ntarget = = 3\n')
    with pytest.raises(TreeLoadError) as info:
        load_tree(path)
    assert str(info.value.errors[0]).startswith(f"{path}:3:10: not valid TOML")


def test_every_schema_error_is_listed_with_its_line(load: Load) -> None:
    errors = errors_of(
        load,
        """\
        [nodes.g]
        name = "G"
        kind = "goa"

        [nodes.k]
        name = "K"
        target = "lots"
        period = { start = 2026-05-01, end = 2026-01-01 }
        """,
    )
    assert len(errors) == 3
    assert errors[0].endswith(":3: `kind` is 'goa' (did you mean 'goal'?); use one of: goal | objective | kpi")
    assert errors[1].endswith(":7: `target` must be a number, not a string")
    assert errors[2].endswith(":8: `period` starts 2026-05-01 after it ends 2026-01-01; swap them")


def test_missing_name_points_at_the_node_table(load: Load) -> None:
    errors = errors_of(load, '[nodes.a]\nname = "A"\n\n[nodes.b]\nkind = "kpi"\n')
    assert len(errors) == 1
    assert errors[0].endswith(":4: node 'b' has no `name`; add name = \"...\"")


def test_other_version_is_a_schema_error(load: Load) -> None:
    errors = errors_of(load, 'version = 2\n[nodes.a]\nname = "A"\n')
    assert errors[0].endswith(":1: `version` is 2, but only format version 1 exists; set version = 1")


def test_wrong_types_everywhere(load: Load) -> None:
    errors = errors_of(
        load,
        """\
        [tree]
        as_of = "yesterday"
        [tree.thresholds]
        on_track = 0.8
        at_risk = 0.9
        [nodes.a]
        name = "A"
        measured = 2026-01-01T10:00:00
        parent = 3
        influences = { b = "up" }
        actual = true
        target = nan
        """,
    )
    assert [e.split(": ", 1)[1] for e in errors] == [
        "`as_of` must be a date like 2026-06-30, not a string",
        "`at_risk` (0.9) must not be above `on_track` (0.8)",
        "`measured` must be a date like 2026-06-30, not a date-time",
        "`parent` must be a node id or an array of node ids",
        'influence on \'b\' must be "+" or "-"',
        "`actual` must be a number, not a boolean",
        "`target` must be a finite number, not nan",
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TreeLoadError) as info:
        load_tree(tmp_path / "nope.toml")
    assert (
        str(info.value)
        == f"{tmp_path / 'nope.toml'}: no such file; check the path, or run `kpitui FILE` to start a new tree"
    )


def test_not_utf8_names_the_position(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[nodes.a]\nname = "Caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(TreeLoadError) as info:
        load_tree(path)
    assert str(info.value) == f"{path}:2:12: is not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TreeLoadError, match="is a directory"):
        load_tree(tmp_path)


def test_toml_that_is_not_a_tree(load: Load) -> None:
    errors = errors_of(load, 'title = "x"\n[owner]\nname = "Tom"\n')
    assert "is TOML but not a KPI tree" in errors[0]


def test_node_that_is_not_a_table(load: Load) -> None:
    errors = errors_of(load, '[nodes]\na = "A"\n')
    assert errors[0].endswith(":2: node 'a' must be a table [nodes.a] with at least a name")


def test_unknown_keys_are_kept_with_a_suggestion(load: Load) -> None:
    tree = load('[nodes.a]\nname = "A"\ntaget = 5\nfoo = { x = 1 }\n')
    node = tree.nodes["a"]
    assert node.extra == ("taget", "foo")
    assert node.raw["taget"] == 5
    assert node.raw["foo"] == {"x": 1}
    assert [(n, u.key, u.suggestion) for n, u in tree.unknown] == [("a", "taget", "target"), ("a", "foo", None)]


def test_byte_order_mark_is_accepted(write_tree: Callable[[str], Path]) -> None:
    path = write_tree('\ufeff[nodes.a]\nname = "A"\n')
    tree = load_tree(path)
    assert tree.bom and list(tree.nodes) == ["a"]


def test_source_positions_of_every_form(load: Load) -> None:
    tree = load(
        """\
        [nodes."quoted id"]
        name = '''
        [nodes.fake]
        '''

        [nodes.plain]  # a comment ]
        name = "P"
        [nodes.plain.period]
        start = 2026-01-01
        end = 2026-02-01

        [nodes]
        inline = { name = "I" }
        dotted.name = "D"
        """
    )
    src = tree.source.nodes
    assert list(src) == ["quoted id", "plain", "inline", "dotted"]
    assert (src["quoted id"].line, src["quoted id"].form) == (1, "table")
    assert (src["plain"].line, src["plain"].form, src["plain"].key_lines["period.start"]) == (6, "table", 9)
    assert tree.text[src["plain"].start : src["plain"].end].splitlines()[-1] == "end = 2026-02-01"
    assert (src["inline"].line, src["inline"].form) == (13, "inline")
    assert (src["dotted"].line, src["dotted"].form) == (14, "dotted")


def test_a_document_the_fast_reader_refuses_is_read_by_tomli(load: Load) -> None:
    # rtoml stops at a nesting depth of about 100; valid TOML nested deeper still loads.
    deep = "[" * 200 + "]" * 200
    tree = load(f'[nodes.x]\nname = "X"\nextra = {deep}\n')
    assert tree.nodes["x"].extra == ("extra",)
    value = tree.nodes["x"].raw["extra"]
    for _ in range(199):
        assert isinstance(value, list) and len(value) == 1
        value = value[0]
    assert value == []


def test_the_fast_reader_gives_the_standard_types(load: Load) -> None:
    tree = load('[nodes.x]\nname = "X"\nmeasured = 2026-06-01\nactual = 1_000\ntarget = 2.5\n')
    node = tree.nodes["x"]
    assert (node.measured, node.actual, node.target) == (date(2026, 6, 1), 1000, 2.5)
    assert type(node.actual) is int


def test_nodes_are_the_dataclass_the_fields_give() -> None:
    # Nodes are built without the frozen dataclass's checked assignments: the result must be
    # the very Node its constructor makes, on every node of every sample (all fields occur).
    from dataclasses import fields

    from kpitui.model.domain import Node
    from tests.conftest import SAMPLES

    seen: set[str] = set()
    for path in sorted(SAMPLES.glob("*.toml")):
        for node in load_tree(path).nodes.values():
            given = {f.name: getattr(node, f.name) for f in fields(Node)}
            made = Node(**given)
            assert node == made and repr(node) == repr(made) and hash(node) == hash(made)
            assert vars(node) == vars(made) and node.raw is made.raw
            seen |= {f.name for f in fields(Node) if getattr(node, f.name) != f.default}
    assert seen >= {"formula", "thresholds", "period", "influences", "accept", "weight", "horizon", "measured"}


@given(
    doc=st.recursive(
        st.integers(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
        max_leaves=30,
    )
)
def test_nesting_counts_levels_as_a_recursive_walk_does(doc: object) -> None:
    from kpitui.io.toml_read import nesting

    def depth(value: object) -> int:
        if isinstance(value, dict):
            return 1 + max((depth(v) for v in value.values()), default=0)
        if isinstance(value, list):
            return 1 + max((depth(v) for v in value), default=0)
        return 0

    assert nesting({"top": doc}) == depth({"top": doc})


def test_plain_values_are_read_exactly_as_their_field_readers_read_them() -> None:
    # read_node accepts common values (strings, choice words, finite numbers, dates, one id)
    # without calling the field's reader: node and errors must be those the reader gives.
    from datetime import datetime

    from kpitui.model.schema import NODE_FIELDS, _Checker, read_node

    values: list[object] = [
        "x", "", " ", "goal", "kpi", "team", "decrease", "linear", "monthly", "long", "sum", "a + b",
        0, 1, -3, 2.5, 0.0, -0.0, float("nan"), float("inf"), float("-inf"), True, False,
        10**400, -(10**400), int(1.7976931348623157e308), 1.7976931348623157e308,
        date(2026, 1, 2), datetime(2026, 1, 2, 3, 4), ["a", "b"], ["a", 1], [], {"start": date(2026, 1, 1)},
    ]  # fmt: skip
    for field in NODE_FIELDS:
        for value in values:
            table = {"name": "N", field.key: value} if field.key != "name" else {"name": value}
            node, errors = read_node("n", table)
            check = _Checker()
            expected = field.read(check, table, field.key)
            if check.errors or (field.key == "name" and not (isinstance(value, str) and value.strip())):
                assert node is None and errors, (field.key, value)
                if field.key != "name":
                    assert errors == check.errors, (field.key, value)
                continue
            assert node is not None and not errors, (field.key, value)
            got = getattr(node, field.target)
            if expected is None:
                continue
            assert got == expected and type(got) is type(expected), (field.key, value, got, expected)
