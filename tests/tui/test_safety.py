"""The TUI against hostile text, journal troubles and writing elsewhere (issue 7, issue 8 item 13)."""

from __future__ import annotations

import errno
import json
import re
import shlex
import shutil
import sys
import time
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.widgets import Input, Static

from kpitui.common.text import editable
from kpitui.engine import analyze
from kpitui.io.journal import journal_path
from kpitui.io.loader import load_tree
from kpitui.services.document import Document
from kpitui.services.review import review
from kpitui.tui.app import make_app
from kpitui.tui.marks import node_label
from kpitui.tui.safe_lines import NO_CONTROL_CHARACTERS
from kpitui.tui.screens.dialogs import ChoiceDialog, LineDialog
from kpitui.tui.screens.form import NodeForm
from kpitui.tui.screens.review import review_lines
from kpitui.tui.screens.settings import TreeSettingsScreen
from kpitui.tui.widgets.detail import DetailPanel, describe
from kpitui.tui.widgets.header import TreeHeader
from tests.conftest import SAMPLES
from tests.tui.test_browse import SIZE, ready, tree
from tests.tui.test_edit import at, record_86
from tests.tui.test_terminal_moments import TMUX, Terminal

HOSTILE = (
    '[tree]\ntitle = "\\u001b]2;PWNED\\u0007Title\\u001b[2J"\n\n'
    '[nodes.g]\nname = "Goal \\u001b]52;c;ZXZpbA==\\u0007"\nkind = "goal"\nowner = "\\u009b31m"\n'
    'description = "line one\\nline two \\u001b[5m"\n\n'
    '[nodes."k\\u001b[31m"]\nname = "KPI\\u202eevil"\nparent = "g"\ntarget = 10\nunit = "\\u001b[1m"\n'
)


# Every way a file's text could work a terminal: OSC 0 (the title), a DCS string, OSC 52 (the
# clipboard), a C1 CSI, a bidi override, a line separator, a CSI no terminal driver sends, and
# markup that would be a hyperlink (OSC 8) if a widget read the text as markup.
FILE_CSI = "\x1b[4;77;66t"
CONTROLS = "\x1b]0;x\x07\x1bPq\x1b\\\x1b]52;c;ZXZpbA==\x07\x9b31m\u202e\u2028" + FILE_CSI
PAYLOAD = CONTROLS + "[link=https://e.test]L[/link]"
PATH_CONTROLS = CONTROLS.removesuffix(FILE_CSI)  # a measurements file's name holds no [ (a wildcard)
SHOWN = "\\x1b]0;x\\x07"  # how the payload's start reads on screen: escaped
BIDI = "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE_ID = "insta" + PAYLOAD


def hostile_tree(folder: Path) -> Path:
    """The webshop sample (formulas, measurements, forecasts, conflicts, an orphan) with PAYLOAD in
    every text: each name, owner, unit and description, the title, an id written in quotes, two
    accept reasons, the measurements file's name (PATH_CONTROLS) and its notes."""
    text = (SAMPLES / "webshop.toml").read_text(encoding="utf-8")
    payload = json.dumps(PAYLOAD)[1:-1]  # a JSON string's escapes are a TOML basic string's
    text = re.sub(
        r'^((?:name|owner|unit|description|title) = "[^"]*)"', lambda m: f'{m[1]}{payload}"', text, flags=re.M
    )
    measurements = "m" + PATH_CONTROLS + ".csv"
    text = text.replace('"webshop_measurements.csv"', json.dumps(measurements))
    reason = json.dumps("because" + PAYLOAD)
    text = text.replace("[nodes.instagram]", f"[nodes.{json.dumps(HOSTILE_ID)}]\naccept = {{ orphan = {reason} }}")
    text = text.replace("[nodes.leads]", f"[nodes.leads]\naccept = {{ conflict = {reason} }}")
    rows = (SAMPLES / "webshop_measurements.csv").read_text(encoding="utf-8").splitlines()
    noted = [rows[0]] + [row.rstrip(",") + "," + f'"note{PAYLOAD}"' * (i % 3 == 0) for i, row in enumerate(rows[1:])]
    (folder / measurements).write_text("\n".join(noted) + "\n", encoding="utf-8")
    path = folder / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    return path


_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|P[^\x1b]*(?:\x1b\\)?|.?)", re.S)
# What Textual's terminal driver writes of its own besides CSI sequences: the mouse pointer's shape.
_DRIVER_OWN = re.compile(r"\x1b\]22;[\w-]*\x07")


def leaks(output: str) -> list[str]:
    """What in a program's output a terminal would act on beyond plain text, CSI sequences (the
    driver's, not FILE_CSI) and the driver's own OSC: any other OSC or DCS, C0 controls but
    newline, carriage return and tab, C1 controls, bidi controls and line separators."""
    found = [repr(FILE_CSI)] if FILE_CSI in output else []
    for match in _SEQUENCE.finditer(output):
        sequence = match.group()
        if not sequence.startswith("\x1b[") and not _DRIVER_OWN.fullmatch(sequence):
            found.append(repr(sequence[:40]))
    rest = _SEQUENCE.sub("", output)
    found += [
        repr(c) for c in sorted(set(rest)) if (c < " " and c not in "\n\r\t") or "\x7f" <= c <= "\x9f" or c in BIDI
    ]
    return found


def rendered(widget: Static) -> str:
    return str(widget.render())


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE, encoding="utf-8")
    return path


async def test_control_characters_from_the_file_never_reach_the_terminal(hostile: Path) -> None:
    app = make_app(hostile)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        header = rendered(app.main.query_one(TreeHeader))
        assert "\\x1b]2;PWNED\\x07Title\\x1b[2J" in header
        labels = [str(node.label) for node in tree(app).root.children]
        labels += [str(node.label) for node in tree(app).root.children[0].children]
        assert "Goal \\x1b]52;c;ZXZpbA==\\x07" in labels[0]
        assert any("KPI\\u202eevil" in label for label in labels)
        tree(app).reveal("g")
        await pilot.pause()
        await pilot.pause()
        panel = app.main.query_one(DetailPanel).plain
        assert "Owner: \\x9b31m" in panel and "line one\nline two \\x1b[5m" in panel
        screenshot = app.export_screenshot()
        for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert raw not in screenshot
            assert raw not in header + "".join(labels) + panel


async def test_the_header_names_the_new_file_at_once_after_writing_elsewhere(tmp_path: Path) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        sales.write_text(sales.read_text(encoding="utf-8") + "\n# theirs\n", encoding="utf-8")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, LineDialog)
        await pilot.press("enter")
        await pilot.pause()
        header = rendered(app.main.query_one(TreeHeader))
        assert "sales.mine.toml" in header
        assert "sales.toml" not in header.replace("sales.mine.toml", "")


async def test_a_journal_write_failure_shows_in_the_header_and_keeps_the_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("kpitui.io.journal.replace_file", full)
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        assert app.is_running
        assert "edits not journaled: disk full" in rendered(app.main.query_one(TreeHeader))
        doc = app.main.document
        assert doc is not None and doc.tables["verlengingen"]["actual"] == 86 and doc.undo_stack


async def test_a_corrupt_journal_is_moved_aside_and_the_tree_opens(tmp_path: Path) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)
    bad = journal_path(sales, "1-abc")
    bad.parent.mkdir(parents=True)
    bad.write_text("changed = 5\norder = 5\n")
    app = make_app(sales)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert not isinstance(app.screen, ChoiceDialog)
        assert any("is unreadable" in n.message for n in app._notifications)
    assert bad.with_name(bad.name + ".corrupt").exists()


async def test_recovery_lists_each_session_with_its_time_and_edit_count(tmp_path: Path) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)
    for owner in ("A", "B"):
        doc = Document.open(sales)
        doc.set_fields("verlengingen", {"owner": owner})
        doc.set_fields("verlengingen", {"actual": 1})
        assert doc.write_journal() is None
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        question = app.screen.question
        assert "kept by 2 earlier session(s)" in question
        assert question.count(": 2 edit(s)") == 2
        await pilot.press("2")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and doc.dirty and doc.tables["verlengingen"]["actual"] == 1


async def test_saving_a_read_only_file_asks_first_and_keeps_its_mode(tmp_path: Path) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)
    sales.chmod(0o444)
    before = sales.read_text(encoding="utf-8")
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await record_86(pilot, app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and "is read-only" in app.screen.question
        await pilot.press("escape")
        await pilot.pause()
        assert sales.read_text(encoding="utf-8") == before
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        doc = app.main.document
        assert doc is not None and not doc.dirty
    assert sales.stat().st_mode & 0o777 == 0o444
    assert "actual = 86" in sales.read_text(encoding="utf-8")


async def test_notifications_escape_control_characters_and_are_not_markup(hostile: Path) -> None:
    app = make_app(hostile)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        app.main.notify("Deleted 'x\x1b]2;PWNED\x07 [b]bold[/b]'")
        await pilot.pause()
        last = list(app._notifications)[-1]
        assert last.message == "Deleted 'x\\x1b]2;PWNED\\x07 [b]bold[/b]'"
        assert last.markup is False


async def test_appending_rows_outside_the_trees_folder_asks_first(tmp_path: Path) -> None:
    folder = tmp_path / "trees"
    folder.mkdir()
    outside = tmp_path / "m.csv"
    outside.write_text("node,date,value\n")
    path = folder / "t.toml"
    path.write_text('[tree]\nmeasurements = "../m.csv"\n\n[nodes.k]\nname = "K"\ntarget = 5\n', encoding="utf-8")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await at(pilot, app, "k")
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one(Input).value = "3"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # the date: today
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and "is outside the tree's folder" in app.screen.question
        await pilot.press("escape")
        await pilot.pause()
        assert outside.read_text() == "node,date,value\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert outside.read_text().startswith("node,date,value\nk,")


class Recorded(Terminal):
    """kpitui in tmux, every byte it writes to the terminal kept (tmux `pipe-pane`) from its start."""

    def record(self, tree: Path, log: Path, size: tuple[int, int] = (200, 60)) -> None:
        self.tmux("kill-server", check=False)
        self.starts += 1
        self.socket = f"kpitui-safety-{id(self)}-{self.starts}"
        go = log.with_suffix(".go")
        command = f"{shlex.join([sys.executable, '-m', 'kpitui', str(tree)])}"
        # kpitui starts once the pipe is in place, so its first byte is kept too.
        wait = f"while [ ! -e {shlex.quote(str(go))} ]; do sleep 0.05; done; exec {command}"
        self.tmux("new", "-d", "-s", "t", "-x", str(size[0]), "-y", str(size[1]), wait)
        self.pid = int(self.tmux("list-panes", "-t", "t", "-F", "#{pane_pid}").strip())
        self.tmux("pipe-pane", "-t", "t", f"cat > {shlex.quote(str(log))}")
        go.touch()

    def keys(self, *keys: str, pause: float = 0.15) -> None:
        """Each key (a tmux key name, or text typed as it is) with a pause for the screen to follow."""
        for key in keys:
            self.tmux("send-keys", "-t", "t", key)
            # A lone escape is told from the start of a sequence by the pause after it: a key
            # read together with it would arrive as alt+key (a busy machine read "?" into a form).
            time.sleep(max(pause, 0.6) if key == "Escape" else pause)


@pytest.mark.skipif(TMUX is None, reason="needs tmux")
def test_no_control_character_from_the_file_reaches_the_terminal(tmp_path: Path) -> None:
    """Every screen on a tree whose every text holds escape sequences, C1 and bidi controls: the
    bytes kpitui writes to a real terminal hold none of them (only Textual's own CSI and OSC 22),
    and each screen shows them escaped."""
    tree = hostile_tree(tmp_path)
    log = tmp_path / "terminal.bytes"
    terminal = Recorded(tmp_path)
    screens: dict[str, str] = {}
    try:
        terminal.record(tree, log)
        terminal.wait_for("⇄")  # the header's counts: the tree is shown
        screens["main"] = terminal.screen()
        for _ in range(24):  # every node, each expanded
            terminal.keys("l", "j", pause=0.1)
        terminal.keys("g", "z")  # from the first node on, the details full width
        for _ in range(24):
            terminal.keys("End")  # a node's details to their end: forecast, findings, description
            forecasts = [line for line in terminal.screen().splitlines() if "Forecast 2026" in line]
            screens["forecast"] = screens.get("forecast", "") + "".join(forecasts)
            terminal.keys("j")
        terminal.keys("z", "g")
        terminal.keys("R")
        terminal.wait_for("Weekly review")
        screens["review"] = terminal.screen()
        terminal.keys("Escape", "f")
        terminal.wait_for("sorted by severity")
        terminal.keys(*["j"] * 12)
        screens["findings"] = terminal.screen()
        terminal.keys("Escape", "w")
        terminal.wait_for("WHAT-IF")
        terminal.keys("+", *["j", "+"] * 8)
        screens["whatif"] = terminal.screen()
        terminal.keys("Escape")
        terminal.wait_for("⇄")
        terminal.keys("g", "e")
        terminal.wait_for("tab: next field")
        terminal.keys("C-o")
        screens["form"] = terminal.screen()
        terminal.keys("Escape", "t")
        terminal.wait_for("Tree settings")
        screens["settings"] = terminal.screen()
        terminal.keys("Escape", "?")
        terminal.wait_for("Add sibling")
        screens["help"] = terminal.screen()
        terminal.keys("Escape", "s")
        terminal.wait_for("by changing")
        screens["seek"] = terminal.screen()
        terminal.keys("Enter")
        terminal.wait_for("must be")
        screens["seek answer"] = terminal.screen()
        terminal.keys("Escape", "/", "insta", "Enter")
        terminal.wait_for("because")
        screens["orphan"] = terminal.screen()
        terminal.keys("q")
        assert terminal.gone_within(10), terminal.screen()
    except AssertionError as error:  # a screen that never came: what was written until then first
        stopped: AssertionError | None = error
    else:
        stopped = None
    finally:
        terminal.close()
    output = log.read_bytes().decode("utf-8")
    assert leaks(output) == []
    if stopped is not None:
        raise stopped
    for name, screen in screens.items():  # each shows the controls escaped (a form says why it does)
        expected = "control characters shown as" if name in ("form", "settings") else SHOWN
        assert expected in screen, f"{name}:\n{screen}"


def test_the_line_filter_leaves_control_characters_out_and_keeps_the_width() -> None:
    line = [Segment("ok "), Segment("a\x1b]0;x\x07b\u202e", Style(bold=True)), Segment("\x9b\u2028")]
    kept = NO_CONTROL_CHARACTERS.apply(line, Color(0, 0, 0))
    assert kept == [Segment("ok "), Segment("a]0;xb", Style(bold=True))]
    assert sum(cell_len(s.text) for s in kept) == sum(cell_len(s.text) for s in line)
    plain = [Segment("Omzet — €1,2M ", Style(dim=True))]
    assert NO_CONTROL_CHARACTERS.apply(plain, Color(0, 0, 0)) is plain


def test_every_text_the_screens_build_shows_the_controls_escaped(tmp_path: Path) -> None:
    """The detail panel of every node (forecast, formula, moved, conflicts, findings), the tree's
    lines and the review, built from the hostile tree: escaped, not raw."""
    analysis = analyze(load_tree(hostile_tree(tmp_path)))
    texts = [t.plain for node_id in analysis.tree.nodes for t in describe(analysis, node_id)]
    texts += [node_label(analysis, node_id).plain for node_id in analysis.tree.nodes]
    texts += [line for line, _node in review_lines(review(analysis.tree, after=analysis))]
    shown = "\n".join(texts)
    assert "Forecast 2026-12-31: 796k EUR" + SHOWN in shown
    assert leaks(shown) == []


async def test_a_form_shows_control_characters_escaped_and_keeps_them_where_untouched(tmp_path: Path) -> None:
    app = make_app(hostile_tree(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await at(pilot, app, HOSTILE_ID)
        doc = app.main.document
        assert doc is not None
        before = dict(doc.tables[HOSTILE_ID])

        async def form() -> NodeForm:
            await pilot.press("e")
            await pilot.pause()
            assert isinstance(app.screen, NodeForm)
            return app.screen

        async def apply() -> None:
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert not isinstance(app.screen, NodeForm)

        shown = await form()
        name = shown.query_one("#field-name", Input).value
        assert name == editable(before["name"]) and SHOWN in name and leaks(name) == []
        assert shown.query_one("#field-id", Input).value == editable(HOSTILE_ID)
        assert "control characters shown as" in str(shown.query_one("#note-name", Static).render())
        await apply()  # nothing typed: every field, and the id, as the file has them
        assert app.main.current() == HOSTILE_ID and doc.tables[HOSTILE_ID] == before
        shown = await form()
        shown.query_one("#field-owner", Input).value = "Stagiair"  # the escapes deleted: the controls gone
        shown.query_one("#field-name", Input).value = name + "!"  # the escapes left: the controls kept
        await apply()
        assert doc.tables[HOSTILE_ID]["owner"] == "Stagiair"
        assert doc.tables[HOSTILE_ID]["name"] == before["name"] + "!"
        assert doc.tables[HOSTILE_ID]["description"] == before["description"]


async def test_the_settings_show_control_characters_escaped_and_keep_them_where_untouched(tmp_path: Path) -> None:
    app = make_app(hostile_tree(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        doc = app.main.document
        assert doc is not None
        before = dict(doc.settings)
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TreeSettingsScreen)
        title = screen.query_one("#setting-title", Input)
        assert title.value == editable(before["title"]) and leaks(title.value) == []
        assert leaks(screen.query_one("#setting-measurements", Input).value) == []
        title.value = title.value.replace("Bonenbar.nl", "Bonenbar")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, TreeSettingsScreen)
        assert doc.settings["title"] == before["title"].replace("Bonenbar.nl", "Bonenbar")
        assert doc.settings["measurements"] == before["measurements"]


async def test_a_line_dialog_gives_back_the_value_it_was_given_untouched(tmp_path: Path) -> None:
    sales = tmp_path / "sales.toml"
    shutil.copy(SAMPLES / "sales.toml", sales)
    app = make_app(sales)
    answers: list[str | None] = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        value = "sales" + CONTROLS + ".toml"
        app.push_screen(LineDialog("Write your version to:", value), answers.append)
        await pilot.pause()
        assert app.screen.query_one(Input).value == editable(value)
        await pilot.press("enter")
        await pilot.pause()
    assert answers == [value]
