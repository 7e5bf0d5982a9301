"""`kpitui set`: change one node from a script, through the same save path as the TUI."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from kpitui.common.format import plain
from kpitui.io.saving import ExternalChange, SaveError, locked
from kpitui.model.domain import LoadError, Location, TreeLoadError
from kpitui.model.inputs import InputError, parse_date, parse_number, parse_period
from kpitui.model.schema import NODE_FIELDS, NODE_KEYS, NODE_THRESHOLD_KEYS, PERIOD_KEYS, suggest
from kpitui.services.document import Document, EditError

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


# Keys whose values are numbers or dates: read as the TUI reads them (`2,5`, `30-06-2026`, `today`).
NUMBER_KEYS = frozenset(
    [f.key for f in NODE_FIELDS if f.json.get("type") == "number"] + [f"thresholds.{k}" for k in NODE_THRESHOLD_KEYS]
)
DATE_KEYS = frozenset(
    [f.key for f in NODE_FIELDS if f.json.get("format") == "date"] + [f"period.{k}" for k in PERIOD_KEYS]
)


def typed_value(name: str, text: str, today: date) -> Any:
    """The value of `name=text`: a number or date as the TUI reads one (kpitui.model.inputs), a
    period as `2026`, `Q3 2026` or a TOML table, anything else as TOML, else as plain text.

    Raises:
        SetError: a number, date or period that cannot be read (or is ambiguous: `7.930`).
    """
    try:
        if name in NUMBER_KEYS:
            return parse_number(text)
        if name in DATE_KEYS:
            return parse_date(text, today)
        if name == "period":
            value = parse_value(text)
            if isinstance(value, dict):
                return value
            period = parse_period(text, today)
            return {"start": period.start, "end": period.end}
    except InputError as exc:
        raise SetError(f"`{name}`: {exc}; the file was not changed") from None
    return parse_value(text)


def parse_assignments(assignments: list[str], today: date | None = None) -> dict[str, Any]:
    """KEY=VALUE pairs into a table; dotted keys (`period.start=...`) make sub-tables.

    Numbers and dates are read as the TUI reads them (see `typed_value`); `today` is what
    `today` and `-7d` count from.
    """
    today = today or date.today()
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
        where[last] = typed_value(name, raw.strip(), today)
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
    entered: list[str] = []
    if "actual" in values and "measured" not in values and "measured" not in unset:
        # A new actual is dated: the tree's as_of, else today (an old date left beside it would
        # date it wrongly, and a newer measurement would silently hide it).
        values["measured"] = document.tree.settings.as_of or date.today()
    if "actual" in values and isinstance(values["actual"], int | float) and isinstance(values["measured"], date):
        entered = _entered(document, node_id, values["actual"], values["measured"])
    assigned = list(values)
    if not force:
        for name in [*_dotted(values), *unset]:
            _check_key(name)
    for name, value in list(values.items()):
        if isinstance(value, dict) and isinstance(current.get(name), dict):
            values[name] = {**current[name], **value}
    removed: set[str] = set()
    absent: list[str] = []
    for name in unset:
        dropped = _unset(current, values, name)
        if dropped is None:
            absent.append(f"node {node_id!r} has no `{name}`: nothing to remove")
        else:
            removed.add(dropped)
    warnings = _missing_parents(values, document.tables, node_id)
    try:
        document.set_fields(node_id, values, tuple(sorted(removed - {""})))
        notes = document.layout_notes()
        document.save(read_only_ok=force)
    except ExternalChange as exc:
        raise _ChangedMeanwhile(f"{exc}; the file was not changed") from None
    except (EditError, SaveError) as exc:
        raise SetError(f"{exc}; the file was not changed") from None
    changed = [*assigned, *(f"-{name}" for name in unset if not any(f"`{name}`" in a for a in absent))]
    return "\n".join(
        [
            *notes,
            *document.notes,
            *absent,
            *warnings,
            *entered,
            f"{path}: node {node_id!r} saved ({', '.join(changed)})",
        ]
    )


def _entered(document: Document, node_id: str, value: float, day: date) -> list[str]:
    """What a new actual replaces (its value now, with its date and source), and a warning where a
    measurement as new or newer keeps it from counting."""
    from kpitui.analysis.results import compute
    from kpitui.services.entry import current, newest_row

    analysis = compute(document.current_tree())
    said = [f"actual of {node_id!r}: {plain(value)} on {day} (was {current(analysis, node_id)})"]
    newest = newest_row(analysis, node_id)
    where = document.tree.settings.measurements
    if newest is not None and newest[0] >= day:
        said.append(
            f"warning: {where} has {plain(newest[1])} on {newest[0]} for {node_id!r}, as new or newer: the analysis "
            f"uses that value, not {plain(value)}; record {plain(value)} as a row instead (`kpitui record`)"
        )
    if day > analysis.as_of:
        said.append(
            f"warning: measured {day} is after the tree's as_of {analysis.as_of}: the actual counts from that date"
        )
    return said


# Sub-keys a node's tables know; `influences` and `accept` are keyed by node ids and codes.
_SUB_KEYS: dict[str, tuple[str, ...]] = {"period": PERIOD_KEYS, "thresholds": NODE_THRESHOLD_KEYS}


def _dotted(values: dict[str, Any], prefix: str = "") -> list[str]:
    """Every key a KEY=VALUE list names, dotted (`period.start`), tables of known free keys not entered."""
    names: list[str] = []
    for key, value in values.items():
        if isinstance(value, dict) and (prefix + key) in _SUB_KEYS:
            names += _dotted(value, f"{prefix}{key}.")
        else:
            names.append(prefix + key)
    return names


def _check_key(name: str) -> None:
    """Refuse a key the schema does not know, with the closest known one."""
    first, _, rest = name.partition(".")
    known: tuple[str, ...] = NODE_KEYS
    key = first
    if first in NODE_KEYS and rest:
        if first not in _SUB_KEYS:
            return  # influences.<id>, accept.<code>: checked by the schema on save
        known, key = _SUB_KEYS[first], rest
    if key in known:
        return
    hint = suggest(key, known)
    did_you_mean = f" (did you mean `{name.replace(key, hint)}`?)" if hint else ""
    raise SetError(
        f"unknown key `{name}`{did_you_mean}; the file was not changed "
        "(--force writes a key kpitui does not know, kept as written)"
    )


def _unset(current: dict[str, Any], values: dict[str, Any], name: str) -> str | None:
    """Remove a (dotted) key; a sub-key comes out of a copy of its table, set in `values`.

    Returns the top-level key to drop entirely (a table left empty), "" if none, None when
    the node has no such key (nothing to remove: said, not an error, like `rm -f`).
    """
    first, _, rest = name.partition(".")
    if not rest:
        if first not in current and first not in values:
            return None
        values.pop(first, None)
        return first
    table = values.get(first, current.get(first))
    if not isinstance(table, dict) or rest not in table:
        return None
    table = {k: v for k, v in table.items() if k != rest}
    if table:
        values[first] = table
        return ""
    values.pop(first, None)
    return first


def _missing_parents(values: dict[str, Any], tables: Mapping[str, Any], node_id: str) -> list[str]:
    """A warning for each parent named that is not a node (saved anyway: docs/contract.md#links keeps it a finding)."""
    parents = values.get("parent")
    named = [parents] if isinstance(parents, str) else parents if isinstance(parents, list) else []
    warnings = []
    for parent in named:
        if isinstance(parent, str) and parent not in tables:
            hint = suggest(parent, tuple(tables))
            did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
            warnings.append(
                f"warning: node {node_id!r} now names parent {parent!r}, which does not exist{did_you_mean}"
            )
    return warnings
