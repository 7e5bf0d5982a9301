"""The findings view: every finding of the tree, sortable; enter jumps to its node."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from kpitui.common.text import safe_text
from kpitui.model.domain import SEVERITY_ORDER, Finding
from kpitui.tui.marks import MARK_STYLE, SEVERITY_GLYPH, SEVERITY_STYLE

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis


SORTS = ("severity", "code", "node")


class FindingsScreen(ModalScreen[str | None]):
    """A table of findings; dismissed with the id of the node to jump to, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f", "close", "Back", id="findings.close"),
        Binding("enter", "jump", "Go to node", id="findings.jump"),
        Binding("s", "sort", "Sort", id="findings.sort"),
        Binding("x", "accept", "Accept / un-accept", id="findings.accept"),
        Binding("j", "cursor_down", "Down", show=False, id="findings.down"),
        Binding("k", "cursor_up", "Up", show=False, id="findings.up"),
    ]

    def __init__(self, analysis: Analysis, accept: Callable[[FindingsScreen, Finding], None] | None = None) -> None:
        super().__init__()
        self.analysis = analysis
        self.accept = accept  # asks for the reason and edits the document (the main screen)
        self.sort_by = "severity"
        self.rows: list[Finding] = []

    def compose(self) -> ComposeResult:
        yield Static(id="findings-title")
        yield DataTable(id="findings-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="findings-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Severity", "Code", "Node")
        self._fill()
        table.focus()

    def _fill(self) -> None:
        an = self.analysis
        order = an.graph.order
        keys = {
            "severity": lambda f: (SEVERITY_ORDER[f.severity], order.get(f.node or "", -1)),
            "code": lambda f: (f.code, SEVERITY_ORDER[f.severity], order.get(f.node or "", -1)),
            "node": lambda f: (order.get(f.node or "", -1), SEVERITY_ORDER[f.severity]),
        }
        self.rows = sorted(an.findings, key=keys[self.sort_by])
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for finding in self.rows:
            node = safe_text(an.name(finding.node)) if finding.node else "—"
            if finding.accepted:
                table.add_row(
                    Text(f"✓ {finding.severity}", style=MARK_STYLE["quiet"]),
                    Text(finding.code, style=MARK_STYLE["quiet"]),
                    Text(f"{node} — accepted: {safe_text(str(finding.reason))}", style=MARK_STYLE["quiet"]),
                )
                continue
            severity = Text(
                f"{SEVERITY_GLYPH[finding.severity]} {finding.severity}", style=SEVERITY_STYLE[finding.severity]
            )
            table.add_row(severity, Text(finding.code), Text(node))  # Text, not a string: a name is not markup
        if self.rows:
            table.move_cursor(row=min(row, len(self.rows) - 1))
        accepted = sum(1 for f in self.rows if f.accepted)
        count = f"{len(self.rows)} findings" + (f" ({accepted} accepted)" if accepted else "")
        title = f"{count}, sorted by {self.sort_by} — enter goes to the node"  # the other keys: in the footer
        self.query_one("#findings-title", Static).update(Text(title, style="bold"))

    def show(self, analysis: Analysis) -> None:
        """Show the findings of a new analysis (after one was accepted), keeping the cursor row."""
        self.analysis = analysis
        self._fill()
        self._describe(self.query_one(DataTable).cursor_row)

    def action_accept(self) -> None:
        table = self.query_one(DataTable)
        if self.accept is None or not self.rows:
            return
        self.accept(self, self.rows[table.cursor_row])

    def action_sort(self) -> None:
        self.sort_by = SORTS[(SORTS.index(self.sort_by) + 1) % len(SORTS)]
        self._fill()

    def action_jump(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows:
            return
        finding = self.rows[table.cursor_row]
        target = finding.node if finding.node in self.analysis.tree.nodes else None
        self.dismiss(target)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._describe(event.cursor_row)

    def _describe(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            finding = self.rows[row]
            text = Text(f"{SEVERITY_GLYPH[finding.severity]} {finding.code}", style=SEVERITY_STYLE[finding.severity])
            if finding.accepted:
                text = Text(
                    f"✓ {finding.code} ({finding.severity}), accepted: {safe_text(str(finding.reason))}",
                    style=MARK_STYLE["quiet"],
                )
            text.append(f"\n{safe_text(finding.message)}", style=MARK_STYLE["quiet"] if finding.accepted else "")
            self.query_one("#findings-message", Static).update(text)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_jump()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()
