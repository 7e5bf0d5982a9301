"""The tree file's JSON Schema (draft 2020-12), generated from the loader's field table."""

from __future__ import annotations

import json
from typing import Any

from kpitui.model.schema import NODE_FIELDS, TOP_KEYS, TREE_FIELDS, properties

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _table(fields: Any, description: str) -> dict[str, Any]:
    table: dict[str, Any] = {"type": "object", "description": description, "properties": properties(fields)}
    required = [f.key for f in fields if f.required]
    if required:
        table["required"] = required
    return table


def tree_schema() -> dict[str, Any]:
    """The JSON Schema of a tree file.

    Unknown keys are allowed, as the loader keeps them (and reports them as `unknown_key`).
    Two rules need two values at once and stay with the loader: a period's start after its
    end, and `at_risk` above `on_track`.
    """
    return {
        "$schema": DIALECT,
        "title": "kpitui KPI tree",
        "description": "A KPI tree for kpitui: goals, objectives and KPIs as [nodes.<id>] tables.",
        "type": "object",
        "properties": {
            "version": {"description": "The format version; only 1 exists.", "const": 1},
            "tree": _table(TREE_FIELDS, "Settings of the whole tree."),
            "nodes": {
                "type": "object",
                "description": "Every node, as [nodes.<id>]; their order is the order of siblings.",
                "additionalProperties": {"$ref": "#/$defs/node"},
            },
        },
        "anyOf": [{"required": [key]} for key in TOP_KEYS],
        "$defs": {"node": _table(NODE_FIELDS, "A goal, objective or KPI.")},
    }


def schema_text() -> str:
    """The schema as `kpitui schema` prints it and the package ships it."""
    return json.dumps(tree_schema(), ensure_ascii=False, indent=2) + "\n"
