"""The journal: unsaved edits written outside the tree file after every edit.

If the connection drops or the app is killed, the next start on that file offers to
recover them. One journal per editing session (two TUIs on one file never share one),
under `$XDG_STATE_HOME/kpitui/journal/`, named after the tree's absolute path and the
session. A journal is read like a tree file: anything it holds that is not what kpitui
writes (a wrong type, a node the schema refuses, nesting too deep) makes it corrupt; a
corrupt journal is moved aside as `….corrupt` and the user is told, and the tree opens.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import socket
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w

from kpitui.core.filesafe import process_alive, replace_file, why


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
class Recovered:
    """Unsaved edits found in a journal."""

    file: str
    written: str  # when the journal was last written, ISO
    order: list[str]  # every node id then, in order
    changed: dict[str, dict[str, Any]]  # tables that differ from the file (or are new)
    rows: list[tuple[str, date, float]]
    base_digest: str | None
    deleted: list[str] = field(default_factory=list)  # ids the session deleted
    edits: int = 0  # how many edits the session had made
    path: Path | None = None  # the journal file itself
    settings: dict[str, Any] | None = None  # the [tree] table, where the session changed it


def write_journal(
    tree_file: Path,
    session: str,
    order: list[str],
    changed: dict[str, dict[str, Any]],
    rows: list[tuple[str, date, float]],
    base_digest: str | None,
    written: str,
    deleted: list[str] | None = None,
    edits: int = 0,
    settings: dict[str, Any] | None = None,
) -> None:
    """Record the node order, the changed and deleted nodes and pending rows, atomically.

    Raises:
        OSError: the journal could not be written (disk full, say); the old one stays.
    """
    doc: dict[str, Any] = {
        "file": str(tree_file.resolve()),
        "written": written,
        "session": session,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "edits": edits,
        "order": order,
        "changed": changed,
        "deleted": deleted or [],
        "rows": [{"node": n, "date": d, "value": v} for n, d, v in rows],
    }
    if base_digest:
        doc["base_digest"] = base_digest
    if settings is not None:
        doc["settings"] = settings
    path = journal_path(tree_file, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, tomli_w.dumps(doc).encode("utf-8"))


class CorruptJournal(ValueError):
    """A journal that is not what kpitui writes."""


def parse_journal(data: bytes) -> Recovered:
    """Read and validate one journal's contents.

    Raises:
        CorruptJournal: saying what is wrong.
    """
    from kpitui.core.schema import read_node

    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CorruptJournal("not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise CorruptJournal(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise CorruptJournal("nested too deeply") from None
    order = _strings(doc, "order")
    deleted = _strings(doc, "deleted", required=False)
    changed = doc.get("changed")
    if not isinstance(changed, dict) or not all(isinstance(v, dict) for v in changed.values()):
        raise CorruptJournal("`changed` is not a table of node tables")
    for node_id, table in changed.items():
        if node_id not in order:
            raise CorruptJournal(f"changed node {node_id!r} is not in `order`")
        try:
            node, errors = read_node(node_id, table)
        except (RecursionError, ValueError, TypeError):
            node, errors = None, []
        if node is None:
            detail = "; ".join(e.message for e in errors) or "unreadable"
            raise CorruptJournal(f"node {node_id!r} is not valid: {detail}")
    rows = doc.get("rows", [])
    if not isinstance(rows, list):
        raise CorruptJournal("`rows` is not a list")
    parsed_rows: list[tuple[str, date, float]] = []
    for row in rows:
        if not isinstance(row, dict):
            raise CorruptJournal("a row is not a table")
        node, day, value = row.get("node"), row.get("date"), row.get("value")
        if not isinstance(node, str) or type(day) is not date or isinstance(value, bool):
            raise CorruptJournal("a row lacks a node id, a date or a value")
        if not isinstance(value, int | float):
            raise CorruptJournal(f"row of {node!r} has a value that is not a number")
        parsed_rows.append((node, day, float(value)))
    written, digest, file = doc.get("written", ""), doc.get("base_digest"), doc.get("file", "")
    edits = doc.get("edits", 0)
    if not isinstance(written, str) or not isinstance(file, str) or not isinstance(digest, str | None):
        raise CorruptJournal("`file`, `written` or `base_digest` is not text")
    if not isinstance(edits, int) or isinstance(edits, bool):
        raise CorruptJournal("`edits` is not a number")
    settings = doc.get("settings")
    if settings is not None:
        from kpitui.core.schema import read_settings

        if not isinstance(settings, dict) or read_settings({"tree": settings})[1]:
            raise CorruptJournal("`settings` is not a valid [tree] table")
    return Recovered(file, written, order, dict(changed), parsed_rows, digest, deleted, edits, None, settings)


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
            data = path.read_bytes()
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
        if _running(data, host):
            continue
        if not recovered.changed and not recovered.rows and not recovered.deleted and recovered.settings is None:
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        found.journals.append(_with_path(recovered, path))
    found.journals.sort(key=lambda r: r.written)
    return found


def _with_path(recovered: Recovered, path: Path) -> Recovered:
    return Recovered(
        recovered.file,
        recovered.written,
        recovered.order,
        recovered.changed,
        recovered.rows,
        recovered.base_digest,
        recovered.deleted,
        recovered.edits,
        path,
        recovered.settings,
    )


def _running(data: bytes, host: str) -> bool:
    """Whether the session that wrote a journal is still running here (another open TUI)."""
    doc = tomllib.loads(data.decode("utf-8"))
    pid = doc.get("pid")
    if doc.get("host") != host or not isinstance(pid, int) or pid == os.getpid():
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
