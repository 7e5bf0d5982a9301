"""The kpitui Textual app and its one factory, used by the command line and the tests."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.reactive import Reactive
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import WorkerFailed

from kpitui.common.text import safe_text
from kpitui.io.config import Config, config_path, remember_theme
from kpitui.tui.contrast import DARK_ANSI, LIGHT_ANSI, with_full_contrast
from kpitui.tui.marks import use_no_color
from kpitui.tui.safe_lines import NO_CONTROL_CHARACTERS
from kpitui.tui.typeahead import TypeAhead, Typed, typed_enter

if TYPE_CHECKING:
    from kpitui.tui.screens.main import MainScreen

# ctrl+c, ctrl+q (and q before the main screen is there): at once while the tree loads
INTERRUPTS = frozenset({"interrupt", "quit", "app.quit", "quit_starting"})
QUITS = frozenset({"quit_or_ask", "help_quit"})  # q: at once, unless typed after other keys


class KpiApp(App[None]):
    """Browse a KPI tree; everything is on the main screen."""

    CSS_PATH = "app.tcss"
    TITLE = "kpitui"
    # Only until the main screen is shown (it has its own q and ctrl+c): see `check_action`.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,ctrl+c", "quit_starting", "Quit", show=False, id="app.quit_starting"),
    ]
    # Screens below 28 lines get the class -short: the detail panel's chart is lower there (80x24).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (28, "-tall")]  # noqa: RUF012 (Textual declares it so)
    # The ANSI colours of the marks in RGB, each apart from the others, also on 16 colours (kpitui.tui.contrast).
    ansi_theme_dark = Reactive(DARK_ANSI, init=False)
    ansi_theme_light = Reactive(LIGHT_ANSI, init=False)

    def __init__(
        self,
        path: Path,
        as_of: date | None = None,
        theme: str | None = None,
        config: Config | None = None,
        served: bool = False,
    ) -> None:
        super().__init__()
        use_no_color(self.no_color)  # NO_COLOR: marks in bold, reverse and underline, not in colour
        self.path = path
        self.served = served  # run by `kpitui serve` for a browser: files are written only in the tree's folder
        self.as_of = as_of
        self.config = config or Config(config_path())
        self._start_theme = theme or self.config.theme
        self._last_theme = self.theme
        self.typeahead = TypeAhead(self, self._takes_keys, self._quits)
        self._main: MainScreen | None = None
        self._main_shown = False

    def compose(self) -> ComposeResult:
        """The first frame: the header saying what is being loaded, and nothing that takes time.

        The main screen, its widgets and the modules they need (about a third of a second
        of imports and layout) follow once this frame is on the terminal (`on_ready`).
        """
        from textual.widgets import Static

        yield Static(f"Loading {safe_text(self.path.name)}…", id="starting", markup=False)

    async def on_event(self, event: events.Event) -> None:
        """Keys typed ahead go in one at a time, each once the last one's work is done (see typeahead)."""
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            event = typed_enter(event)
            if not self.typeahead.admit(event):
                return
            await super().on_event(event)
            self.typeahead.dispatched()
            return
        await super().on_event(event)

    def _takes_keys(self) -> bool:
        """Keys wait until the main screen shows the tree read for the first time: they are meant for it."""
        return self._main is not None and self._main.shown and self._main in self.screen_stack

    def _quits(self, event: Typed, behind: bool) -> bool:
        """While the tree loads a key that quits acts at once — ctrl+c and ctrl+q always, q unless
        keys typed before it wait (then it quits in turn, after those keys did their work)."""
        if not isinstance(event, events.Key):
            return False
        # Every binding of the key along the focus chain (one may give way to the next: ctrl+c copies
        # only with a selection), not only the one `active_bindings` shows.
        actions = {
            binding.action
            for _node, bindings in self.screen._binding_chain
            for binding in bindings.key_to_bindings.get(event.key, ())
        }
        if "quit_starting" in actions and event.key not in ("ctrl+c", "ctrl+q"):
            return not behind  # q before the main screen: as q later, in turn after keys typed before it
        return bool(actions & INTERRUPTS) or (bool(actions & QUITS) and not behind)

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters (with NO_COLOR its greyscale one keeps every text at full contrast),
        then the one that keeps control characters off the terminal."""
        return [*with_full_contrast(super().get_line_filters()), NO_CONTROL_CHARACTERS]

    def on_mount(self) -> None:
        self._apply_settings()
        # A dropped SSH connection (SIGHUP) or a kill (SIGTERM) is handled by the handler
        # `kpitui.tui.hangup` installed before the app started (it must work at every moment).

    def _apply_settings(self) -> None:
        """The config file's keymap and theme (or --theme); then remember themes picked later."""
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        wanted = self._start_theme
        if wanted and wanted in self.available_themes:
            self.theme = wanted
        elif wanted:
            names = ", ".join(sorted(self.available_themes))
            self.notify(f"Unknown theme {wanted!r}; themes: {names}", title="Theme", severity="warning", timeout=10)
        self._last_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def _remember_theme(self, theme: Theme) -> None:
        """A theme picked in the palette is written to the config file for the next start."""
        if theme.name == self._last_theme:
            return
        self._last_theme = theme.name
        try:
            remember_theme(theme.name, self.config.path)
        except OSError as exc:
            self.notify(f"Theme not remembered: {self.config.path}: {exc.strerror or exc}", severity="warning")

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """Screenshots go to ~/Downloads, or to the current folder where there is none (the notice says where)."""
        from platformdirs import user_downloads_path

        if path is None and not user_downloads_path().is_dir():
            path = str(Path.cwd())
        return super().deliver_screenshot(filename, path, time_format)

    def on_ready(self) -> None:
        """The first frame is on the terminal: now the main screen, which loads the tree.

        Loading from the first screen's mount would run inside Textual's start-up batch, in
        which no frame is written: a real terminal stayed blank until the tree was loaded
        (a headless run did not show it). See benchmarks/tui.py.
        """
        self._prepare_main()

    @work(thread=True, group="start")
    def _prepare_main(self) -> None:
        """Import the main screen's modules off the event loop, so that q is answered meanwhile."""
        import kpitui.io.stepwise
        import kpitui.services.document
        import kpitui.services.outline
        import kpitui.tui.screens.main  # noqa: F401 - importing them is the slow part

        self.call_from_thread(self._show_main)
        if self.config.keymap:  # set_keymap passes over an id no binding has: say so
            from kpitui.tui.keymap import binding_ids, unknown

            wrong = unknown(self.config.keymap, binding_ids())
            if wrong:
                message = f"{self.config.path} [keymap]: {'; '.join(wrong)}. `?` lists the ids."
                self.call_from_thread(self.notify, message, title="Keymap", severity="warning", timeout=15)

    def _show_main(self) -> None:
        self._main_shown = True
        self.push_screen(self.main)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quit_starting":  # the main screen's own q and ctrl+c take over
            return not self._main_shown
        return super().check_action(action, parameters)

    def action_quit_starting(self) -> None:
        """q or ctrl+c before the main screen is there: nothing is loaded, nothing to keep."""
        from kpitui.tui import hangup

        hangup.end_now(0)

    async def action_quit(self) -> None:
        """ctrl+q: at once while a tree loads (the loading thread is not waited for)."""
        if self._main is not None:
            self._main.quit_if_loading()
        await super().action_quit()

    def journal_now(self) -> None:
        """Write the unsaved edits to the journal (a hang-up: the next start offers them back)."""
        screen = self._main
        if screen is not None and screen.document is not None and screen.document.dirty:
            screen.document.write_journal()

    def _hang_up(self) -> None:
        self.journal_now()
        self.exit(return_code=1)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification, from any screen: text from the tree file (names, ids, paths)
        shown with control characters escaped and never read as Textual markup."""
        super().notify(safe_text(message, newlines=True), title=title, severity=severity, timeout=timeout, markup=False)

    @property
    def crash(self) -> BaseException | None:
        """The exception that ended the app, if one did (the CLI reports it as exit 3)."""
        error = getattr(self, "_exception", None)
        if isinstance(error, WorkerFailed):  # the load runs in a worker: name what failed there
            error = error.error
        return error if isinstance(error, BaseException) else None

    def _print_error_renderables(self) -> None:
        """Textual prints a traceback with local variables (file contents among them) on a
        crash; kpitui prints one line instead, the traceback only with KPITUI_DEBUG=1."""
        if os.environ.get("KPITUI_DEBUG"):
            super()._print_error_renderables()
        else:
            self._exit_renderables.clear()

    @property
    def main(self) -> MainScreen:
        """The main screen (the one under any dialog; made on first use, shown after the first frame)."""
        if self._main is None:
            from kpitui.tui.screens.main import MainScreen

            self._main = MainScreen(self.path, self.as_of)
        return self._main

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main
        yield SystemCommand("Findings", "Every finding of the tree; enter jumps to its node", main.action_findings)
        yield SystemCommand(
            "Problems only", "Show only problem nodes with their paths (toggle)", main.action_toggle_problems
        )
        yield SystemCommand("Next problem", "Jump to the next problem node", lambda: main.action_problem(1))
        yield SystemCommand("Previous problem", "Jump to the previous problem node", lambda: main.action_problem(-1))
        yield SystemCommand("Search", "Find a node by name or id", main.action_search)
        yield SystemCommand("Reload", "Read the tree file again", main.action_reload)
        yield SystemCommand("Save", "Write the tree file (ctrl+s)", main.action_save)
        yield SystemCommand("Undo", "Undo the last edit", main.action_undo)
        yield SystemCommand("Redo", "Redo the last undone edit", main.action_redo)
        yield SystemCommand("Add child", "Add a node below the highlighted one", lambda: main.action_add(True))
        yield SystemCommand("Edit node", "Edit every field of the highlighted node", main.action_edit)
        yield SystemCommand(
            "Tree settings", "Title, as_of, period, thresholds, measurements file (t)", main.action_settings
        )
        yield SystemCommand("Keys and marks", "List every key and what each mark means", main.action_help)


def make_app(
    path: Path,
    as_of: date | None = None,
    theme: str | None = None,
    config: Config | None = None,
    served: bool = False,
) -> KpiApp:
    """The app on a tree file; the only way the CLI and the tests build it.

    Args:
        theme: a Textual theme for this run (else the config file's).
        config: the user's settings (default: read nothing; the CLI passes the config file's).
        served: run for a browser by `kpitui serve`, whose users may not be the file's owner.
    """
    return KpiApp(path, as_of, theme, config, served)
