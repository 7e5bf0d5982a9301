"""Keys typed while kpitui starts reach it as they were typed.

Until Textual switches the terminal to raw mode (after importing itself: a second or two
on a busy machine, more over a slow link), the terminal's line discipline handles what is
typed: ctrl+s stops the output instead of saving, ctrl+c interrupts, Enter turns into a
line feed, backspace edits a line buffer. Over SSH the keys typed right after the command
arrive in exactly that window. `take_terminal` switches to raw input as the first thing the
TUI command does (no Textual import needed); Textual then takes the terminal as it finds
it, and `give_back` restores the settings the user had, whatever Textual restores.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any


def take_terminal() -> list[Any] | None:
    """Raw input on stdin now; returns the settings to give back (None: not a terminal)."""
    try:
        import termios
    except ImportError:  # not a POSIX system
        return None
    if sys.stdin is None or not sys.stdin.isatty():
        return None
    try:
        fd = sys.stdin.fileno()
        before = termios.tcgetattr(fd)
        iflag, oflag, cflag, lflag, ispeed, ospeed, chars = before
        iflag &= ~(termios.IXON | termios.IXOFF | termios.ICRNL | termios.INLCR | termios.IGNCR)
        lflag &= ~(termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN)
        chars = list(chars)
        chars[termios.VMIN] = 1
        chars[termios.VTIME] = 0
        # TCSANOW, not TCSAFLUSH: what was typed so far stays, to be read as keys.
        termios.tcsetattr(fd, termios.TCSANOW, [iflag, oflag, cflag, lflag, ispeed, ospeed, chars])
    except (termios.error, OSError, ValueError):
        return None
    return before


def give_back(before: list[Any] | None) -> None:
    """The terminal as it was before `take_terminal`."""
    if before is None:
        return
    with contextlib.suppress(Exception):
        import termios

        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, before)
