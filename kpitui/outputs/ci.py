"""`kpitui check` for CI: JSON per file, GitHub workflow commands and SARIF 2.1.0.

Each checked file is either an Analysis or the TreeLoadError that stopped it; every
format reports both, in the order the files were named.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpitui.analysis.results import Analysis
from kpitui.common.text import safe_json, safe_text
from kpitui.common.version import __version__
from kpitui.model.domain import Finding, LoadError
from kpitui.model.registry import rule
from kpitui.outputs.text_report import summary

HOMEPAGE = "https://github.com/kpitui/kpitui"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LOAD_ERROR = "load_error"
GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}

LOAD_ERROR_TEXT = "The file could not be loaded: not readable, not TOML, or a value the schema refuses."
LOAD_ERROR_HELP = (
    "kpitui could not read the tree, so nothing in it was checked. The message names the line and "
    "what to do there: fix the syntax, the value or the encoding it points at, then check again. "
    "A load error cannot be accepted."
)


@dataclass(frozen=True)
class Failed:
    """A file that could not be loaded, with every reason."""

    file: str
    errors: list[LoadError]


Checked = Analysis | Failed


def finding_line(analysis: Analysis, finding: Finding) -> int | None:
    """The line of the finding's node table, or None when it has no node in the file."""
    if finding.node is None:
        return None
    return analysis.tree.source.line_of(finding.node) or None


def finding_place(analysis: Analysis, finding: Finding) -> tuple[str, int | None]:
    """The file and line an annotation points at: a row of the measurements file for a finding
    about one, else the tree file and its node's table."""
    if finding.place is not None:
        return finding.place.file, finding.place.line or None
    return str(analysis.tree.path), finding_line(analysis, finding)


def finding_json(analysis: Analysis, finding: Finding) -> dict[str, Any]:
    """One finding as `check --format json` prints it."""
    item: dict[str, Any] = {
        "code": finding.code,
        "severity": finding.severity,
        "node": finding.node,
        "related": list(finding.related),
        "message": finding.message,
        "line": finding_line(analysis, finding),
        "accepted": finding.accepted,
    }
    if finding.accepted:
        item["reason"] = finding.reason
    if finding.kind is not None:
        item["kind"] = finding.kind
    return item


def file_json(checked: Checked) -> dict[str, Any]:
    """One file's report: its findings, or the errors that stopped it loading."""
    if isinstance(checked, Failed):
        return {
            "file": checked.file,
            "errors": [
                {"line": e.location.line or None, "column": e.location.col or None, "message": e.message}
                for e in checked.errors
            ],
        }
    return {
        "file": str(checked.tree.path),
        "as_of": checked.as_of.isoformat(),
        "findings": [finding_json(checked, f) for f in checked.findings],
        "summary": summary(checked.findings),
    }


def as_json(results: list[Checked], several: bool) -> str:
    """One object for one file; an array of them, in order, for several."""
    docs = [file_json(c) for c in results]
    import json

    return safe_json(json.dumps(docs if several else docs[0], ensure_ascii=False, indent=2))


def _data(text: str) -> str:
    # File text never reaches the CI log raw (an escape sequence would restyle or hide lines).
    text = safe_text(text, newlines=True)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, file: str, line: int | None, col: int | None, title: str, message: str) -> str:
    props = [f"file={_property(file)}"]
    if line:
        props.append(f"line={line}")
        if col:
            props.append(f"col={col}")
    props.append(f"title={_property(title)}")
    return f"::{level} {','.join(props)}::{_data(message)}"


def as_github(results: list[Checked]) -> str:
    """GitHub Actions workflow commands: one annotation per finding and per load error.

    Accepted findings are notices that say so, so they never look like a failure.
    """
    lines: list[str] = []
    for checked in results:
        if isinstance(checked, Failed):
            for e in checked.errors:
                line, col = e.location.line or None, e.location.col or None
                lines.append(_command("error", checked.file, line, col, "kpitui load_error", e.message))
            continue
        for f in checked.findings:
            level = "notice" if f.accepted else GITHUB_LEVEL[f.severity]
            message = f"{f.message} (accepted: {f.reason})" if f.accepted else f.message
            file, line = finding_place(checked, f)
            lines.append(_command(level, file, line, None, f"kpitui {f.code}", message))
    return "".join(line + "\n" for line in lines)


def _uri(file: str) -> str:
    path = Path(file)
    from urllib.parse import quote

    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


def _location(file: str, line: int | None, col: int | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(file)}}
    if line:
        physical["region"] = {"startLine": line, **({"startColumn": col} if col else {})}
    return {"physicalLocation": physical}


def _sarif_rule(code: str, level: str) -> dict[str, Any]:
    """A SARIF rule with the registry's words: GitHub code scanning shows `help` as the rule's page."""
    found = rule(code)
    if found is None:  # a load error
        return {
            "id": code,
            "shortDescription": {"text": LOAD_ERROR_TEXT},
            "fullDescription": {"text": LOAD_ERROR_TEXT},
            "help": {"text": LOAD_ERROR_HELP, "markdown": LOAD_ERROR_HELP},
            "defaultConfiguration": {"level": level},
        }
    return {
        "id": code,
        "shortDescription": {"text": found.summary},
        "fullDescription": {"text": found.why},
        "help": {"text": f"{found.fix} {found.accepting}", "markdown": found.page()},
        "helpUri": found.help_uri,
        "defaultConfiguration": {"level": level},
        "properties": {"family": found.family},
    }


def as_sarif(results: list[Checked]) -> str:
    """A SARIF 2.1.0 log: one run, one rule per finding code, one result per finding or load error."""
    items: list[tuple[str, str, dict[str, Any]]] = []  # (code, severity, result without rule)
    for checked in results:
        if isinstance(checked, Failed):
            for e in checked.errors:
                where = _location(checked.file, e.location.line or None, e.location.col or None)
                items.append((LOAD_ERROR, "error", {"message": {"text": e.message}, "locations": [where]}))
            continue
        for f in checked.findings:
            result: dict[str, Any] = {
                "message": {"text": f.message},
                "locations": [_location(*finding_place(checked, f))],
            }
            if f.node is not None:
                result["properties"] = {"node": f.node, "related": list(f.related)}
            if f.accepted:
                result["suppressions"] = [{"kind": "inSource", "justification": f.reason or ""}]
            items.append((f.code, f.severity, result))
    codes = list(dict.fromkeys(code for code, _, _ in items))
    index = {code: i for i, code in enumerate(codes)}
    severity = {code: sev for code, sev, _ in reversed(items)}
    rules = [_sarif_rule(code, SARIF_LEVEL[severity[code]]) for code in codes]
    sarif_results = [
        {"ruleId": code, "ruleIndex": index[code], "level": SARIF_LEVEL[sev], **result} for code, sev, result in items
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "kpitui", "version": __version__, "informationUri": HOMEPAGE, "rules": rules}
                },
                "results": sarif_results,
            }
        ],
    }
    import json

    return safe_json(json.dumps(log, ensure_ascii=False, indent=2))
