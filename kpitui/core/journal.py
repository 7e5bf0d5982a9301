"""The journal: unsaved edits written outside the tree file after every edit.

If the connection drops or the app is killed, the next start on that file offers to
recover them. One journal a tree file, under `$XDG_STATE_HOME/kpitui/journal/`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w

from kpitui.core.saving import write_atomic


def journal_dir() -> Path:
    """Where journals live: `$XDG_STATE_HOME/kpitui/journal` (default ~/.local/state)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "kpitui" / "journal"


def journal_path(tree_file: Path) -> Path:
    """The journal of one tree file, named after its absolute path."""
    name = hashlib.sha256(str(tree_file.resolve()).encode()).hexdigest()[:20]
    return journal_dir() / f"{name}.toml"


@dataclass(frozen=True)
class Recovered:
    """Unsaved edits found in a journal."""

    file: str
    written: str  # when the journal was last written, ISO
    order: list[str]  # every node id now, in order
    changed: dict[str, dict[str, Any]]  # tables that differ from the file (or are new)
    rows: list[tuple[str, date, float]]
    base_digest: str | None


def write_journal(
    tree_file: Path,
    order: list[str],
    changed: dict[str, dict[str, Any]],
    rows: list[tuple[str, date, float]],
    base_digest: str | None,
    written: str,
) -> None:
    """Record the node order, the changed tables and pending rows, atomically."""
    doc: dict[str, Any] = {
        "file": str(tree_file.resolve()),
        "written": written,
        "order": order,
        "changed": changed,
        "rows": [{"node": n, "date": d, "value": v} for n, d, v in rows],
    }
    if base_digest:
        doc["base_digest"] = base_digest
    path = journal_path(tree_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, tomli_w.dumps(doc).encode("utf-8"), backup=False)


def read_journal(tree_file: Path) -> Recovered | None:
    """The unsaved edits of a tree file, if a readable journal exists."""
    path = journal_path(tree_file)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return Recovered(
        file=str(doc.get("file", tree_file)),
        written=str(doc.get("written", "")),
        order=[str(k) for k in doc.get("order", [])],
        changed=dict(doc.get("changed", {})),
        rows=[(r["node"], r["date"], float(r["value"])) for r in doc.get("rows", [])],
        base_digest=doc.get("base_digest"),
    )


def drop_journal(tree_file: Path) -> None:
    """Forget the journal (after a save or a discard)."""
    with contextlib.suppress(FileNotFoundError):
        journal_path(tree_file).unlink()
