"""The save path under concurrency, faults and unusual files (docs/contract.md#saving, issue 7 items 1, 2, 4, 5)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from kpitui.cli import main
from kpitui.io import filesafe
from kpitui.io.saving import ExternalChange, ReadOnly, SaveError
from kpitui.model.domain import TreeLoadError
from kpitui.services.document import Document

TREE = textwrap.dedent(
    """\
    # kept
    [nodes.g]
    name = "Goal"
    kind = "goal"

    [nodes.k]
    name = "KPI"
    parent = "g"
    target = 10
    """
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    path = tmp_path / "tree.toml"
    path.write_text(TREE, encoding="utf-8")
    return path


@pytest.fixture
def umask022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".kpitui-tmp"))


# ── item 1: saves take turns ─────────────────────────────────────────


def test_fifty_racing_set_processes_all_land(tmp_path: Path) -> None:
    path = tmp_path / "race.toml"
    ids = [f"n{i}" for i in range(50)]
    path.write_text("".join(f'[nodes.{i}]\nname = "{i}"\n\n' for i in ids), encoding="utf-8")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "kpitui", "set", str(path), node, f"actual={n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n, node in enumerate(ids)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 50, [r[1] for r in results]
    doc = Document.open(path)
    assert {node: doc.tables[node].get("actual") for node in ids} == {node: n for n, node in enumerate(ids)}


def test_a_lock_is_held_during_set_and_re_entrant(tree: Path) -> None:
    with filesafe.locked(tree), filesafe.locked(tree):  # re-entrant within one process
        assert filesafe.lock_path(tree).exists()
        code = subprocess.run(
            [sys.executable, "-c", LOCK_PROBE, str(filesafe.lock_path(tree))], capture_output=True, text=True
        )
        assert code.stdout.strip() == "busy"
    free = subprocess.run([sys.executable, "-c", LOCK_PROBE, str(filesafe.lock_path(tree))], capture_output=True)
    assert free.stdout.strip() == b"free"


LOCK_PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("free")
except BlockingIOError:
    print("busy")
"""


def test_the_lock_file_is_beside_the_real_file_of_a_symlink(tmp_path: Path, tree: Path) -> None:
    link = tmp_path / "link.toml"
    link.symlink_to(tree)
    assert filesafe.lock_path(link) == filesafe.lock_path(tree) == tmp_path / ".tree.toml.lock"


# ── item 2: a write by another program during the save ─────────────────


def test_a_write_between_temp_file_and_rename_refuses_the_save(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 5})
    (tree.parent / "tree.toml~").write_text("old backup\n")
    theirs = TREE + '\n[nodes.vim]\nname = "from vim"\n'

    def other_program(paths: Sequence[Path]) -> None:
        script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])"
        subprocess.run([sys.executable, "-c", script, str(tree), theirs], check=True)

    monkeypatch.setattr(filesafe, "_before_rename", other_program)
    with pytest.raises(ExternalChange, match="changed on disk while it was being saved"):
        doc.save()
    assert tree.read_text() == theirs
    assert (tree.parent / "tree.toml~").read_text() == "old backup\n"
    assert temps(tree.parent) == []
    assert doc.dirty  # the edit is still there, to save elsewhere


def test_a_write_replacing_the_file_by_rename_is_noticed_too(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 5})

    def vim_style(paths: Sequence[Path]) -> None:
        other = tree.with_name("vim.swp")
        other.write_text(TREE.replace("KPI", "KPJ"))
        os.replace(other, tree)

    monkeypatch.setattr(filesafe, "_before_rename", vim_style)
    with pytest.raises(ExternalChange):
        doc.save()
    assert "KPJ" in tree.read_text()


def test_touching_the_file_without_changing_it_does_not_refuse(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 5})
    monkeypatch.setattr(filesafe, "_before_rename", lambda paths: os.utime(tree, (1, 1)))
    doc.save()
    assert "actual = 5" in tree.read_text()


# ── item 4: links, owners, modes, read-only ──────────────────────────


def test_a_symlinked_tree_is_saved_through_the_link(tmp_path: Path, tree: Path) -> None:
    elsewhere = tmp_path / "dotfiles"
    elsewhere.mkdir()
    real = elsewhere / "tree.toml"
    tree.rename(real)
    link = tmp_path / "tree.toml"
    link.symlink_to(real)
    doc = Document.open(link)
    doc.set_fields("k", {"actual": 7})
    doc.save()
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert "actual = 7" in real.read_text()
    assert (elsewhere / "tree.toml~").read_text() == TREE


def test_hard_links_stay_linked(tmp_path: Path, tree: Path) -> None:
    other = tmp_path / "other-name.toml"
    os.link(tree, other)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 8})
    doc.save()
    assert os.stat(tree).st_ino == os.stat(other).st_ino
    assert "actual = 8" in other.read_text()
    assert (tmp_path / "tree.toml~").read_text() == TREE


def test_the_backup_is_the_old_file_itself_not_a_copy(tree: Path) -> None:
    # Saving a big tree wrote and synced its old contents a second time; the old inode
    # gets the name FILE~ instead, and the new contents a new inode.
    inode = os.stat(tree).st_ino
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 4})
    doc.save()
    backup = tree.with_name("tree.toml~")
    assert os.stat(backup).st_ino == inode
    assert os.stat(backup).st_nlink == 1
    assert os.stat(tree).st_ino != inode
    assert backup.read_text() == TREE
    assert "actual = 4" in tree.read_text()
    assert temps(tree.parent) == []


def test_a_file_written_in_place_gets_a_copy_as_its_backup(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Written in place, the old inode takes the new contents: its backup must be a copy.
    monkeypatch.setattr(filesafe, "_owned_alike", lambda path, st: False)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 5})
    doc.save()
    backup = tree.with_name("tree.toml~")
    assert os.stat(backup).st_ino != os.stat(tree).st_ino
    assert backup.read_text() == TREE


def test_without_hard_links_the_backup_is_copied(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "hard links not supported here")

    monkeypatch.setattr(filesafe.os, "link", no_links)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 6})
    doc.save()
    assert tree.with_name("tree.toml~").read_text() == TREE
    assert "actual = 6" in tree.read_text()
    assert temps(tree.parent) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_file_of_another_user_keeps_its_owner_and_mode(tree: Path) -> None:
    os.chown(tree, 65534, 65534)  # nobody
    os.chmod(tree, 0o640)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 9})
    doc.save()
    st = os.stat(tree)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (65534, 65534, 0o640)
    backup = os.stat(tree.with_name("tree.toml~"))
    assert (backup.st_uid, backup.st_gid, backup.st_mode & 0o7777) == (65534, 65534, 0o640)


def test_an_owner_that_cannot_be_set_is_kept_by_writing_in_place(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inode = os.stat(tree).st_ino
    monkeypatch.setattr(filesafe, "_owned_alike", lambda path, st: False)  # as a non-root user would find
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 3})
    doc.save()
    assert os.stat(tree).st_ino == inode
    assert "actual = 3" in tree.read_text()
    assert temps(tree.parent) == []


def test_a_read_only_file_is_refused_unless_forced(tree: Path) -> None:
    os.chmod(tree, 0o444)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 4})
    with pytest.raises(ReadOnly, match="is read-only; save with --force"):
        doc.save()
    assert tree.read_text() == TREE
    assert not tree.with_name("tree.toml~").exists()
    doc.save(read_only_ok=True)
    assert "actual = 4" in tree.read_text()
    assert os.stat(tree).st_mode & 0o7777 == 0o444


def test_set_refuses_a_read_only_file_with_exit_2_and_force_writes_it(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.chmod(tree, 0o444)
    assert main(["set", str(tree), "k", "actual=1"]) == 2
    assert "is read-only; save with --force" in capsys.readouterr().err
    assert tree.read_text() == TREE
    assert main(["set", str(tree), "k", "actual=1", "--force"]) == 0
    assert "actual = 1" in tree.read_text()


# ── item 5: faults ───────────────────────────────────────────────────


def test_a_full_disk_fails_cleanly(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree.with_name("tree.toml~").write_text("backup\n")
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 4})
    with pytest.raises(SaveError, match="disk full; the file and its backup are as they were"):
        doc.save()
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert tree.read_text() == TREE
    assert tree.with_name("tree.toml~").read_text() == "backup\n"
    assert temps(tree.parent) == []
    assert doc.dirty


def test_set_on_a_full_disk_exits_2_without_traceback(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert main(["set", str(tree), "k", "actual=1"]) == 2
    err = capsys.readouterr().err
    assert "disk full" in err
    assert "Traceback" not in err
    assert tree.read_text() == TREE


def test_a_folder_that_cannot_be_written_fails_cleanly(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def refuse(path: str | os.PathLike[str], flags: int, mode: int = 0o777, **kw: object) -> int:
        if str(path).endswith(".kpitui-tmp"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", refuse)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 4})
    with pytest.raises(SaveError, match="permission denied"):
        doc.save()
    assert tree.read_text() == TREE


def test_stale_temp_files_of_killed_saves_are_removed(tree: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tree.with_name(f".tree.toml.{dead.pid}.0a1b2c3d.kpitui-tmp")
    stale_backup = tree.with_name(f".tree.toml~.{dead.pid}.0a1b2c3d.kpitui-tmp")
    live = tree.with_name(f".tree.toml.{os.getppid()}.0a1b2c3d.kpitui-tmp")  # a running process
    unrelated = tree.with_name(f".other.toml.{dead.pid}.0a1b2c3d.kpitui-tmp")
    for path in (stale, stale_backup, live, unrelated):
        path.write_bytes(b"x" * 100)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 4})
    doc.save()
    assert temps(tree.parent) == sorted([live.name, unrelated.name])


def test_a_killed_save_leaves_at_most_a_temp_file_named_after_its_pid(tree: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from kpitui.io import filesafe
        from kpitui.services.document import Document
        filesafe._before_rename = lambda paths: os.kill(os.getpid(), signal.SIGKILL)
        doc = Document.open(Path({str(tree)!r}))
        doc.set_fields("k", {{"actual": 4}})
        doc.save()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    assert proc.wait() == -9
    assert tree.read_text() == TREE
    left = temps(tree.parent)
    assert left
    assert all(name.startswith((f".tree.toml.{proc.pid}.", f".tree.toml~.{proc.pid}.")) for name in left)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 5})
    doc.save()
    assert temps(tree.parent) == []


# ── issue 8 item 12: new files follow the umask ──────────────────────


@pytest.mark.usefixtures("umask022")
def test_a_new_tree_and_another_file_follow_the_umask(tmp_path: Path, tree: Path) -> None:
    fresh = tmp_path / "new.toml"
    doc = Document.open(fresh)
    doc.add_node({"name": "A"})
    doc.save()
    assert os.stat(fresh).st_mode & 0o777 == 0o644
    os.umask(0o027)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 1})
    doc.save(to=tmp_path / "mine.toml")
    assert os.stat(tmp_path / "mine.toml").st_mode & 0o777 == 0o640


@pytest.mark.usefixtures("umask022")
def test_an_existing_file_and_its_backup_keep_the_files_mode(tree: Path) -> None:
    os.chmod(tree, 0o664)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 1})
    doc.save()
    assert os.stat(tree).st_mode & 0o777 == 0o664
    assert os.stat(tree.with_name("tree.toml~")).st_mode & 0o777 == 0o664


def test_a_write_to_the_old_file_right_after_the_last_check_is_given_back(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree.parent / "tree.toml~").write_text("old backup\n")
    real_recheck = filesafe._recheck

    def then_append(plan: filesafe._Plan) -> None:
        real_recheck(plan)
        with open(tree, "a") as f:  # a script appending in the last instant before the rename
            f.write("# appended\n")

    monkeypatch.setattr(filesafe, "_recheck", then_append)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 5})
    with pytest.raises(ExternalChange, match="their version is kept"):
        doc.save()
    assert tree.read_text() == TREE + "# appended\n"
    assert (tree.parent / "tree.toml~").read_text() == "old backup\n"
    assert temps(tree.parent) == []


def test_set_applies_its_change_again_when_another_program_wrote_meanwhile(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[int] = []

    def editor_writes_once(paths: Sequence[Path]) -> None:
        if not calls:
            with open(tree, "a") as f:
                f.write("# from the editor\n")
        calls.append(1)

    monkeypatch.setattr(filesafe, "_before_rename", editor_writes_once)
    assert main(["set", str(tree), "k", "actual=3"]) == 0
    text = tree.read_text()
    assert "# from the editor\n" in text and "actual = 3" in text
    assert len(calls) == 2


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, where the OS lets this process mount one (root in CI); else skipped."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the simulated ENOSPC tests cover this")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_really_full_disk_exits_2_and_changes_nothing(tiny_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny_disk / "t.toml"
    path.write_text("".join(f'[nodes.n{i}]\nname = "n{i}"\n\n' for i in range(700)), encoding="utf-8")
    before = path.read_bytes()
    assert main(["set", str(path), "n1", "description=" + "x" * 60000]) == 2
    assert "disk full; the file and its backup are as they were" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert not path.with_name("t.toml~").exists()
    assert temps(tiny_disk) == []
    # A smaller change still fits: the backup is the old file under a new name (no copy of
    # it is written), so the save needs room for the new contents only (it failed with a copy).
    assert main(["set", str(path), "n1", "description=" + "x" * 20000]) == 0
    assert path.with_name("t.toml~").read_bytes() == before


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_process_that_ended_but_was_not_reaped_is_not_running() -> None:
    """A hung-up kpitui whose parent (tmux) is gone can stay a zombie for a while: its journal
    must be offered back, not skipped as belonging to a TUI still open."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):
            stat = Path(f"/proc/{child.pid}/stat").read_text()
            if stat.rpartition(")")[2].split()[0] == "Z":
                break
            time.sleep(0.02)
        else:
            pytest.fail("the child never ended")
        assert not filesafe.process_alive(child.pid)
    finally:
        child.wait()
    assert filesafe.process_alive(os.getpid())


# ── an in-place write killed half-way ──────────────────────────────────

LONG = TREE.replace('name = "KPI"', 'name = "KPI"\ndescription = "' + "x" * 400 + '"')


def edited_elsewhere(tmp_path: Path, text: str, fields: dict[str, object]) -> bytes:
    """The bytes a save of this edit writes (made on a copy in a folder of its own)."""
    folder = tmp_path / "reference"
    folder.mkdir()
    copy = folder / "tree.toml"
    copy.write_text(text, encoding="utf-8")
    doc = Document.open(copy)
    doc.set_fields("k", fields)
    doc.save()
    return copy.read_bytes()


def kill_in_place(tree: Path, step: str, fields: dict[str, object]) -> int:
    """Save an edit in a process killed at `step` of its in-place write; returns its pid."""
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from kpitui.io import filesafe
        from kpitui.services.document import Document
        doc = Document.open(Path({str(tree)!r}))
        doc.set_fields("k", {fields!r})
        def die(*args):
            os.kill(os.getpid(), signal.SIGKILL)
        if {step!r} == "before-write":
            filesafe._writing_in_place = die
        else:
            setattr(os, {step!r}, die)
        doc.save()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    assert proc.wait() == -9
    return proc.pid


def test_a_save_killed_between_writing_in_place_and_truncating_leaves_a_whole_copy(
    tmp_path: Path, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree.write_text(LONG, encoding="utf-8")
    os.link(tree, tmp_path / "other-name.toml")  # written in place, to keep the link
    new = edited_elsewhere(tmp_path, LONG, {"description": "short"})
    kill_in_place(tree, "ftruncate", {"description": "short"})
    torn = tree.read_bytes()
    assert torn.startswith(new) and torn != new  # the new bytes, then the old file's tail
    recovery = tmp_path / ".tree.toml.kpitui-inplace"
    assert recovery.read_bytes() == new
    assert os.stat(recovery).st_mode & 0o7777 == os.stat(tree).st_mode & 0o7777
    # Opening says so, with the copy's path, instead of reading the torn file.
    with pytest.raises(TreeLoadError, match="may be torn") as info:
        Document.open(tree)
    assert str(recovery) in str(info.value)
    # So does the next save; its clean-up of killed saves' temporary files leaves the copy.
    with pytest.raises(SaveError, match="may be torn"):
        filesafe.write_atomic(tree, b"# mine\n")
    assert main(["set", str(tree), "k", "actual=1"]) == 2
    assert str(recovery) in capsys.readouterr().err
    filesafe.remove_stale_temps(tree)
    assert recovery.read_bytes() == new
    assert tree.read_bytes() == torn
    # Moved over the file as the message says, the tree is whole again and saves.
    os.replace(recovery, tree)
    doc = Document.open(tree)
    assert doc.tables["k"]["description"] == "short"
    doc.set_fields("k", {"actual": 2})
    doc.save()
    assert not recovery.exists()


def test_a_save_killed_before_its_in_place_write_leaves_the_file_and_the_copy_whole(tmp_path: Path, tree: Path) -> None:
    os.link(tree, tmp_path / "other-name.toml")
    new = edited_elsewhere(tmp_path, TREE, {"actual": 5})
    kill_in_place(tree, "before-write", {"actual": 5})
    assert tree.read_text() == TREE
    assert (tmp_path / ".tree.toml.kpitui-inplace").read_bytes() == new
    with pytest.raises(SaveError, match="may be torn"):
        filesafe.write_atomic(tree, b"# mine\n")
    assert tree.read_text() == TREE


def test_a_copy_the_file_already_matches_is_removed_by_the_next_save(tmp_path: Path, tree: Path) -> None:
    # Killed after the in-place write was on disk, before its copy was removed: nothing is lost.
    (tmp_path / ".tree.toml.kpitui-inplace").write_text(TREE)
    assert Document.open(tree).tables["k"]["target"] == 10
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 6})
    doc.save()
    assert not (tmp_path / ".tree.toml.kpitui-inplace").exists()


def test_an_in_place_write_that_fails_puts_the_old_contents_back_and_removes_its_copy(
    tmp_path: Path, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.link(tree, tmp_path / "other-name.toml")
    real_ftruncate = os.ftruncate
    calls: list[int] = []

    def full_once(fd: int, length: int) -> None:
        calls.append(length)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_ftruncate(fd, length)

    monkeypatch.setattr(os, "ftruncate", full_once)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 5})
    with pytest.raises(SaveError, match="disk full"):
        doc.save()
    assert tree.read_text() == TREE
    assert not (tmp_path / ".tree.toml.kpitui-inplace").exists()
    assert temps(tree.parent) == []
    monkeypatch.setattr(os, "ftruncate", real_ftruncate)
    doc.save()
    assert "actual = 5" in (tmp_path / "other-name.toml").read_text()
    assert not (tmp_path / ".tree.toml.kpitui-inplace").exists()


# ── modes, extended attributes, ACLs and owners of what a save makes ──


@pytest.mark.usefixtures("umask022")
@pytest.mark.parametrize("how", ["rename", "in place", "no hard links"])
def test_a_private_trees_lock_backup_and_copies_stay_private(
    tmp_path: Path, tree: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.chmod(tree, 0o600)
    if how == "in place":
        os.link(tree, tmp_path / "other-name.toml")
    elif how == "no hard links":
        monkeypatch.setattr(filesafe.os, "link", no_links)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 1})
    doc.save()
    for name in ("tree.toml", "tree.toml~", ".tree.toml.lock"):
        assert os.stat(tmp_path / name).st_mode & 0o777 == 0o600, name
    # Another file made as a copy of it (save to another file) and that file's lock.
    filesafe.commit([filesafe.Write(tmp_path / "mine.toml", tree.read_bytes(), like=tree)])
    for name in ("mine.toml", ".mine.toml.lock"):
        assert os.stat(tmp_path / name).st_mode & 0o777 == 0o600, name


@pytest.mark.usefixtures("umask022")
def test_a_lock_file_made_before_its_tree_was_narrowed_is_narrowed_too(tree: Path) -> None:
    lock = filesafe.lock_path(tree)
    lock.touch(mode=0o644)
    os.chmod(tree, 0o600)
    filesafe.write_atomic(tree, b"# x\n")
    assert os.stat(lock).st_mode & 0o777 == 0o600


def no_links(*args: object, **kwargs: object) -> None:
    raise OSError(errno.EPERM, "hard links not supported here")


def set_user_xattr(path: Path) -> None:
    try:
        os.setxattr(path, "user.kpitui-test", b"keep me")
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
            pytest.skip(f"this file system does not keep user.* extended attributes ({exc.strerror})")
        raise


def set_acl(path: Path) -> str:
    """Give a file an ACL entry for a user who is not its owner; returns the entry as getfacl shows it."""
    if shutil.which("setfacl") is None or shutil.which("getfacl") is None:
        pytest.skip("setfacl/getfacl are not installed (package acl)")
    made = subprocess.run(["setfacl", "-m", "u:65534:rw", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"this file system does not keep POSIX ACLs: {made.stderr.strip()}")
    return "user:65534:rw-"


def acl_of(path: Path) -> str:
    return subprocess.run(["getfacl", "-cpn", str(path)], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("how", ["rename", "in place", "no hard links"])
def test_a_save_keeps_extended_attributes_and_acls_on_the_file_and_its_backup(
    tmp_path: Path, tree: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_user_xattr(tree)
    entry = set_acl(tree)
    if how == "in place":
        os.link(tree, tmp_path / "other-name.toml")
    elif how == "no hard links":
        monkeypatch.setattr(filesafe.os, "link", no_links)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 2})
    doc.save()
    assert doc.notes == []
    for path in (tree, tmp_path / "tree.toml~"):
        assert os.getxattr(path, "user.kpitui-test") == b"keep me", path
        assert entry in acl_of(path), path
    filesafe.commit([filesafe.Write(tmp_path / "mine.toml", tree.read_bytes(), like=tree)])
    assert os.getxattr(tmp_path / "mine.toml", "user.kpitui-test") == b"keep me"
    assert entry in acl_of(tmp_path / "mine.toml")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
@pytest.mark.parametrize("how", ["rename", "in place", "no hard links"])
def test_the_backup_keeps_the_files_owner(
    tmp_path: Path, tree: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.chown(tree, 65534, 65534)
    if how == "in place":
        os.link(tree, tmp_path / "other-name.toml")
    elif how == "no hard links":
        monkeypatch.setattr(filesafe.os, "link", no_links)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 3})
    doc.save()
    for name in ("tree.toml", "tree.toml~"):
        st = os.stat(tmp_path / name)
        assert (st.st_uid, st.st_gid) == (65534, 65534), name


def test_attributes_the_file_system_refuses_are_left_out_and_the_save_goes_on(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filesafe.os, "listxattr", lambda source: ["trusted.mine"])
    monkeypatch.setattr(filesafe.os, "getxattr", lambda source, name: b"x")

    def refuse(*args: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(filesafe.os, "setxattr", refuse)
    doc = Document.open(tree)
    doc.set_fields("k", {"actual": 4})
    doc.save()
    assert "actual = 4" in tree.read_text()
    assert doc.notes == [f"{tree}: its extended attributes trusted.mine could not be kept"]
