"""`kpitui schema`: the JSON Schema agrees with the loader, and the samples point editors at it."""

from __future__ import annotations

import json
import math
import textwrap
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import tomli
from jsonschema import Draft202012Validator, FormatChecker

from kpitui.io.loader import parse_tree
from kpitui.model.domain import TreeLoadError
from kpitui.model.json_schema import schema_text, tree_schema
from tests.conftest import ROOT, SAMPLES

SHIPPED = ROOT / "kpitui" / "kpitui.schema.json"
VALIDATOR = Draft202012Validator(tree_schema(), format_checker=FormatChecker())


def as_json(value: Any) -> Any:
    """A parsed TOML value as an editor's schema check sees it: dates and times as strings."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def schema_refuses(text: str) -> bool:
    return not VALIDATOR.is_valid(as_json(tomli.loads(textwrap.dedent(text))))


def loader_refuses(text: str) -> bool:
    try:
        parse_tree(textwrap.dedent(text), Path("tree.toml"))
    except TreeLoadError:
        return True
    return False


def test_the_schema_is_draft_2020_12() -> None:
    Draft202012Validator.check_schema(tree_schema())
    assert tree_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_shipped_file_is_the_generated_schema() -> None:
    # After changing a field in kpitui/model/schema.py: .venv/bin/kpitui schema > kpitui/kpitui.schema.json
    assert SHIPPED.read_text(encoding="utf-8") == schema_text()


def test_the_schema_names_every_field_the_loader_reads() -> None:
    from kpitui.model.schema import NODE_KEYS, THRESHOLD_KEYS, TREE_KEYS

    schema = tree_schema()
    assert list(schema["$defs"]["node"]["properties"]) == list(NODE_KEYS)
    assert list(schema["properties"]["tree"]["properties"]) == list(TREE_KEYS)
    assert list(schema["properties"]["tree"]["properties"]["thresholds"]["properties"]) == list(THRESHOLD_KEYS)
    assert schema["$defs"]["node"]["properties"]["kind"]["enum"] == ["goal", "objective", "kpi"]
    assert schema["$defs"]["node"]["required"] == ["name"]


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.toml")))
def test_every_sample_validates_and_points_at_the_schema(sample: str) -> None:
    path = SAMPLES / sample
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#:schema ")
    assert (path.parent / first.removeprefix("#:schema ")).resolve() == SHIPPED.resolve()
    errors = [e.message for e in VALIDATOR.iter_errors(as_json(tomli.loads(path.read_text(encoding="utf-8"))))]
    assert errors == []


# Each schema error of tests/core/test_loader.py, one per document, plus the ones the
# field table adds (a choice, a whole number, a nested table, a blank name).
SCHEMA_ERRORS = {
    "kind not a choice": '[nodes.g]\nname = "G"\nkind = "goa"\n',
    "target a string": '[nodes.k]\nname = "K"\ntarget = "lots"\n',
    "missing name": '[nodes.a]\nname = "A"\n\n[nodes.b]\nkind = "kpi"\n',
    "blank name": '[nodes.a]\nname = "  "\n',
    "other version": 'version = 2\n[nodes.a]\nname = "A"\n',
    "version true": 'version = true\n[nodes.a]\nname = "A"\n',
    "as_of a string": '[tree]\nas_of = "yesterday"\n',
    "measured a date-time": '[nodes.a]\nname = "A"\nmeasured = 2026-01-01T10:00:00\n',
    "parent a number": '[nodes.a]\nname = "A"\nparent = 3\n',
    "influence not a sign": '[nodes.a]\nname = "A"\ninfluences = { b = "up" }\n',
    "actual a boolean": '[nodes.a]\nname = "A"\nactual = true\n',
    "node not a table": '[nodes]\na = "A"\n',
    "not a KPI tree": 'title = "x"\n[owner]\nname = "Tom"\n',
    "period without end": '[nodes.a]\nname = "A"\nperiod = { start = 2026-01-01 }\n',
    "period not a table": "[tree]\nperiod = 2026\n",
    "max_children zero": "[tree.thresholds]\nmax_children = 0\n",
    "max_children a fraction": "[tree.thresholds]\nmax_children = 2.5\n",
    "tree not a table": 'tree = "x"\n',
    "nodes not a table": 'nodes = "x"\n',
    "owner_type not a choice": '[nodes.a]\nname = "A"\nowner_type = "squad"\n',
    "weight zero": '[nodes.a]\nname = "A"\nweight = 0\n',
    "own thresholds not a table": '[nodes.a]\nname = "A"\nthresholds = 0.9\n',
    "own threshold negative": '[nodes.a]\nname = "A"\nthresholds = { at_risk = -0.1 }\n',
    "accept an unknown code": '[nodes.a]\nname = "A"\naccept = { of_track = "x" }\n',
    "accept an error": '[nodes.a]\nname = "A"\naccept = { cycle = "x" }\n',
    "accept a blank reason": '[nodes.a]\nname = "A"\naccept = { off_track = " " }\n',
    "accept not a table": '[nodes.a]\nname = "A"\naccept = "off_track"\n',
    "max_kpis zero": "[tree.thresholds]\nmax_kpis = 0\n",
}

# Rules that compare two values or need a value JSON cannot hold: the loader's alone.
LOADER_ONLY = {
    "period start after end": '[nodes.k]\nname = "K"\nperiod = { start = 2026-05-01, end = 2026-01-01 }\n',
    "at_risk above on_track": "[tree.thresholds]\non_track = 0.8\nat_risk = 0.9\n",
    "own at_risk above own on_track": '[nodes.k]\nname = "K"\nthresholds = { on_track = 0.8, at_risk = 0.9 }\n',
    "target nan": '[nodes.a]\nname = "A"\ntarget = nan\n',
}


@pytest.mark.parametrize("case", sorted(SCHEMA_ERRORS))
def test_every_schema_error_of_the_loader_is_refused_by_the_schema(case: str) -> None:
    text = SCHEMA_ERRORS[case]
    assert loader_refuses(text)
    assert schema_refuses(text)


@pytest.mark.parametrize("case", sorted(LOADER_ONLY))
def test_rules_on_two_values_are_the_loaders_alone(case: str) -> None:
    text = LOADER_ONLY[case]
    assert loader_refuses(text)
    assert not schema_refuses(text) or math.isnan(tomli.loads(text)["nodes"]["a"]["target"])


def test_the_loaders_whole_error_documents_are_refused() -> None:
    # The two multi-error documents of test_loader.py, as written there.
    every_error = """\
        [nodes.g]
        name = "G"
        kind = "goa"

        [nodes.k]
        name = "K"
        target = "lots"
        period = { start = 2026-05-01, end = 2026-01-01 }
        """
    wrong_types = """\
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
        """
    for text in (every_error, wrong_types):
        assert loader_refuses(text)
        assert schema_refuses(text)


def test_unknown_keys_are_allowed_as_the_loader_keeps_them() -> None:
    text = '[nodes.a]\nname = "A"\ntaget = 5\n'
    assert not loader_refuses(text)
    assert not schema_refuses(text)


def test_the_cli_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == tree_schema()
