"""The tree file's schema: turns parsed TOML tables into nodes and settings, or errors.

Every key of every table is one `Field` entry below: its reader (the check the loader,
`kpitui set` and the TUI's edit form all run) and its JSON Schema (what `kpitui schema`
gives editors). Adding a field to the format is adding one entry.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from kpitui.model.domain import (
    DIRECTIONS,
    FINDING_SEVERITY,
    FREQUENCIES,
    HORIZONS,
    KINDS,
    OWNER_TYPES,
    PACINGS,
    ROLLUPS,
    Node,
    OwnThresholds,
    Period,
    Thresholds,
    TreeSettings,
    make_node,
)
from kpitui.model.formula_errors import FormulaError

if TYPE_CHECKING:
    from kpitui.model.formula import Formula

CHOICES: dict[str, tuple[str, ...]] = {
    "kind": KINDS,
    "owner_type": OWNER_TYPES,
    "direction": DIRECTIONS,
    "pacing": PACINGS,
    "frequency": tuple(FREQUENCIES),
    "horizon": HORIZONS,
    "rollup": ROLLUPS,
}

# The largest number a float holds: integers beyond it cannot be computed with.
FLOAT_MAX = int(sys.float_info.max)

_SIGN = {"+": 1, "-": -1}  # an influence's sign as written, as a number


@dataclass(frozen=True)
class FieldError:
    """A value the schema refuses: `key` is a dotted path inside its table."""

    key: str
    message: str
    offset: int | None = None  # where in a string value (a formula) the problem is


@dataclass(frozen=True)
class UnknownKey:
    """A key kpitui does not know, kept as written; `suggestion` is a close known key."""

    key: str
    suggestion: str | None


def suggest(key: str, known: tuple[str, ...]) -> str | None:
    """The known key closest to a misspelt one, if any is close."""
    import difflib  # only unknown keys and values pay for importing it

    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return close[0] if close else None


def plain_number(value: float) -> str:
    """A number as written in TOML: 1 rather than 1.0."""
    return str(int(value)) if float(value).is_integer() else str(value)


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

    def fail(self, key: str, message: str, offset: int | None = None) -> None:
        self.errors.append(FieldError(self.prefix + key, message, offset))

    def formula(self, table: Mapping[str, Any], key: str) -> Formula | None:
        text = self.text(table, key)
        if text is None:
            return None
        from kpitui.model.formula import parse as parse_formula  # only a tree with formulas needs it

        try:
            return parse_formula(text)
        except FormulaError as exc:
            self.fail(key, f"`{key}` does not parse: {exc.message}", exc.offset)
            return None

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
        if isinstance(value, int) and not -FLOAT_MAX <= value <= FLOAT_MAX:
            self.fail(key, f"`{key}` is out of range (more than 1.8e308 in size); use a smaller number")
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

    def bounded(self, table: Mapping[str, Any], key: str, low: float | None, high: float | None) -> float | None:
        """A number within [low, high] (either may be open)."""
        value = self.number(table, key)
        if value is None:
            return None
        if low is not None and value < low:
            self.fail(key, f"`{key}` must be at least {plain_number(low)}, not {plain_number(value)}")
            return None
        if high is not None and value > high:
            self.fail(key, f"`{key}` must be at most {plain_number(high)}, not {plain_number(value)}")
            return None
        return value

    def whole(self, table: Mapping[str, Any], key: str, low: int) -> int | None:
        """A whole number of at least `low`."""
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.fail(key, f"`{key}` must be a whole number of at least {low}")
            return None
        return value

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

    def influences(self, table: Mapping[str, Any], key: str) -> tuple[tuple[str, int], ...]:
        value = table.get(key)
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.fail("influences", '`influences` must be a table like { nps = "-", margin = "+" }')
            return ()
        try:
            signs = tuple(map(_SIGN.get, value.values()))
        except TypeError:  # a table or an array: not hashable, and not a sign
            signs = (None,)
        if None not in signs:
            # Every sign well written (a dense influence graph has 160,000 of them): read in one pass.
            return tuple(zip(value, cast("tuple[int, ...]", signs), strict=True))
        result: list[tuple[str, int]] = []
        for other, sign in value.items():
            if sign in ("+", "-"):
                result.append((other, 1 if sign == "+" else -1))
            else:
                self.fail(f"influences.{other}", f'influence on {other!r} must be "+" or "-"')
        return tuple(result)

    def accept(self, table: Mapping[str, Any], key: str) -> tuple[tuple[str, str], ...] | None:
        """{ code = "reason" }: known codes that are not errors, each with a reason (docs/contract.md#findings)."""
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(key, f'`{key}` must be a table like {{ single_kpi_goal = "why the team accepts it" }}')
            return None
        inner = _Checker(f"{self.prefix}{key}.")
        accepted: list[tuple[str, str]] = []
        for code, reason in value.items():
            severity = FINDING_SEVERITY.get(code)
            if severity is None:
                hint = suggest(code, tuple(FINDING_SEVERITY))
                did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
                inner.fail(code, f"`{key}` names {code!r}, which is not a finding code{did_you_mean}")
            elif severity == "error":
                inner.fail(code, f"`{key}` names {code!r}, an error: errors cannot be accepted, only fixed")
            elif not isinstance(reason, str):
                inner.fail(code, f"the reason for accepting {code!r} must be a string, not {_type_name(reason)}")
            elif not reason.strip():
                inner.fail(code, f"accepting {code!r} needs a reason: say why the team accepts it")
            else:
                accepted.append((code, reason))
        self.errors.extend(inner.errors)
        return tuple(accepted)

    def weight(self, table: Mapping[str, Any], key: str) -> float | None:
        """A positive number: a child's share in its parent's mean."""
        value = self.number(table, key)
        if value is not None and value <= 0:
            self.fail(key, f"`{key}` must be a number above 0 (its share in a parent's mean), not {value}")
            return None
        return value


Reader = Callable[[_Checker, Mapping[str, Any], str], Any]
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@dataclass(frozen=True)
class Field:
    """One key of a table: how the loader reads it and how the JSON Schema describes it.

    `attr` is the model attribute it fills (the key itself when empty); `json` is the JSON
    Schema of its value (TOML dates appear there as strings, as editors see them).
    """

    key: str
    doc: str
    read: Reader
    json: Mapping[str, Any]
    attr: str = ""
    required: bool = False

    @property
    def target(self) -> str:
        """The attribute of the model object this field fills."""
        return self.attr or self.key


def text(key: str, doc: str, *, required: bool = False, json: Mapping[str, Any] | None = None) -> Field:
    """A string field."""
    return Field(key, doc, _Checker.text, json or {"type": "string"}, required=required)


def choice(key: str, doc: str) -> Field:
    """A string from CHOICES[key]."""
    return Field(key, doc, _Checker.choice, {"type": "string", "enum": list(CHOICES[key])})


def number(key: str, doc: str, low: float | None = None, high: float | None = None) -> Field:
    """A finite number, optionally within [low, high]."""
    json: dict[str, Any] = {"type": "number"}
    if low is not None:
        json["minimum"] = low
    if high is not None:
        json["maximum"] = high
    if low is None and high is None:
        return Field(key, doc, _Checker.number, json)
    return Field(key, doc, lambda check, table, k: check.bounded(table, k, low, high), json)


def whole(key: str, doc: str, low: int) -> Field:
    """A whole number of at least `low`."""
    return Field(key, doc, lambda check, table, k: check.whole(table, k, low), {"type": "integer", "minimum": low})


def day(key: str, doc: str) -> Field:
    """A TOML local date."""
    return Field(key, doc, _Checker.day, {"type": "string", "format": "date", "pattern": DATE_PATTERN})


def ids(key: str, doc: str, attr: str = "") -> Field:
    """A node id or an array of node ids."""
    one = {"type": "string"}
    return Field(key, doc, _Checker.ids, {"anyOf": [one, {"type": "array", "items": one}]}, attr)


def properties(fields: tuple[Field, ...]) -> dict[str, Any]:
    """The JSON Schema `properties` of a table of these fields."""
    return {f.key: {"description": f.doc, **f.json} for f in fields}


def period(key: str, doc: str) -> Field:
    """A { start = DATE, end = DATE } table."""
    json = {"type": "object", "properties": properties(PERIOD_FIELDS), "required": ["start", "end"]}
    return Field(key, doc, _Checker.period, json)


PERIOD_FIELDS: tuple[Field, ...] = (
    day("start", "First day of the period."),
    day("end", "Last day of the period (not before start)."),
)

NODE_THRESHOLD_FIELDS: tuple[Field, ...] = (
    number("on_track", "Attainment at or above this is on track (default 0.95).", low=0),
    number("at_risk", "Attainment at or above this (and below on_track) is at risk (default 0.85).", low=0),
)

NODE_FIELDS: tuple[Field, ...] = (
    text("name", "Shown in the tree; required, not blank.", required=True, json={"type": "string", "pattern": r"\S"}),
    choice("kind", "goal (strategic, a root) | objective (serves a goal) | kpi (measured). Default kpi."),
    ids("parent", "The id of the node this one serves, or an array of ids.", attr="parents"),
    text("owner", "Who answers for it."),
    choice("owner_type", "team | individual."),
    text("unit", "The unit of baseline, target and actual (EUR, %, orders, ...). `%` means 0-100."),
    choice("direction", "increase (more is better, the default) | decrease (less is better)."),
    choice("pacing", "linear (the target is reached by the period end) | level (held all the time, the default)."),
    number("baseline", "The value at the period start (linear pacing; default 0)."),
    number("target", "The value to reach (linear) or hold (level)."),
    number("actual", "The latest value; measurements may give a newer one."),
    day("measured", "The date of `actual`."),
    period("period", "The period of the target; else the nearest ancestor's, else the tree's."),
    choice("frequency", "How often it is measured: daily | weekly | monthly | quarterly | yearly (see stale)."),
    choice("horizon", "short | long term."),
    choice("rollup", "Actual (and target when it has none) from the children: sum | mean | min | max."),
    ids("conflicts", "Nodes this one is in declared tension with (counter-metrics)."),
    Field(
        "influences",
        'Signed effects on other nodes: { other-id = "+" | "-" }.',
        _Checker.influences,
        {"type": "object", "additionalProperties": {"type": "string", "enum": ["+", "-"]}},
    ),
    text("description", "Free text."),
    Field(
        "thresholds",
        "This node's own status thresholds (an uptime KPI needs 0.999); else the tree's.",
        lambda check, table, key: _own_thresholds(check, table, key),
        {"type": "object", "properties": properties(NODE_THRESHOLD_FIELDS)},
    ),
    Field(
        "weight",
        "Its weight in a parent's `mean` rollup (default 1).",
        _Checker.weight,
        {"type": "number", "exclusiveMinimum": 0},
    ),
    Field(
        "accept",
        'Findings the team has weighed: { finding-code = "reason" }; errors cannot be accepted.',
        _Checker.accept,
        {
            "type": "object",
            "propertyNames": {"enum": [c for c, s in FINDING_SEVERITY.items() if s != "error"]},
            "additionalProperties": {"type": "string", "pattern": r"\S"},
        },
    ),
    Field(
        "formula",
        "Computes the actual (and the target when it has none) from other nodes: numbers, + - * /, "
        "parentheses, min(...), max(...), node ids bare or in braces: orders * {order-value}.",
        _Checker.formula,
        {"type": "string"},
    ),
)

THRESHOLD_FIELDS: tuple[Field, ...] = (
    *NODE_THRESHOLD_FIELDS,
    whole("max_children", "More children than this is the finding too_many_children (default 7).", 1),
    whole("max_kpis", "More KPIs below a goal than this is the finding too_many_kpis (default 12).", 1),
)


def _own_thresholds(check: _Checker, table: Mapping[str, Any], key: str) -> OwnThresholds | None:
    value = table.get(key)
    if not isinstance(value, dict):
        check.fail(key, f"`{key}` must be a table like {{ on_track = 0.999, at_risk = 0.995 }}")
        return None
    inner = _Checker(f"{check.prefix}{key}.")
    own = OwnThresholds(**read_fields(inner, value, NODE_THRESHOLD_FIELDS))
    if own.on_track is not None and own.at_risk is not None and own.at_risk > own.on_track:
        inner.fail("at_risk", f"`at_risk` ({own.at_risk}) must not be above `on_track` ({own.on_track})")
    check.errors.extend(inner.errors)
    return None if inner.errors else own


def _thresholds(check: _Checker, table: Mapping[str, Any], key: str) -> Thresholds | None:
    value = table.get(key)
    if not isinstance(value, dict):
        check.fail(key, f"`{key}` must be a table: [tree.{key}]")
        return None
    inner = _Checker(f"{check.prefix}{key}.")
    result = replace(Thresholds(), **read_fields(inner, value, THRESHOLD_FIELDS))
    if result.at_risk > result.on_track:
        inner.fail("at_risk", f"`at_risk` ({result.at_risk}) must not be above `on_track` ({result.on_track})")
    check.errors.extend(inner.errors)
    return None if inner.errors else result


TREE_FIELDS: tuple[Field, ...] = (
    text("title", "Shown in the header."),
    day("as_of", "The reference date of the analysis (else --as-of, else today)."),
    period("period", "The default period of every node."),
    text("measurements", "A CSV or Parquet file (node,date,value[,note]), relative to this file."),
    Field(
        "thresholds",
        "Status thresholds and limits of the findings.",
        _thresholds,
        {"type": "object", "properties": properties(THRESHOLD_FIELDS)},
    ),
)

NODE_KEYS: tuple[str, ...] = tuple(f.key for f in NODE_FIELDS)
TREE_KEYS: tuple[str, ...] = tuple(f.key for f in TREE_FIELDS)
PERIOD_KEYS: tuple[str, ...] = tuple(f.key for f in PERIOD_FIELDS)
THRESHOLD_KEYS: tuple[str, ...] = tuple(f.key for f in THRESHOLD_FIELDS)
NODE_THRESHOLD_KEYS: tuple[str, ...] = tuple(f.key for f in NODE_THRESHOLD_FIELDS)
TOP_KEYS: tuple[str, ...] = ("version", "tree", "nodes")
_NODE_FIELD = {f.key: f for f in NODE_FIELDS}


def read_fields(check: _Checker, table: Mapping[str, Any], fields: tuple[Field, ...]) -> dict[str, Any]:
    """The values of the known keys present in `table`, by attribute; errors go to `check`."""
    values: dict[str, Any] = {}
    for field in fields:
        if field.key in table:
            value = field.read(check, table, field.key)
            if value is not None:
                values[field.target] = value
    return values


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
    thresholds = table.get("thresholds")
    if isinstance(thresholds, dict):
        found += unknown_keys(thresholds, NODE_THRESHOLD_KEYS, "thresholds.")
    return found


# The most common values of node tables, accepted without a reader's call: a string of a text
# key (or one of a choice key's words), a finite number, a date, one node id: exactly what
# their readers accept without an error, kept as those keep them. Anything else is read by
# the field's reader (a 10k-node tree has 100k values: those calls were half of its validation).
_PLAIN_TEXT: dict[str, frozenset[str] | None] = {
    f.key: (frozenset(CHOICES[f.key]) if f.read is _Checker.choice else None)
    for f in NODE_FIELDS
    if f.read in (_Checker.text, _Checker.choice)
}
_PLAIN_NUMBER = frozenset(f.key for f in NODE_FIELDS if f.read is _Checker.number)
_PLAIN_DAY = frozenset(f.key for f in NODE_FIELDS if f.read is _Checker.day)
_ONE_ID = {f.key: f.target for f in NODE_FIELDS if f.read is _Checker.ids}
_NOT_TEXT: frozenset[str] = frozenset()


def read_node(node_id: str, table: Mapping[str, Any]) -> tuple[Node | None, list[FieldError]]:
    """Validate one node table.

    Returns:
        The node (None when any field is refused) and every error found.
    """
    check = _Checker()
    fields: dict[str, Any] = {}
    extra: list[str] = []
    # In the table's order, so errors come in the order they are written.
    for key, value in table.items():
        kind = type(value)
        if kind is str:
            words = _PLAIN_TEXT.get(key, _NOT_TEXT)
            if words is None or value in words:
                fields[key] = value
                continue
            if key in _ONE_ID:
                fields[_ONE_ID[key]] = (value,)
                continue
        elif kind is float or kind is int:
            if key in _PLAIN_NUMBER and -FLOAT_MAX <= value <= FLOAT_MAX:  # neither nan nor infinite
                fields[key] = value
                continue
        elif kind is date and key in _PLAIN_DAY:
            fields[key] = value
            continue
        field = _NODE_FIELD.get(key)
        if field is None:
            extra.append(key)
            continue
        value = field.read(check, table, key)
        if value is not None:
            fields[field.target] = value
    name = fields.pop("name", None)
    if "name" not in table:
        check.fail("name", f'node {node_id!r} has no `name`; add name = "..."')
    elif name is not None and not name.strip():
        check.fail("name", f"node {node_id!r} has an empty `name`")
    if check.errors:
        return None, check.errors
    node = make_node(node_id, name or "", MappingProxyType(table), tuple(extra), fields)
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
    fields = read_fields(inner, tree, TREE_FIELDS)
    settings = TreeSettings(version=version if isinstance(version, int) else None, **fields)
    return settings, check.errors + inner.errors


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
