"""Domain values of a KPI tree: nodes, the tree's settings, findings and load errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from kpitui.model.registry import RULES, SEVERITY_RANK

if TYPE_CHECKING:  # loaded only where a tree has formulas
    from kpitui.model.formula import Formula

T = TypeVar("T")

KINDS: tuple[str, ...] = ("goal", "objective", "kpi")
OWNER_TYPES: tuple[str, ...] = ("team", "individual")
DIRECTIONS: tuple[str, ...] = ("increase", "decrease")
PACINGS: tuple[str, ...] = ("linear", "level")
FREQUENCIES: dict[str, int] = {
    "daily": 1,
    "weekly": 7,
    "monthly": 31,
    "quarterly": 92,
    "yearly": 366,
}
HORIZONS: tuple[str, ...] = ("short", "long")
ROLLUPS: tuple[str, ...] = ("sum", "mean", "min", "max")
SEVERITY_ORDER: dict[str, int] = SEVERITY_RANK

# Every finding code and its severity (docs/contract.md#findings), from the rules registry; `accept` may name
# any code that is not an error.
FINDING_SEVERITY: dict[str, str] = {rule.code: rule.severity for rule in RULES}
# Findings about a pair of nodes: shown on both, accepted by either.
PAIR_CODES: frozenset[str] = frozenset(rule.code for rule in RULES if rule.pair)

EMPTY: MappingProxyType[str, Any] = MappingProxyType({})


def days_after(day: date, days: int) -> date:
    """`day` plus `days` (minus, when negative), held within the dates there are (year 1 to 9999).

    A week before 0001-01-01 is 0001-01-01 and four weeks after 9999-12-31 is 9999-12-31: an
    analysis at either end of the calendar still has a horizon and a week before, where plain
    date arithmetic raised OverflowError.
    """
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


@dataclass(frozen=True)
class Period:
    """A closed date range; start is never after end."""

    start: date
    end: date


@dataclass(frozen=True)
class Thresholds:
    """Attainment thresholds and the child count above which a node is too wide."""

    on_track: float = 0.95
    at_risk: float = 0.85
    max_children: int = 7
    max_kpis: int = 12


@dataclass(frozen=True)
class OwnThresholds:
    """A node's own `thresholds`: either may be left to the tree's."""

    on_track: float | None = None
    at_risk: float | None = None

    def over(self, tree: Thresholds) -> Thresholds:
        """The thresholds that judge this node: its own where given, else the tree's.

        `at_risk` never exceeds `on_track`, so a node that lowers only `on_track` below the
        tree's `at_risk` has no at-risk band rather than an impossible one.
        """
        on_track = tree.on_track if self.on_track is None else self.on_track
        at_risk = tree.at_risk if self.at_risk is None else self.at_risk
        return Thresholds(on_track, min(at_risk, on_track), tree.max_children, tree.max_kpis)


@dataclass(frozen=True)
class Node:
    """One node of the tree, as written in the file (nothing derived)."""

    id: str
    name: str
    kind: str = "kpi"
    parents: tuple[str, ...] = ()
    owner: str | None = None
    owner_type: str | None = None
    unit: str | None = None
    direction: str = "increase"
    pacing: str = "level"
    baseline: float | None = None
    target: float | None = None
    actual: float | None = None
    measured: date | None = None
    period: Period | None = None
    frequency: str | None = None
    horizon: str | None = None
    rollup: str | None = None
    conflicts: tuple[str, ...] = ()
    influences: tuple[tuple[str, int], ...] = ()
    description: str | None = None
    thresholds: OwnThresholds | None = None
    weight: float = 1
    accept: tuple[tuple[str, str], ...] = ()  # (finding code, reason)
    formula: Formula | None = None
    # The table as parsed, unknown keys included: what saving writes back.
    raw: Mapping[str, Any] = field(default_factory=lambda: EMPTY, compare=False, repr=False)
    extra: tuple[str, ...] = ()  # keys kpitui does not know, in file order

    @property
    def sign(self) -> int:
        """+1 when more is better, -1 when less is better."""
        return -1 if self.direction == "decrease" else 1

    @property
    def effective_baseline(self) -> float | None:
        """The baseline used for linear pacing: 0 unless given."""
        if self.baseline is not None:
            return self.baseline
        return 0 if self.pacing == "linear" else None

    def accepted(self, code: str) -> str | None:
        """The reason this node accepts a finding code, or None."""
        return next((reason for accepted, reason in self.accept if accepted == code), None)


def unchecked(cls: type[T], **values: Any) -> T:
    """`cls(**values)` for a frozen dataclass, made without its checked assignment per field:
    for objects made once per node (nodes, results' findings, forecasts). `values` must name
    every field."""
    made = object.__new__(cls)
    made.__dict__.update(values)
    return made


def make_node(
    node_id: str, name: str, raw: Mapping[str, Any], extra: tuple[str, ...], given: Mapping[str, Any]
) -> Node:
    """A Node equal to `Node(id=node_id, name=name, raw=raw, extra=extra, **fields)`, made without
    the frozen dataclass's one checked assignment per field (29 of them; a 10k-node tree makes
    10k nodes on every load). `given` must name Node fields only, as the schema's readers do.
    """
    node = object.__new__(Node)
    values = node.__dict__
    values.update(_NODE_DEFAULTS)
    values.update(given)
    values["id"], values["name"], values["raw"], values["extra"] = node_id, name, raw, extra
    return node


_NODE_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Node) if f.default is not MISSING}


@dataclass(frozen=True)
class TreeSettings:
    """The `[tree]` table and the file's top-level keys."""

    title: str | None = None
    as_of: date | None = None
    period: Period | None = None
    measurements: str | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    version: int | None = None


@dataclass(frozen=True)
class Location:
    """Where something is in a file: 1-based line and column, 0 when unknown."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.file}:{self.line}:{self.col}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


@dataclass(frozen=True)
class LoadError:
    """A reason the file could not be loaded, with where it is and what to do."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class TreeLoadError(Exception):
    """Raised when a file is not a loadable KPI tree; carries every error found."""

    def __init__(self, errors: list[LoadError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class SaveError(Exception):
    """Saving was refused or failed; the message says why and what to do. Nothing was changed.

    Defined here, with the load errors, so that the command line can catch it without importing
    the saving machinery (`kpitui.io.filesafe`, which raises it) on every start.
    """


class NotATreeError(TreeLoadError):
    """Raised for a TOML file that is not a KPI tree at all (a pyproject.toml, say)."""


@dataclass(frozen=True)
class Finding:
    """Something the analysis wants the user to know, with advice."""

    code: str
    severity: str
    node: str | None
    message: str
    related: tuple[str, ...] = ()
    kind: str | None = None  # for conflicts: declared or influence
    accepted: bool = False  # a node's `accept` names this code (docs/contract.md#findings)
    reason: str | None = None  # why it was accepted
    # Where it is when that is not its node's table: a row of the measurements file (line 0: a
    # Parquet file, which has none). CI annotations and SARIF point there.
    place: Location | None = None

    @property
    def key(self) -> tuple[str, str | None, tuple[str, ...], str | None]:
        """The finding's identity across dates and scenarios (review, what-if): its message
        holds numbers that move every week, its acceptance is the user's."""
        return self.code, self.node, self.related, self.kind

    @property
    def concerns(self) -> tuple[str, ...]:
        """The node ids this finding is shown on: its node, and both sides of a conflict."""
        own = (self.node,) if self.node is not None else ()
        return own + self.related if self.code in PAIR_CODES else own

    @property
    def counts(self) -> bool:
        """Whether it counts for --fail-on, the header and problem navigation: not when accepted."""
        return not self.accepted

    @property
    def conflicting_pairs(self) -> int:
        """How many conflicting pairs it reports: one per partner of a `conflict` (one finding
        can name a node's many influence conflicts), one for a `goodhart`, else none."""
        if self.code == "conflict":
            return max(1, len(self.related))
        return 1 if self.code == "goodhart" else 0
