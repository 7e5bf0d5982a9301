"""`kpitui rule CODE`: what a finding code means, why it matters, how to fix and accept it.

The text is the rules registry's (`kpitui.model.registry`), as the docs' page per code is.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from kpitui.model.registry import RULES, rule


def parser(make: Callable[..., argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The command's options; `make` is the command line's parser class."""
    p = make(
        prog="kpitui rule",
        description="Explain a finding code: what it means, why it matters, an example, how to fix it and how "
        "to accept it. Without CODE (or with --all): every code, one line each.",
    )
    p.add_argument("code", nargs="?", help="a finding code, as `kpitui check` prints it (orphan, off_track, …)")
    p.add_argument("--all", action="store_true", help="list every code with its severity, family and summary")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    return p


def run(options: argparse.Namespace) -> int:
    if options.all or options.code is None:
        if options.format == "json":
            keys = ("code", "severity", "family", "summary", "help_uri")
            items = [{key: getattr(r, key) for key in keys} for r in RULES]
            sys.stdout.write(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
            return 0
        width = max(len(r.code) for r in RULES)
        for r in RULES:
            sys.stdout.write(f"{r.code:<{width}}  {r.severity:<7}  {r.family:<9}  {r.summary}\n")
        return 0
    found = rule(options.code)
    if found is None:
        from kpitui.model.schema import suggest

        close = suggest(options.code, tuple(r.code for r in RULES))
        hint = f" (did you mean {close!r}?)" if close else ""
        print(f"kpitui rule: no finding code {options.code!r}{hint}; `kpitui rule --all` lists them", file=sys.stderr)
        return 2
    if options.format == "json":
        item = {
            "code": found.code,
            "severity": found.severity,
            "family": found.family,
            "summary": found.summary,
            "why": found.why,
            "example": found.example,
            "fix": found.fix,
            "accepting": found.accepting,
            "help_uri": found.help_uri,
        }
        sys.stdout.write(json.dumps(item, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(found.page())
    return 0


def index_page() -> str:
    """The docs' list of every finding code, each linked to its page."""
    lines = [
        "# Finding codes",
        "",
        "Every finding `kpitui check` can report, generated from the rules registry",
        "(`kpitui/model/registry.py`); `kpitui rule CODE` prints the same page.",
        "",
        "| code | severity | family | what it means |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| [`{r.code}`]({r.code}.md) | {r.severity} | {r.family} | {r.summary} |" for r in RULES]
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    """The docs' rule pages by file name."""
    return {"index.md": index_page(), **{f"{r.code}.md": r.page() for r in RULES}}


def write_pages(folder: str | Path) -> None:
    """Write the rule pages into `folder` (`make docs-rules`), removing pages of codes gone."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for old in folder.glob("*.md"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        (folder / name).write_text(text, encoding="utf-8")
