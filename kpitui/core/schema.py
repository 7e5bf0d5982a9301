"""The tree file's schema: turns parsed TOML tables into nodes and settings, or errors.

One function per table; every check lives here so the loader, `kpitui set` and the
TUI's edit form refuse exactly the same values.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from kpitui.core.model import (
    DIRECTIONS,
    FREQUENCIES,
    HORIZONS,
    KINDS,
    OWNER_TYPES,
    PACINGS,
    ROLLUPS,
    Node,
    Period,
    Thresholds,
    TreeSettings,
)

NODE_KEYS: tuple[str, ...] = (
    "name",
    "kind",
    "parent",
    "owner",
    "owner_type",
    "unit",
    "direction",
    "pacing",
    "baseline",
    "target",
    "actual",
    "measured",
    "period",
    "frequency",
    "horizon",
    "rollup",
    "conflicts",
    "influences",
    "description",
)
TREE_KEYS: tuple[str, ...] = ("title", "as_of", "period", "measurements", "thresholds")
TOP_KEYS: tuple[str, ...] = ("version", "tree", "nodes")
PERIOD_KEYS: tuple[str, ...] = ("start", "end")
THRESHOLD_KEYS: tuple[str, ...] = ("on_track", "at_risk", "max_children")

CHOICES: dict[str, tuple[str, ...]] = {
    "kind": KINDS,
    "owner_type": OWNER_TYPES,
    "direction": DIRECTIONS,
    "pacing": PACINGS,
    "frequency": tuple(FREQUENCIES),
    "horizon": HORIZONS,
    "rollup": ROLLUPS,
}


@dataclass(frozen=True)
class FieldError:
    """A value the schema refuses: `key` is a dotted path inside its table."""

    key: str
    message: str


@dataclass(frozen=True)
class UnknownKey:
    """A key kpitui does not know, kept as written; `suggestion` is a close known key."""

    key: str
    suggestion: str | None


def suggest(key: str, known: tuple[str, ...]) -> str | None:
    """The known key closest to a misspelt one, if any is close."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a time"


class _Checker:
    """Collects errors while reading one table."""

    def __init__(self, prefix: str = "") -> None:
        self.errors: list[FieldError] = []
        self.prefix = prefix

    def fail(self, key: str, message: str) -> None:
        self.errors.append(FieldError(self.prefix + key, message))

    def text(self, table: Mapping[str, Any], key: str) -> str | None:
        value = table.get(key)
        if value is None or isinstance(value, str):
            return value
        self.fail(key, f"`{key}` must be a string, not {_type_name(value)}")
        return None

    def choice(self, table: Mapping[str, Any], key: str) -> str | None:
        value = self.text(table, key)
        if value is None or value in CHOICES[key]:
            return value
        options = " | ".join(CHOICES[key])
        hint = suggest(value, CHOICES[key])
        did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
        self.fail(key, f"`{key}` is {value!r}{did_you_mean}; use one of: {options}")
        return None

    def number(self, table: Mapping[str, Any], key: str) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"`{key}` must be a number, not {_type_name(value)}")
            return None
        if not math.isfinite(value):
            self.fail(key, f"`{key}` must be a finite number, not {value}")
            return None
        return value

    def day(self, table: Mapping[str, Any], key: str) -> date | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, datetime) or not isinstance(value, date):
            self.fail(key, f"`{key}` must be a date like 2026-06-30, not {_type_name(value)}")
            return None
        return value

    def ids(self, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = table.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.fail(key, f"`{key}` must be a node id or an array of node ids")
        return ()

    def period(self, table: Mapping[str, Any], key: str) -> Period | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(key, f"`{key}` must be a table {{ start = DATE, end = DATE }}")
            return None
        inner = _Checker(f"{self.prefix}{key}.")
        start, end = inner.day(value, "start"), inner.day(value, "end")
        for missing in ("start", "end"):
            if missing not in value:
                inner.fail(missing, f"`{key}` needs a `{missing}` date")
        self.errors.extend(inner.errors)
        if start is None or end is None:
            return None
        if start > end:
            self.fail(key, f"`{key}` starts {start} after it ends {end}; swap them")
            return None
        return Period(start, end)

    def influences(self, table: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
        value = table.get("influences")
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.fail("influences", '`influences` must be a table like { nps = "-", margin = "+" }')
            return ()
        result: list[tuple[str, int]] = []
        for other, sign in value.items():
            if sign in ("+", "-"):
                result.append((other, 1 if sign == "+" else -1))
            else:
                self.fail(f"influences.{other}", f'influence on {other!r} must be "+" or "-"')
        return tuple(result)


def unknown_keys(table: Mapping[str, Any], known: tuple[str, ...], prefix: str = "") -> list[UnknownKey]:
    """Keys of `table` not in `known`, each with a suggestion where one is close."""
    found = []
    for key in table:
        if key not in known:
            hint = suggest(key, known)
            found.append(UnknownKey(prefix + key, prefix + hint if hint else None))
    return found


def node_unknown_keys(table: Mapping[str, Any]) -> list[UnknownKey]:
    """Every unknown key of a node table, the period's included."""
    found = unknown_keys(table, NODE_KEYS)
    period = table.get("period")
    if isinstance(period, dict):
        found += unknown_keys(period, PERIOD_KEYS, "period.")
    return found


_NODE_READERS: dict[str, Callable[[_Checker, Mapping[str, Any], str], Any]] = {
    "name": _Checker.text,
    "kind": _Checker.choice,
    "parent": _Checker.ids,
    "owner": _Checker.text,
    "owner_type": _Checker.choice,
    "unit": _Checker.text,
    "direction": _Checker.choice,
    "pacing": _Checker.choice,
    "baseline": _Checker.number,
    "target": _Checker.number,
    "actual": _Checker.number,
    "measured": _Checker.day,
    "period": _Checker.period,
    "frequency": _Checker.choice,
    "horizon": _Checker.choice,
    "rollup": _Checker.choice,
    "conflicts": _Checker.ids,
    "influences": lambda check, table, _key: check.influences(table),
    "description": _Checker.text,
}
_FIELD_NAMES = {"parent": "parents"}


def read_node(node_id: str, table: Mapping[str, Any]) -> tuple[Node | None, list[FieldError]]:
    """Validate one node table.

    Returns:
        The node (None when any field is refused) and every error found.
    """
    check = _Checker()
    fields: dict[str, Any] = {}
    extra: list[str] = []
    for key in table:
        reader = _NODE_READERS.get(key)
        if reader is None:
            extra.append(key)
            continue
        value = reader(check, table, key)
        if value is not None:
            fields[_FIELD_NAMES.get(key, key)] = value
    name = fields.pop("name", None)
    if "name" not in table:
        check.fail("name", f'node {node_id!r} has no `name`; add name = "..."')
    elif name is not None and not name.strip():
        check.fail("name", f"node {node_id!r} has an empty `name`")
    if check.errors:
        return None, check.errors
    node = Node(id=node_id, name=name or "", raw=MappingProxyType(table), extra=tuple(extra), **fields)
    return node, []


def read_settings(doc: Mapping[str, Any]) -> tuple[TreeSettings, list[FieldError]]:
    """Validate the top-level `version` and the `[tree]` table."""
    check = _Checker()
    version = doc.get("version")
    if version is not None and (isinstance(version, bool) or version != 1):
        check.fail("version", f"`version` is {version!r}, but only format version 1 exists; set version = 1")
        version = None
    tree = doc.get("tree", {})
    if not isinstance(tree, dict):
        check.fail("tree", "`tree` must be a table: [tree]")
        return TreeSettings(), check.errors
    inner = _Checker("tree.")
    thresholds = _read_thresholds(tree.get("thresholds", {}), inner)
    settings = TreeSettings(
        title=inner.text(tree, "title"),
        as_of=inner.day(tree, "as_of"),
        period=inner.period(tree, "period"),
        measurements=inner.text(tree, "measurements"),
        thresholds=thresholds,
        version=version if isinstance(version, int) else None,
    )
    return settings, check.errors + inner.errors


def _read_thresholds(value: Any, check: _Checker) -> Thresholds:
    if not isinstance(value, dict):
        check.fail("thresholds", "`thresholds` must be a table: [tree.thresholds]")
        return Thresholds()
    inner = _Checker(check.prefix + "thresholds.")
    default = Thresholds()
    on_track = inner.number(value, "on_track")
    at_risk = inner.number(value, "at_risk")
    max_children = value.get("max_children", default.max_children)
    if isinstance(max_children, bool) or not isinstance(max_children, int) or max_children < 1:
        inner.fail("max_children", "`max_children` must be a whole number of at least 1")
        max_children = default.max_children
    result = Thresholds(
        on_track=default.on_track if on_track is None else on_track,
        at_risk=default.at_risk if at_risk is None else at_risk,
        max_children=max_children,
    )
    if result.at_risk > result.on_track:
        inner.fail("at_risk", f"`at_risk` ({result.at_risk}) must not be above `on_track` ({result.on_track})")
    check.errors.extend(inner.errors)
    return result


def settings_unknown_keys(doc: Mapping[str, Any]) -> list[UnknownKey]:
    """Unknown keys at the top level, in `[tree]`, its period and its thresholds."""
    found = unknown_keys(doc, TOP_KEYS)
    tree = doc.get("tree")
    if isinstance(tree, dict):
        found += unknown_keys(tree, TREE_KEYS, "tree.")
        for sub, known in (("period", PERIOD_KEYS), ("thresholds", THRESHOLD_KEYS)):
            if isinstance(tree.get(sub), dict):
                found += unknown_keys(tree[sub], known, f"tree.{sub}.")
    return found
