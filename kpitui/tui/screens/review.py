"""The weekly check-in as a screen (`R`): what changed since a week ago; enter jumps to the node."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from kpitui.common.format import amount, signed
from kpitui.common.text import safe_text
from kpitui.services.review import GLYPH, pace_line

if TYPE_CHECKING:
    from kpitui.services.review import Review

NO_NUMBER = "no target or actual: its children's statuses roll up to it"


def review_lines(r: Review) -> list[tuple[str, str | None]]:
    """(text, node id to jump to) for each line of the check-in; headings have no node."""
    an = r.after
    nodes = an.tree.nodes

    def name(node_id: str | None) -> str:
        return safe_text(nodes[node_id].name) if node_id in nodes else "the tree"

    lines: list[tuple[str, str | None]] = [(f"Status changes ({len(r.changes)})", None)]
    for c in r.changes:
        own = f"{GLYPH[c.status[0]]}→{GLYPH[c.status[1]]}" if c.status[0] != c.status[1] else "    "
        below = ""
        if c.rollup_status[0] != c.rollup_status[1] and c.rollup_status != c.status:
            below = f"  below: {GLYPH[c.rollup_status[0]]}→{GLYPH[c.rollup_status[1]]}"
        result = an.results.get(c.node)
        numberless = result is not None and result.target is None and result.actual is None
        if below and numberless and c.status[0] == c.status[1]:
            # No number of its own (a goal, say): what changed is below it; say so, not a blank column.
            own = f"{GLYPH[c.rollup_status[0]]}→{GLYPH[c.rollup_status[1]]}"
            below = f" — {NO_NUMBER}"
        lines.append((f"  {own}  {name(c.node)}{below}", c.node))
    for title, group in (("New findings", r.appeared), ("Cleared findings", r.cleared)):
        lines.append((f"{title} ({len(group)})", None))
        lines += [(f"  {f.code}: {name(f.node)}", f.node) for f in group]
    if r.moved:
        lines.append(("What moved the goals", None))
        for m in r.moved:
            unit = nodes[m.node].unit
            parts = ", ".join(f"{name(n)} {signed(share, unit)}" for n, share in m.parts if share)
            change = signed(m.change, unit)
            lines.append((f"  {name(m.node)}: {change}" + (f" — {parts}" if parts else ""), m.node))
    lines.append((f"Needs action ({len(r.attention)})", None))
    for item in r.attention:
        unit = nodes[item.node].unit
        why = item.status.replace("_", " ")
        if item.status != "off_track" and item.forecast is not None:
            why += f", forecast to miss: {amount(item.forecast, unit)} by {item.forecast_date}"
        owner = safe_text(item.owner) if item.owner else "no owner"
        said = pace_line(an, item)  # as `kpitui review` says it
        pace = f"; {said}" if said else ""
        lines.append((f"  {GLYPH[item.status]} {name(item.node)} — {owner} — {why}{pace}", item.node))
    return lines


class ReviewScreen(ModalScreen[str | None]):
    """The check-in; dismissed with the id of the node to jump to, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,R", "close", "Back", id="review.close"),
    ]

    def __init__(self, review: Review) -> None:
        super().__init__()
        self.review = review
        self.lines = review_lines(review)

    def compose(self) -> ComposeResult:
        r = self.review
        yield Static(f"Weekly review {r.since} → {r.as_of} — enter goes to the node", id="review-title")
        yield OptionList(
            # Text, not markup: a name's `[link=…]` or `[@click=…]` stays what it says.
            *(
                Option(Text(safe_text(text)), id=f"{i}", disabled=node is None)
                for i, (text, node) in enumerate(self.lines)
            ),
            id="review-list",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        self.dismiss(self.lines[index][1])

    def action_close(self) -> None:
        self.dismiss(None)
