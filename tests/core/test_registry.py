"""The rules registry: every finding code defined once, complete, and read by everything else."""

from __future__ import annotations

import argparse
import json
import re
import tomllib
from pathlib import Path

import pytest

from kpitui.cli.rule import pages, run
from kpitui.model.domain import FINDING_SEVERITY, PAIR_CODES
from kpitui.model.registry import FAMILIES, RULES, SEVERITIES, rule
from tests.conftest import ROOT

DOCS = ROOT / "docs" / "rules"


def _codes_raised_in_the_code() -> set[str]:
    """Every code a finding is made with in kpitui's source (`_finding("code", …)` and alike)."""
    found: set[str] = set()
    for path in (ROOT / "kpitui").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r'_finding\(\s*"([a-z_]+)"', text))
        found.update(re.findall(r'Finding\(\s*"([a-z_]+)"', text))
        found.update(re.findall(r'code="([a-z_]+)"', text))
    return found


def test_every_code_is_defined_once_and_completely() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    for r in RULES:
        assert r.severity in SEVERITIES and r.family in FAMILIES
        assert r.summary.endswith(".") and r.why and r.fix and r.example
        if r.example_format == "toml":
            tomllib.loads(r.example)  # the example is a valid fragment of a tree file
        assert rule(r.code) is r


def test_every_code_the_analysis_raises_is_registered() -> None:
    raised = _codes_raised_in_the_code()
    assert raised, "the search for raised codes found none"
    assert raised <= set(FINDING_SEVERITY), raised - set(FINDING_SEVERITY)


def test_the_model_reads_severities_and_pairs_from_the_registry() -> None:
    assert {r.code: r.severity for r in RULES} == FINDING_SEVERITY
    assert {"conflict", "goodhart"} == PAIR_CODES


def test_errors_cannot_be_accepted_and_pairs_say_either_side_may() -> None:
    cycle, goodhart = rule("cycle"), rule("goodhart")
    assert cycle is not None and goodhart is not None
    assert "cannot be accepted" in cycle.accepting
    assert 'accept = { goodhart = "the reason" }' in goodhart.accepting and "Either node" in goodhart.accepting


@pytest.mark.parametrize("name", sorted(pages()))
def test_the_docs_page_is_the_registry_s(name: str) -> None:
    page = DOCS / name
    assert page.exists(), f"{page} is missing: run `make docs-rules`"
    assert page.read_text(encoding="utf-8") == pages()[name], f"{page} is out of date: run `make docs-rules`"


def test_no_page_of_a_code_that_is_gone() -> None:
    assert {p.name for p in DOCS.glob("*.md")} == set(pages())


def _run(
    capsys: pytest.CaptureFixture[str], code: str | None, every: bool = False, form: str = "text"
) -> tuple[int, str, str]:
    status = run(argparse.Namespace(code=code, all=every, format=form))
    out, err = capsys.readouterr()
    return status, out, err


def test_rule_prints_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "orphan")
    assert status == 0
    assert out.startswith("# orphan\n\n**warning** · structure\n\nA node that serves no goal.\n")
    assert "## How to fix it" in out and "## Accepting it" in out


def test_rule_all_lists_every_code_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, None, every=True)
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == [r.code for r in RULES]
    status, out, _ = _run(capsys, None, every=True, form="json")
    assert [item["code"] for item in json.loads(out)] == [r.code for r in RULES]


def test_an_unknown_code_is_refused_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "orphn")
    assert status == 2 and out == ""
    assert err == "kpitui rule: no finding code 'orphn' (did you mean 'orphan'?); `kpitui rule --all` lists them\n"


def test_the_json_of_a_rule_has_every_part(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "stale", form="json")
    item = json.loads(out)
    assert status == 0
    assert set(item) == {"code", "severity", "family", "summary", "why", "example", "fix", "accepting", "help_uri"}
    assert item["help_uri"].endswith("/docs/rules/stale.md")


def test_docs_folder_is_where_help_uri_points() -> None:
    for r in RULES:
        assert r.help_uri.endswith(f"docs/rules/{r.code}.md")
        assert (DOCS / f"{r.code}.md").exists()
    assert isinstance(DOCS, Path)


def test_kpitui_rule_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    assert main(["rule", "goodhart"]) == 0
    assert capsys.readouterr().out == pages()["goodhart.md"]
    assert main(["rule", "nope_nope"]) == 2
    assert "`kpitui rule --all` lists them" in capsys.readouterr().err


def test_one_identity_of_a_finding_across_dates_and_scenarios() -> None:
    from kpitui.model.domain import Finding

    declared = Finding("conflict", "info", "a", "managed tension", ("b",), kind="declared")
    same_later = Finding("conflict", "info", "a", "other numbers this week", ("b",), kind="declared", accepted=True)
    by_influence = Finding("conflict", "warning", "a", "pushing a up pushes b down", ("b",), kind="influence")
    assert declared.key == same_later.key
    assert declared.key != by_influence.key  # a managed tension that became a real conflict is news
