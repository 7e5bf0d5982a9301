"""The main screen: header, tree, detail panel; owns the loaded tree and its analysis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from kpitui.common.text import safe_text
from kpitui.model.domain import FREQUENCIES, TreeLoadError, days_after
from kpitui.tui import hangup
from kpitui.tui.loading import PROGRESS_SECONDS, LoadProgress, no_gc_pauses
from kpitui.tui.screens.dialogs import ChoiceDialog
from kpitui.tui.screens.editing import EDIT_BINDINGS, EditingActions
from kpitui.tui.screens.help import HelpScreen
from kpitui.tui.typeahead import TypeAhead
from kpitui.tui.widgets.detail import DetailPanel
from kpitui.tui.widgets.header import TreeHeader
from kpitui.tui.widgets.tree_view import KpiTreeView

if TYPE_CHECKING:
    from kpitui.analysis.results import Analysis
    from kpitui.io.loader import KpiTree
    from kpitui.io.measurements import Measurements
    from kpitui.model.domain import Finding
    from kpitui.services.document import Document
    from kpitui.services.outline import Outline
    from kpitui.tui.screens.findings import FindingsScreen

WATCH_SECONDS = 1.0
WIDE_ENOUGH = 100  # columns from which the tree and the details sit side by side comfortably
RECOVERY_ITEMS = 3  # the recovery question names this many of a journal's edits, then "and N more"


@dataclass(frozen=True)
class Stamp:
    """What a file looked like on disk, to notice when it changes."""

    mtime_ns: int
    size: int

    @staticmethod
    def of(path: Path) -> Stamp | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return Stamp(stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True)
class Loaded:
    """A file read and analysed, ready to show."""

    stamp: Stamp | None
    keep: str | None
    document: Document
    analysis: Analysis
    outline: Outline


class MainScreen(EditingActions, Screen[None]):
    """Browse and edit the tree from strategy down to operations."""

    # The footer shows, in this order, the keys that matter most; `?` (every key) comes first so a
    # narrow terminal never hides it. They fit 80 columns: `? Keys e Edit a Add v Record ^s Save
    # q Quit / Search f Findings R Review` (v and R are the weekly keys).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Keys", tooltip="Help", id="app.help"),
        *EDIT_BINDINGS,
        Binding("q", "quit_or_ask", "Quit", id="app.quit"),
        Binding("ctrl+c", "interrupt", "Quit while loading", show=False, id="app.interrupt"),
        Binding("slash", "search", "Search", id="app.search"),
        Binding("escape", "cancel_search", "Cancel search", show=False, id="app.cancel_search"),
        Binding("n", "search_next", "Next match", show=False, id="app.search_next"),
        Binding("N", "search_previous", "Previous match", show=False, id="app.search_previous"),
        Binding(
            "right_square_bracket", "problem(1)", "Problem", show=False, tooltip="Next problem", id="app.next_problem"
        ),
        Binding("left_square_bracket", "problem(-1)", "Previous problem", show=False, id="app.previous_problem"),
        Binding("p", "toggle_problems", "Problems", show=False, tooltip="Problems only", id="app.problems_only"),
        Binding("f", "findings", "Findings", id="app.findings"),
        Binding("w", "whatif", "What-if", show=False, id="app.whatif"),
        Binding(
            "s",
            "seek",
            "Seek target",
            show=False,
            tooltip="Goal seek: the driver value that reaches the target",
            id="app.seek",
        ),
        Binding("x", "accept", "Accept finding", show=False, id="app.accept"),
        Binding("R", "review", "Review", tooltip="The weekly check-in", id="app.review"),
        Binding("r", "reload", "Reload", show=False, id="app.reload"),
        Binding(
            "less_than_sign", "travel(-1)", "Earlier", show=False, tooltip="as_of one step back", id="app.travel_back"
        ),
        Binding(
            "greater_than_sign",
            "travel(1)",
            "Later",
            show=False,
            tooltip="as_of one step forward",
            id="app.travel_forward",
        ),
        Binding("z", "wide_detail", "Wide details", show=False, id="app.wide_detail"),
        Binding("tab", "tab", "Wide details (narrow terminal)", show=False, id="app.tab"),
        Binding("j", "tree_step(1)", "Next node (wide details)", show=False, id="app.wide_down"),
        Binding("k", "tree_step(-1)", "Previous node (wide details)", show=False, id="app.wide_up"),
    ]

    def __init__(self, path: Path, as_of: date | None = None) -> None:
        super().__init__()
        self.path = path
        self.as_of = as_of
        self.travelled = False  # as_of moved with < or >
        self._measurements: tuple[tuple[object, ...], Measurements] | None = None
        self.analysis: Analysis | None = None
        self.outline: Outline | None = None
        self.problems_only = False
        self.matches: list[str] = []
        self.stamp: Stamp | None = None
        self.document: Document | None = None
        self.offered_recovery = False
        self.progress: LoadProgress | None = None  # of the load running now
        self.load_begun = False
        self._progress_timer: Timer | None = None
        self._progress_shown = ""
        self.shown = False  # the tree, or why it cannot be shown, is on screen

    def compose(self) -> ComposeResult:
        yield TreeHeader(id="header")
        with Horizontal(id="body"):
            yield KpiTreeView(id="tree")
            yield DetailPanel(id="detail")
        yield Static(id="errors")
        yield Input(placeholder="Search name or id — enter to go, esc to cancel", id="search")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(TreeHeader).show(None, None, f"Loading {self.path.name}…")
        self.query_one("#search", Input).display = False
        self.query_one("#errors", Static).display = False
        # This screen is shown after the app's first frame (KpiApp.on_ready); it loads once
        # its own first frame ("Loading…") is out.
        self.set_interval(WATCH_SECONDS, self._watch_file)
        self.start_loading()

    # ── loading ────────────────────────────────────────────────────────

    def start_loading(self) -> None:
        """Load the file once the frame now on screen ("Loading…") has been painted."""
        self.load_begun = True  # the file watcher waits for this first load
        self.call_after_refresh(self.load)

    def loading_in_worker(self) -> bool:
        """Whether a load is running in a worker thread now."""
        return any(w.group == "load" and w.is_running for w in self.workers)

    def quit_if_loading(self) -> None:
        """While a tree loads and nothing is unsaved, end the process now.

        The loading thread cannot be stopped, and the app would wait for it at exit (45 s
        on a 50k-node tree); with nothing to keep, the terminal is handed back and the
        process ends. Returns (doing nothing) when there is no load or unsaved edits.
        """
        if self.loading_in_worker() and (self.document is None or not self.document.dirty):
            hangup.end_now(0)

    @work(thread=True, exclusive=True, group="load")
    def load(self, keep: str | None = None) -> None:
        """Load and analyse the file off the event loop (always: quitting must work meanwhile), then show it.

        The header shows how far it got (`LoadProgress`), updated on a timer of the screen.
        """
        progress = self.progress = LoadProgress(self.path.name)
        self.app.call_from_thread(self._watch_progress)
        with no_gc_pauses():
            result = self._read(keep, progress)
        self.app.call_from_thread(self._apply, result)

    def _watch_progress(self) -> None:
        if self._progress_timer is None:
            self._progress_timer = self.set_interval(PROGRESS_SECONDS, self._show_progress)
        self._show_progress()

    def _show_progress(self) -> None:
        progress = self.progress
        if progress is None or not self.loading_in_worker():
            if self._progress_timer is not None:
                self._progress_timer.stop()
                self._progress_timer = None
            return
        text = progress.text()
        if text == self._progress_shown:
            return
        self._progress_shown = text
        if self.analysis is None:
            self.query_one(TreeHeader).show(None, None, text)
        else:  # reading the file again: the tree stays usable, the header says so
            self.show_header(text)

    def _read(
        self, keep: str | None, progress: LoadProgress | None = None
    ) -> Loaded | tuple[Stamp | None, TreeLoadError]:
        from kpitui.io.stepwise import read_toml_in_steps
        from kpitui.services.document import Document

        progress = progress or LoadProgress(self.path.name)
        stamp = Stamp.of(self.path)
        size = f"{stamp.size / 1_000_000:.1f} MB" if stamp is not None and stamp.size >= 1_000_000 else ""
        reading = f"reading {size}".strip()
        progress.at(reading)

        def read(text: str, name: str, *, bounded: bool) -> dict[str, Any]:
            # In steps, so that a key (q) is answered while a big file is read; each says how far.
            doc = read_toml_in_steps(
                text, name, lambda done, total: progress.at(reading, done, total, "nodes"), bounded=bounded
            )
            nodes = doc.get("nodes")
            progress.at("checking", len(nodes) if isinstance(nodes, dict) else 0, unit="nodes")
            return doc

        try:
            document = Document.open(self.path, read)
        except TreeLoadError as exc:
            return stamp, exc
        progress.at("analysing", len(document.tables), unit="nodes")
        analysis, outline = self.compute(document)
        progress.at("showing")
        return Loaded(stamp, keep, document, analysis, outline)

    def compute(self, document: Document) -> tuple[Analysis, Outline]:
        """Analyse the document as it is now."""
        from kpitui.engine import analyze
        from kpitui.services.outline import Outline

        document.take_changes()  # the analysis starts from the document as it is now
        tree = document.current_tree()
        analysis = analyze(
            tree, self.as_of, extra_rows=document.pending_rows(), measurements=self.measurements_of(tree)
        )
        outline = Outline(analysis)
        _ = outline.positions, outline.unplaced
        return analysis, outline

    def _apply(self, result: Loaded | tuple[Stamp | None, TreeLoadError]) -> None:
        self.progress = None
        self._show_progress()  # stops the timer
        if self.document is not None and self.document.dirty:
            self.show_header()  # without the progress of the load
            return  # edits were made while the file was being read again: keep them
        if not isinstance(result, Loaded):
            self._show_errors(result[1], result[0])
            return
        self.document = result.document
        self._show(result.analysis, result.outline, result.keep, result.stamp)
        if not self.offered_recovery:
            self.offered_recovery = True
            self._offer_recovery()

    def measurements_of(self, tree: KpiTree) -> Measurements | None:
        """The tree's measurements file as read last, read again only when it changed on disk.

        Time travel re-analyses at another date on the same rows; it never re-reads the file.
        """
        from kpitui.io.measurements import load_measurements

        if not tree.settings.measurements:
            return None
        path = tree.path.parent / tree.settings.measurements
        try:
            info = path.stat()
            key: tuple[object, ...] = (path, info.st_mtime_ns, info.st_size)
        except OSError:
            key = (path, None)
        if self._measurements is None or self._measurements[0] != key:
            self._measurements = (key, load_measurements(path))
        return self._measurements[1]

    def action_travel(self, steps: int) -> None:
        """Move as_of back or forward by one step of the node's frequency (a week without one)."""
        if self.analysis is None or self.document is None:
            return
        node_id = self.current()
        node = self.analysis.tree.nodes.get(node_id) if node_id else None
        days = FREQUENCIES[node.frequency] if node is not None and node.frequency else 7
        as_of = days_after(self.analysis.as_of, steps * days)
        if as_of == self.analysis.as_of:
            self.notify(f"{as_of} is the {'last' if steps > 0 else 'first'} day there is; kpitui goes no further.")
            return
        self.as_of = as_of
        self.travelled = True
        self.refresh_analysis(node_id)

    def refresh_analysis(self, keep: str | None) -> None:
        """Analyse the whole tree again and show it, cursor kept on `keep` (time travel, a full redraw)."""
        if self.document is None:
            return
        with no_gc_pauses():  # as for a load: a whole analysis again (at 100k nodes, collections cost 20%)
            analysis, outline = self.compute(self.document)
        self._show(analysis, outline, keep, self.stamp)

    def refresh_after_edit(self, keep: str | None) -> None:
        """After an edit: update the analysis for the nodes it changed and redraw only their lines,
        the header and the details; the cursor stays, or goes to `keep`."""
        from kpitui.engine.incremental import update
        from kpitui.services.outline import Outline

        document = self.document
        if document is None:
            return
        if self.analysis is None:
            self.refresh_analysis(keep)
            return
        changed = document.take_changes()
        tree = document.current_tree()
        measurements = self.measurements_of(tree)
        updated = update(self.analysis, tree, changed, self.as_of, document.pending_rows(), measurements)
        analysis, outline = updated.analysis, Outline(updated.analysis)
        view = self.query_one(KpiTreeView)
        if not view.patch(analysis, outline, updated):
            self._show(analysis, outline, keep, self.stamp)
            return
        self.analysis, self.outline = analysis, outline
        self.show_header()
        current = view.current()
        if keep is not None and keep != current and view.reveal(keep):
            return
        self.query_one(DetailPanel).show(analysis, current)

    def reload_from_disk(self) -> None:
        """Read the file again, dropping unsaved edits."""
        self.document = None
        self.load(self.current())

    def file_stamp(self) -> Stamp | None:
        """How the file looks on disk now."""
        return Stamp.of(self.path)

    def current(self) -> str | None:
        """The node under the cursor."""
        return self.query_one(KpiTreeView).current()

    def _offer_recovery(self) -> None:
        from kpitui.io.journal import discard, read_journals

        if self.document is None:
            return
        found = read_journals(self.path, self.document.session)
        for problem in found.problems:
            self.notify(problem, severity="warning", timeout=15)
        journals = found.journals[:9]
        if not journals:
            return
        lines = [f"Unsaved edits to {self.path.name} were kept by {len(journals)} earlier session(s):"]
        for number, journal in enumerate(journals, start=1):
            count = journal.edits or len(journal.changed) + len(journal.deleted) + len(journal.rows)
            changed = " — the file changed since" if journal.base_digest != self.document.loaded_digest else ""
            lines.append(f"  {number}. {journal.written or 'unknown time'}: {count} edit(s){changed}")
            items = self.document.recovery_summary(journal)
            more = f"; and {len(items) - RECOVERY_ITEMS} more" if len(items) > RECOVERY_ITEMS else ""
            if items:
                lines.append(f"     {'; '.join(items[:RECOVERY_ITEMS])}{more}")
        if any(j.base_digest != self.document.loaded_digest for j in journals):
            lines.append("Recovering edits made to an older file puts those nodes back over today's file.")
        if len(journals) == 1:
            answers = [("1", "r", "Recover them")]
        else:
            answers = [(str(n), str(n), f"Recover {n}") for n in range(1, len(journals) + 1)]
        answers += [("discard", "d", "Discard all"), ("later", "l", "Decide later")]
        typeahead = getattr(self.app, "typeahead", None)
        if isinstance(typeahead, TypeAhead) and typeahead.drop():
            # Keys typed while the tree was loading were meant for the tree, never for this question.
            lines.append("(The keys typed while the tree was loading were not used.)")

        def done(answer: str | None) -> None:
            if answer == "discard":
                for journal in journals:
                    discard(journal)
            elif answer and answer.isdigit() and self.document is not None:
                journal = journals[int(answer) - 1]
                self.document.recover(journal)
                self._changed()  # journals the recovered edits under this session
                discard(journal)
                self.notify("Edits recovered; ctrl+s saves them.")

        self.app.push_screen(ChoiceDialog("\n".join(lines), answers), done)

    def _show(self, analysis: Analysis, outline: Outline, keep: str | None, stamp: Stamp | None) -> None:
        self.analysis, self.outline, self.stamp = analysis, outline, stamp
        self.shown = True
        self.query_one("#errors", Static).display = False
        self.query_one("#body").display = True
        self.show_header()
        tree = self.query_one(KpiTreeView)
        tree.show(analysis, outline, self.problems_only, keep)
        tree.focus()

    def show_header(self, loading: str = "") -> None:
        """The header for the tree shown, marking unsaved edits (and a load in progress)."""
        dirty = self.document is not None and self.document.dirty
        hangup.arm(dirty)
        note = "● unsaved (ctrl+s saves)" if dirty else loading
        travelled = self.travelled and self.analysis is not None and self.analysis.as_of != date.today()
        problem = self.document.journal_problem if self.document is not None else None
        if problem:
            note = f"{note}  ⚠ {problem}".strip()
        self.query_one(TreeHeader).show(self.analysis, self.outline, note, self.path, travelled)

    def _show_errors(self, exc: TreeLoadError, stamp: Stamp | None) -> None:
        self.stamp = stamp
        self.shown = True
        self.analysis = self.outline = None
        errors = self.query_one("#errors", Static)
        text = Text(f"{safe_text(str(self.path))} cannot be shown:\n\n", style="bold red")
        for error in exc.errors:
            text.append(f"{safe_text(str(error))}\n", style="")
        text.append("\nFix the file in your editor: kpitui reloads it as soon as it changes.", style="dim")
        errors.update(text)
        errors.display = True
        self.query_one("#body").display = False
        self.query_one(TreeHeader).show(None, None, f"{self.path.name}: {len(exc.errors)} problem(s)")

    def _watch_file(self) -> None:
        if not self.load_begun or self.loading_in_worker():
            return  # the load in progress took its own stamp before reading the file
        stamp = Stamp.of(self.path)
        if stamp == self.stamp:
            return
        self.stamp = stamp
        if self.document is not None and self.document.dirty:
            self.notify(
                f"{self.path.name} changed on disk. Your unsaved edits are kept; saving will ask what to do.",
                severity="warning",
                timeout=10,
            )
            return
        self.load(self.current())

    def action_interrupt(self) -> None:
        """ctrl+c: ends kpitui at once while a tree loads; afterwards Textual's hint (q quits)."""
        self.quit_if_loading()
        self.app.action_help_quit()

    # ── what the tree tells us ───────────────────────────────────────────

    @on(KpiTreeView.NodeFocused)
    def _focused(self, event: KpiTreeView.NodeFocused) -> None:
        detail = self.query_one(DetailPanel)
        if self.analysis is None or (event.node_id is None and not event.group):
            detail.blank()  # the cursor is on nothing yet (the tree is loading): no orphan-group text
            return
        detail.show(self.analysis, event.node_id)

    # ── actions ────────────────────────────────────────────────────────

    def _reveal(self, node_id: str) -> None:
        tree = self.query_one(KpiTreeView)
        if tree.reveal(node_id) or not self.problems_only or self.analysis is None or self.outline is None:
            return
        self.problems_only = False
        tree.show(self.analysis, self.outline, False, node_id)
        self.notify("Problem filter turned off to show that node.")

    def action_wide_detail(self) -> None:
        """Show the detail panel over the whole width (again: beside the tree)."""
        body = self.query_one("#body")
        body.toggle_class("wide-detail")
        if body.has_class("wide-detail"):
            self.query_one(DetailPanel).focus()
        else:
            self.query_one(KpiTreeView).focus()

    def action_tree_step(self, step: int) -> None:
        """j / k while the details have the focus (the wide details): show the next or previous node."""
        tree = self.query_one(KpiTreeView)
        if step > 0:
            tree.action_cursor_down()
        else:
            tree.action_cursor_up()

    def action_tab(self) -> None:
        """On a narrow terminal tab toggles the wide details; on a wide one it moves focus."""
        if self.size.width < WIDE_ENOUGH or self.query_one("#body").has_class("wide-detail"):
            self.action_wide_detail()
        else:
            self.focus_next()

    def action_reload(self) -> None:
        if self.document is not None and self.document.dirty:
            self.notify("Unsaved edits: save (ctrl+s) or undo them before reloading.", severity="warning")
            return
        self.load(self.current())

    def action_toggle_problems(self) -> None:
        if self.analysis is None or self.outline is None:
            return
        self.problems_only = not self.problems_only
        tree = self.query_one(KpiTreeView)
        tree.show(self.analysis, self.outline, self.problems_only, tree.current())
        if self.problems_only:
            self.notify(f"Showing {len(self.outline.problems)} problem node(s) with their paths; p shows all.")

    def action_problem(self, step: int) -> None:
        if self.outline is None:
            return
        target = self.outline.next_in(self.outline.problems, self.query_one(KpiTreeView).current(), step)
        if target is None:
            self.notify("No problems in this tree.")
            return
        self._reveal(target)

    def action_findings(self) -> None:
        from kpitui.tui.screens.findings import FindingsScreen

        if self.analysis is None:
            return

        def jump(node_id: str | None) -> None:
            if node_id:
                self._reveal(node_id)

        self.app.push_screen(FindingsScreen(self.analysis, self.accept_from_findings), jump)

    def action_review(self) -> None:
        """The weekly check-in (docs/guides/check-in.md) at the date shown; enter jumps to the node."""
        from kpitui.services.review import review
        from kpitui.tui.screens.review import ReviewScreen

        if self.analysis is None:
            return

        def jump(node_id: str | None) -> None:
            if node_id:
                self._reveal(node_id)

        self.app.push_screen(ReviewScreen(review(self.analysis.tree, after=self.analysis)), jump)

    def accept_from_findings(self, screen: FindingsScreen, finding: Finding) -> None:
        """Accept or un-accept a finding chosen in the findings view, then show the view anew."""
        from kpitui.tui.screens.accepting import AcceptFlow

        def refreshed() -> None:
            if self.analysis is not None:
                screen.show(self.analysis)

        AcceptFlow(self, refreshed).toggle(finding)

    def action_accept(self) -> None:
        """Accept (or un-accept) a finding of the node in the detail panel, asking for the reason."""
        from kpitui.tui.screens.accepting import AcceptFlow

        node_id = self.current()
        if node_id is None or self.document is None:
            self.notify("Go to a node first: x accepts one of its findings.")
            return
        AcceptFlow(self).choose(node_id)

    def edit_accept(self, changes: list[tuple[str, str, str | None]], keep: str | None) -> bool:
        """Set (reason) or remove (None) accepted codes in nodes' `accept`, as one edit each."""
        from kpitui.services.accepting import with_accept

        def change(document: Document) -> None:
            for node_id, code, reason in changes:
                accept = with_accept(document.tables[node_id], code, reason)
                if accept is None:
                    document.set_fields(node_id, {}, ("accept",))
                else:
                    document.set_fields(node_id, {"accept": accept})

        return self._edit(change, keep)

    def action_whatif(self) -> None:
        """What-if mode on the tree as shown; `s` there turns the scenario into real edits."""
        from kpitui.tui.screens.whatif import WhatIfScreen, apply_scenario

        if self.analysis is None or self.outline is None:
            return
        as_of = self.analysis.as_of

        def done(overrides: dict[str, float] | None) -> None:
            if overrides:
                apply_scenario(self, overrides, as_of)

        self.app.push_screen(WhatIfScreen(self.analysis, self.outline, self.current()), done)

    def action_seek(self) -> None:
        """Goal seek on the highlighted node: which driver, what value, what else changes."""
        from kpitui.tui.screens.seeking import SeekFlow

        node_id = self.current()
        if node_id is None or self.analysis is None:
            self.notify("Go to a node with a target first: s finds the driver value that reaches it.")
            return
        SeekFlow(self).start(node_id)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.key_list()))

    def key_list(self) -> list[tuple[str, str]]:
        """Every active key with its description, keys of one action joined."""
        keys: dict[str, list[str]] = {}
        for key, active in self.active_bindings.items():
            # The footer's word is short; the tooltip, where there is one, says it in full.
            description = active.binding.tooltip or active.binding.description or active.binding.action
            keys.setdefault(description, []).append(self.app.get_key_display(active.binding) or key)
        return [(" / ".join(dict.fromkeys(k)), d) for d, k in keys.items()]

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.value = ""
        search.focus()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.query_one(KpiTreeView).focus()
        if self.outline is None:
            return
        self.matches = self.outline.search(event.value)
        if not self.matches:
            self.notify(f"Nothing matches {event.value!r}.", severity="warning")
            return
        self.notify(f"{len(self.matches)} match(es) for {event.value!r}; n / N for next / previous.")
        self.action_search_next()

    def action_cancel_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.display:
            search.display = False
            self.query_one(KpiTreeView).focus()

    def action_search_next(self, step: int = 1) -> None:
        if self.outline is None or not self.matches:
            self.notify("No search yet: press / to search.")
            return
        target = self.outline.next_in(self.matches, self.query_one(KpiTreeView).current(), step)
        if target is not None:
            self._reveal(target)

    def action_search_previous(self) -> None:
        self.action_search_next(-1)
