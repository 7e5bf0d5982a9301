"""`kpitui check` for CI: several files, JSON with lines and load errors, GitHub annotations, SARIF."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from kpitui.cli import main
from kpitui.engine import analyze
from kpitui.io.loader import load_tree
from kpitui.model.registry import rule
from kpitui.outputs.ci import Failed, as_github, as_json, as_sarif
from tests.conftest import SAMPLES

SARIF_SCHEMA = json.loads((Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))

TREE = """\
[nodes.g]
name = "Goal"
kind = "goal"

[nodes.k]
name = "Vanity, 100%"
parent = "nope"
"""
BROKEN = '[nodes.a]\nname = "A"\nkind = "goa"\ntarget = "lots"\n'


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def files(write_tree: Callable[..., Path]) -> tuple[str, str]:
    return str(write_tree(TREE, "tree.toml")), str(write_tree(BROKEN, "broken.toml"))


def test_json_findings_carry_the_line_of_their_node_and_accepted(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, files[0], "--format", "json", "--fail-on", "never")
    doc = json.loads(out)
    assert code == 0
    assert doc["file"] == files[0]
    by_code = {f["code"]: f for f in doc["findings"]}
    assert by_code["dangling_ref"]["line"] == 5
    assert by_code["dangling_ref"]["node"] == "k"
    assert by_code["unmeasured_goal"]["line"] == 1
    assert all(f["accepted"] is False and "reason" not in f for f in doc["findings"])


def test_several_files_give_an_array_with_load_errors_in_place(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = check(capsys, files[1], files[0], "--format", "json")
    doc = json.loads(out)
    assert code == 2
    assert err == ""
    assert [d["file"] for d in doc] == [files[1], files[0]]
    assert doc[0] == {
        "file": files[1],
        "errors": [
            {
                "line": 3,
                "column": None,
                "message": "`kind` is 'goa' (did you mean 'goal'?); use one of: goal | objective | kpi",
            },
            {"line": 4, "column": None, "message": "`target` must be a number, not a string"},
        ],
    }
    assert "findings" in doc[1]


def test_a_missing_file_is_an_error_object_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.toml")
    code, out, _ = check(capsys, missing, "--format", "json")
    assert code == 2
    doc = json.loads(out)
    assert doc["file"] == missing
    assert doc["errors"][0]["line"] is None
    assert doc["errors"][0]["message"].startswith("no such file")


def test_syntax_errors_carry_line_and_column(
    write_tree: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(write_tree('[nodes.x]\nname = "X"\ntarget = = 3\n'))
    _, out, _ = check(capsys, path, "--format", "json")
    error = json.loads(out)["errors"][0]
    assert (error["line"], error["column"]) == (3, 10)


def test_text_checks_every_file_and_exits_2_when_one_fails(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = check(capsys, files[1], files[0])
    assert code == 2
    assert f"{files[1]}:3: `kind` is 'goa'" in err
    assert "2 problems; the file was not loaded" in err
    assert "dangling_ref" in out


def test_several_good_files_exit_1_when_one_has_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    good = str(SAMPLES / "spijkerfabriek_hersteld.toml")
    code, out, _ = check(capsys, good, str(SAMPLES / "sales.toml"), "--format", "json", "--fail-on", "error")
    assert code == 1
    assert len(json.loads(out)) == 2


def test_github_annotations_one_per_finding_on_the_nodes_line(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, files[0], "--format", "github")
    lines = out.splitlines()
    analysis = analyze(load_tree(files[0]))
    assert len(lines) == len(analysis.findings)
    assert code == 1
    dangling = next(line for line in lines if "dangling_ref" in line)
    assert dangling.startswith(f"::error file={files[0]},line=5,title=kpitui dangling_ref::'Vanity, 100%25' names")
    goal = next(line for line in lines if "unmeasured_goal" in line)
    assert goal.startswith(f"::warning file={files[0]},line=1,title=kpitui unmeasured_goal::")
    assert any(line.startswith("::notice ") for line in lines)  # info findings are notices


def test_github_load_errors_are_error_annotations(files: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, files[1], "--format", "github")
    assert code == 2
    assert out.splitlines()[0] == (
        f"::error file={files[1]},line=3,title=kpitui load_error::"
        "`kind` is 'goa' (did you mean 'goal'?); use one of: goal | objective | kpi"
    )


def test_github_escapes_newlines_and_property_separators() -> None:
    failed = Failed("a,b:c.toml", [])
    assert as_github([failed]) == ""
    from kpitui.model.domain import LoadError, Location

    failed = Failed("a,b:c.toml", [LoadError(Location("a,b:c.toml", 2), "one\ntwo 5%")])
    assert as_github([failed]) == "::error file=a%2Cb%3Ac.toml,line=2,title=kpitui load_error::one%0Atwo 5%25\n"


def test_accepted_findings_say_so_in_json_github_and_sarif(files: tuple[str, str]) -> None:
    analysis = analyze(load_tree(files[0]))
    first = analysis.findings[0]
    accepted = dataclasses.replace(first, accepted=True, reason="known, fixed next sprint")
    analysis.findings[0] = accepted
    item = json.loads(as_json([analysis], several=False))["findings"][0]
    assert (item["accepted"], item["reason"]) == (True, "known, fixed next sprint")
    assert as_github([analysis]).splitlines()[0].startswith("::notice ")
    assert "(accepted: known, fixed next sprint)" in as_github([analysis]).splitlines()[0]
    result = json.loads(as_sarif([analysis]))["runs"][0]["results"][0]
    assert result["suppressions"] == [{"kind": "inSource", "justification": "known, fixed next sprint"}]


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.toml")))
def test_sarif_of_every_sample_is_valid_sarif_2_1_0(sample: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = check(capsys, str(SAMPLES / sample), "--format", "sarif")
    log = json.loads(out)
    Draft4Validator(SARIF_SCHEMA).validate(log)
    assert log["version"] == "2.1.0"


def test_sarif_has_one_rule_per_code_and_results_point_at_lines(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, files[0], files[1], "--format", "sarif")
    log = json.loads(out)
    Draft4Validator(SARIF_SCHEMA).validate(log)
    assert code == 2
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules))
    analysis = analyze(load_tree(files[0]))
    assert set(rules) == {f.code for f in analysis.findings} | {"load_error"}
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    dangling = next(r for r in run["results"] if r["ruleId"] == "dangling_ref")
    location = dangling["locations"][0]["physicalLocation"]
    assert location["region"] == {"startLine": 5}
    assert location["artifactLocation"]["uri"].endswith("/tree.toml")
    assert dangling["level"] == "error"
    load = [r for r in run["results"] if r["ruleId"] == "load_error"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in load] == [3, 4]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["unmeasured_goal"] == "warning"
    assert levels["not_smart"] == "note"


def test_github_never_prints_control_characters_from_the_file(
    write_tree: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(write_tree('[nodes.k]\nname = "K\\u001b]0;owned\\u0007"\n'))
    _, out, _ = check(capsys, path, "--format", "github")
    assert "\x1b" not in out and "\x07" not in out
    assert "K\\x1b]0;owned\\x07" in out


def test_every_sarif_rule_has_its_page_from_the_registry(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = check(capsys, files[0], files[1], "--format", "sarif")
    rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    for item in rules:
        assert item["fullDescription"]["text"] and item["help"]["text"] and item["help"]["markdown"]
        found = rule(item["id"])
        if found is None:
            assert item["id"] == "load_error"
            continue
        assert item["shortDescription"]["text"] == found.summary
        assert item["fullDescription"]["text"] == found.why
        assert item["help"]["markdown"] == found.page()
        assert item["helpUri"].endswith(f"/docs/rules/{found.code}.md")
