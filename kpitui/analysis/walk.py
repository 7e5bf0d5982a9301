"""The tree walk of docs/contract.md#outputs (roots first, each node at its first visit), stored in O(nodes).

Every node keeps only the node it was reached from, its depth and the top of its walk,
so a 20,000-deep chain costs 20,000 entries, not 200 million path elements. Long paths
are named by their ends and their length.
"""

from __future__ import annotations

from kpitui.analysis.graph import KpiGraph

# Paths with more names than this are shown as their top and last names around "…".
PATH_LIMIT = 12
PATH_TAIL = 6


class TreeWalk:
    """Depth-first from the root goals in file order, then from every node not yet visited."""

    def __init__(self, graph: KpiGraph) -> None:
        self.graph = graph
        self._order: list[str] | None = []
        self.up: dict[str, str | None] = {}
        self.depth: dict[str, int] = {}
        self.top: dict[str, str] = {}
        # The links are a forest's, as `_links_only` found them, and no edit has moved them since.
        self._forest = self._links_only(graph)
        if self._forest:
            self._order = None  # walked when asked for (the report needs only the links up)
        else:
            self._walk(graph)

    @property
    def order(self) -> list[str]:
        """Every node in walk order (walked again when an edit left only the links up to date)."""
        if self._order is None:
            if self._forest:
                self._order = self._forest_order(self.graph)
            else:
                self.up, self.depth, self.top = {}, {}, {}
                self._order = []
                self._walk(self.graph)
        assert self._order is not None
        return self._order

    def moved(self) -> None:
        """The links up (`up`, `depth`, `top`) were brought up to date after an edit; the order was not."""
        self._order = None
        self._forest = False

    def _forest_order(self, graph: KpiGraph) -> list[str]:
        """The walk's order when `_links_only` found the links (each node has at most one parent,
        before it in the file): `_walk`'s order without its links, which are known, nor its checks
        for a node seen before, which a forest never has. Its walks start from the nodes without a
        parent, root goals first: any other node's top comes before it in the file, so `_walk` has
        reached it from there before its own turn as a start. (A 100k-node tree: 0.08 s, not 0.18.)"""
        roots = graph.roots()
        first = set(roots)
        starts = [*roots, *(n for n, parent in self.up.items() if parent is None and n not in first)]
        children_of = graph.children
        order: list[str] = []
        append = order.append
        for start in starts:
            stack = [start]
            while stack:
                node_id = stack.pop()
                append(node_id)
                children = children_of(node_id)
                if children:
                    stack += children[::-1]
        return order

    def _links_only(self, graph: KpiGraph) -> bool:
        """The links up (`up`, `depth`, `top`) in one pass in file order, when every node has at
        most one parent and comes after it in the file: then a node is first reached from its one
        parent, and the walk's links are the tree's own. False, with nothing set, otherwise."""
        up: dict[str, str | None] = {}
        depth: dict[str, int] = {}
        top: dict[str, str] = {}
        parents_of = graph.parents_of
        for node_id in graph.nodes:
            parents = parents_of(node_id)
            if not parents:
                up[node_id], depth[node_id], top[node_id] = None, 0, node_id
            elif len(parents) == 1 and parents[0] in up:
                parent = parents[0]
                up[node_id], depth[node_id], top[node_id] = parent, depth[parent] + 1, top[parent]
            else:
                return False
        self.up, self.depth, self.top = up, depth, top
        return True

    def _walk(self, graph: KpiGraph) -> None:
        assert self._order is not None
        order, up, depth, top, children_of = self._order, self.up, self.depth, self.top, graph.children
        for start in [*graph.roots(), *graph.nodes]:
            if start in up:
                continue
            stack: list[tuple[str, str | None]] = [(start, None)]
            while stack:
                node_id, parent = stack.pop()
                if node_id in up:
                    continue
                up[node_id] = parent
                if parent is None:
                    depth[node_id], top[node_id] = 0, start
                else:
                    depth[node_id], top[node_id] = depth[parent] + 1, top[parent]
                order.append(node_id)
                children = children_of(node_id)
                if children:
                    stack.extend([(c, node_id) for c in reversed(children) if c not in up])

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.up

    def path(self, node_id: str) -> list[str]:
        """The ids from the top of the node's walk down to it (its whole length)."""
        path: list[str] = []
        current: str | None = node_id
        while current is not None:
            path.append(current)
            current = self.up[current]
        return path[::-1]

    def short_path(self, node_id: str) -> tuple[list[str], int, list[str]]:
        """(head ids, ids left out, tail ids): the path itself when it is short, its ends when long."""
        length = self.depth[node_id] + 1
        if length <= PATH_LIMIT:
            return self.path(node_id), 0, []
        tail: list[str] = []
        current: str | None = node_id
        while current is not None and len(tail) < PATH_TAIL:
            tail.append(current)
            current = self.up[current]
        head = [self.top[node_id]]
        return head, length - len(head) - len(tail), tail[::-1]


def join_path(names_head: list[str], skipped: int, names_tail: list[str], separator: str) -> str:
    """`A > B > … 19,990 more … > Y > Z`, or the plain path when nothing is left out."""
    if not skipped:
        return separator.join(names_head + names_tail)
    middle = f"… {skipped:,} more …"
    return separator.join([*names_head, middle, *names_tail])
