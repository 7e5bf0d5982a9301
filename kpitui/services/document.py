"""An open tree being edited: its node tables now, undo and redo, saving and the journal.

The TUI and `kpitui set` both edit through this class, so they validate and save alike.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kpitui.common.gcpause import no_gc_pauses
from kpitui.io.appending import rows_write
from kpitui.io.filesafe import why
from kpitui.io.journal import (
    JournalRecord,
    Recovered,
    append_record,
    drop_journal,
    new_session,
    replay,
    start_journal,
)
from kpitui.io.loader import BOM, KpiTree, Reader, decode, parse_tree, read_bytes
from kpitui.io.saving import (
    ExternalChange,
    SaveError,
    Write,
    commit,
    differences,
    digest,
    layout_changes,
    placed_after,
    placements,
    render_file,
)
from kpitui.io.source import SourceMap
from kpitui.io.toml_read import PIECE_NODES, READ_WHOLE, read_toml, shallow
from kpitui.model.domain import Node, TreeLoadError
from kpitui.model.schema import FieldError, read_node, read_settings

Tables = dict[str, dict[str, Any]]
NEW_TREE = 'version = 1\n\n[tree]\ntitle = "{title}"\n'


class EditError(Exception):
    """An edit the schema or the tree refuses; `errors` says which field and why."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


@dataclass
class State:
    """The document now: the node tables in order, and pending measurement rows."""

    tables: Tables
    rows: list[tuple[str, date, float]] = field(default_factory=list)
    settings: dict[str, Any] | None = None  # the [tree] table, where it was edited


Row = tuple[str, date, float]


@dataclass
class Step:
    """One edit, as undo and redo need it: each changed table before and after (None: absent),
    the order of the ids where it changed otherwise than by removal, rows and settings."""

    tables: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]]
    order: tuple[list[str], list[str]] | None = None
    rows: tuple[list[Row], list[Row]] | None = None
    settings: tuple[dict[str, Any] | None, dict[str, Any] | None] | None = None
    label: str = ""  # what the edit did, as "undone: …" names it: "adding 'Omzet'", "target of 'Omzet'"
    about: str | None = None  # the node the edit is about (added, deleted, edited), if one


class Document:
    """A tree file open for editing."""

    def __init__(self, path: Path, tree: KpiTree, data: bytes | None) -> None:
        self.path = path
        self.tree = tree  # as loaded; its text and source map are what saving patches
        # The file's contents as loaded or last saved (None: no file yet). Saving compares the
        # file with these bytes, not with a fingerprint: hashing a big file twice per save cost
        # more than the rest of the save.
        self.loaded_bytes = data
        self._bytes_text = tree.text if data is not None else None  # the text `loaded_bytes` holds
        # The fingerprint a journal records, made now, while the file loads, and not on the first
        # edit's path (hashing a 100k-node file takes 55 ms); after a save, when a journal starts.
        self._loaded_digest: tuple[bytes | None, str | None] = (data, digest(data) if data is not None else None)
        self.base: Tables = _tables(tree)
        self.state = State(dict(self.base))
        self.undo_stack: list[Step] = []
        self.redo_stack: list[Step] = []
        self.touched: set[str] = set()  # ids edited since the file was loaded or saved
        self.pending: set[str] = set()  # ids changed since `take_changes` was last called
        self.unjournaled: set[str] = set()  # ids changed since the journal was last written
        self._journal_extra = False  # rows or settings changed since the journal was last written
        self._journal_open = False  # this session's journal file exists and has its header
        self._journal_deleted: set[str] = set()  # ids a record of the journal deleted
        self._current: dict[str, Node] | None = None  # nodes of the tables now, kept up to date
        # Who names whom: (id -> ids naming it as a parent, id -> ids naming it anywhere); built on first use.
        self._refs: tuple[dict[str, set[str]], dict[str, set[str]]] | None = None
        self.notes: list[str] = []  # what the last save could not keep (an owner, say)
        self.removed_references: list[str] = []  # what the last delete removed from other nodes
        self.session = new_session()  # names this session's journal
        self.journal_problem: str | None = None  # why the last journal write failed
        self._nodes: dict[str, Node] = dict(tree.nodes)
        # The table each of `_nodes` was read from: a table that is still that very object
        # needs no comparison (10k of them made saving after one edit cost 0.15x a load).
        self._built_from: dict[str, Any] = dict(self.base)
        raw = tree.doc.get("tree")
        self.base_settings: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}

    @property
    def loaded_digest(self) -> str | None:
        """A fingerprint of the file as loaded or last saved (None: no file yet), as journals record it."""
        data = self.loaded_bytes
        if self._loaded_digest[0] is not data:
            self._loaded_digest = (data, digest(data) if data is not None else None)
        return self._loaded_digest[1]

    # ── opening ────────────────────────────────────────────────────────

    @classmethod
    def open(cls, path: Path, reader: Reader | None = None) -> Document:
        """Open a tree file, or start an empty tree when the file does not exist.

        Args:
            reader: reads the TOML (see `parse_tree`).
        """
        if not path.exists():
            text = NEW_TREE.format(title=path.stem.replace('"', ""))
            return cls(path, parse_tree(text, path), None)
        data = read_bytes(path)  # read once: what is parsed is what the digest guards
        return cls(path, parse_tree(decode(data, str(path)), path, reader, data), data)

    # ── reading ─────────────────────────────────────────────────────────

    @property
    def tables(self) -> Tables:
        """The node tables as they are now, in order."""
        return self.state.tables

    @property
    def dirty(self) -> bool:
        """Whether there are changes not yet saved (only the ids ever edited are compared)."""
        tables, base = self.state.tables, self.base
        changed = any(tables.get(k) != base.get(k) for k in self.touched)
        return changed or bool(self.state.rows) or self.settings_changed

    def take_changes(self) -> set[str]:
        """The ids whose tables changed (edited, added, deleted) since this was last asked."""
        taken, self.pending = self.pending, set()
        return taken

    def current_tree(self) -> KpiTree:
        """A KpiTree of the tables as they are now (for analysis); its nodes are a new dict each time."""
        tree = copy.copy(self.tree)
        if self.settings_changed:
            tree.settings = read_settings({**self.tree.doc, "tree": self.settings})[0]
        if self._current is None:
            self._current = self._nodes_now()
        tree.nodes = dict(self._current)
        return tree

    def _nodes_now(self) -> dict[str, Node]:
        """The nodes of the tables now, in their order: the loaded (or saved) tree's own nodes,
        with those of the ids touched since replaced; all of them read when the order changed."""
        tables = self.tables
        nodes = dict(self.tree.nodes)
        for node_id in self.touched:
            table = tables.get(node_id)
            if table is None:
                nodes.pop(node_id, None)
            else:
                nodes[node_id] = self._node(node_id, table)
        if len(nodes) == len(tables) and list(nodes) == list(tables):
            return nodes
        built, known, read = self._built_from, self._nodes, self._node
        return {
            node_id: known[node_id] if built.get(node_id) is table else read(node_id, table)
            for node_id, table in tables.items()
        }

    def _node(self, node_id: str, table: dict[str, Any]) -> Node:
        node = self._nodes.get(node_id)
        if node is None or (self._built_from.get(node_id) is not table and node.raw != table):
            node, errors = read_node(node_id, table)
            if node is None:  # cannot happen: edits are validated
                raise EditError(f"node {node_id!r} is invalid", errors)
            self._nodes[node_id] = node
        self._built_from[node_id] = table
        return node

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
        self._commit({}, settings=dict(table), label="the tree settings")

    def _commit(
        self,
        changes: Mapping[str, dict[str, Any] | None],
        rows: list[Row] | None = None,
        settings: dict[str, Any] | None = None,
        order: list[str] | None = None,
        label: str = "",
        about: str | None = None,
    ) -> None:
        """Apply one edit: tables set (or removed: None), rows, settings, and the ids' new order
        where new ids do not simply go at the end. Validated first: a refused edit changes nothing.

        `label` says what the edit did and `about` which node it is about (see `Step`)."""
        before = self.state.tables
        tables: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}
        for node_id, table in changes.items():
            old = before.get(node_id)
            if old == table:
                continue
            if table is not None:
                node, errors = read_node(node_id, table)
                if node is None:
                    raise EditError("; ".join(e.message for e in errors), errors)
            tables[node_id] = (old, table)
        step = Step(tables, label=label, about=about)
        if order is not None or any(old is None or new is None for old, new in tables.values()):
            old_order = list(before)
            new_ids = [k for k in changes if k not in before]
            step.order = (old_order, order if order is not None else [*old_order, *new_ids])
        if rows is not None:
            step.rows = (self.state.rows, rows)
        if settings is not None:
            step.settings = (self.state.settings, settings)
        self._do(step, forward=True)
        self.undo_stack.append(step)
        self.redo_stack.clear()

    def _do(self, step: Step, forward: bool) -> None:
        """Apply a step forward (redo) or backward (undo)."""
        tables = self.state.tables
        side = 1 if forward else 0
        for node_id, pair in step.tables.items():
            table = pair[side]
            if table is None:
                tables.pop(node_id, None)
            else:
                tables[node_id] = table
            if self._current is not None:
                if table is None:
                    self._current.pop(node_id, None)
                else:
                    self._current[node_id] = self._node(node_id, table)
        if step.order is not None:
            order = [k for k in step.order[side] if k in tables]
            if order != list(tables):
                self.state.tables = dict(zip(order, map(tables.__getitem__, order), strict=True))
                if self._current is not None:
                    current = self._current
                    self._current = dict(zip(order, map(current.__getitem__, order), strict=True))
        if step.rows is not None:
            self.state.rows = step.rows[side]
            self._journal_extra = True
        if step.settings is not None:
            self.state.settings = step.settings[side]
            self._journal_extra = True
        if self._refs is not None:
            for node_id, pair in step.tables.items():
                self._index(node_id, pair[1 - side], 0)
                self._index(node_id, pair[side], 1)
        self.touched.update(step.tables)
        self.pending.update(step.tables)
        self.unjournaled.update(step.tables)
        if step.rows is not None:
            self.pending.update(r[0] for r in step.rows[0] + step.rows[1])

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
        table = dict(self.require(node_id))
        for name in unset:
            table.pop(name, None)
        table.update(values)
        self._commit({node_id: table}, label=self._fields_of(node_id, [*values, *unset]), about=node_id)

    def name_of(self, node_id: str) -> str:
        """A node's name, quoted, as messages name it (its id where it has no name)."""
        name = self.tables.get(node_id, {}).get("name")
        return f"'{name if isinstance(name, str) and name else node_id}'"

    def _fields_of(self, node_id: str, names: list[str]) -> str:
        """`target, owner of 'Omzet'`: which fields of a node an edit sets."""
        names = list(dict.fromkeys(names))
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        return f"{shown or 'an edit'} of {self.name_of(node_id)}"

    def replace(self, node_id: str, table: Mapping[str, Any], new_id: str | None = None) -> None:
        """Put a whole table in place of a node's (the edit form), optionally renaming its id."""
        self.require(node_id)
        new_id = new_id or node_id
        if new_id != node_id and new_id in self.tables:
            raise EditError(f"id {new_id!r} is taken by another node", [FieldError("id", "id is taken")])
        old = self.tables[node_id]
        fields = [k for k in {**old, **table} if old.get(k) != table.get(k)]
        label = self._fields_of(node_id, ["id", *fields] if new_id != node_id else fields)
        if new_id == node_id:
            self._commit({node_id: dict(table)}, label=label, about=node_id)
            return
        changes: dict[str, dict[str, Any] | None] = {node_id: None, new_id: dict(table)}
        for key in self._referring(node_id):
            if key != node_id:
                changes[key] = _renamed(self.tables[key], node_id, new_id)
        order = list(self.tables)
        order[order.index(node_id)] = new_id
        self._commit(changes, order=order, label=label, about=new_id)

    def add_node(self, table: Mapping[str, Any], node_id: str | None = None, after: str | None = None) -> str:
        """Add a node (after another, else at the end); returns its id."""
        node_id = node_id or self.new_id(str(table.get("name", "node")))
        if node_id in self.tables:
            raise EditError(f"id {node_id!r} is taken by another node", [FieldError("id", "id is taken")])
        order = None
        if after is not None and after in self.tables and after != next(reversed(self.tables)):
            order = list(self.tables)
            order.insert(order.index(after) + 1, node_id)
        name = table.get("name")
        label = f"adding '{name if isinstance(name, str) and name else node_id}'"
        self._commit({node_id: dict(table)}, order=order, label=label, about=node_id)
        return node_id

    def delete_node(self, node_id: str, children: str = "delete") -> list[str]:
        """Delete a node; its children are deleted with it ("delete") or moved up ("reparent").

        Returns:
            The ids deleted.
        """
        self.require(node_id)
        self.removed_references = []
        tables = self.tables
        gone = {node_id}
        if children == "delete":
            queue = [node_id]
            while queue:
                for key in self._referring(queue.pop(), "parent"):
                    if key not in gone:
                        gone.add(key)
                        queue.append(key)
        parents = _parents(tables[node_id])
        changes: dict[str, dict[str, Any] | None] = dict.fromkeys(gone)
        for key in self._referring(node_id, "parent"):
            if key in gone:
                continue
            table = dict(tables[key])
            # The deleted node's place among the parents goes to its own parents.
            replaced: list[str] = []
            for parent in _parents(table):
                replaced.extend(parents if parent == node_id else [parent])
            _set_parents(table, list(dict.fromkeys(replaced)))
            changes[key] = table
        referring = {k for g in gone for k in self._referring(g) if k not in gone}
        ordered = referring if len(referring) < 2 else [k for k in tables if k in referring]
        edited = {k: dict(changes.get(k) or tables[k]) for k in ordered}
        self.removed_references = _drop_references(edited, gone)
        for key, table in edited.items():
            if table != tables[key]:
                changes[key] = table
        before = list(tables) if len(gone) > 1 else list(gone)
        below = f" and {len(gone) - 1} node(s) below it" if len(gone) > 1 else ""
        self._commit(changes, label=f"deleting {self.name_of(node_id)}{below}", about=node_id)
        return [k for k in before if k in gone]

    def move_node(self, node_id: str, new_parent: str | None) -> None:
        """Give a node one new parent (None: no parent)."""
        self.require(node_id)
        if new_parent is not None:
            self.require(new_parent)
            if new_parent == node_id:
                raise EditError("a node cannot be its own parent")
        table = dict(self.tables[node_id])
        _set_parents(table, [new_parent] if new_parent else [])
        self._commit({node_id: table}, label=f"moving {self.name_of(node_id)}", about=node_id)

    def record_actual(self, node_id: str, value: float, day: date, measurements: bool) -> None:
        """Record an actual: a new measurement row (written on save), or inline with its date."""
        self.require(node_id)
        if measurements:
            label = f"recording an actual of {self.name_of(node_id)}"
            self._commit({}, [*self.state.rows, (node_id, day, value)], label=label, about=node_id)
        else:
            self.set_fields(node_id, {"actual": value, "measured": day})

    def toggle_conflict(self, a: str, b: str) -> bool:
        """Declare a conflict between two nodes, or remove it; True when it now exists."""
        self.require(a)
        self.require(b)
        tables = {a: dict(self.tables[a]), b: dict(self.tables[b])}
        declared = b in _ids(tables[a].get("conflicts")) or a in _ids(tables[b].get("conflicts"))
        for one, other in ((a, b), (b, a)):
            ids = [i for i in _ids(tables[one].get("conflicts")) if i != other]
            if not declared and one == a:
                ids.append(other)
            if ids:
                tables[one]["conflicts"] = ids
            else:
                tables[one].pop("conflicts", None)
        label = f"the conflict between {self.name_of(a)} and {self.name_of(b)}"
        self._commit(tables, label=label, about=a)
        return not declared

    def set_influence(self, source: str, target: str, sign: str | None) -> None:
        """Set the influence of one node on another to "+" or "-", or remove it (None).

        An influence on a node that does not exist (any more) can be removed, not set.
        """
        self.require(source)
        if sign is not None:
            self.require(target)
        table = dict(self.tables[source])
        influences = dict(table.get("influences") or {})
        if sign is None:
            influences.pop(target, None)
        else:
            influences[target] = sign
        if influences:
            table["influences"] = influences
        else:
            table.pop("influences", None)
        label = f"the influence of {self.name_of(source)} on {self.name_of(target)}"
        self._commit({source: table}, label=label, about=source)

    def undo(self) -> Step | None:
        """Undo the last edit and return it; None when there is none."""
        return self._step(self.undo_stack, self.redo_stack)

    def redo(self) -> Step | None:
        """Redo the last undone edit and return it; None when there is none."""
        return self._step(self.redo_stack, self.undo_stack)

    def _step(self, source: list[Step], target: list[Step]) -> Step | None:
        if not source:
            return None
        step = source.pop()
        self._do(step, forward=source is self.redo_stack)
        target.append(step)
        return step

    def _referring(self, node_id: str, field: str | None = None) -> set[str]:
        """The ids whose tables name `node_id` (as a parent, conflict or influence; or only as a
        parent with `field` "parent"), from an index built once and kept up to date by each edit."""
        if self._refs is None:
            self._refs = ({}, {})
            parents, named = self._refs
            for key, table in self.tables.items():
                parent = table.get("parent")
                if type(parent) is str and "conflicts" not in table and "influences" not in table:
                    # The usual table names one node, as its one parent: what `_index` adds for
                    # it, without its sets and lists (the first rename or deletion of a 100k-node
                    # tree builds this index: 0.3 s that way).
                    for index in (parents, named):
                        keys = index.get(parent)
                        if keys is None:
                            index[parent] = {key}
                        else:
                            keys.add(key)
                else:
                    self._index(key, table, 1)
        return set(self._refs[0 if field == "parent" else 1].get(node_id, ()))

    def _index(self, key: str, table: dict[str, Any] | None, add: int) -> None:
        """Add (1) or remove (0) the references of one table to the index of references."""
        assert self._refs is not None
        if table is None:
            return
        parents, named = self._refs
        influences = table.get("influences")
        others = {
            *_parents(table),
            *_ids(table.get("conflicts")),
            *(influences if isinstance(influences, dict) else ()),
        }
        for index, ids in ((parents, _parents(table)), (named, others)):
            for other in ids:
                keys = index.setdefault(other, set())
                if add:
                    keys.add(key)
                else:
                    keys.discard(key)

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

        The journal records each change, not the tree: the first write after a clean state
        writes every node edited since the file was loaded; later ones append the nodes
        changed since the last write (and the pending rows or settings where they changed).

        Returns:
            None, or why the journal could not be written ("disk full"): the edits are
            still here and in undo, only not safe from a crash. Also kept in
            `journal_problem` until a write succeeds.
        """
        try:
            if not self.dirty:
                self.drop_journal()
            elif self.unjournaled or self._journal_extra or not self._journal_open:
                ids = self.unjournaled if self._journal_open else self.touched
                record = self._journal_record(ids)
                if self._journal_open:
                    append_record(self.path, self.session, record)
                else:
                    start_journal(self.path, self.session, self.loaded_digest, record)
                    self._journal_open = True
                self.unjournaled = set()
                self._journal_extra = False
        except OSError as exc:
            self.journal_problem = f"edits not journaled: {why(exc)}"
        else:
            self.journal_problem = None
        return self.journal_problem

    def _journal_record(self, ids: set[str]) -> JournalRecord:
        """The current tables of `ids` (with where new ones go), rows and settings, as one record."""
        tables, base = self.tables, self.base
        present = [k for k in ids if k in tables]
        # Where a node goes is recorded only where replaying could not know it: a node that the
        # file does not have, or that an earlier record deleted.
        placed = [k for k in present if k not in base or k in self._journal_deleted]
        after: dict[str, str] = {}
        if placed:
            keys = list(tables)
            at = {k: keys.index(k) for k in placed}
            present = sorted(present, key=lambda k: at.get(k, -1))
            after = {k: keys[at[k] - 1] if at[k] else "" for k in sorted(placed, key=at.__getitem__)}
        deleted = sorted(k for k in ids if k not in tables)
        self._journal_deleted.update(deleted)
        return JournalRecord(
            written=datetime.now().isoformat(timespec="seconds"),
            edits=len(self.undo_stack),
            tables={k: tables[k] for k in present},
            deleted=deleted,
            after=after,
            rows=list(self.state.rows),
            settings=self.settings if self.settings_changed else None,
        )

    def drop_journal(self) -> None:
        """Forget this session's journal (after a save, a reload or a discard)."""
        self._journal_open = False
        self._journal_deleted = set()
        self.unjournaled = set()
        with contextlib.suppress(OSError):
            drop_journal(self.path, self.session)

    def recover(self, recovered: Recovered) -> None:
        """Apply edits from a journal as one undoable edit.

        Nodes of the file that the journal neither lists nor says were deleted (added to
        the file since, say) are kept, after the others: recovery never removes a node
        the journal does not say was deleted.
        """
        tables = self._recovered(recovered)
        settings = dict(recovered.settings) if recovered.settings is not None else None
        changes = {k: tables.get(k) for k in {*self.tables, *tables} if self.tables.get(k) != tables.get(k)}
        self._commit(changes, list(recovered.rows), settings, order=list(tables), label="the recovered edits")

    def _recovered(self, recovered: Recovered) -> Tables:
        """The node tables a journal's edits make of the file as loaded."""
        if recovered.records is not None:
            return replay(dict(self.base), recovered.records)
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
        return tables

    def recovery_summary(self, recovered: Recovered) -> list[str]:
        """What recovering a journal would change in the file as loaded, one item per node (in
        the tree's order), then the rows and settings: `'Omzet': actual, measured`, `'Offertes' (new)`,
        `'Pijplijn' deleted`, `'NPS': 2 actual(s) recorded`, `tree settings: title`."""
        base, tables = self.base, self._recovered(recovered)

        def name(table: Mapping[str, Any] | None, node_id: str) -> str:
            named = (table or {}).get("name")
            return f"'{named if isinstance(named, str) and named else node_id}'"

        items: list[str] = []
        for node_id, table in tables.items():
            old = base.get(node_id)
            if old is None:
                items.append(f"{name(table, node_id)} (new)")
            elif old is not table and old != table:
                fields = [k for k in {**old, **table} if old.get(k) != table.get(k)]
                items.append(f"{name(table, node_id)}: {', '.join(fields)}")
        items += [f"{name(table, node_id)} deleted" for node_id, table in base.items() if node_id not in tables]
        recorded: dict[str, int] = {}
        for node_id, _day, _value in recovered.rows:
            recorded[node_id] = recorded.get(node_id, 0) + 1
        for node_id, count in recorded.items():
            items.append(f"{name(tables.get(node_id), node_id)}: {count} actual(s) recorded")
        if recovered.settings is not None and recovered.settings != self.base_settings:
            old_settings, new_settings = self.base_settings, recovered.settings
            keys = [k for k in {**old_settings, **new_settings} if old_settings.get(k) != new_settings.get(k)]
            items.append(f"tree settings: {', '.join(keys)}")
        return items

    # ── saving ─────────────────────────────────────────────────────────

    def _changed(self) -> set[str]:
        """The ids of the nodes changed or deleted since the file was loaded or saved.

        Only ids some edit touched (or undo and redo moved) since then can differ: only
        those are compared.
        """
        tables, base = self.tables, self.base
        return {n for n in self.touched if n in base and (n not in tables or tables[n] != base[n])}

    def _source_of_changed(self) -> SourceMap:
        """Where the changed nodes are written, and the nodes new ones follow."""
        from kpitui.io.source import locate

        tree = self.tree
        if tree._source is not None:
            return tree._source
        return locate(tree.text, tree.doc, self._changed() | self._anchors())

    def _anchors(self) -> set[str]:
        """The nodes of the file right before a new node (saving writes it after their table)."""
        if len(self.tables) == len(self.base) and self.tables.keys() == self.base.keys():
            return set()
        return {anchor for anchor, _run in placements(self.base, self.tables) if anchor is not None}

    def layout_notes(self) -> list[str]:
        """What saving changes in the file's layout beyond the edited nodes, if anything."""
        changed = {n for n in self._changed() if n in self.tables}
        return layout_changes(self._source_of_changed(), changed)

    def render(self) -> bytes:
        """The file's new bytes."""
        return self._render()[1]

    def _render(self, source: SourceMap | None = None) -> tuple[str, bytes]:
        """The file's new text (without a byte-order mark) and its bytes (with the mark, if it has one)."""
        tree = self.tree
        source = source or self._source_of_changed()
        body: memoryview | None = None
        if self.loaded_bytes is not None and self._bytes_text is tree.text:  # the bytes of this very text
            body = memoryview(self.loaded_bytes)[len(_BOM_BYTES) if tree.bom else 0 :]
        text, data = render_file(tree.text, source, self.base, self.tables, self._changed(), body)
        if self.settings_changed:
            import tomli

            from kpitui.io.tree_table import replace_tree

            text = replace_tree(text, tomli.loads(text), self.settings)  # the save's proof checks it
            data = text.encode("utf-8")
        return text, _BOM_BYTES + data if tree.bom else data

    def check_external(self) -> None:
        """Raise ExternalChange when the file on disk is not the one loaded."""
        try:
            current: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            current = None
        if current != self.loaded_bytes:
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
        replacing: bytes | None = None,
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
            replacing: the contents of `to` the user agreed to replace; without them another
                file is written only if it does not exist yet.

        Raises:
            ExternalChange: the file changed on disk since it was loaded, or `to` is not as
                `replacing` says (unless `force`).
            ReadOnly: the file is read-only (unless `read_only_ok`).
            OutsideFolder: the measurements file is outside the tree's folder.
            SaveError: the result would not load back, or the write failed (disk full,
                folder not writable); nothing was changed.
        """
        target = to or self.path
        source = self._source_of_changed()
        text, data = self._render(source)
        self._prove(text, data[len(_BOM_BYTES) :] if self.tree.bom else data, source)
        elsewhere = to is not None and (to != self.path or replacing is not None)
        check = not force and (elsewhere or target == self.path)
        expected = replacing if elsewhere else self.loaded_bytes
        # Another file made as a copy of this one takes its mode, attributes and ACL (as `cp` does).
        # FILE~ only ever holds a tree that reads: a forced save over a file someone broke keeps
        # the backup there was (the file itself is what the user chose to overwrite).
        backup = not (force and target == self.path) or _reads_as_toml(target)
        writes = [
            Write(target, data, check=check, expected=expected, like=self.path if elsewhere else None, backup=backup)
        ]
        if self.state.rows and self.tree.settings.measurements:
            writes.append(rows_write(target, self.tree.settings.measurements, self.state.rows, outside_ok))
        self.notes = commit(writes, force=read_only_ok)
        # From now on the document is the file just written (the same one, or the other),
        # known without parsing it again: its nodes are the tables we just wrote.
        self.drop_journal()
        current = self.current_tree()
        tree = copy.copy(current)
        tree.path = target
        tree.text = text
        tree.doc = {**self.tree.doc, "nodes": dict(self.tables)}
        if self.settings:
            tree.doc["tree"] = dict(self.settings)
        self.base_settings = dict(self.settings)
        tree._source = None
        self.path, self.tree = target, tree
        self.loaded_bytes, self._bytes_text = data, text
        # The tables now are the file's. Committed tables are never changed in place (each
        # edit changes copies), so the new base and state share them without copying.
        self.base = dict(self.tables)
        self.state = State(dict(self.base))
        self.touched = set()
        return target

    def _prove(self, text: str, data: bytes, source: SourceMap | None = None) -> None:
        """The bytes about to be written must read back as the document meant: every table
        but the edited ones as loaded, the edited nodes (and `[tree]`) as edited, and each
        new node right after the node it follows (where saving puts it there).

        Whatever a future bug in finding where a node is written, a save that would lose or
        change anything else is refused before the file or its `FILE~` is touched.

        Raises:
            SaveError: they do not (nothing is written).
        """
        intended: dict[str, Any] = {**self.tree.doc, "nodes": self.tables}
        if self.settings_changed:
            intended["tree"] = self.settings
        try:
            with no_gc_pauses():  # the parsed copy is freed right after, by reference counts
                bounded = shallow(data)
                if bounded and data.count(b"\n[nodes.") > READ_WHOLE:
                    from kpitui.io.stepwise import read_toml_in_steps

                    written = read_toml_in_steps(text, str(self.path), per_step=PIECE_NODES, bounded=True)
                else:
                    written = read_toml(text, str(self.path), bounded=bounded)
                lost = differences(written, intended)
                lost += self._misplaced(written, source or self._source_of_changed())
        except TreeLoadError as exc:
            raise SaveError(
                f"not saved: the new contents of {self.path} would not read as TOML ({exc}); "
                "the file and its backup are as they were — please report this"
            ) from None
        if lost:
            raise SaveError(
                f"not saved: the new contents of {self.path} would not read back as edited "
                f"({', '.join(lost[:3])}{' …' if len(lost) > 3 else ''}); the file and its backup are as they were "
                "— please report this"
            )

    def _misplaced(self, written: Mapping[str, Any], source: SourceMap) -> list[str]:
        """New nodes that do not follow, in the bytes about to be written, the node they follow in
        the document (where saving places them after that node's table), as sentences."""
        if not self._anchors():
            return []
        nodes = written.get("nodes")
        order = list(nodes) if isinstance(nodes, dict) else []
        at = {node_id: index for index, node_id in enumerate(order)}
        return [
            f"nodes.{run[0]} not right after nodes.{anchor}"
            for anchor, run in placed_after(source, self.base, self.tables)
            if anchor not in at or order[at[anchor] + 1 : at[anchor] + 1 + len(run)] != run
        ]


_BOM_BYTES = BOM.encode("utf-8")


def _reads_as_toml(path: Path) -> bool:
    """Whether the file there now is UTF-8 TOML (True where there is no file: nothing to keep)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        read_toml(decode(data, str(path)).removeprefix(BOM), str(path), bounded=shallow(data))
    except TreeLoadError:
        return False
    return True


def _tables(tree: KpiTree) -> Tables:
    """The node tables as read (shared with the tree's document: edits change copies, never these)."""
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


__all__ = ["Document", "EditError", "ExternalChange", "SaveError", "Step"]


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
            if kept_ids:
                table["conflicts"] = kept_ids
            else:
                del table["conflicts"]
            said.append(f"{key}: conflict with {', '.join(dropped)}")
        formula = table.get("formula")
        if isinstance(formula, str):
            from kpitui.model.formula import FormulaError, parse

            try:
                refs = parse(formula).refs
            except FormulaError:
                refs = ()
            if gone & set(refs):
                said.append(f"{key}: its formula still names {', '.join(r for r in refs if r in gone)}; edit it")
    return said
