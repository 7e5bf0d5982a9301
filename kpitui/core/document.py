"""An open tree being edited: its node tables now, undo and redo, saving and the journal.

The TUI and `kpitui set` both edit through this class, so they validate and save alike.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kpitui.core.appending import rows_write
from kpitui.core.filesafe import why
from kpitui.core.journal import Recovered, drop_journal, new_session, write_journal
from kpitui.core.loader import BOM, KpiTree, decode, parse_tree, read_bytes
from kpitui.core.model import Node
from kpitui.core.saving import (
    ExternalChange,
    SaveError,
    Write,
    commit,
    digest,
    layout_changes,
    render_node,
    render_text,
)
from kpitui.core.schema import FieldError, read_node, read_settings
from kpitui.core.source import SourceMap

Tables = dict[str, dict[str, Any]]
NEW_TREE = 'version = 1\n\n[tree]\ntitle = "{title}"\n'


class EditError(Exception):
    """An edit the schema or the tree refuses; `errors` says which field and why."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


@dataclass
class State:
    """What undo restores: the node tables in order, and pending measurement rows."""

    tables: Tables
    rows: list[tuple[str, date, float]] = field(default_factory=list)
    settings: dict[str, Any] | None = None  # the [tree] table, where it was edited
    # Ids whose tables may differ from the file as first opened (added, changed, deleted):
    # every edit adds the ones it changed, so saving compares these, not all the tables.
    touched: frozenset[str] = frozenset()


class Document:
    """A tree file open for editing."""

    def __init__(self, path: Path, tree: KpiTree, data: bytes | None) -> None:
        self.path = path
        self.tree = tree  # as loaded; its text and source map are what saving patches
        self.loaded_digest = digest(data) if data is not None else None
        # Tables are shared, never changed in place: an edit copies the ones it changes.
        self.base: Tables = _tables(tree)
        self.state = State(dict(self.base))
        self.base_touched: frozenset[str] = frozenset()  # `touched` of the state `base` was saved from
        self.undo_stack: list[State] = []
        self.redo_stack: list[State] = []
        self.notes: list[str] = []  # what the last save could not keep (an owner, say)
        self.removed_references: list[str] = []  # what the last delete removed from other nodes
        self.session = new_session()  # names this session's journal
        self.journal_problem: str | None = None  # why the last journal write failed
        self._nodes: dict[str, Node] = dict(tree.nodes)
        self._built_from: dict[str, Any] = dict(self.base)  # the table each of `_nodes` was read from
        raw = tree.doc.get("tree")
        self.base_settings: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}

    # ── opening ────────────────────────────────────────────────────────

    @classmethod
    def open(cls, path: Path, reader: Callable[[str, str], dict[str, Any]] | None = None) -> Document:
        """Open a tree file, or start an empty tree when the file does not exist.

        Args:
            reader: reads the TOML (see `parse_tree`).
        """
        if not path.exists():
            text = NEW_TREE.format(title=path.stem.replace('"', ""))
            return cls(path, parse_tree(text, path), None)
        data = read_bytes(path)  # read once: what is parsed is what the digest guards
        return cls(path, parse_tree(decode(data, str(path)), path, reader), data)

    # ── reading ─────────────────────────────────────────────────────────

    @property
    def tables(self) -> Tables:
        """The node tables as they are now, in order."""
        return self.state.tables

    @property
    def dirty(self) -> bool:
        """Whether there are changes not yet saved."""
        return self.state.tables != self.base or bool(self.state.rows) or self.settings_changed

    def current_tree(self) -> KpiTree:
        """A KpiTree of the tables as they are now (for analysis)."""
        tree = copy.copy(self.tree)
        if self.settings_changed:
            tree.settings = read_settings({**self.tree.doc, "tree": self.settings})[0]
        tree.nodes = {}
        for node_id, table in self.tables.items():
            node = self._nodes.get(node_id)
            if node is None or (self._built_from.get(node_id) is not table and node.raw != table):
                node, errors = read_node(node_id, table)
                if node is None:  # cannot happen: edits are validated
                    raise EditError(f"node {node_id!r} is invalid", errors)
                self._nodes[node_id] = node
            self._built_from[node_id] = table
            tree.nodes[node_id] = node
        return tree

    def pending_rows(self) -> list[tuple[str, date, float]]:
        """Measurement rows recorded but not yet written."""
        return list(self.state.rows)

    # ── editing ─────────────────────────────────────────────────────────

    @property
    def settings(self) -> dict[str, Any]:
        """The `[tree]` table as it is now."""
        return self.base_settings if self.state.settings is None else self.state.settings

    @property
    def settings_changed(self) -> bool:
        """Whether the `[tree]` table was edited since the file was loaded or saved."""
        return self.state.settings is not None and self.state.settings != self.base_settings

    def set_settings(self, table: Mapping[str, Any]) -> None:
        """Replace the `[tree]` table (title, as_of, period, thresholds, measurements)."""
        _settings, errors = read_settings({**self.tree.doc, "tree": dict(table)})
        if errors:
            raise EditError("; ".join(e.message for e in errors), errors)
        self._commit(self._copy(), settings=dict(table))

    def _commit(
        self,
        tables: Tables,
        rows: list[tuple[str, date, float]] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        before = self.state.tables
        edited = [n for n in before if n not in tables]
        for node_id, table in tables.items():
            previous = before.get(node_id)
            if previous is table or previous == table:
                continue  # unchanged, and valid already
            edited.append(node_id)
            node, errors = read_node(node_id, table)
            if node is None:
                raise EditError("; ".join(e.message for e in errors), errors)
        self.undo_stack.append(self.state)
        self.redo_stack.clear()
        kept = self.state.settings if settings is None else settings
        touched = self.state.touched.union(edited)
        self.state = State(tables, self.state.rows if rows is None else rows, kept, touched)

    def _copy(self) -> Tables:
        """The tables in order, for an edit: the tables themselves are shared, so an edit
        copies (`_own`) each table before changing it; committed tables never change."""
        return dict(self.state.tables)

    def parents_of(self, node_id: str) -> list[str]:
        """The ids a node names as its parents (existing or not)."""
        return _parents(self.require(node_id))

    def children_of(self, node_id: str) -> list[str]:
        """The nodes that name this one as a parent, in order."""
        return [k for k, v in self.tables.items() if node_id in _parents(v)]

    def last_below(self, node_id: str) -> str:
        """The node, or of the nodes below it, the one last in the file: where a new child or sibling goes."""
        below, queue = {node_id}, [node_id]
        while queue:
            current = queue.pop()
            for child in self.children_of(current):
                if child not in below:
                    below.add(child)
                    queue.append(child)
        return next(k for k in reversed(self.tables) if k in below)

    def require(self, node_id: str) -> dict[str, Any]:
        """A node's table, or an EditError naming the unknown id."""
        if node_id not in self.tables:
            raise EditError(f"there is no node {node_id!r}")
        return self.tables[node_id]

    def set_fields(self, node_id: str, values: Mapping[str, Any], unset: tuple[str, ...] = ()) -> None:
        """Set and remove fields of one node (unknown keys included)."""
        self.require(node_id)
        tables = self._copy()
        table = _own(tables, node_id)
        for name in unset:
            table.pop(name, None)
        table.update(values)
        self._commit(tables)

    def replace(self, node_id: str, table: Mapping[str, Any], new_id: str | None = None) -> None:
        """Put a whole table in place of a node's (the edit form), optionally renaming its id."""
        self.require(node_id)
        new_id = new_id or node_id
        if new_id != node_id and new_id in self.tables:
            raise EditError(f"id {new_id!r} is taken by another node", [FieldError("id", "id is taken")])
        tables: Tables = {}
        for key, value in self.tables.items():
            if key == node_id:
                tables[new_id] = dict(table)
            else:
                tables[key] = _renamed(value, node_id, new_id) if new_id != node_id else dict(value)
        self._commit(tables)

    def add_node(self, table: Mapping[str, Any], node_id: str | None = None, after: str | None = None) -> str:
        """Add a node (after another, else at the end); returns its id."""
        node_id = node_id or self.new_id(str(table.get("name", "node")))
        if node_id in self.tables:
            raise EditError(f"id {node_id!r} is taken by another node", [FieldError("id", "id is taken")])
        tables: Tables = {}
        for key, value in self.tables.items():
            tables[key] = dict(value)
            if key == after:
                tables[node_id] = dict(table)
        tables.setdefault(node_id, dict(table))
        self._commit(tables)
        return node_id

    def delete_node(self, node_id: str, children: str = "delete") -> list[str]:
        """Delete a node; its children are deleted with it ("delete") or moved up ("reparent").

        Returns:
            The ids deleted.
        """
        self.require(node_id)
        self.removed_references = []
        tables = self._copy()
        gone = {node_id}
        if children == "delete":
            queue = [node_id]
            while queue:
                current = queue.pop()
                for key, value in tables.items():
                    if key not in gone and current in _parents(value):
                        gone.add(key)
                        queue.append(key)
        parents = _parents(tables[node_id])
        for key in list(tables):
            if key in gone:
                del tables[key]
                continue
            mine = _parents(tables[key])
            if node_id in mine:
                # The deleted node's place among the parents goes to its own parents.
                replaced: list[str] = []
                for parent in mine:
                    replaced.extend(parents if parent == node_id else [parent])
                _set_parents(_own(tables, key), list(dict.fromkeys(replaced)))
        self.removed_references = _drop_references(tables, gone)
        self._commit(tables)
        return [k for k in self.tables if k in gone] or sorted(gone)

    def move_node(self, node_id: str, new_parent: str | None) -> None:
        """Give a node one new parent (None: no parent)."""
        self.require(node_id)
        if new_parent is not None:
            self.require(new_parent)
            if new_parent == node_id:
                raise EditError("a node cannot be its own parent")
        tables = self._copy()
        _set_parents(_own(tables, node_id), [new_parent] if new_parent else [])
        self._commit(tables)

    def record_actual(self, node_id: str, value: float, day: date, measurements: bool) -> None:
        """Record an actual: a new measurement row (written on save), or inline with its date."""
        self.require(node_id)
        if measurements:
            self._commit(self._copy(), [*self.state.rows, (node_id, day, value)])
        else:
            self.set_fields(node_id, {"actual": value, "measured": day})

    def toggle_conflict(self, a: str, b: str) -> bool:
        """Declare a conflict between two nodes, or remove it; True when it now exists."""
        self.require(a)
        self.require(b)
        tables = self._copy()
        declared = b in _ids(tables[a].get("conflicts")) or a in _ids(tables[b].get("conflicts"))
        for one, other in ((a, b), (b, a)):
            ids = [i for i in _ids(tables[one].get("conflicts")) if i != other]
            if not declared and one == a:
                ids.append(other)
            if ids:
                _own(tables, one)["conflicts"] = ids
            elif "conflicts" in tables[one]:
                del _own(tables, one)["conflicts"]
        self._commit(tables)
        return not declared

    def set_influence(self, source: str, target: str, sign: str | None) -> None:
        """Set the influence of one node on another to "+" or "-", or remove it (None).

        An influence on a node that does not exist (any more) can be removed, not set.
        """
        self.require(source)
        if sign is not None:
            self.require(target)
        tables = self._copy()
        influences = dict(tables[source].get("influences") or {})
        if sign is None:
            influences.pop(target, None)
        else:
            influences[target] = sign
        if influences:
            _own(tables, source)["influences"] = influences
        elif "influences" in tables[source]:
            del _own(tables, source)["influences"]
        self._commit(tables)

    def undo(self) -> bool:
        """Undo the last edit; False when there is none."""
        return self._step(self.undo_stack, self.redo_stack)

    def redo(self) -> bool:
        """Redo the last undone edit; False when there is none."""
        return self._step(self.redo_stack, self.undo_stack)

    def _step(self, source: list[State], target: list[State]) -> bool:
        if not source:
            return False
        target.append(self.state)
        self.state = source.pop()
        return True

    def new_id(self, name: str) -> str:
        """A fresh id made from a name: `Omzet Q2 €` -> `omzet-q2`."""
        base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "node"
        candidate, n = base, 2
        while candidate in self.tables:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    # ── journal ────────────────────────────────────────────────────────

    def write_journal(self) -> str | None:
        """Record the unsaved edits outside the tree file (or forget them when clean).

        Returns:
            None, or why the journal could not be written ("disk full"): the edits are
            still here and in undo, only not safe from a crash. Also kept in
            `journal_problem` until a write succeeds.
        """
        try:
            if not self.dirty:
                self.drop_journal()
            else:
                changed = {k: v for k, v in self.tables.items() if self.base.get(k) != v}
                deleted = [k for k in self.base if k not in self.tables]
                stamp = datetime.now().isoformat(timespec="seconds")
                write_journal(
                    self.path,
                    self.session,
                    list(self.tables),
                    changed,
                    self.state.rows,
                    self.loaded_digest,
                    stamp,
                    deleted,
                    len(self.undo_stack),
                    self.settings if self.settings_changed else None,
                )
        except OSError as exc:
            self.journal_problem = f"edits not journaled: {why(exc)}"
        else:
            self.journal_problem = None
        return self.journal_problem

    def drop_journal(self) -> None:
        """Forget this session's journal (after a save, a reload or a discard)."""
        with contextlib.suppress(OSError):
            drop_journal(self.path, self.session)

    def recover(self, recovered: Recovered) -> None:
        """Apply edits from a journal as one undoable edit.

        Nodes of the file that the journal neither lists nor says were deleted (added to
        the file since, say) are kept, after the others: recovery never removes a node
        the journal does not say was deleted.
        """
        tables: Tables = {}
        for node_id in recovered.order:
            if node_id in recovered.changed:
                tables[node_id] = dict(recovered.changed[node_id])
            elif node_id in self.base:
                tables[node_id] = dict(self.base[node_id])
        deleted = set(recovered.deleted)
        for node_id, table in self.base.items():
            if node_id not in tables and node_id not in deleted:
                tables[node_id] = dict(table)
        settings = dict(recovered.settings) if recovered.settings is not None else None
        self._commit(tables, list(recovered.rows), settings)

    # ── saving ─────────────────────────────────────────────────────────

    def _changed(self) -> set[str]:
        """The ids of the nodes changed or deleted since the file was loaded or saved.

        Only ids some edit touched can differ: a table no edit since the first load touched
        is, in the current state and in `base` alike, the one first loaded (undo and redo
        move between states that each carry their own `touched`).
        """
        tables, base = self.tables, self.base
        candidates = self.state.touched | self.base_touched
        return {n for n in candidates if n in base and (n not in tables or tables[n] != base[n])}

    def _source_of_changed(self) -> SourceMap:
        from kpitui.core.source import locate

        tree = self.tree
        if tree._source is not None:
            return tree._source
        return locate(tree.text, tree.doc, self._changed())

    def layout_notes(self) -> list[str]:
        """What saving changes in the file's layout beyond the edited nodes, if anything."""
        changed = {n for n in self._changed() if n in self.tables}
        return layout_changes(self._source_of_changed(), changed)

    def render(self) -> bytes:
        """The file's new bytes."""
        text = render_text(self.tree.text, self._source_of_changed(), self.base, self.tables, self._changed())
        if self.settings_changed:
            import tomli

            from kpitui.core.tree_table import replace_tree

            text = replace_tree(text, tomli.loads(text), self.settings)
            if tomli.loads(text).get("tree") != self.settings:
                raise SaveError("the [tree] settings would not read back as written; nothing was written")
        return ((BOM if self.tree.bom else "") + text).encode("utf-8")

    def check_external(self) -> None:
        """Raise ExternalChange when the file on disk is not the one loaded."""
        try:
            current = digest(self.path.read_bytes())
        except FileNotFoundError:
            current = None
        if current != self.loaded_digest:
            what = "was deleted" if current is None else "changed on disk"
            raise ExternalChange(
                f"{self.path} {what} since it was loaded (by another user or editor); "
                "reload it, or save your version to another file"
            )

    def save(
        self,
        to: Path | None = None,
        force: bool = False,
        read_only_ok: bool = False,
        outside_ok: bool = False,
    ) -> Path:
        """Write the tree (to its own file, or `to`); afterwards the document is clean.

        Under the file's save lock the file is checked against the one loaded, again
        immediately before the rename; pending measurement rows are appended in the
        same step (both files or neither).

        Args:
            to: write here instead (the document then is that file).
            force: overwrite the file even if it changed on disk since it was loaded.
            read_only_ok: write a read-only file too (`--force`).
            outside_ok: append rows to a measurements file outside the tree's folder.

        Raises:
            ExternalChange: the file changed on disk since it was loaded (unless `force`).
            ReadOnly: the file is read-only (unless `read_only_ok`).
            OutsideFolder: the measurements file is outside the tree's folder.
            SaveError: the result would not load back, or the write failed (disk full,
                folder not writable); nothing was changed.
        """
        target = to or self.path
        self._check_rendered()
        data = self.render()
        check = not force and target == self.path
        writes = [Write(target, data, check=check, expected=self.loaded_digest)]
        if self.state.rows and self.tree.settings.measurements:
            writes.append(rows_write(target, self.tree.settings.measurements, self.state.rows, outside_ok))
        self.notes = commit(writes, force=read_only_ok)
        # From now on the document is the file just written (the same one, or the other),
        # known without parsing it again: its nodes are the tables we just wrote.
        self.drop_journal()
        current = self.current_tree()
        tree = copy.copy(current)
        tree.path = target
        tree.text = data.decode("utf-8").removeprefix(BOM)
        tree.doc = {**self.tree.doc, "nodes": dict(self.tables)}
        if self.settings:
            tree.doc["tree"] = dict(self.settings)
        self.base_settings = dict(self.settings)
        tree._source = None
        self.path, self.tree = target, tree
        self.loaded_digest = digest(data)
        # The tables now are the file's. Committed tables are never changed in place (each
        # edit changes copies), so the new base and state can share them without copying.
        self.base = dict(self.tables)
        self.base_touched = self.state.touched
        self.state = State(dict(self.base), touched=self.state.touched)
        return target

    def _check_rendered(self) -> None:
        """Every node saving rewrites must read back as the same table."""
        import tomli

        tables, base = self.tables, self.base
        for node_id in self.state.touched | self.base_touched:
            table = tables.get(node_id)
            if table is None or base.get(node_id) == table:
                continue
            rendered = tomli.loads(render_node(node_id, table))["nodes"][node_id]
            if rendered != table:
                raise SaveError(f"node {node_id!r} would not read back as written; nothing was written")


def _own(tables: Tables, node_id: str) -> dict[str, Any]:
    """A node's table, copied into `tables` so that changing it leaves every other state's alone."""
    table = tables[node_id] = dict(tables[node_id])
    return table


def _tables(tree: KpiTree) -> Tables:
    """The node tables as read (shared with the tree's document, which never changes them)."""
    nodes = tree.doc.get("nodes", {})
    return dict(nodes) if isinstance(nodes, dict) else {}


def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _parents(table: Mapping[str, Any]) -> list[str]:
    return _ids(table.get("parent"))


def _set_parents(table: dict[str, Any], parents: list[str]) -> None:
    if not parents:
        table.pop("parent", None)
    else:
        table["parent"] = parents[0] if len(parents) == 1 else parents


def _renamed(table: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    """A table with references to id `old` pointing at `new`."""
    result = dict(table)
    if old in _parents(result):
        _set_parents(result, [new if p == old else p for p in _parents(result)])
    if old in _ids(result.get("conflicts")):
        result["conflicts"] = [new if c == old else c for c in _ids(result["conflicts"])]
    influences = result.get("influences")
    if isinstance(influences, dict) and old in influences:
        result["influences"] = {new if k == old else k: v for k, v in influences.items()}
    return result


__all__ = ["Document", "EditError", "ExternalChange", "SaveError"]


def _drop_references(tables: Tables, gone: set[str]) -> list[str]:
    """Remove every influence and conflict naming a deleted node; say what went (and which
    formulas still name one: a formula cannot lose an input without changing its meaning).
    """
    said: list[str] = []
    for key, table in tables.items():
        if key in gone:
            continue
        influences = table.get("influences")
        if isinstance(influences, dict) and gone & set(influences):
            dropped = [k for k in influences if k in gone]
            kept = {k: v for k, v in influences.items() if k not in gone}
            table = _own(tables, key)
            if kept:
                table["influences"] = kept
            else:
                del table["influences"]
            said.append(f"{key}: influence on {', '.join(dropped)}")
        conflicts = table.get("conflicts")
        named = [conflicts] if isinstance(conflicts, str) else conflicts if isinstance(conflicts, list) else []
        dropped = [c for c in named if isinstance(c, str) and c in gone]
        if dropped:
            kept_ids = [c for c in named if c not in gone]
            table = _own(tables, key)
            if kept_ids:
                table["conflicts"] = kept_ids
            else:
                del table["conflicts"]
            said.append(f"{key}: conflict with {', '.join(dropped)}")
        formula = table.get("formula")
        if isinstance(formula, str):
            from kpitui.core.formula import FormulaError, parse

            try:
                refs = parse(formula).refs
            except FormulaError:
                refs = ()
            if gone & set(refs):
                said.append(f"{key}: its formula still names {', '.join(r for r in refs if r in gone)}; edit it")
    return said
