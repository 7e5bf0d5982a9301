"""The user's settings: $XDG_CONFIG_HOME/kpitui/config.toml (theme, keymap, default --fail-on).

```toml
theme = "nord"          # a Textual theme; the one last chosen in the palette is kept here
fail_on = "error"       # the default of `kpitui check --fail-on`

[keymap]                # binding id = keys (comma-separated); docs/reference/keys.md lists the ids
"app.search" = "ctrl+f"
```
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
    "fail_on": "The default of `kpitui check --fail-on`: error, warning, info or never (else warning).",
    "keymap": 'A table of binding id = keys, comma-separated ("app.search" = "ctrl+f"): the keys that run '
    "that binding instead of its default ones.",
}
KEYS = tuple(SETTINGS)
_THEME_LINE = re.compile(r"^\s*theme\s*=.*$")
_TABLE_LINE = re.compile(r"^\s*\[")


@dataclass(frozen=True)
class Config:
    """What the config file says; every field optional."""

    path: Path
    theme: str | None = None
    fail_on: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)


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
        lines[at] = setting
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
