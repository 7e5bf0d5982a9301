"""The journal: unsaved edits written outside the tree file after every edit, as changes.

If the connection drops or the app is killed, the next start on that file offers to
recover them. One journal per editing session (two TUIs on one file never share one),
under `$XDG_STATE_HOME/kpitui/journal/`, named after the tree's absolute path and the
session. A journal is read like a tree file: anything it holds that is not what kpitui
writes (a wrong type, a node the schema refuses, nesting too deep) makes it corrupt; a
corrupt journal is moved aside as `….corrupt` and the user is told, and the tree opens.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import os
import secrets
import socket
import stat
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w

from kpitui.io.filesafe import process_alive, replace_file, why


def journal_dir() -> Path:
    """Where journals live: `$XDG_STATE_HOME/kpitui/journal` (default ~/.local/state)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "kpitui" / "journal"


def new_session() -> str:
    """A session id: this process and a random part (a process may open a file twice)."""
    return f"{os.getpid()}-{secrets.token_hex(3)}"


def _prefix(tree_file: Path) -> str:
    return hashlib.sha256(str(tree_file.resolve()).encode()).hexdigest()[:20]


def journal_path(tree_file: Path, session: str) -> Path:
    """The journal of one session on one tree file."""
    return journal_dir() / f"{_prefix(tree_file)}.{session}.toml"


@dataclass(frozen=True)
class JournalRecord:
    """One change as the journal records it: the tables of the nodes it changed (and after which
    node each goes), the nodes it deleted, and the pending rows and settings as they now are."""

    written: str
    edits: int
    tables: dict[str, dict[str, Any]]
    deleted: list[str]
    after: dict[str, str]  # id -> the id it follows ("" first): where a node absent from the file goes
    rows: list[tuple[str, date, float]]
    settings: dict[str, Any] | None  # the [tree] table where it differs from the file's


@dataclass(frozen=True)
class Recovered:
    """Unsaved edits found in a journal."""

    file: str
    written: str  # when the journal was last written, ISO
    order: list[str]  # every node id then, in order (a version 1 journal; [] in version 2)
    changed: dict[str, dict[str, Any]]  # tables that differ from the file (or are new)
    rows: list[tuple[str, date, float]]
    base_digest: str | None
    deleted: list[str] = field(default_factory=list)  # ids the session deleted
    edits: int = 0  # how many edits the session had made
    path: Path | None = None  # the journal file itself
    settings: dict[str, Any] | None = None  # the [tree] table, where the session changed it
    records: list[JournalRecord] | None = None  # version 2: the changes, in order
    pid: int | None = None
    host: str | None = None


# Version 1 (no `version` key) held the whole order of ids and every changed table, written
# again after each edit; version 2 appends one record per change. Both are read.
VERSION = 2
END = b"# end of edit\n"  # closes each record: a record cut short by a crash is left out


def start_journal(tree_file: Path, session: str, base_digest: str | None, record: JournalRecord) -> None:
    """Start this session's journal (atomically): its header and a first record.

    Raises:
        OSError: the journal could not be written (disk full, say); the old one stays.
    """
    head: dict[str, Any] = {
        "version": VERSION,
        "file": str(tree_file.resolve()),
        "session": session,
        "pid": os.getpid(),
        "host": socket.gethostname(),
    }
    if base_digest:
        head["base_digest"] = base_digest
    path = journal_path(tree_file, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, tomli_w.dumps(head).encode("utf-8") + _record_bytes(record))


def append_record(tree_file: Path, session: str, record: JournalRecord) -> None:
    """Append one change to this session's journal and flush it to disk.

    Raises:
        OSError: it could not be written.
    """
    data = _record_bytes(record)
    fd = os.open(journal_path(tree_file, session), os.O_WRONLY | os.O_APPEND)
    try:
        if os.write(fd, data) != len(data):
            raise OSError(errno.ENOSPC, "the journal record was cut short")
        os.fsync(fd)
    finally:
        os.close(fd)


def _record_bytes(record: JournalRecord) -> bytes:
    table: dict[str, Any] = {"written": record.written, "edits": record.edits}
    if record.deleted:
        table["deleted"] = record.deleted
    table["rows"] = [{"node": n, "date": d, "value": v} for n, d, v in record.rows]
    table["settings_changed"] = record.settings is not None
    if record.settings is not None:
        table["settings"] = record.settings
    if record.after:
        table["after"] = record.after
    if record.tables:
        table["set"] = record.tables
    return b"\n" + tomli_w.dumps({"edit": [table]}).encode("utf-8") + END


def replay(tables: dict[str, dict[str, Any]], records: list[JournalRecord]) -> dict[str, dict[str, Any]]:
    """The node tables after a journal's changes are applied to `tables`, in order."""
    for record in records:
        for node_id in record.deleted:
            tables.pop(node_id, None)
        for node_id, table in record.tables.items():
            if node_id in tables:
                tables[node_id] = dict(table)
                continue
            keys = list(tables)
            previous = record.after.get(node_id)
            if previous == "":
                at = 0
            elif previous in tables:
                at = keys.index(previous) + 1
            else:
                at = len(keys)
            keys.insert(at, node_id)
            tables[node_id] = dict(table)
            tables = {k: tables[k] for k in keys}
    return tables


class CorruptJournal(ValueError):
    """A journal that is not what kpitui writes."""


def parse_journal(data: bytes) -> Recovered:
    """Read and validate one journal's contents (either version).

    Raises:
        CorruptJournal: saying what is wrong.
    """
    doc = _load(data)
    if doc.get("version") == VERSION:
        return _parse_records(doc)
    order = _strings(doc, "order")
    deleted = _strings(doc, "deleted", required=False)
    changed = doc.get("changed")
    if not isinstance(changed, dict) or not all(isinstance(v, dict) for v in changed.values()):
        raise CorruptJournal("`changed` is not a table of node tables")
    for node_id, table in changed.items():
        if node_id not in order:
            raise CorruptJournal(f"changed node {node_id!r} is not in `order`")
        _check_node(node_id, table)
    written, digest, file = doc.get("written", ""), doc.get("base_digest"), doc.get("file", "")
    edits = doc.get("edits", 0)
    if not isinstance(written, str) or not isinstance(file, str) or not isinstance(digest, str | None):
        raise CorruptJournal("`file`, `written` or `base_digest` is not text")
    if not isinstance(edits, int) or isinstance(edits, bool):
        raise CorruptJournal("`edits` is not a number")
    pid, host = doc.get("pid"), doc.get("host")
    return Recovered(
        file,
        written,
        order,
        dict(changed),
        _rows(doc),
        digest,
        deleted,
        edits,
        settings=_settings(doc),
        pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        host=host if isinstance(host, str) else None,
    )


def _load(data: bytes) -> dict[str, Any]:
    """The journal's TOML; a last record cut short (a crash while appending it) is left out."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CorruptJournal("not UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        end = data.rfind(END)
        if end >= 0 and data[end + len(END) :].strip():
            with contextlib.suppress(tomllib.TOMLDecodeError, RecursionError):
                return tomllib.loads(data[: end + len(END)].decode("utf-8"))
        raise CorruptJournal(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise CorruptJournal("nested too deeply") from None


def _check_node(node_id: str, table: Any) -> None:
    from kpitui.model.schema import read_node

    if not isinstance(table, dict):
        raise CorruptJournal(f"node {node_id!r} is not a table")
    try:
        node, errors = read_node(node_id, table)
    except (RecursionError, ValueError, TypeError):
        node, errors = None, []
    if node is None:
        detail = "; ".join(e.message for e in errors) or "unreadable"
        raise CorruptJournal(f"node {node_id!r} is not valid: {detail}")


def _rows(doc: dict[str, Any]) -> list[tuple[str, date, float]]:
    rows = doc.get("rows", [])
    if not isinstance(rows, list):
        raise CorruptJournal("`rows` is not a list")
    parsed: list[tuple[str, date, float]] = []
    for row in rows:
        if not isinstance(row, dict):
            raise CorruptJournal("a row is not a table")
        node, day, value = row.get("node"), row.get("date"), row.get("value")
        if not isinstance(node, str) or type(day) is not date or isinstance(value, bool):
            raise CorruptJournal("a row lacks a node id, a date or a value")
        if not isinstance(value, int | float):
            raise CorruptJournal(f"row of {node!r} has a value that is not a number")
        parsed.append((node, day, float(value)))
    return parsed


def _settings(doc: dict[str, Any]) -> dict[str, Any] | None:
    settings = doc.get("settings")
    if settings is not None:
        from kpitui.model.schema import read_settings

        if not isinstance(settings, dict) or read_settings({"tree": settings})[1]:
            raise CorruptJournal("`settings` is not a valid [tree] table")
    return settings


def _parse_records(doc: dict[str, Any]) -> Recovered:
    """A version 2 journal: a header and one record per change."""
    file, digest = doc.get("file", ""), doc.get("base_digest")
    if not isinstance(file, str) or not isinstance(digest, str | None):
        raise CorruptJournal("`file` or `base_digest` is not text")
    raw = doc.get("edit", [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise CorruptJournal("`edit` is not a list of records")
    records: list[JournalRecord] = []
    for table in raw:
        written, edits = table.get("written", ""), table.get("edits", 0)
        if not isinstance(written, str) or not isinstance(edits, int) or isinstance(edits, bool):
            raise CorruptJournal("a record's `written` or `edits` is not what kpitui writes")
        tables = table.get("set", {})
        if not isinstance(tables, dict):
            raise CorruptJournal("a record's `set` is not a table of node tables")
        for node_id, node_table in tables.items():
            _check_node(node_id, node_table)
        after = table.get("after", {})
        if not isinstance(after, dict) or not all(isinstance(v, str) for v in after.values()):
            raise CorruptJournal("a record's `after` is not a table of ids")
        settings_changed = table.get("settings_changed", False)
        if not isinstance(settings_changed, bool):
            raise CorruptJournal("a record's `settings_changed` is not true or false")
        settings = _settings(table) if settings_changed else None
        if settings_changed and settings is None:
            raise CorruptJournal("a record says the settings changed but holds none")
        deleted = _strings(table, "deleted", required=False)
        records.append(JournalRecord(written, edits, dict(tables), deleted, after, _rows(table), settings))
    changed: dict[str, dict[str, Any]] = {}
    gone: dict[str, None] = {}
    for record in records:
        for node_id in record.deleted:
            changed.pop(node_id, None)
            gone[node_id] = None
        for node_id, node_table in record.tables.items():
            gone.pop(node_id, None)
            changed[node_id] = node_table
    last = records[-1] if records else None
    pid, host = doc.get("pid"), doc.get("host")
    return Recovered(
        file,
        last.written if last else "",
        [],
        changed,
        last.rows if last else [],
        digest,
        list(gone),
        last.edits if last else 0,
        settings=last.settings if last else None,
        records=records,
        pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        host=host if isinstance(host, str) else None,
    )


def _strings(doc: dict[str, Any], name: str, required: bool = True) -> list[str]:
    value = doc.get(name, None if required else [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CorruptJournal(f"`{name}` is missing or not a list of ids" if required else f"`{name}` is not a list")
    return value


@dataclass
class Found:
    """The journals of a tree file: those that can be recovered, and what was moved aside."""

    journals: list[Recovered] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_journals(tree_file: Path, own_session: str | None = None) -> Found:
    """The recoverable journals of a tree file, oldest first.

    Skipped: this session's own, those of sessions still running on this machine (another
    TUI on the same file), and empty ones (removed: there is nothing to recover). Corrupt
    ones are moved aside as `….corrupt`, each with a sentence in `problems`.
    """
    found = Found()
    folder = journal_dir()
    prefix = _prefix(tree_file) + "."
    try:
        names = sorted(p for p in os.listdir(folder) if p.startswith(prefix) and p.endswith(".toml"))
    except OSError:
        return found
    host = socket.gethostname()
    for name in names:
        path = folder / name
        session = name[len(prefix) : -len(".toml")]
        if session == own_session:
            continue
        try:
            data = _read_regular(path)
            if data is None:
                found.problems.append(
                    f"A journal of unsaved edits to {tree_file.name} is not a regular file (a FIFO or a device) "
                    f"and was not read: remove {path}."
                )
                continue
            recovered = parse_journal(data)
        except OSError:
            continue
        except CorruptJournal as exc:
            aside = path.with_name(name + ".corrupt")
            try:
                os.replace(path, aside)
                where = f"it was moved to {aside}"
            except OSError as move:
                where = f"it could not be moved aside ({why(move)}): {path}"
            found.problems.append(f"A journal of unsaved edits to {tree_file.name} is unreadable ({exc}); {where}.")
            continue
        if _running(recovered, host):
            continue
        if not recovered.changed and not recovered.rows and not recovered.deleted and recovered.settings is None:
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        found.journals.append(_with_path(recovered, path))
    found.journals.sort(key=lambda r: r.written)
    return found


def _read_regular(path: Path) -> bytes | None:
    """A journal's bytes; None when it is not a regular file (a FIFO or a device).

    Opened without blocking and checked on the open file: a FIFO named like a journal
    would otherwise wait for a writer (the TUI hung on its load, deaf to q and ctrl+c),
    a link to /dev/zero would be read without end.

    Raises:
        OSError: it cannot be opened or read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return handle.read()


def _with_path(recovered: Recovered, path: Path) -> Recovered:
    return dataclasses.replace(recovered, path=path)


def _running(recovered: Recovered, host: str) -> bool:
    """Whether the session that wrote a journal is still running here (another open TUI)."""
    pid = recovered.pid
    if recovered.host != host or pid is None or pid == os.getpid():
        return False
    return process_alive(pid)


def drop_journal(tree_file: Path, session: str) -> None:
    """Forget one session's journal (after a save or a discard)."""
    with contextlib.suppress(FileNotFoundError):
        journal_path(tree_file, session).unlink()


def discard(recovered: Recovered) -> None:
    """Remove a journal found by `read_journals` (the user discarded it, or recovered it)."""
    if recovered.path is not None:
        with contextlib.suppress(FileNotFoundError):
            recovered.path.unlink()
