"""Settings: the user's own, and the project's.

The user's, $XDG_CONFIG_HOME/kpitui/config.toml, say how kpitui looks and reacts for that
person (theme, keymap):

```toml
theme = "nord"          # a Textual theme; the one last chosen in the palette is kept here

[keymap]                # binding id = keys (comma-separated); docs/reference/keys.md lists the ids
"app.search" = "ctrl+f"
```

The project's decide what a check reports as a failure, the same for every developer, the
pre-commit hook and CI (`fail_on`): a `kpitui.toml` in the tree's folder or one above it, or
a `[tool.kpitui]` table in a `pyproject.toml` there, the nearest first (`kpitui.toml` first
in one folder), as ruff finds its settings. A `fail_on` in the user's file is read, so an
old file still loads, and ignored with a notice.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpitui.model.domain import LoadError, Location, TreeLoadError

FAIL_ON = ("error", "warning", "info", "never")
# Every setting, with what it does (the docs' reference page of the config file is made from this).
SETTINGS: dict[str, str] = {
    "theme": "A Textual theme (nord, gruvbox, textual-light, ...). A theme picked in the command palette "
    "(ctrl+p, Change theme) is written here, rewriting only this line; `kpitui --theme NAME` uses one for a "
    "single run without writing it. An unknown name is named in a notice and the default theme is used.",
    "fail_on": "Ignored, with a notice on stderr: what fails a check is the project's to decide, the same for "
    "everyone, the pre-commit hook and CI (fail_on in a kpitui.toml beside the tree, or under [tool.kpitui] in "
    "pyproject.toml). Still read, so that an older config file loads.",
    "keymap": 'A table of binding id = keys, comma-separated ("app.search" = "ctrl+f"): the keys that run '
    "that binding instead of its default ones.",
}
KEYS = tuple(SETTINGS)
# The settings that decide a check's result: the project's, never one person's.
PROJECT_KEYS = ("fail_on",)
PERSONAL_KEYS = ("theme", "keymap")
PROJECT_FILE = "kpitui.toml"
_THEME_LINE = re.compile(r"^\s*theme\s*=.*$")
_TABLE_LINE = re.compile(r"^\s*\[")
_AT = re.compile(r" \(at line (\d+), column (\d+)\)$")


@dataclass(frozen=True)
class Config:
    """What the config file says; every field optional."""

    path: Path
    theme: str | None = None
    fail_on: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectConfig:
    """The project's settings for a tree, and the file they come from (None: there is none)."""

    path: Path | None = None
    fail_on: str | None = None


def config_path() -> Path:
    """$XDG_CONFIG_HOME/kpitui/config.toml (default ~/.config/kpitui/config.toml)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kpitui" / "config.toml"


# A settings file is a few lines: one bigger than this is not one (a device, a log written
# to the wrong name), and is refused rather than read into memory whole.
MAX_BYTES = 1 << 20
NEAR_DEPTH = 100  # nesting deeper than this is where a refused file's line is looked for


def _read_text(path: Path) -> str:
    """The config file's text, read only if it is a regular file of at most MAX_BYTES.

    Opened without blocking, so a FIFO in its place is refused at once instead of waiting for
    a writer; a device (a symlink to /dev/zero) is refused instead of read without end.

    Raises:
        FileNotFoundError: there is none.
        OSError: it cannot be read, or is not a settings file (the message says why).
        UnicodeDecodeError: it is not UTF-8.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("it is not a regular file (a pipe, a device or a folder); make it a text file or remove it")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        raise OSError(f"it is more than {MAX_BYTES >> 20} MiB, far more than any settings; is it the right file?")
    return b"".join(chunks).decode("utf-8")


def _error(path: Path, message: str, line: int = 0, col: int = 0) -> TreeLoadError:
    return TreeLoadError([LoadError(Location(str(path), line, col), message)])


def load_config(path: Path | None = None) -> Config:
    """The config file's settings; defaults when it does not exist.

    Raises:
        TreeLoadError: the file exists but cannot be read or holds a wrong value (FILE:LINE says where).
    """
    path = path or config_path()
    try:
        text = _read_text(path)
    except FileNotFoundError:
        return Config(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(path, f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    import tomllib  # only when there is a config file: `check` starts without it

    try:
        doc: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = getattr(exc, "msg", str(exc))
        line, col = getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        raise _error(path, f"not valid TOML: {reason}; fix the syntax there", line, col) from None
    except RecursionError:  # the standard library's reader recurses once per level
        from kpitui.io.toml_read import too_deep_line

        message = "nests arrays or tables deeper than the TOML reader can read (settings need two levels); flatten it"
        raise _error(path, message, too_deep_line(text, NEAR_DEPTH)) from None

    def line_of(key: str) -> int:
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=|^\s*\[{re.escape(key)}\]")
        return next((i for i, text_line in enumerate(text.splitlines(), 1) if pattern.match(text_line)), 0)

    errors: list[LoadError] = []
    for key in doc:
        if key not in KEYS:
            errors.append(
                LoadError(Location(str(path), line_of(key)), f"unknown setting `{key}`; known: {', '.join(KEYS)}")
            )
    theme, fail_on, keymap = doc.get("theme"), doc.get("fail_on"), doc.get("keymap", {})
    if theme is not None and not isinstance(theme, str):
        errors.append(LoadError(Location(str(path), line_of("theme")), "`theme` must be a theme's name, a string"))
    if fail_on is not None and fail_on not in FAIL_ON:
        message = f"`fail_on` is {fail_on!r}; use one of: {' | '.join(FAIL_ON)}"
        errors.append(LoadError(Location(str(path), line_of("fail_on")), message))
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        message = '`keymap` must be a table of binding id = "keys", like "app.search" = "ctrl+f"'
        errors.append(LoadError(Location(str(path), line_of("keymap")), message))
    if errors:
        raise TreeLoadError(errors)
    return Config(path, theme, fail_on, dict(keymap))


def _toml(path: Path) -> tuple[str, dict[str, Any]] | None:
    """A settings file's text and document; None when there is no such file.

    Raises:
        TreeLoadError: it cannot be read or is not TOML (FILE:LINE says where).
    """
    try:
        text = _read_text(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(path, f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    import tomllib

    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = getattr(exc, "msg", str(exc))
        line, col = getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        at = _AT.search(reason)  # before Python 3.14 the place is only in the message
        if at and not line:
            reason, line, col = reason[: at.start()], int(at[1]), int(at[2])
        raise _error(path, f"not valid TOML: {reason}; fix the syntax there", line, col) from None
    except RecursionError:
        from kpitui.io.toml_read import too_deep_line

        raise _error(
            path, "nests arrays or tables too deep to read; flatten it", too_deep_line(text, NEAR_DEPTH)
        ) from None


def _project_settings(path: Path, text: str, table: dict[str, Any], header: str | None) -> ProjectConfig:
    """The project's settings in `table` (the whole kpitui.toml, or pyproject's [tool.kpitui]).

    Raises:
        TreeLoadError: a setting kpitui does not know, or a wrong value.
    """
    lines = text.splitlines()
    start = 0
    if header is not None:  # look for keys below the table's header
        start = next((i for i, line in enumerate(lines) if line.strip().startswith(header)), 0)

    def line_of(key: str) -> int:
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        return next((i for i in range(start, len(lines)) if pattern.match(lines[i])), start - 1) + 1

    errors: list[LoadError] = []
    if not isinstance(table, dict):
        raise _error(path, '`tool.kpitui` must be a table of settings, like fail_on = "error"', start + 1)
    for key in table:
        if key in PERSONAL_KEYS:
            message = (
                f"`{key}` is a personal setting: put it in {config_path()}, not in the project's settings; "
                f"the project's are: {', '.join(PROJECT_KEYS)}"
            )
            errors.append(LoadError(Location(str(path), line_of(key)), message))
        elif key not in PROJECT_KEYS:
            message = f"unknown project setting `{key}`; known: {', '.join(PROJECT_KEYS)}"
            errors.append(LoadError(Location(str(path), line_of(key)), message))
    fail_on = table.get("fail_on")
    if fail_on is not None and fail_on not in FAIL_ON:
        message = f"`fail_on` is {fail_on!r}; use one of: {' | '.join(FAIL_ON)}"
        errors.append(LoadError(Location(str(path), line_of("fail_on")), message))
    if errors:
        raise TreeLoadError(errors)
    return ProjectConfig(path, fail_on)


def _looks_like_a_tree(doc: dict[str, Any]) -> bool:
    return any(key in doc for key in ("nodes", "tree", "version"))


def project_config(tree: str | Path, found: dict[Path, ProjectConfig] | None = None) -> ProjectConfig:
    """The project's settings for the tree file `tree`: the nearest folder, from the tree's own up,
    that holds a kpitui.toml (one that is not itself a KPI tree) or a pyproject.toml with a
    [tool.kpitui] table; kpitui.toml first within one folder. `found` keeps what each folder
    gave, for a check of many trees.

    Raises:
        TreeLoadError: the file found cannot be read or holds a wrong setting (FILE:LINE says where).
    """
    found = {} if found is None else found
    start = Path(os.path.abspath(tree)).parent  # the folders the path names, links not followed
    passed: list[Path] = []
    result = ProjectConfig()
    for folder in (start, *start.parents):
        if folder in found:
            result = found[folder]
            break
        passed.append(folder)
        own = folder / PROJECT_FILE
        read = None if own == Path(os.path.abspath(tree)) else _toml(own)
        if read is not None and not _looks_like_a_tree(read[1]):
            result = _project_settings(own, read[0], read[1], None)
            break
        read = _toml(folder / "pyproject.toml")
        if read is not None:
            tool = read[1].get("tool")
            if isinstance(tool, dict) and "kpitui" in tool:
                result = _project_settings(folder / "pyproject.toml", read[0], tool["kpitui"], "[tool.kpitui]")
                break
    for folder in passed:
        found[folder] = result
    return result


# A value as the `theme` line may hold it: a basic string (with escapes), a literal string, or
# anything else up to a comment; what follows it (spaces, a comment, the line end) is kept.
_VALUE = re.compile(r"""^(\s*theme\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^#\r\n]*?)(\s*(?:#.*)?\r?\n?)$""")


def _with_value(line: str, value: str) -> str:
    """The `theme = ...` line with `value` in place of the old one: its comment, its spacing
    and its line end stay as written."""
    found = _VALUE.match(line)
    if found is None:
        return f"theme = {value}\n"
    return f"{found[1]}{value}{found[3] or chr(10)}"


def remember_theme(theme: str, path: Path | None = None) -> Path:
    """Set `theme` in the config file, keeping everything else in it as written.

    Returns:
        The config file's path.
    """
    import json
    import tempfile

    path = path or config_path()
    try:
        lines = _read_text(path).splitlines(keepends=True)
    except FileNotFoundError:
        lines = []
    except UnicodeDecodeError:
        raise OSError("it is not UTF-8 text") from None
    setting = f"theme = {json.dumps(theme, ensure_ascii=False)}\n"
    top = next((i for i, line in enumerate(lines) if _TABLE_LINE.match(line)), len(lines))
    at = next((i for i in range(top) if _THEME_LINE.match(lines[i])), None)
    if at is None:
        lines.insert(0, setting)
    else:
        lines[at] = _with_value(lines[at], json.dumps(theme, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config.", suffix=".toml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.writelines(lines)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
