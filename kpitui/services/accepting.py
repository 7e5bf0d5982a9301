"""Accepting a finding and taking it back (docs/contract.md#findings): the change to a node's `accept` table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpitui.model.domain import PAIR_CODES, Finding, Node


def can_accept(finding: Finding, nodes: Mapping[str, Node]) -> str | None:
    """Why a finding cannot be accepted, or None when it can."""
    if finding.severity == "error":
        return "errors cannot be accepted, only fixed"
    if finding.node is None or finding.node not in nodes:
        return "it is not about a node of the tree, so no node can accept it"
    return None


def accepting_nodes(finding: Finding, nodes: Mapping[str, Node]) -> list[str]:
    """The nodes whose `accept` covers a finding: its node, and for a pair either side."""
    candidates = finding.concerns if finding.code in PAIR_CODES else (finding.node,)
    return [n for n in candidates if n is not None and n in nodes and nodes[n].accepted(finding.code) is not None]


def with_accept(table: Mapping[str, Any], code: str, reason: str | None) -> dict[str, str] | None:
    """A node table's `accept` with `code` accepted for `reason`, or removed when reason is None.

    Returns:
        The new `accept` table, or None when nothing is left accepted (remove the key).
    """
    current = table.get("accept")
    accepted = {k: v for k, v in current.items()} if isinstance(current, dict) else {}
    if reason is None:
        accepted.pop(code, None)
    else:
        accepted[code] = reason.strip()
    return accepted or None
