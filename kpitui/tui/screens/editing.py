"""Editing actions of the main screen: add, edit, delete, move, record, link, undo, save, quit."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from kpitui.common.text import safe_text
from kpitui.model.inputs import date_problem, number_problem, parse_date, parse_number
from kpitui.tui.screens.dialogs import ChoiceDialog, LineDialog
from kpitui.tui.screens.picker import NO_PARENT, NodePicker

if TYPE_CHECKING:
    from kpitui.services.document import Document, Step
    from kpitui.tui.screens.form import Actual
    from kpitui.tui.screens.main import MainScreen

# The document, saving and the form are imported on first use: the first paint needs none.

EDIT_BINDINGS = [
    Binding("e", "edit", "Edit", id="edit.edit"),
    Binding("a", "add(True)", "Add", tooltip="Add child", id="edit.add_child"),
    Binding("A", "add(False)", "Add sibling", show=False, id="edit.add_sibling"),
    Binding("d", "delete", "Delete", show=False, id="edit.delete"),
    Binding("m", "move", "Move", show=False, id="edit.move"),
    Binding("v", "record", "Record", tooltip="Record actual", id="edit.record"),
    Binding("c", "conflict", "Conflict", show=False, id="edit.conflict"),
    Binding("i", "influence", "Influence", show=False, id="edit.influence"),
    Binding("u,ctrl+z", "undo", "Undo", show=False, id="edit.undo"),
    Binding("ctrl+r,ctrl+y", "redo", "Redo", show=False, id="edit.redo"),
    Binding("ctrl+s", "save", "Save", id="edit.save"),
    Binding("t", "settings", "Settings", tooltip="Tree settings", show=False, id="edit.settings"),
]


SHARED = ("unit", "pacing", "direction", "frequency")  # what a new KPI takes from sibling KPIs that all agree


def proposal(parent: dict[str, Any] | None, siblings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What a new node under `parent` starts with: its kind, and a KPI's or objective's owner, unit, period.

    Under nothing: a goal. Under a goal: an objective. Under an objective or a KPI: a KPI
    that, most often, the same people own and measure in the same unit over the same period:
    the parent's owner and period, and the unit, pacing, direction and frequency that the
    KPIs already under it (`siblings`, the parent's children), two or more, all share (else a
    KPI parent's unit): one sibling is no pattern (revenue in EUR beside a conversion rate in %).
    """
    if parent is None:
        return {"name": "", "kind": "goal"}
    kind = parent.get("kind", "kpi")
    if kind == "goal":
        return {"name": "", "kind": "objective"}
    table: dict[str, Any] = {"name": ""}
    for key in ("owner", "owner_type", "unit", "period"):
        if key in parent and (key != "unit" or kind == "kpi"):
            table[key] = parent[key]
    kpis = [s for s in siblings or () if s.get("kind", "kpi") == "kpi"]
    for key in SHARED:
        values = [s.get(key) for s in kpis]
        if len(values) >= 2 and values[0] is not None and all(v == values[0] for v in values):
            table[key] = values[0]
    return table


def shown_after(document: Document, step: Step, forward: bool) -> str | None:
    """The node to show after undoing (or redoing: `forward`) a step: the node it is about, or,
    where that node is gone, the one on the line above it (its sibling before it, else after it,
    else its parent); None for an edit about no node (the cursor stays)."""
    node = step.about
    tables = document.tables
    if node is None or node in tables:
        return node
    table = step.tables.get(node, (None, None))[0 if forward else 1]
    order = step.order[0 if forward else 1] if step.order is not None else list(tables)
    parents = _parent_ids(table)
    before = after = None
    passed = False
    for other in order:
        if other == node:
            passed = True
        elif other in tables and _parent_ids(tables[other]) == parents:
            if passed:
                after = other
                break
            before = other
    above = next((p for p in parents if p in tables), None)
    return before or after or above or next(iter(tables), None)


def _parent_ids(table: dict[str, Any] | None) -> list[str]:
    parent = (table or {}).get("parent")
    if isinstance(parent, str):
        return [parent]
    return [p for p in parent if isinstance(p, str)] if isinstance(parent, list) else []


def other_file(typed: str, folder: Path, served: bool) -> tuple[Path, str | None, bool]:
    """The file a name typed for "write mine to another file" means, why it is refused (or None),
    and whether it lies outside the tree's folder (`folder`, its real path).

    A relative name is in the tree's folder. Outside it: refused when served to a browser;
    in a terminal, refused unless typed in full (from / or ~), and then to be confirmed.
    """
    named = Path(typed.strip()).expanduser()
    target = named if named.is_absolute() else folder / named
    real = Path(os.path.realpath(target))
    outside = not real.parent.is_relative_to(folder)
    if not outside:
        if served and _other_names(real):
            return target, f"{real} has other names (hard links), perhaps outside the tree's folder.", False
        return target, None, False
    if served:
        return target, f"{real} is outside the tree's folder; name a file in {folder}.", True
    if not named.is_absolute():
        return target, f"{real} is outside the tree's folder; to write there, type its full path.", True
    return target, None, True


def _other_names(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_nlink > 1
    except OSError:
        return False


class EditingActions:
    """Mixed into MainScreen; every edit goes through the Document, then re-analyses."""

    document: Document | None

    def _main(self) -> MainScreen:
        return self  # type: ignore[return-value]

    def _edit(self, change: Callable[[Document], Any], keep: str | None = None) -> bool:
        """Apply one edit, journal it and show the result; a refused edit is reported."""
        from kpitui.services.document import EditError

        screen = self._main()
        if self.document is None:
            return False
        try:
            change(self.document)
        except EditError as exc:
            screen.notify(str(exc), severity="error", timeout=8)
            return False
        self._changed(keep)
        return True

    def _changed(self, keep: str | None = None) -> None:
        """After any change of the document: update the analysis and what is shown, then journal it.

        The journal record (an appended line, flushed to disk) is written right after the
        frame, not before it: a hang-up or a kill in between still journals every edit first
        (kpitui.tui.hangup), and the key's frame does not wait for the disk.
        """
        screen = self._main()
        if self.document is not None:
            screen.refresh_after_edit(keep)
            screen.call_after_refresh(self._journal)

    def _journal(self) -> None:
        """Write the journal; the header says so when that starts or stops failing."""
        document = self.document
        if document is None:
            return
        before = document.journal_problem
        document.write_journal()
        if document.journal_problem != before:
            self._main().show_header()

    def _choices(self, exclude: str | None = None) -> list[tuple[str, str]]:
        assert self.document is not None
        return [
            (node_id, str(table.get("name", node_id)))
            for node_id, table in self.document.tables.items()
            if node_id != exclude
        ]

    # ── node edits ─────────────────────────────────────────────────────

    def _year(self) -> int | None:
        """The year of the tree's period: what `Q3` means in a form."""
        period = self.document.tree.settings.period if self.document is not None else None
        return period.start.year if period is not None else None

    def _names(self, exclude: str | None = None) -> dict[str, str]:
        return dict(self._choices(exclude))

    def action_edit(self) -> None:
        from kpitui.tui.screens.form import NodeForm

        screen, node_id = self._main(), self._main().current()
        if self.document is None or node_id is None:
            return
        doc = self.document
        taken = set(doc.tables) - {node_id}

        def done(result: tuple[str, dict[str, Any]] | None) -> None:
            if result is None:
                return
            new_id, table = result
            row = form.row

            def change(d: Document) -> None:
                if new_id != node_id or table != d.tables[node_id] or row is None:
                    d.replace(node_id, table, new_id)
                if row is not None:
                    d.record_actual(new_id, row[0], row[1], True)

            if self._edit(change, keep=new_id) and form.said:
                screen.notify(safe_text(form.said))

        title = f"Edit '{doc.tables[node_id].get('name')}'"
        names, year = self._names(node_id), self._year()
        form = NodeForm(title, node_id, doc.tables[node_id], taken, names, year=year, actual=self._actual(node_id))
        screen.app.push_screen(form, done)

    def _actual(self, node_id: str | None) -> Actual:
        """What the form shows of a node's actual: its value now, the date a new one gets (the
        analysis date), and the measurements CSV it goes to as a row when its value comes from there."""
        from kpitui.services.entry import Current, current
        from kpitui.tui.screens.form import Actual

        analysis = self._main().analysis
        if analysis is None or node_id is None or node_id not in analysis.results:
            return Actual(Current(None), analysis.as_of if analysis is not None else date.today())
        measurements = analysis.tree.settings.measurements
        csv = str(measurements) if measurements and str(measurements).lower().endswith(".csv") else None
        return Actual(current(analysis, node_id), analysis.as_of, csv)

    def action_add(self, child: bool) -> None:
        from kpitui.tui.screens.form import NodeForm

        screen, current = self._main(), self._main().current()
        if self.document is None:
            return
        doc = self.document
        parent: Any = None
        if current is not None:
            parent = current if child else doc.tables[current].get("parent")
        first = parent if isinstance(parent, str) else parent[0] if isinstance(parent, list) and parent else None
        siblings = [doc.tables[c] for c in doc.children_of(first)] if first and first in doc.tables else []
        table = proposal(doc.tables.get(first) if first else None, siblings)
        if parent:
            table = {"name": "", "parent": parent, **{k: v for k, v in table.items() if k != "name"}}

        def done(result: tuple[str, dict[str, Any]] | None) -> None:
            if result is not None:
                new_id, new_table = result
                after = doc.last_below(current) if current in doc.tables else None
                self._edit(lambda d: d.add_node(new_table, new_id, after=after), keep=new_id)

        under = doc.tables[first].get("name") if first and first in doc.tables else None
        title = f"New {table.get('kind', 'kpi')} under {under!r}" if under else f"New {table.get('kind', 'kpi')}"
        names = self._names()
        form = NodeForm(
            title,
            doc.new_id("new"),
            table,
            set(doc.tables),
            names,
            auto_id=doc.new_id,
            year=self._year(),
            actual=self._actual(None),
        )
        screen.app.push_screen(form, done)

    def action_settings(self) -> None:
        from kpitui.tui.screens.settings import TreeSettingsScreen

        screen = self._main()
        if self.document is None:
            return
        doc = self.document

        def done(table: dict[str, Any] | None) -> None:
            if table is not None and table != doc.settings and self._edit(lambda d: d.set_settings(table)):
                screen.notify("Tree settings changed; ctrl+s saves them.")

        screen.app.push_screen(TreeSettingsScreen(doc.settings, doc.path.parent), done)

    def action_delete(self) -> None:
        screen, node_id = self._main(), self._main().current()
        if self.document is None or node_id is None:
            return
        name = self.document.tables[node_id].get("name")
        children = self.document.children_of(node_id)
        if children:
            question = f"Delete '{name}'? It has {len(children)} child node(s)."
            answers = [
                ("delete", "d", "Delete it and everything below"),
                ("reparent", "m", "Delete it, move children up"),
                ("", "escape", "Keep it"),
            ]
        else:
            question = f"Delete '{name}'?"
            answers = [("delete", "d", "Delete"), ("", "escape", "Keep it")]

        def done(answer: str | None) -> None:
            if answer:
                parents = self.document.parents_of(node_id) if self.document else []
                self._edit(lambda d: d.delete_node(node_id, answer), keep=parents[0] if parents else None)
                removed = self.document.removed_references if self.document else []
                if removed:
                    screen.notify("Deleted, with every reference to it — " + "; ".join(removed), timeout=10)

        screen.app.push_screen(ChoiceDialog(question, [a for a in answers if a[0]]), done)

    def action_move(self) -> None:
        screen, node_id = self._main(), self._main().current()
        if self.document is None or node_id is None:
            return

        def done(target: str | None) -> None:
            if target is not None:
                self._edit(lambda d: d.move_node(node_id, None if target == NO_PARENT else target), keep=node_id)

        name = self.document.tables[node_id].get("name")
        screen.app.push_screen(NodePicker(f"Move '{name}' under…", self._choices(node_id), "(no parent)"), done)

    def action_record(self) -> None:
        """`v`: a new actual, its value then its date (the analysis date by default).

        The question shows the node's value now, with its date and source, and, for a `linear`
        KPI, that its value is the running total. A goal with neither unit nor target is asked
        about first; a value its node's history makes implausible is confirmed before it is kept.
        """
        from kpitui.services.entry import current, doubted, running_total, unjudged_goal

        screen, node_id = self._main(), self._main().current()
        if self.document is None or node_id is None:
            return
        doc = self.document
        measurements = doc.tree.settings.measurements
        into_file = bool(measurements) and str(measurements).lower().endswith(".csv")
        where = f"appended to {measurements}" if into_file else "stored as the node's actual"
        today = date.today()
        name = doc.tables[node_id].get("name")
        first = screen.analysis  # the analysis is updated in place by each edit: read it anew each time
        as_of = first.as_of if first else today

        def ask_value(typed: str = "") -> None:
            lines = [f"Actual of '{name}' ({where}):"]
            analysis = screen.analysis
            if analysis is not None and node_id in analysis.results:
                lines.append(f"Now: {current(analysis, node_id)}.")
                result = analysis.results[node_id]
                if result.target is None and result.actual is None and doc.children_of(node_id):
                    # A goal without a number: say what it is now, not a blank.
                    lines.append(
                        "It has no target or actual: its children's statuses roll up to it; "
                        "an actual recorded here is its own."
                    )
                if running_total(analysis, node_id):
                    lines.append("Linear pacing: type its running total for the period so far, not the last step's.")
            screen.app.push_screen(LineDialog("\n".join(lines), typed, check=number_problem), got_value)

        def got_value(text: str | None) -> None:
            if text is None:
                return
            number = parse_number(text)
            question = f"Date of this actual ({as_of}, the date analysed, by default; any earlier date allowed):"
            if today > as_of:
                # Observations after as_of are ignored (docs/contract.md#observations). Say so before typing.
                question += f"\n⚠ a date after {as_of} (today is {today}) is not counted by the analysis at {as_of}."
            check_day = partial(date_problem, today=today)
            screen.app.push_screen(
                LineDialog(question, as_of.isoformat(), check=check_day), partial(dated, text, number)
            )

        def dated(text: str, number: float, day_text: str | None) -> None:
            if day_text is None:
                return
            day = parse_date(day_text, today)
            analysis = screen.analysis
            doubts = doubted(analysis, [(node_id, day, number)]) if analysis is not None else []
            if not doubts:
                keep(number, day)
                return

            def answered(answer: str | None) -> None:
                if answer == "record":
                    keep(number, day)
                elif answer == "change":
                    ask_value(text)

            answers = [("record", "r", "Record it anyway"), ("change", "c", "Change the value")]
            screen.app.push_screen(ChoiceDialog(f"Is this right? {doubts[0].why}.", answers), answered)

        def keep(number: float, day: date) -> None:
            if self._edit(lambda d: d.record_actual(node_id, number, day, into_file), keep=node_id) and day > as_of:
                screen.notify(
                    f"Recorded for {day}, after the analysis date {as_of}: it counts from that date on "
                    "(move the date with > or change tree.as_of to see it now).",
                    timeout=10,
                )

        if first is not None and unjudged_goal(first, node_id):
            question = (
                f"'{name}' is a goal with neither a unit nor a target: an actual recorded on it is judged "
                "against nothing (give it a target and unit with e first). Record one anyway?"
            )

            def go_on(answer: str | None) -> None:
                if answer == "record":
                    ask_value()

            screen.app.push_screen(ChoiceDialog(question, [("record", "r", "Record anyway")]), go_on)
            return
        ask_value()

    def action_conflict(self) -> None:
        screen, node_id = self._main(), self._main().current()
        if self.document is None or node_id is None:
            return

        def done(other: str | None) -> None:
            if other is not None and other != NO_PARENT:
                self._edit(lambda d: d.toggle_conflict(node_id, other), keep=node_id)

        name = self.document.tables[node_id].get("name")
        title = f"Declare (or remove) a conflict of '{name}' with…"
        screen.app.push_screen(NodePicker(title, self._choices(node_id)), done)

    def action_influence(self) -> None:
        screen, node_id = self._main(), self._main().current()
        if self.document is None or node_id is None:
            return
        current = self.document.tables[node_id].get("influences")
        existing = dict(current) if isinstance(current, dict) else {}

        def signed(other: str | None) -> None:
            if other is None or other == NO_PARENT:
                return

            def done(sign: str | None) -> None:
                if sign is not None:
                    value = None if sign == "remove" else sign
                    self._edit(lambda d: d.set_influence(node_id, other, value), keep=node_id)

            answers = [("+", "plus", "Pushes it up (+)"), ("-", "minus", "Pushes it down (−)")]
            if other in existing:
                answers.append(("remove", "r", "No influence (remove it)"))
            target = names.get(other, f"{other} (missing)")
            screen.app.push_screen(ChoiceDialog(f"How does '{name}' influence '{target}'?", answers), done)

        name = self.document.tables[node_id].get("name")
        names = self._names(node_id)
        # Influences on nodes that no longer exist are listed too, so they can be removed.
        missing = [(other, f"{other} (missing: remove it)") for other in existing if other not in names]
        screen.app.push_screen(NodePicker(f"'{name}' influences…", missing + self._choices(node_id)), signed)

    def action_undo(self) -> None:
        self._history(undo=True)

    def action_redo(self) -> None:
        self._history(undo=False)

    def _history(self, undo: bool) -> None:
        """Undo or redo one edit; the cursor goes to the node it is about (where that node went:
        to the line above it), the details with it, and a notice names the edit."""
        document = self.document
        if document is None:
            return
        step = document.undo() if undo else document.redo()
        if step is None:
            self._main().notify(f"Nothing to {'undo' if undo else 'redo'}.")
            return
        self._changed(shown_after(document, step, forward=not undo))
        self._main().notify(f"{'undone' if undo else 'redone'}: {step.label or 'an edit'}")

    # ── saving and quitting ──────────────────────────────────────────────

    def action_save(self, then: Callable[[], None] | None = None) -> None:
        screen = self._main()
        if self.document is None:
            return
        notes = self.document.layout_notes()
        if notes:
            question = "Saving changes the file's layout:\n- " + "\n- ".join(notes)

            def agreed(answer: str | None) -> None:
                if answer == "save":
                    self._write(then)

            screen.app.push_screen(ChoiceDialog(question, [("save", "s", "Save anyway")]), agreed)
        else:
            self._write(then)

    def _write(
        self,
        then: Callable[[], None] | None,
        to: Path | None = None,
        read_only_ok: bool = False,
        outside_ok: bool = False,
        replacing: bytes | None = None,
    ) -> None:
        from kpitui.io.saving import ExternalChange, OutsideFolder, ReadOnly, SaveError

        screen, doc = self._main(), self.document
        if doc is None:
            return
        try:
            written = doc.save(to=to, read_only_ok=read_only_ok, outside_ok=outside_ok, replacing=replacing)
        except ExternalChange as exc:
            self._external_change(str(exc), then)
            return
        except (ReadOnly, OutsideFolder) as exc:
            # Ask first: a read-only file, or rows for a measurements file outside the folder.
            read_only = isinstance(exc, ReadOnly)
            label = "Write it anyway" if read_only else "Append the rows there"
            question = str(exc).removeprefix("not saved: ").split("; ")[0] + "."

            def agreed(answer: str | None) -> None:
                if answer == "yes":
                    self._write(then, to, read_only_ok or read_only, outside_ok or not read_only, replacing)

            screen.app.push_screen(ChoiceDialog(question[:1].upper() + question[1:], [("yes", "y", label)]), agreed)
            return
        except (SaveError, OSError) as exc:
            message = str(exc) if isinstance(exc, SaveError) else f"not saved: {exc}"
            screen.notify(safe_text(message[:1].upper() + message[1:]), severity="error", timeout=10)
            return
        screen.path = written
        screen.stamp = screen.file_stamp()
        screen.notify(safe_text(f"Saved {written}"))
        for note in doc.notes:
            screen.notify(safe_text(note), severity="warning", timeout=10)
        screen.show_header()  # nothing but "unsaved" changed: no need to analyse again
        if then is not None:
            then()

    def _external_change(self, message: str, then: Callable[[], None] | None) -> None:
        screen = self._main()
        answers = [
            ("other", "w", "Write mine to another file"),
            ("reload", "r", "Reload theirs, drop mine"),
        ]

        def done(answer: str | None) -> None:
            if answer == "reload":
                if self.document is not None:
                    self.document.drop_journal()
                screen.reload_from_disk()
            elif answer == "other":
                self._write_elsewhere(then)

        screen.app.push_screen(ChoiceDialog(message, answers), done)

    def _write_elsewhere(self, then: Callable[[], None] | None) -> None:
        """Ask for another file to write to: a name in the tree's folder, never over a file unasked.

        Served to a browser (`kpitui serve`), nothing outside the tree's folder is written; in a
        terminal, only a path typed in full (from / or ~) and confirmed.
        """
        screen = self._main()
        served = bool(getattr(screen.app, "served", False))
        folder = Path(os.path.realpath(screen.path.parent))
        suggestion = screen.path.stem + ".mine" + screen.path.suffix

        def problem(text: str) -> str | None:
            return other_file(text, folder, served)[1] if text.strip() else "Name a file."

        def to_file(text: str | None) -> None:
            if not text:
                return
            target, _problem, outside = other_file(text, folder, served)
            real = Path(os.path.realpath(target))
            try:
                old = real.read_bytes() if real.is_file() else None
            except OSError as exc:
                screen.notify(safe_text(f"Not saved: {real}: {exc.strerror or exc}"), severity="error", timeout=10)
                return
            if old is None and not outside:
                self._write(then, target)
                return
            if old is None:
                question = f"{real} is outside the tree's folder {folder}."
            else:
                question = f"{real} is outside the tree's folder {folder} and exists." if outside else f"{real} exists."
            label = "Write it there" if old is None else "Replace it"

            def agreed(answer: str | None) -> None:
                if answer == "yes":
                    self._write(then, target, replacing=old)

            screen.app.push_screen(ChoiceDialog(question, [("yes", "y", label)]), agreed)

        question = f"Write your version to (a file in {folder}):"
        screen.app.push_screen(LineDialog(question, suggestion, problem), to_file)

    def action_quit_or_ask(self) -> None:
        screen = self._main()
        screen.quit_if_loading()
        if self.document is None or not self.document.dirty:
            screen.app.exit()
            return

        def done(answer: str | None) -> None:
            if answer == "save":
                self.action_save(then=screen.app.exit)
            elif answer == "discard":
                if self.document is not None:
                    self.document.drop_journal()
                screen.app.exit()

        # Stay is the default: enter (or esc) keeps the edits and kpitui open.
        answers = [("save", "s", "Save and quit"), ("discard", "d", "Discard and quit"), ("stay", "escape", "Stay")]
        screen.app.push_screen(ChoiceDialog("There are unsaved changes.", answers, default="stay"), done)
