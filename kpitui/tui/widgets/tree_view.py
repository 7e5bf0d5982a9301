"""The KPI tree: goals at the top, orphans in their own group, children created on expand."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets._tree import TOGGLE_STYLE
from textual.widgets.tree import TreeNode

from kpitui.tui.marks import MARK_STYLE, ORPHAN, LabelParts, node_label_parts

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis
    from kpitui.engine.incremental import Updated
    from kpitui.services.outline import Outline


# Lines deeper than this are not drawn (Textual's tree keeps every line's whole path):
# deeper nodes are reached through search, ] and the findings list, which name them.
MAX_DEPTH = 200
# Goals are shown open until their lines fill about this many lines; those below start closed.
OPEN_LINES = 300


@dataclass(frozen=True)
class Entry:
    """What a line of the tree stands for: a node (below the line it hangs from) or the orphan group."""

    node_id: str | None
    up: Entry | None = None
    depth: int = 0
    loop: bool = False  # the node already appears above this line: a parent cycle

    def above(self, node_id: str) -> bool:
        """Whether `node_id` is on this line or one above it."""
        entry: Entry | None = self
        while entry is not None:
            if entry.node_id == node_id:
                return True
            entry = entry.up
        return False


ORPHAN_GROUP = Entry(None)


class KpiTreeView(Tree[Entry]):
    """A lazily filled tree of a KPI tree's nodes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="tree.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="tree.up"),
        Binding("h,left", "collapse_or_parent", "Collapse / parent", show=False, id="tree.left"),
        Binding("l,right", "expand_or_child", "Expand / child", show=False, id="tree.right"),
        Binding("g,home", "scroll_home", "First line", show=False, id="tree.first"),
        Binding("G,end", "scroll_end", "Last line", show=False, id="tree.last"),
        Binding("enter,space", "toggle_node", "Expand / collapse", show=False, id="tree.toggle"),
    ]

    class NodeFocused(Message):
        """The cursor moved to a node (None: the orphan group, `group` True, or nothing)."""

        def __init__(self, node_id: str | None, group: bool = False) -> None:
            super().__init__()
            self.node_id = node_id
            self.group = group

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        self._parts: dict[int, LabelParts] = {}  # by tree node id: lines that fit a narrow terminal
        super().__init__("KPI tree", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False
        self.analysis: Analysis | None = None
        self.outline: Outline | None = None
        self.problems_only = False
        self._filled: set[int] = set()
        self._lines: dict[str, list[TreeNode[Entry]]] = {}  # the lines showing each node

    def show(self, analysis: Analysis, outline: Outline, problems_only: bool, keep: str | None) -> None:
        """Rebuild from a new analysis, keeping the cursor on node `keep` where it exists."""
        self.analysis, self.outline, self.problems_only = analysis, outline, problems_only
        self.clear()
        self._parts = {}
        self._lines = {}
        self._filled = {self.root.id}
        roots = outline.roots()
        unplaced = outline.unplaced
        if problems_only:
            roots = [r for r in roots if r in outline.problem_paths]
            unplaced = [u for u in unplaced if u in outline.problem_paths]
        for root in roots:
            self._add(self.root, root, None)
        if unplaced:
            orphans = sum(1 for r in analysis.results.values() if r.orphaned)
            group = self.root.add(self._orphan_label(orphans), data=ORPHAN_GROUP, allow_expand=True)
            for top in unplaced:
                self._add(group, top, None)
            self._filled.add(group.id)
            group.expand()
        if problems_only:
            self._fill_all(self.root)
        else:
            # Goals open to show what serves them, as many as make a few screens: beyond,
            # each opens when asked (a 100k-node tree has 500 goals; their 2,500 lines took
            # seconds to make before the tree could be shown).
            lines = 0
            for child in self.root.children:
                if lines >= OPEN_LINES:
                    break
                if child.data is not None and child.data.node_id is not None:
                    self._fill(child)
                    child.expand()
                    lines += 1 + len(child.children)
        if not (keep and self.reveal(keep)):
            self.call_after_refresh(self._cursor_home)

    @staticmethod
    def _orphan_label(orphans: int) -> Text:
        return Text(f"{ORPHAN} Serving no goal — {orphans} orphan(s): give them a parent", style=MARK_STYLE["orphan"])

    def render_label(self, node: TreeNode[Entry], base_style: Style, style: Style) -> Text:
        """The line shortened to the width: values go first (the detail panel has them), then the name."""
        parts = self._parts.get(node.id)
        if parts is None:
            label = super().render_label(node, base_style, style)
            width = self.scrollable_content_region.width
            if node is not self.root and width > 0 and label.cell_len > width:
                label.truncate(width, overflow="ellipsis")
            return label
        depth, up = 0, node.parent
        while up is not None and up is not self.root:
            depth, up = depth + 1, up.parent
        icon = (self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE) if node.allow_expand else ""
        width = self.scrollable_content_region.width - depth * self.guide_depth - Text(icon).cell_len
        label = parts.fit(width)
        label.stylize(style)
        return Text.assemble((icon, base_style + TOGGLE_STYLE), label) if icon else label

    def _cursor_home(self) -> None:
        if self.last_line >= 0:
            self.move_cursor_to_line(0)
        self._announce()

    def _add(self, parent: TreeNode[Entry], node_id: str, up: Entry | None) -> TreeNode[Entry]:
        assert self.analysis is not None and self.outline is not None
        # Only a node in a parent cycle can appear above itself: look up only for those.
        loop = up is not None and node_id in self.analysis.graph.cyclic() and up.above(node_id)
        depth = 0 if up is None else up.depth + 1
        children = [] if loop or depth + 1 >= MAX_DEPTH else self._children(node_id)
        entry = Entry(node_id, up, depth, loop)
        parts = self._label_parts(entry)
        added = parent.add(parts.full(), data=entry, allow_expand=bool(children))
        self._parts[added.id] = parts
        self._lines.setdefault(node_id, []).append(added)
        return added

    def _label_parts(self, entry: Entry) -> LabelParts:
        """A line's parts: the node's label, and a note where the tree is cut off below it."""
        assert self.analysis is not None and entry.node_id is not None
        node_id = entry.node_id
        parts = node_label_parts(self.analysis, node_id, cycle_back=entry.loop)
        if not entry.loop and entry.depth + 1 >= MAX_DEPTH and self._children(node_id):
            note = Text.assemble(parts.values, (f"  ⋯ deeper than {MAX_DEPTH} levels: / finds the nodes below", "dim"))
            parts = replace(parts, values=note)
        return parts

    def patch(self, analysis: Analysis, outline: Outline, update: Updated) -> bool:
        """Redraw only the lines of the nodes an edit touched, from the updated analysis; where a
        node's children changed, only the lines below it are made again (expanded ones stay so).

        Returns False (nothing done) where the top of the tree may have changed, or in the problem
        filter: then `show` builds the tree again.
        """
        if update.touched is None or update.root_level or self.problems_only:
            return False
        self.analysis, self.outline = analysis, outline
        current = self.current()
        for parent in update.children_changed:
            for line in list(self._lines.get(parent, ())):
                if line.id in self._tree_nodes:
                    self._refill(line)
        if update.structural:
            self._relabel_orphan_group(analysis)
        for node_id in update.touched:
            for line in self._lines.get(node_id, ()):
                if line.data is None or line.id not in self._tree_nodes:
                    continue
                parts = self._label_parts(line.data)
                self._parts[line.id] = parts
                line.set_label(parts.full())
        cursor = self.cursor_node
        if current is not None and (cursor is None or cursor.id not in self._tree_nodes or self.current() != current):
            lines = [line for line in self._lines.get(current, ()) if line.id in self._tree_nodes]
            if lines:
                self.call_after_refresh(self.move_cursor, lines[0])
        return True

    def _refill(self, line: TreeNode[Entry]) -> None:
        """Make the lines below `line` again from the outline, keeping which of them were expanded."""
        entry = line.data
        if entry is None or entry.node_id is None:
            return
        expanded: set[tuple[str, ...]] = set()
        stack: list[tuple[TreeNode[Entry], tuple[str, ...]]] = [(c, ()) for c in line.children]
        while stack:
            node, above = stack.pop()
            data = node.data
            if data is None or data.node_id is None:
                continue
            here = (*above, data.node_id)
            self._forget(node)
            if node.is_expanded:
                expanded.add(here)
            stack.extend((c, here) for c in node.children)
        was_expanded = line.is_expanded
        line.remove_children()
        self._filled.discard(line.id)
        line.allow_expand = not entry.loop and entry.depth + 1 < MAX_DEPTH and bool(self._children(entry.node_id))
        if not was_expanded and not expanded:
            return
        self._fill(line)
        todo: list[tuple[TreeNode[Entry], tuple[str, ...]]] = [(c, ()) for c in line.children]
        while todo:
            node, above = todo.pop()
            data = node.data
            if data is None or data.node_id is None:
                continue
            here = (*above, data.node_id)
            if here in expanded:
                self._fill(node)
                node.expand()
                todo.extend((c, here) for c in node.children)

    def _forget(self, node: TreeNode[Entry]) -> None:
        """Drop a line about to be removed from the index of lines."""
        data = node.data
        self._parts.pop(node.id, None)
        self._filled.discard(node.id)
        if data is not None and data.node_id is not None:
            lines = self._lines.get(data.node_id)
            if lines is not None:
                lines[:] = [line for line in lines if line is not node]

    def _relabel_orphan_group(self, analysis: Analysis) -> None:
        group = next((c for c in self.root.children if c.data is ORPHAN_GROUP), None)
        if group is not None and analysis.state is not None and analysis.state.orphaned is not None:
            group.set_label(self._orphan_label(analysis.state.orphaned))

    def _children(self, node_id: str) -> list[str]:
        assert self.outline is not None
        children = self.outline.children(node_id)
        if self.problems_only:
            return [c for c in children if c in self.outline.problem_paths]
        return children

    def _fill(self, node: TreeNode[Entry]) -> None:
        """Create a node's children, once."""
        entry = node.data
        if node.id in self._filled or entry is None or entry.node_id is None:
            return
        self._filled.add(node.id)
        if entry.loop or entry.depth + 1 >= MAX_DEPTH:
            return
        for child in self._children(entry.node_id):
            self._add(node, child, entry)

    def _fill_all(self, top: TreeNode[Entry]) -> None:
        """Fill and expand everything below `top`, without recursion (depth comes from the file)."""
        top.expand()
        stack = list(top.children)
        while stack:
            node = stack.pop()
            self._fill(node)
            if node.allow_expand:
                node.expand()
            stack.extend(node.children)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Entry]) -> None:
        event.stop()
        self._fill(event.node)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Entry]) -> None:
        event.stop()
        self._announce()

    def _announce(self) -> None:
        node = self.cursor_node
        self.post_message(self.NodeFocused(self.current(), node is not None and node.data is ORPHAN_GROUP))

    def current(self) -> str | None:
        """The id of the node under the cursor."""
        node = self.cursor_node
        return node.data.node_id if node is not None and node.data is not None else None

    def reveal(self, node_id: str) -> bool:
        """Expand the way down to a node and put the cursor on it; False if it is not shown."""
        if self.outline is None or node_id not in self.outline.walk:
            return False
        path = self.outline.path(node_id)[:MAX_DEPTH]
        if self.problems_only and node_id not in self.outline.problem_paths:
            return False
        here = self.root
        if path[0] in self.outline.unplaced:
            group = next((c for c in self.root.children if c.data is ORPHAN_GROUP), None)
            if group is None:
                return False
            group.expand()
            here = group
        for step in path:
            self._fill(here)
            here.expand()
            found = next((c for c in here.children if c.data is not None and c.data.node_id == step), None)
            if found is None:
                return False
            here = found
        target = here
        self.call_after_refresh(self._land, target)
        return True

    def _land(self, node: TreeNode[Entry]) -> None:
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)
        self._announce()

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def action_expand_or_child(self) -> None:
        node = self.cursor_node
        if node is None or not node.allow_expand:
            return
        if not node.is_expanded:
            self._fill(node)
            node.expand()
        elif node.children:
            self.call_after_refresh(self.move_cursor, node.children[0])
