"""Accepting a finding from the TUI: pick it, give the reason, save it in the node's `accept`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kpitui.services.accepting import accepting_nodes, can_accept
from kpitui.tui.screens.dialogs import ChoiceDialog, LineDialog

if TYPE_CHECKING:
    from kpitui.model.domain import Finding
    from kpitui.tui.screens.main import MainScreen

PICK_KEYS = "123456789"


def _reason_check(text: str) -> str | None:
    return None if text.strip() else "Say why the team accepts it: the reason is kept in the file."


class AcceptFlow:
    """Accepts or un-accepts one finding through the screen's document, like every other edit."""

    def __init__(self, screen: MainScreen, done: Callable[[], None] | None = None) -> None:
        self.screen = screen
        self.done = done  # called after the change was made (the findings view refreshes)

    def choose(self, node_id: str) -> None:
        """Offer the findings of a node that can be accepted or un-accepted; one goes straight on."""
        analysis = self.screen.analysis
        if analysis is None:
            return
        nodes = analysis.tree.nodes
        choices = [f for f in analysis.findings_of(node_id) if can_accept(f, nodes) is None]
        if not choices:
            self.screen.notify("This node has no finding that can be accepted (errors cannot be).")
            return
        if len(choices) == 1:
            self.toggle(choices[0], node_id)
            return
        choices = choices[: len(PICK_KEYS)]
        answers = [
            (str(i), PICK_KEYS[i], f"{'un-accept ' if f.accepted else ''}{f.code}") for i, f in enumerate(choices)
        ]

        def picked(answer: str | None) -> None:
            if answer:
                self.toggle(choices[int(answer)], node_id)

        self.screen.app.push_screen(ChoiceDialog("Accept (or un-accept) which finding?", answers), picked)

    def toggle(self, finding: Finding, on: str | None = None) -> None:
        """Un-accept an accepted finding; ask for the reason and accept an open one.

        Args:
            finding: the finding.
            on: the node the user is looking at; a pair is accepted there when it is one side.
        """
        analysis = self.screen.analysis
        if analysis is None:
            return
        nodes = analysis.tree.nodes
        refused = can_accept(finding, nodes)
        if refused is not None:
            self.screen.notify(f"{finding.code} cannot be accepted: {refused}.", severity="warning")
            return
        if finding.accepted:
            holders = accepting_nodes(finding, nodes)
            if self.screen.edit_accept([(n, finding.code, None) for n in holders], on or finding.node):
                self.screen.notify(f"{finding.code} is open again (u undoes).")
                self._finished()
            return
        holder = on if on is not None and on in finding.concerns else finding.node
        assert holder is not None  # can_accept checked it
        name = nodes[holder].name

        def given(reason: str | None) -> None:
            if reason is not None and self.screen.edit_accept([(holder, finding.code, reason)], on or holder):
                self.screen.notify(f"{finding.code} accepted on '{name}'; ctrl+s saves it (u undoes).")
                self._finished()

        question = f"Accept {finding.code} on '{name}'? Why does the team accept it?\n{finding.message}"
        self.screen.app.push_screen(LineDialog(question, check=_reason_check), given)

    def _finished(self) -> None:
        if self.done is not None:
            self.done()
