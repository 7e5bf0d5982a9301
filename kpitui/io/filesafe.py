"""Writing files without losing a byte (docs/contract.md#saving): locks, atomic replace, owners, faults.

Every save of a tree (and of its measurements file) goes through `commit`:

1. Saves of one file take turns: an exclusive `flock` on a lock file beside the real
   file (`.NAME.lock`), never on the file itself — a rename gives the file a new
   inode, so a lock on the old inode would not exclude a process that opened the new one.
2. Under the lock the file is read again and compared with what the caller loaded
   (`Write.expected`); a difference refuses the save (`ExternalChange`).
3. The new contents and the backup `FILE~` are written to temporary files beside the
   real file (symbolic links are followed, so the link stays and its target changes),
   fsynced, given the old file's mode, owner, group and extended attributes (POSIX ACLs
   among them). A new file made as a copy of another (`Write.like`: "save to another
   file") takes that file's mode, never more open than the umask allows, and its
   extended attributes.
4. Immediately before the renames the file's identity (inode, size, times) is checked
   again; a change in that last moment refuses the save too.
5. A file with several hard links, or whose owner a rename could not keep, is
   overwritten in place after its backup is safe (space reserved first, so a full disk
   fails before a byte changes). Writing in place is not atomic, so the whole new
   contents are first kept, fsynced, as `.NAME.kpitui-inplace` beside the file, and that
   copy is removed only once the file is written, truncated and fsynced: killed at any
   instant, one whole version is on disk (the file before the write starts, the copy
   until it is removed). A copy left by a killed save that differs from the file stops
   the next open and save with its path (`interrupted_write`); it is never removed
   unless the file holds the same bytes.

A failure at any step removes the temporary files and leaves the file and its backup
as they were; the message says why. Temporary files of earlier saves that were killed
(their name holds the pid, which is no longer running) are removed by the next save.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kpitui.model.domain import SaveError as SaveError  # raised here; defined with the load errors

LOCK_WAIT = 120.0  # seconds a save waits for another kpitui saving the same file
TEMP_SUFFIX = ".kpitui-tmp"
INPLACE_SUFFIX = ".kpitui-inplace"  # the whole new contents while a file is written in place
# Extended attributes that cannot be copied for these reasons are left out, the save goes on:
# a file system without them, or one (trusted.*, security.*) only a privileged process may set.
_XATTR_SKIP = frozenset({errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM, errno.EACCES, errno.ENODATA})


class ExternalChange(SaveError):
    """The file changed on disk since it was loaded."""


class ReadOnly(SaveError):
    """The file is read-only; saving it needs `force`."""


class OutsideFolder(SaveError):
    """The measurements file lies outside the tree's folder; appending needs consent."""


def digest(data: bytes) -> str:
    """A fingerprint of file contents, to notice changes by others."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class Write:
    """One file to write in a commit.

    `check`: refuse when the file's contents are no longer `expected` (None: the file must
    not exist). `backup`: keep the previous contents as `FILE~`.
    `transform`: make the contents from the file's current ones, read under the lock
    (appending rows); the file must not change after that read.
    `like`: the file this one is a copy of ("save to another file"): a file the save
    creates takes its mode (never more open than the umask allows) and extended attributes.
    `confine`: the folder the file's bytes must stay in: a file whose real path is outside
    it, or that has other names (hard links) which may be, is refused (`OutsideFolder`).
    """

    path: Path
    data: bytes
    check: bool = False
    expected: bytes | None = None
    backup: bool = True
    transform: Callable[[bytes | None], bytes] | None = None
    like: Path | None = None
    confine: Path | None = None


def real_path(path: Path) -> Path:
    """The file a path names once symbolic links are followed (the link itself stays)."""
    return Path(os.path.realpath(path))


def lock_path(path: Path) -> Path:
    """The lock file of a file: beside the real file, hidden, `.NAME.lock`."""
    real = real_path(path)
    return real.with_name(f".{real.name}.lock")


def inplace_path(path: Path) -> Path:
    """Where the whole new contents of a file written in place are kept until the write is
    on disk: beside the real file, hidden, `.NAME.kpitui-inplace`."""
    real = real_path(path)
    return real.with_name(f".{real.name}{INPLACE_SUFFIX}")


def interrupted_write(path: Path, current: bytes | None = None, *, busy_ok: bool = True) -> str | None:
    """Why a file cannot be trusted after a save writing it in place was killed, or None
    (a sentence to follow the file's name).

    A save writing in place keeps the whole new contents as `.NAME.kpitui-inplace` until
    the file is written, truncated and fsynced. Found later and different from the file,
    the file may be torn (part new, part old). `current`: the file's bytes, when read
    already. `busy_ok`: no problem while another process holds the file's save lock (its
    save is under way and will remove the copy itself).
    """
    recovery = inplace_path(path)
    whole: bytes | None = None
    reason = ""
    try:
        whole = recovery.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = _why(exc)
    if busy_ok and _save_under_way(path):
        return None
    if whole is None:
        return (
            f"may be torn: a save writing it in place was stopped before it finished, and the copy it "
            f"left, {recovery}, cannot be read ({reason}); check the file, then remove that copy"
        )
    if current is None:
        try:
            current = real_path(path).read_bytes()
        except FileNotFoundError:
            current = None
    if current == whole:
        return None
    return (
        f"may be torn: a save writing it in place was stopped before it finished; the whole version "
        f"it was writing is kept as {recovery}. If that is the version you want, move it over the "
        f"file (mv {str(recovery)!r} {str(real_path(path))!r}); if the file is right, delete the copy"
    )


def _save_under_way(path: Path) -> bool:
    """Whether another process, or another thread of this one, holds the file's save lock now
    (this thread holding it, as `kpitui set` does while it loads, saves nothing meanwhile)."""
    lock = lock_path(path)
    entry = _held.get(lock)
    if entry is not None and entry.count > 0:
        return entry.owner != threading.get_ident()
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


# ── locks ──────────────────────────────────────────────────────────────


class _Held:
    def __init__(self) -> None:
        self.mutex = threading.RLock()  # threads of this process take turns too
        self.fd = -1
        self.count = 0
        self.owner: int | None = None  # the thread holding the lock


_held: dict[Path, _Held] = {}
_held_guard = threading.Lock()


@contextlib.contextmanager
def locked(*paths: Path, wait: float = LOCK_WAIT, likes: Mapping[Path, Path] | None = None) -> Iterator[None]:
    """Hold the save locks of some files (re-entrant within a process).

    A lock file is no more open than its file (a 0600 tree's lock is 0600 whatever the
    umask); for a file not made yet, than the file in `likes` it will be a copy of.

    Raises:
        SaveError: the lock file cannot be made, or another process held it too long.
    """
    modes = {lock_path(p): likes.get(p) if likes else None for p in paths}
    with contextlib.ExitStack() as stack:
        for lock in sorted(modes):
            stack.enter_context(_hold(lock, wait, modes[lock]))
        yield


@contextlib.contextmanager
def _hold(lock: Path, wait: float, like: Path | None = None) -> Iterator[None]:
    with _held_guard:
        entry = _held.setdefault(lock, _Held())
    with entry.mutex:
        if entry.count == 0:
            entry.fd = _acquire(lock, wait, like)
            entry.owner = threading.get_ident()
        entry.count += 1
        try:
            yield
        finally:
            entry.count -= 1
            if entry.count == 0:
                os.close(entry.fd)  # releases the flock
                entry.fd = -1
                entry.owner = None


def _acquire(lock: Path, wait: float, like: Path | None = None) -> int:
    target = lock.name[1 : -len(".lock")]
    mode = _lock_mode(lock.parent / target, like)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode)
    except PermissionError:
        try:
            fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise SaveError(f"not saved: cannot make the lock file {lock}: {_why(exc)}") from None
    except OSError as exc:
        raise SaveError(f"not saved: cannot make the lock file {lock}: {_why(exc)}") from None
    _narrow(fd, mode)
    deadline = time.monotonic() + wait
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise SaveError(
                    f"not saved: another process has been saving {lock.parent / target} for "
                    f"{wait:.0f} s (lock {lock}); try again"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        except OSError as exc:
            os.close(fd)
            raise SaveError(f"not saved: cannot lock {lock}: {_why(exc)}") from None


def _lock_mode(target: Path, like: Path | None = None) -> int:
    """A lock file's mode: its file's read and write bits (a 0600 tree's lock is 0600 whatever
    the umask); for a file not made yet, those of the file it will be a copy of, or the umask's."""
    for source in (target, like):
        if source is not None:
            with contextlib.suppress(OSError):
                return os.stat(source).st_mode & 0o666 & (_new_file_mode() if source is like else 0o666)
    return _new_file_mode()


def _narrow(fd: int, mode: int) -> None:
    """Take from a lock file of ours (made before its file was narrowed) what its file no longer allows."""
    with contextlib.suppress(OSError):
        st = os.fstat(fd)
        if st.st_uid == os.geteuid() and st.st_mode & 0o777 & ~mode:
            os.fchmod(fd, st.st_mode & 0o777 & mode)


# ── committing ───────────────────────────────────────────────────────


@dataclass
class _Plan:
    write: Write
    real: Path
    stat: os.stat_result | None
    old: bytes | None
    data: bytes = b""
    temp: Path | None = None  # the new contents, renamed over the file
    backup_temp: Path | None = None
    recovery_temp: Path | None = None  # the new contents, kept whole while the file is written in place
    in_place: bool = False
    handle: int | None = None  # the file as read, kept open to notice writes to it until the rename


def _before_rename(paths: Sequence[Path]) -> None:
    """Called with the files about to be replaced (tests slow a save down here)."""


def _writing_in_place(path: Path) -> None:
    """Called when a file's whole new contents are safe, before it is touched (tests stop a save here)."""


def commit(writes: Sequence[Write], force: bool = False) -> list[str]:
    """Write files together: all of them or, on any failure, none.

    Args:
        writes: the files and their new contents.
        force: write read-only files too.

    Returns:
        Notes on what could not be kept (an owner a non-root user cannot restore).

    Raises:
        ExternalChange: a checked file is not as expected (before or at the last moment).
        ReadOnly: a file is read-only and not `force`.
        SaveError: any other failure (disk full, folder not writable), with the reason.
    """
    likes = {w.path: w.like for w in writes if w.like is not None}
    with locked(*(w.path for w in writes), likes=likes):
        return _commit_locked(writes, force)


def _commit_locked(writes: Sequence[Write], force: bool) -> list[str]:
    plans: list[_Plan] = []
    notes: list[str] = []
    try:
        for write in writes:
            plan = _plan(write, force)
            plans.append(plan)
            _prepare(plan, notes)
        _before_rename([p.real for p in plans])
        for plan in plans:
            _recheck(plan)
        for plan in plans:
            _swap(plan)
        for plan in plans:
            _after_swap(plan)
        for plan in plans:
            _keep_backup(plan)
    except SaveError:
        _clean(plans)
        raise
    except OSError as exc:
        _clean(plans)
        where = exc.filename if isinstance(exc.filename, str) else (plans[-1].real if plans else "")
        raise SaveError(f"not saved: {where}: {_why(exc)}; the file and its backup are as they were") from None
    except BaseException:
        _clean(plans)
        raise
    finally:
        for plan in plans:
            if plan.handle is not None:
                os.close(plan.handle)
                plan.handle = None
    return notes


def _plan(write: Write, force: bool) -> _Plan:
    real = real_path(write.path)
    if not real.parent.is_dir():
        raise SaveError(f"not saved: the folder {real.parent} does not exist")
    _settle_inplace(real)  # first: a killed in-place write's temporary files stay until it is settled
    remove_stale_temps(real)
    try:
        st: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        st = None
    old = None
    handle: int | None = None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise SaveError(f"not saved: {write.path} is not a regular file")
        if write.check or write.backup or write.transform is not None:
            handle = os.open(real, os.O_RDONLY | os.O_CLOEXEC)
            try:
                st = os.fstat(handle)  # the identity of exactly what is read
                old = _read_all(handle)
            except BaseException:
                os.close(handle)
                raise
    if write.check:
        if old != write.expected and handle is not None:
            os.close(handle)
        if old != write.expected:
            what = "was deleted" if old is None else ("was created" if write.expected is None else "changed on disk")
            raise ExternalChange(
                f"{write.path} {what} since it was loaded (by another user or editor); "
                "reload it, or save your version to another file"
            )
    if st is not None and not force and _read_only(real, st):
        if handle is not None:
            os.close(handle)
        raise ReadOnly(f"not saved: {write.path} is read-only; save with --force to write it anyway")
    if write.confine is not None:
        try:
            _check_confined(write.path, real, st, write.confine)
        except BaseException:
            if handle is not None:
                os.close(handle)
            raise
    try:
        data = write.transform(old) if write.transform is not None else write.data
    except BaseException:
        if handle is not None:
            os.close(handle)
        raise
    return _Plan(write, real, st, old, data, handle=handle)


def _settle_inplace(real: Path) -> None:
    """Before a save: a copy left by an in-place write that was killed is removed when the file
    holds its bytes (the write finished); otherwise the save is refused, saying where it is."""
    if not os.path.lexists(inplace_path(real)):
        return
    problem = interrupted_write(real, busy_ok=False)  # under the lock: no save of ours is under way
    if problem is not None:
        raise SaveError(f"not saved: {real} {problem}")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(inplace_path(real))


def _check_confined(path: Path, real: Path, st: os.stat_result | None, folder: Path) -> None:
    home = real_path(folder)
    if not real.is_relative_to(home):
        raise OutsideFolder(f"not saved: {path} is outside the tree's folder ({real}); append to it only with --force")
    if st is not None and st.st_nlink > 1:
        raise OutsideFolder(
            f"not saved: {path} has {st.st_nlink} names (hard links), and the others may be outside the "
            "tree's folder; append to it only with --force, or give it one name (copy it and use the copy)"
        )


def _read_only(real: Path, st: os.stat_result) -> bool:
    return st.st_mode & 0o222 == 0 or not os.access(real, os.W_OK)


def _prepare(plan: _Plan, notes: list[str]) -> None:
    st, real = plan.stat, plan.real
    mode = st.st_mode & 0o7777 if st is not None else _new_file_mode()
    # Extended attributes (POSIX ACLs among them) come from the file as read, or from the file
    # this new one is a copy of.
    attrs: int | Path | None = plan.handle if plan.handle is not None else (real if st is not None else None)
    if st is None and plan.write.like is not None:
        with contextlib.suppress(OSError):
            like = real_path(plan.write.like)
            mode = os.stat(like).st_mode & 0o777 & ~current_umask()  # as cp makes a copy
            attrs = like
    lost: list[str] = []
    if st is not None and st.st_nlink > 1 and os.access(real, os.W_OK):
        plan.in_place = True  # a rename would break the hard links
    else:
        plan.temp = _temp_with(real, plan.data, mode, st, attrs, lost)
        if st is not None and not _owned_alike(plan.temp, st):
            if os.access(real, os.W_OK):
                os.unlink(plan.temp)
                plan.temp = None
                plan.in_place = True  # only writing in place keeps an owner we cannot set
                lost.clear()  # the file keeps its own attributes
            else:
                notes.append(
                    f"{plan.write.path}: its owner and group could not be kept (only root can give a file away)"
                )
    if lost:
        notes.append(f"{plan.write.path}: its extended attributes {', '.join(lost)} could not be kept")
    if plan.in_place:
        # Named as a temporary file of this save until the write starts (a killed save's is removed).
        plan.recovery_temp = _temp_with(real, plan.data, mode, st, attrs)
    if plan.write.backup and plan.old is not None:
        backup = real.with_name(real.name + "~")
        plan.backup_temp = None if plan.in_place else _linked_backup(plan, backup)
        if plan.backup_temp is None:
            plan.backup_temp = _temp_with(backup, plan.old, mode, st, attrs)


def _linked_backup(plan: _Plan, backup: Path) -> Path | None:
    """The old file itself as the backup: a second name for its inode, which the rename
    of the new contents leaves untouched. Nothing is copied or synced again (saving a big
    tree wrote it twice before); None where that cannot be done (no hard links on this
    file system, or the file is not the one read), and the old contents are copied instead.
    """
    st = plan.stat
    if st is None:
        return None
    temp = backup.with_name(f".{backup.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    try:
        os.link(plan.real, temp, follow_symlinks=False)
        linked = os.stat(temp, follow_symlinks=False)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        return None
    if (linked.st_dev, linked.st_ino, linked.st_size, linked.st_mtime_ns) != (
        st.st_dev,
        st.st_ino,
        st.st_size,
        st.st_mtime_ns,
    ):
        os.unlink(temp)  # someone replaced or wrote the file since it was read: copy what was read
        return None
    plan.stat = linked  # the link changed only the inode's ctime and link count
    return temp


def _owned_alike(path: Path, st: os.stat_result) -> bool:
    mine = os.stat(path)
    return (mine.st_uid, mine.st_gid) == (st.st_uid, st.st_gid)


def _temp_with(
    final: Path,
    data: bytes,
    mode: int,
    st: os.stat_result | None,
    attrs: int | Path | None = None,
    lost: list[str] | None = None,
) -> Path:
    """A temporary file beside `final` holding `data`, fsynced, with the mode (and owner) given
    and the extended attributes of `attrs` (a file or an open one); names not copied go to `lost`."""
    temp = final.with_name(f".{final.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            if st is not None and (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                with contextlib.suppress(PermissionError):
                    os.fchown(out.fileno(), st.st_uid, st.st_gid)
                with contextlib.suppress(PermissionError):
                    os.fchown(out.fileno(), -1, st.st_gid)
            if attrs is not None:
                _copy_xattrs(attrs, out.fileno(), lost)  # after chown, which may clear some
            os.fchmod(out.fileno(), mode)  # after chown, which may clear set-id bits, and after the ACL
            os.fsync(out.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return temp


def _copy_xattrs(source: int | Path, fd: int, lost: list[str] | None = None) -> None:
    """Give an open file the extended attributes of another (its POSIX ACL is one of them,
    `system.posix_acl_access`); where the file system or our privileges do not allow one, it
    is left out (named in `lost`)."""
    try:
        names = os.listxattr(source)
    except OSError as exc:
        if exc.errno in _XATTR_SKIP:
            return
        raise
    for name in names:
        try:
            os.setxattr(fd, name, os.getxattr(source, name))
        except OSError as exc:
            if exc.errno not in _XATTR_SKIP:
                raise
            if lost is not None:
                lost.append(name)


def _recheck(plan: _Plan) -> None:
    """The last look before the rename: has anyone touched the file since it was read?"""
    if not plan.write.check and plan.write.transform is None:
        return
    try:
        now: os.stat_result | None = os.stat(plan.real)
    except FileNotFoundError:
        now = None
    if _identity(now) == _identity(plan.stat):
        return
    contents = None
    if now is not None:
        with open(plan.real, "rb") as f:
            contents = f.read()
    if contents != plan.old:
        raise ExternalChange(
            f"{plan.write.path} changed on disk while it was being saved (by another user or editor); "
            "reload it, or save your version to another file"
        )


def _identity(st: os.stat_result | None) -> tuple[int, ...] | None:
    if st is None:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _swap(plan: _Plan) -> None:
    """Put the new contents in place: right after the last check, the backup comes after."""
    if plan.in_place:
        _overwrite(plan)
    elif plan.temp is not None:
        os.replace(plan.temp, plan.real)
        plan.temp = None


def _after_swap(plan: _Plan) -> None:
    """A program that wrote to the old file between the last check and the rename would
    lose its write: the old file is still open here, so look, and give it its file back."""
    if plan.handle is None or plan.in_place or not (plan.write.check or plan.write.transform is not None):
        return
    before, after = plan.stat, os.fstat(plan.handle)
    if before is not None and (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns):
        return
    theirs = _read_all(plan.handle)
    if theirs == plan.old:
        return
    temp = _temp_with(plan.real, theirs, after.st_mode & 0o7777, after, plan.handle)
    os.replace(temp, plan.real)
    raise ExternalChange(
        f"{plan.write.path} changed on disk while it was being saved (by another user or editor); "
        "their version is kept; reload it, or save your version to another file"
    )


def _keep_backup(plan: _Plan) -> None:
    real = plan.real
    if plan.backup_temp is not None:
        os.replace(plan.backup_temp, real.with_name(real.name + "~"))
        plan.backup_temp = None
    _sync_folder(real.parent)


def _read_all(fd: int) -> bytes:
    """The whole contents of an open file, from its start."""
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _overwrite(plan: _Plan) -> None:
    """Write a file in place (its inode, links and owner stay); space is reserved first.

    Reserving space, writing and truncating are three steps, and a kill between them (or
    during the write) leaves the file torn. So the whole new contents are first made durable as
    `.NAME.kpitui-inplace` (renamed from the fsynced temporary file, the folder fsynced),
    and removed only once the file is written, truncated and fsynced.
    """
    real, data, old = plan.real, plan.data, plan.old
    fd = os.open(real, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        now, st = os.fstat(fd), plan.stat
        if st is not None and (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise ExternalChange(
                f"{plan.write.path} was replaced while it was being saved (by another user or editor); "
                "reload it, or save your version to another file"
            )
        recovery = inplace_path(real)
        if plan.recovery_temp is not None:
            os.replace(plan.recovery_temp, recovery)
            plan.recovery_temp = None
            _sync_folder(real.parent)
        try:
            _writing_in_place(real)
            if len(data) > (len(old) if old is not None else 0):
                # Reserving the space makes the file longer (zeros at its end): the copy comes first.
                with contextlib.suppress(AttributeError):
                    try:
                        os.posix_fallocate(fd, 0, len(data))
                    except OSError as exc:
                        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                            raise
            os.pwrite(fd, data, 0)
            os.ftruncate(fd, len(data))
            os.fsync(fd)
        except BaseException as exc:
            torn = f"{plan.write.path} may be torn: the whole new version is kept as {recovery}"
            if old is None:  # nothing to put back: the copy stays
                if isinstance(exc, OSError):
                    raise SaveError(f"not saved: {plan.write.path}: {_why(exc)}; {torn}") from None
                raise
            try:  # put the old contents back; they fitted before
                os.pwrite(fd, old, 0)
                os.ftruncate(fd, len(old))
                os.fsync(fd)
            except OSError as again:
                raise SaveError(f"not saved: {plan.write.path}: {_why(again)}; {torn}") from None
            with contextlib.suppress(OSError):
                os.unlink(recovery)  # the file is whole again, as it was
            raise
        with contextlib.suppress(OSError):  # left behind, the next save finds it equal to the file and removes it
            os.unlink(recovery)  # the file holds the new contents on disk: the copy is done with
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _clean(plans: Sequence[_Plan]) -> None:
    for plan in plans:
        for temp in (plan.temp, plan.backup_temp, plan.recovery_temp):
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
        plan.temp = plan.backup_temp = plan.recovery_temp = None


# ── helpers ──────────────────────────────────────────────────────────


def write_atomic(path: Path, data: bytes, backup: bool = True) -> None:
    """Write one file atomically (under its lock, keeping `FILE~` unless told not to), unchecked."""
    commit([Write(path, data, backup=backup)], force=True)


def replace_file(path: Path, data: bytes) -> None:
    """Replace a private file of kpitui's own (a journal): temp, fsync, rename; no lock, no backup.

    Raises:
        OSError: the write failed; the temporary file is removed.
    """
    temp = _temp_with(path, data, 0o600, None)
    try:
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def remove_stale_temps(real: Path) -> list[Path]:
    """Remove temporary files that killed saves of this file left behind; returns them."""
    removed: list[Path] = []
    prefixes = (f".{real.name}.", f".{real.name}~.")
    try:
        entries = list(os.scandir(real.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.endswith(TEMP_SUFFIX) or not name.startswith(prefixes):
            continue
        rest = name[len(f".{real.name}") :].lstrip("~").split(".")
        if len(rest) != 4 or not rest[1].isdigit():  # "", pid, token, "kpitui-tmp"
            continue
        if process_alive(int(rest[1])):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (this one included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Whether a process has ended but was not yet reaped by its parent (it runs no more)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    fields = stat.rpartition(")")[2].split()
    return bool(fields) and fields[0] == "Z"


def _new_file_mode() -> int:
    """The mode a new file gets under this process's umask (0o644 under umask 022)."""
    return 0o666 & ~current_umask()


def current_umask() -> int:
    """This process's umask, read without changing it where the OS allows."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def why(exc: OSError) -> str:
    """An OSError in words a user can act on."""
    return _why(exc)


def _why(exc: OSError) -> str:
    reasons = {
        errno.ENOSPC: "disk full",
        errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "no such file or folder",
        errno.EISDIR: "it is a folder",
    }
    return reasons.get(exc.errno or 0, exc.strerror or str(exc))
