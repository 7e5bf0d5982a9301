"""`kpitui whatif` output: a scenario's changes, a goal seek's answer, what moved a node; text or JSON."""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

from kpitui.analysis.results import Analysis
from kpitui.common.text import safe_json, safe_text
from kpitui.drivers.questions import Attribution, Scenario, Seek
from kpitui.model.domain import Finding

STATUS_WORDS = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track", "unknown": "unknown"}


def exact(value: float | None) -> str:
    """A number precise enough to check by hand: 532,140 · 2.3418 · 593,406.59; `–` when unknown."""
    if value is None or not math.isfinite(value):
        return "–"  # unknown; a value beyond a float's range is unknown too (the finding `overflow`)
    if abs(value) >= 1e15:
        return f"{value:.15g}"  # 1e+308, not 309 digits of a float's binary expansion
    if abs(value) >= 1000:
        value = round(value, 2)  # a sought 1,199,999.9999998 is 1,200,000: what is shown is what is meant
    if value == int(value):
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.2f}"
    return f"{value:.6g}" if abs(value) >= 1 else f"{value:.4g}"


def with_unit(value: float | None, unit: str | None) -> str:
    """`532,140 EUR`, `2.34178%`: exact, with the unit."""
    text = exact(value)
    if value is None or not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {safe_text(unit)}"


def apart_by(value: float, unit: str | None) -> str:
    """A difference, exact: `18,866.35 EUR`; between two `%` values in points, `0.25 points`."""
    if unit == "%":
        return f"{exact(value)} point" if value == 1 else f"{exact(value)} points"
    return with_unit(value, unit)


def _label(analysis: Analysis, node_id: str) -> str:
    return f"{safe_text(analysis.tree.nodes[node_id].name)} ({safe_text(node_id)})"


def _field(analysis: Analysis, node_id: str, name: str, value: object) -> str:
    if name in ("actual", "target", "forecast"):
        if name == "forecast" and value is None:
            return "none"
        return with_unit(value if isinstance(value, int | float) else None, analysis.tree.nodes[node_id].unit)
    if value is None:
        return "none"
    return STATUS_WORDS.get(str(value), str(value))


def forecast_day(scenario: Scenario, node_id: str) -> date | None:
    """The date of a node's forecast in the scenario (else in the plain analysis)."""
    for result in (scenario.results[node_id], scenario.base.results[node_id]):
        if result.forecast is not None:
            return result.forecast.day
    return None


def scenario_text(scenario: Scenario) -> list[str]:
    """One block per changed node (before → after), then findings that appear and clear."""
    base = scenario.base
    lines: list[str] = []
    changes = scenario.changes()
    if not changes:
        lines.append("Nothing changes.")
    for change in changes:
        lines.append(f"  {_label(base, change.node)}")
        for name, before, after in change.fields:
            what = name.replace("_", " ")
            when = f" (by {forecast_day(scenario, change.node)})" if name == "forecast" else ""
            lines.append(
                f"      {what:<15} {_field(base, change.node, name, before)} → "
                f"{_field(base, change.node, name, after)}{when}"
            )
    appeared, cleared = scenario.findings_changed()
    for title, group in (("Findings that appear", appeared), ("Findings that clear", cleared)):
        if group:
            lines += ["", f"{title} ({len(group)}):"]
            lines += [f"  {f.code}: {safe_text(f.message)}" for f in group]
    return lines


def whatif_text(scenario: Scenario) -> str:
    """The report of `kpitui whatif FILE ID=VALUE...`."""
    base = scenario.base
    layer = base.layers[scenario.kind]
    what = ", ".join(
        f"{_label(base, n)} {scenario.kind} = {exact(v)} (now {exact(layer.value(n))})"
        for n, v in scenario.overrides.items()
    )
    lines = [f"{safe_text(base.tree.display_name)} — as of {base.as_of}", f"What if {what}:", ""]
    return "\n".join(lines + scenario_text(scenario)) + "\n"


def seek_reason(analysis: Analysis, seek: Seek) -> str:
    """Why the sought value is the goal: "the value asked", or "expected by DATE, on pace for its target of X"."""
    node = analysis.tree.nodes[seek.node]
    why = seek.goal_label
    target = analysis.results[seek.node].target
    if why.startswith("expected") and target is not None:
        why += f", on pace for its target of {with_unit(target, node.unit)}"
    return why


def seek_text(analysis: Analysis, seek: Seek) -> str:
    """The report of `kpitui whatif FILE --seek ID --via DRIVER`."""
    nodes = analysis.tree.nodes
    node, driver = nodes[seek.node], nodes[seek.driver]
    why = seek_reason(analysis, seek)
    lines = [
        f"{safe_text(analysis.tree.display_name)} — as of {analysis.as_of}",
        f"Goal: {_label(analysis, seek.node)} reaches {with_unit(seek.goal, node.unit)} ({why});",
        f"      now {with_unit(analysis.results[seek.node].actual, node.unit)}.",
        "",
    ]
    if seek.value is None or seek.scenario is None:
        lines.append(
            f"No value of {_label(analysis, seek.driver)} reaches it "
            "(searched up to a million million times its current size either way)."
        )
        return "\n".join(lines) + "\n"
    lines.append(
        f"{_label(analysis, seek.driver)} must be {with_unit(seek.value, driver.unit)} "
        f"(now {with_unit(seek.current, driver.unit)})."
    )
    lines += ["", "That changes:"]
    lines += scenario_text(seek.scenario)
    return "\n".join(lines) + "\n"


def attribution_lines(analysis: Analysis, attribution: Attribution, limit: int = 5) -> list[str]:
    """`moved by: Sessies +18,866.35 EUR, Conversieratio −4,978.59 EUR`, biggest first."""
    unit = analysis.tree.nodes[attribution.node].unit
    parts = [(n, p) for n, p in attribution.parts if p != 0][:limit]
    shown = [f"{safe_text(analysis.name(n))} {'+' if p > 0 else '−'}{apart_by(abs(p), unit)}" for n, p in parts]
    return [", ".join(shown)] if shown else []


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"code": f.code, "severity": f.severity, "node": f.node, "message": f.message}


def scenario_json(scenario: Scenario) -> dict[str, Any]:
    """Changes and findings of a scenario as JSON-ready values."""
    appeared, cleared = scenario.findings_changed()
    return {
        "changes": [_change_json(scenario, c.node, c.fields) for c in scenario.changes()],
        "findings_appeared": [_finding_json(f) for f in appeared],
        "findings_cleared": [_finding_json(f) for f in cleared],
    }


def _change_json(scenario: Scenario, node_id: str, fields: tuple[tuple[str, object, object], ...]) -> dict[str, Any]:
    found: dict[str, Any] = {"node": node_id, "name": scenario.base.tree.nodes[node_id].name}
    found.update({name: {"before": before, "after": after} for name, before, after in fields})
    if any(name.startswith("forecast") for name, _, _ in fields):
        day = forecast_day(scenario, node_id)
        found["forecast_date"] = day.isoformat() if day else None
    return found


def _json_ready(value: Any) -> Any:
    """`value` with every float beyond a float's range as null: JSON has no Infinity or NaN.

    The scenario has made such values unknown already (with the finding `overflow`); this
    keeps any other from making the whole report unreadable to a JSON parser.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def _dumps(data: dict[str, Any]) -> str:
    return safe_json(json.dumps(_json_ready(data), ensure_ascii=False, indent=2, allow_nan=False))


def whatif_json(scenario: Scenario) -> str:
    """`kpitui whatif --format json`."""
    base = scenario.base
    data = {
        "file": str(base.tree.path),
        "as_of": base.as_of.isoformat(),
        "kind": scenario.kind,
        "overrides": scenario.overrides,
        **scenario_json(scenario),
    }
    return _dumps(data)


def seek_json(analysis: Analysis, seek: Seek) -> str:
    """`kpitui whatif --seek ... --format json`."""
    data: dict[str, Any] = {
        "file": str(analysis.tree.path),
        "as_of": analysis.as_of.isoformat(),
        "seek": {
            "node": seek.node,
            "via": seek.driver,
            "goal": seek.goal,
            "goal_is": seek.goal_label,
            "current": seek.current,
            "value": seek.value,
        },
    }
    if seek.scenario is not None:
        data.update(scenario_json(seek.scenario))
    return _dumps(data)
