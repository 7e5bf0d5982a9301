"""The docs site: its reference pages are the code's, every name the code defines is on its page,
the tutorial runs as shown, and the code cites pages and sections that exist.

What each test reads comes from the code (the registry, the argparse parsers, the schema's
field tables, the config's settings, the TUI's bindings), never from a list kept here.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from kpitui.cli import COMMANDS, EXIT_CODES, parser
from kpitui.io.config import KEYS
from kpitui.model.registry import RULES
from kpitui.model.schema import (
    NODE_FIELDS,
    NODE_THRESHOLD_FIELDS,
    PERIOD_FIELDS,
    THRESHOLD_FIELDS,
    TOP_KEYS,
    TREE_FIELDS,
)
from tests.conftest import ROOT

DOCS = ROOT / "docs"
FIX = "run `make docs-reference`"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _generator()


@functools.cache
def _generated() -> dict[str, str]:
    return gen.pages()  # type: ignore[no-any-return]


def _page(path: str) -> str:
    return (DOCS / path).read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted(_generated()))
def test_the_reference_page_is_the_code_s(path: str) -> None:
    page = DOCS / path
    assert page.exists(), f"{page} is missing: {FIX}"
    assert page.read_text(encoding="utf-8") == _generated()[path], f"{page} is out of date: {FIX}"


def test_the_nav_lists_the_page_of_every_finding_code() -> None:
    assert (ROOT / "mkdocs.yml").read_text(encoding="utf-8") == gen.mkdocs_yml(), f"mkdocs.yml's nav: {FIX}"
    for r in RULES:
        assert f"      - {r.code}: rules/{r.code}.md\n" in gen.mkdocs_yml()


def test_every_finding_code_has_its_page_and_a_line_in_the_index() -> None:
    index = _page("rules/index.md")
    for r in RULES:
        assert (DOCS / "rules" / f"{r.code}.md").exists(), f"{r.code}: run `make docs-rules`"
        assert f"[`{r.code}`]({r.code}.md)" in index


def test_every_command_and_option_is_on_the_command_line_page() -> None:
    page = _page("reference/cli.md")
    for command in COMMANDS:
        assert f"\n## kpitui {command}\n" in page, command
    for command in (None, *COMMANDS):
        section = page.split(f"\n## kpitui{' ' + command if command else ''}\n", 1)[1].split("\n## ", 1)[0]
        for action in parser(command)._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            for option in action.option_strings:
                assert f"`{option}`" in section, (command, option)
            if not action.option_strings:
                assert f"`{action.metavar or action.dest.upper()}`" in section, (command, action.dest)
            for choice in action.choices or ():
                assert str(choice) in section, (command, choice)


def test_every_field_of_the_tree_format_is_on_its_page() -> None:
    page = _page("reference/tree-format.md")
    fields = {
        "": [*TOP_KEYS, *(f.key for f in NODE_FIELDS), *(f.key for f in TREE_FIELDS)],
        "period.": [f.key for f in PERIOD_FIELDS],
        "thresholds.": [f.key for f in (*THRESHOLD_FIELDS, *NODE_THRESHOLD_FIELDS)],
    }
    for prefix, keys in fields.items():
        for key in keys:
            assert f"| `{prefix}{key}` |" in page, f"{prefix}{key}"
    for field in (*NODE_FIELDS, *TREE_FIELDS, *PERIOD_FIELDS, *THRESHOLD_FIELDS):
        assert gen._cell(field.doc) in page, field.key


def test_the_tree_format_s_example_loads_without_a_finding_about_its_keys(tmp_path: Path) -> None:
    from kpitui.engine import analyze
    from kpitui.io.loader import load_tree

    path = tmp_path / "example.toml"
    path.write_text(gen.EXAMPLE, encoding="utf-8")
    (tmp_path / "measurements.csv").write_text("node,date,value\n", encoding="utf-8")
    codes = {f.code for f in analyze(load_tree(path)).findings}
    assert not codes & {"unknown_key", "dangling_ref", "cycle", "measurements_error"}, codes
    assert f"```toml\n{gen.EXAMPLE}```" in _page("reference/tree-format.md")


def test_every_setting_of_the_config_file_is_on_its_page() -> None:
    page = _page("reference/config.md")
    for key in KEYS:
        assert f"| `{key}` |" in page, key


def test_every_key_binding_is_on_the_keys_page_with_its_id_and_default_keys() -> None:
    page = _page("reference/keys.md")
    found = gen.bindings()
    assert len(found) > 50, "the search for bindings found too few"
    for _module, cls, binding in found:
        assert binding.id, f"{cls}: a binding without an id cannot be remapped"
        assert f"| `{binding.id}` | " in page, binding.id
        assert f"| `{binding.key}` |" in page, (binding.id, binding.key)


def test_every_exit_code_is_on_its_page() -> None:
    page = _page("reference/exit-codes.md")
    for code, _meaning in EXIT_CODES:
        assert f"\n| {code} | " in page, code


def test_the_tutorial_runs_as_shown(tmp_path: Path) -> None:
    text = _page("tutorial.md")
    shown, problems = gen.run_tutorial(text, tmp_path)
    assert problems == []
    assert shown == text, f"docs/tutorial.md shows outputs the commands no longer print: {FIX}"
    steps = gen.tutorial_steps(text)
    assert sum(len(s.commands) for s in steps if s.language == "sh") >= 7
    assert {"shop.toml", "measurements.csv", "week27.csv"} <= {s.file for s in steps}


def _anchors(page: Path) -> set[str]:
    from markdown.extensions.toc import slugify

    headings = re.findall(r"^#{1,6} (.+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
    return {slugify(h.replace("`", ""), "-") for h in headings}


def test_the_code_cites_docs_pages_and_sections_that_exist() -> None:
    cited: set[tuple[str, str]] = set()
    for path in [*(ROOT / "kpitui").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for page, anchors in re.findall(r"(docs/[\w/-]+\.md)((?:#[\w-]+(?:, | and | to )?)*)", text):
            cited.update((page, a) for a in re.findall(r"#([\w-]+)", anchors) or [""])
    assert ("docs/contract.md", "status") in cited
    for page, anchor in sorted(cited):
        assert (ROOT / page).exists(), page
        if anchor:
            assert anchor in _anchors(ROOT / page), f"{page}#{anchor}"


def test_the_code_cites_no_spec_file() -> None:
    """The contract is docs/contract.md: there is no SPEC file to cite."""
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "kpitui").rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bSPEC \d", line)
    ]
    assert found == []
