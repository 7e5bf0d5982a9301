"""`kpitui set`: change one node from a script, through the same save path as the TUI."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from kpitui.core.document import Document, EditError
from kpitui.core.model import LoadError, Location, TreeLoadError
from kpitui.core.saving import ExternalChange, SaveError, locked

ATTEMPTS = 3  # loads a `set` makes when another program keeps writing the file meanwhile


class SetError(Exception):
    """`kpitui set` refused; the file is untouched."""


def parse_value(text: str) -> Any:
    """A TOML value (`97`, `2026-07-01`, `["a","b"]`), or the text itself where it is not one."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise SetError(f"the value {text[:40]!r}… nests arrays or tables too deep to read; flatten it") from None


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    """KEY=VALUE pairs into a table; dotted keys (`period.start=...`) make sub-tables."""
    values: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SetError(f"{assignment!r} is not KEY=VALUE (for example actual=97)")
        *path, last = name.split(".")
        where = values
        for part in path:
            where = where.setdefault(part, {})
            if not isinstance(where, dict):
                raise SetError(f"{name!r} sets a key inside {part!r}, which is not a table")
        where[last] = parse_value(raw.strip())
    return values


def set_fields(path: Path, node_id: str, assignments: list[str], unset: list[str], force: bool = False) -> str:
    """Apply KEY=VALUE and --unset to one node and save; returns what was done.

    The file is loaded, changed and saved under its save lock, so several `set` at once
    take turns and each applies its change to the file as the one before left it.

    Raises:
        SetError: unknown id, a value the schema refuses, or the save was refused.
        TreeLoadError: the file could not be loaded.
    """
    if not assignments and not unset:
        raise SetError("nothing to change: give KEY=VALUE and/or --unset KEY")
    if not path.exists():
        missing = "no such file; `kpitui set` changes an existing tree (open it in the TUI to start one)"
        raise TreeLoadError([LoadError(Location(str(path)), missing)])
    with locked(path):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return _set_locked(path, node_id, assignments, unset, force)
            except _ChangedMeanwhile:
                # Another program (an editor, a script not using kpitui) wrote the file while
                # it was being read: apply the change again to the file as it is now.
                if attempt == ATTEMPTS:
                    raise
    raise AssertionError("unreachable")


class _ChangedMeanwhile(SetError):
    """The file changed on disk between loading and saving (by a program that takes no lock)."""


def _set_locked(path: Path, node_id: str, assignments: list[str], unset: list[str], force: bool) -> str:
    document = Document.open(path)
    values = parse_assignments(assignments)
    if node_id not in document.tables:
        raise SetError(f"there is no node {node_id!r}; `kpitui export {path}` lists the ids")
    current = document.tables[node_id]
    for name, value in list(values.items()):
        if isinstance(value, dict) and isinstance(current.get(name), dict):
            values[name] = {**current[name], **value}
    try:
        document.set_fields(node_id, values, tuple(unset))
        notes = document.layout_notes()
        document.save(read_only_ok=force)
    except ExternalChange as exc:
        raise _ChangedMeanwhile(f"{exc}; the file was not changed") from None
    except (EditError, SaveError) as exc:
        raise SetError(f"{exc}; the file was not changed") from None
    changed = [*values, *(f"-{name}" for name in unset)]
    return "\n".join([*notes, *document.notes, f"{path}: node {node_id!r} saved ({', '.join(changed)})"])
