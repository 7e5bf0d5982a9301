"""The journal under corruption, full disks and two sessions (issue 7 items 6-9)."""

from __future__ import annotations

import errno
import os
import textwrap
from pathlib import Path

import pytest

from kpitui.io import filesafe
from kpitui.io.journal import Found, journal_dir, journal_path, parse_journal, read_journals
from kpitui.services.document import Document

TREE = textwrap.dedent(
    """\
    [nodes.g]
    name = "Goal"
    kind = "goal"

    [nodes.k]
    name = "KPI"
    parent = "g"
    """
)
GOOD = 'file = "x"\nwritten = "2026-07-01T10:00:00"\norder = ["g", "k"]\n\n[changed.k]\nname = "KPI"\nactual = 5\n'
CORRUPT = {
    "changed is a number": 'order = ["g"]\nchanged = 5\n',
    "order is a number": "order = 5\nchanged = {}\n",
    "rows of numbers": 'order = ["g"]\nchanged = {}\nrows = [1]\n',
    "no order": "changed = {}\n",
    "no changed": 'order = ["g"]\n',
    "a node the schema refuses": 'order = ["k"]\n[changed.k]\nname = "K"\nkind = "goa"\n',
    "a node without a name": 'order = ["k"]\n[changed.k]\ntarget = 3\n',
    "a changed node not in order": 'order = ["g"]\n[changed.k]\nname = "K"\n',
    "deep nesting": 'order = ["g"]\nchanged = {}\nx = ' + "[" * 5000 + "]" * 5000 + "\n",
    "not TOML": "order = [\n",
    "not UTF-8": b"order = ['\xff']\n",
    "a row without a date": 'order = ["g"]\nchanged = {}\nrows = [{ node = "k", value = 1 }]\n',
    "a row with a text value": 'order = ["g"]\nchanged = {}\nrows = [{ node = "k", date = 2026-01-01, value = "x" }]\n',
    "written is a number": 'order = ["g"]\nchanged = {}\nwritten = 5\n',
    "deleted is text": 'order = ["g"]\nchanged = {}\ndeleted = "k"\n',
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    path = tmp_path / "tree.toml"
    path.write_text(TREE, encoding="utf-8")
    return path


def put_journal(tree: Path, session: str, content: str | bytes) -> Path:
    path = journal_path(tree, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_a_good_journal_parses() -> None:
    recovered = parse_journal(GOOD.encode())
    assert recovered.changed == {"k": {"name": "KPI", "actual": 5}}
    assert recovered.order == ["g", "k"]


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_a_corrupt_journal_is_moved_aside_and_reported(tree: Path, case: str) -> None:
    path = put_journal(tree, "1-abc", CORRUPT[case])
    found = read_journals(tree)
    assert found.journals == []
    assert len(found.problems) == 1
    assert found.problems[0].startswith("A journal of unsaved edits to tree.toml is unreadable (")
    assert not path.exists()
    assert path.with_name(path.name + ".corrupt").exists()
    assert f"it was moved to {path}.corrupt" in found.problems[0]


def test_an_empty_journal_is_never_offered(tree: Path) -> None:
    path = put_journal(tree, "1-abc", 'order = ["g", "k"]\nchanged = {}\nrows = []\n')
    assert read_journals(tree).journals == []
    assert not path.exists()


def test_recovery_never_removes_nodes_the_journal_did_not_delete(tree: Path) -> None:
    # An old-style journal listing only some nodes: the others are kept.
    put_journal(tree, "1-abc", 'order = ["k"]\n[changed.k]\nname = "KPI"\nparent = "g"\nactual = 9\n')
    doc = Document.open(tree)
    (journal,) = read_journals(tree, doc.session).journals
    doc.recover(journal)
    assert list(doc.tables) == ["k", "g"]
    assert doc.tables["k"]["actual"] == 9


def test_recovery_removes_the_nodes_the_journal_deleted(tree: Path) -> None:
    first = Document.open(tree)
    first.delete_node("k")
    assert first.write_journal() is None
    doc = Document.open(tree)
    (journal,) = read_journals(tree, doc.session).journals
    assert journal.deleted == ["k"] and journal.edits == 1
    doc.recover(journal)
    assert list(doc.tables) == ["g"]


def test_two_sessions_keep_two_journals_and_a_save_drops_only_its_own(tree: Path) -> None:
    a, b = Document.open(tree), Document.open(tree)
    a.set_fields("g", {"owner": "A"})
    a.write_journal()
    b.set_fields("k", {"owner": "B"})
    b.write_journal()
    assert journal_path(tree, a.session) != journal_path(tree, b.session)
    a.save()
    assert not journal_path(tree, a.session).exists()
    assert journal_path(tree, b.session).exists()
    fresh = Document.open(tree)
    (left,) = read_journals(tree, fresh.session).journals
    assert left.changed == {"k": {"name": "KPI", "parent": "g", "owner": "B"}}


def test_a_journal_of_a_running_session_is_not_offered(tree: Path) -> None:
    doc = Document.open(tree)
    doc.set_fields("g", {"owner": "A"})
    doc.write_journal()
    path = journal_path(tree, doc.session)
    running = os.getppid()  # a process that is alive: as if another TUI had it open
    path.write_text(path.read_text().replace(f"pid = {os.getpid()}", f"pid = {running}"))
    assert read_journals(tree).journals == []
    assert path.exists()


def test_several_journals_are_listed_oldest_first(tree: Path) -> None:
    put_journal(tree, "1-b", GOOD.replace("10:00", "12:00"))
    put_journal(tree, "1-a", GOOD)
    found = read_journals(tree)
    assert [j.written for j in found.journals] == ["2026-07-01T10:00:00", "2026-07-01T12:00:00"]


def test_a_journal_write_failure_is_reported_not_raised(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    doc = Document.open(tree)
    with monkeypatch.context() as patched:  # undone alone: the XDG folders stay the test's own
        patched.setattr("kpitui.io.journal.replace_file", full)
        doc.set_fields("k", {"actual": 1})
        assert doc.write_journal() == "edits not journaled: disk full"
        assert doc.journal_problem == "edits not journaled: disk full"
        assert doc.tables["k"]["actual"] == 1 and doc.undo_stack
    assert os.environ["XDG_STATE_HOME"].startswith(str(tree.parent))
    assert doc.write_journal() is None and doc.journal_problem is None


def test_a_journal_folder_that_cannot_be_made_is_reported(tree: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.mkdir(exist_ok=True)
    (blocker / "kpitui").write_text("a file where the folder should be")
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 1})
    problem = doc.write_journal()
    assert problem is not None and problem.startswith("edits not journaled: ")
    assert journal_dir().parent == blocker / "kpitui"


def test_journal_files_are_private(tree: Path) -> None:
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 1})
    doc.write_journal()
    assert os.stat(journal_path(tree, doc.session)).st_mode & 0o777 == 0o600
    assert not any(p.name.endswith(".lock") for p in journal_dir().iterdir())
    assert filesafe.TEMP_SUFFIX not in "".join(p.name for p in journal_dir().iterdir())


def big_tree(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "big.toml"
    lines = ['[nodes.g]\nname = "Goal"\nkind = "goal"\n']
    lines += [f'[nodes.k{i}]\nname = "KPI {i}"\nparent = "g"\ntarget = 10\n' for i in range(n)]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_the_journal_records_each_change_not_the_tree(tmp_path: Path) -> None:
    path = big_tree(tmp_path, 2000)
    doc = Document.open(path)
    doc.set_fields("k5", {"actual": 1})
    assert doc.write_journal() is None
    size = journal_path(path, doc.session).stat().st_size
    doc.set_fields("k7", {"actual": 2})
    assert doc.write_journal() is None
    text = journal_path(path, doc.session).read_text()
    assert text.count("[[edit]]") == 2
    assert "k1999" not in text and "KPI 9" not in text  # no other node, no list of every id
    assert len(text) - size < 300  # the second record holds one node
    fresh = Document.open(path)
    (journal,) = read_journals(path, fresh.session).journals
    assert journal.edits == 2 and set(journal.changed) == {"k5", "k7"}
    fresh.recover(journal)
    assert fresh.tables == doc.tables and list(fresh.tables) == list(doc.tables)


def test_undo_redo_adds_and_deletes_are_journaled_and_recovered_in_place(tree: Path) -> None:
    doc = Document.open(tree)
    doc.add_node({"name": "New", "parent": "g"}, "n", after="g")
    doc.write_journal()
    doc.delete_node("k")
    doc.write_journal()
    doc.undo()  # k comes back where it was
    doc.write_journal()
    doc.replace("n", {"name": "Renamed", "parent": "g"}, "m")
    doc.write_journal()
    fresh = Document.open(tree)
    (journal,) = read_journals(tree, fresh.session).journals
    fresh.recover(journal)
    assert list(fresh.tables) == list(doc.tables) == ["g", "m", "k"]
    assert fresh.tables == doc.tables


def test_a_record_cut_short_by_a_crash_is_left_out(tree: Path) -> None:
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 1})
    doc.write_journal()
    doc.set_fields("k", {"actual": 2})
    doc.write_journal()
    path = journal_path(tree, doc.session)
    with path.open("ab") as out:
        out.write(b'\n[[edit]]\nwritten = "2026-07-01T10:00:00"\n[edit.set.k]\nname = "KP')
    recovered = parse_journal(path.read_bytes())
    assert recovered.changed["k"]["actual"] == 2 and recovered.edits == 2


def test_a_record_with_a_node_the_schema_refuses_makes_the_journal_corrupt(tree: Path) -> None:
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 1})
    doc.write_journal()
    path = journal_path(tree, doc.session)
    with path.open("ab") as out:
        out.write(b'\n[[edit]]\nwritten = "x"\nedits = 2\n[edit.set.k]\nname = "K"\nkind = "goa"\n# end of edit\n')
    found = read_journals(tree)
    assert found.journals == [] and "is not valid" in found.problems[0]


def test_a_journal_that_is_not_a_regular_file_is_reported_never_read(tree: Path) -> None:
    import threading

    # A FIFO named like a journal waited for a writer (the TUI hung on loading), a link to
    # /dev/zero was read without end. Both are reported and left alone; a good journal
    # beside them is still offered.
    fifo, zero = journal_path(tree, "1-fifo"), journal_path(tree, "2-zero")
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    zero.symlink_to("/dev/zero")
    put_journal(tree, "3-good", GOOD)
    found: list[Found] = []
    reader = threading.Thread(target=lambda: found.append(read_journals(tree)), daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():
        zero.unlink()  # never read next
        with open(fifo, "wb"):  # let the reader go
            pass
        pytest.fail("reading the journals waited on a FIFO")
    result = found[0]
    assert [j.path.name for j in result.journals if j.path] == [journal_path(tree, "3-good").name]
    assert len(result.problems) == 2
    for problem, path in zip(result.problems, (fifo, zero), strict=True):
        assert problem == (
            f"A journal of unsaved edits to tree.toml is not a regular file (a FIFO or a device) "
            f"and was not read: remove {path}."
        )
    assert fifo.exists() and zero.is_symlink()
