"""Ending at once on a hang-up (SIGHUP) or a kill (SIGTERM), at every moment of the app's life.

asyncio's signal handlers run only when the event loop is free, and Python waits for
worker threads at exit, so a process loading a big tree in a worker, or computing on
the loop, outlived its terminal. A plain signal handler runs in the main thread at the
next bytecode: it writes the journal (every unsaved edit), gives the terminal back, and
ends the process without waiting for anything.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn

# Leave the alternate screen, show the cursor, stop mouse and bracketed-paste reporting.
RESTORE = "\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l"
SIGNALS = (signal.SIGHUP, signal.SIGTERM)


_handler: list[Callable[[int, FrameType | None], None]] = []


def arm(unsaved: bool) -> None:
    """SIGHUP: the kernel's own ending while nothing is unsaved, the journaling handler otherwise.

    The default action needs no Python: it ends the process even while a C call (the
    TOML reader on a 50 MB file) holds the interpreter for seconds.
    """
    if _handler:
        signal.signal(signal.SIGHUP, _handler[0] if unsaved else signal.SIG_DFL)


def end_now(code: int) -> NoReturn:
    """Hand the terminal back and end the process without waiting for any thread."""
    with contextlib.suppress(Exception):
        os.write(sys.__stdout__.fileno() if sys.__stdout__ else 1, RESTORE.encode())
    with contextlib.suppress(Exception):
        import termios

        if _saved:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, _saved[0])
    os._exit(code)


_saved: list[Any] = []


def install(journal: Callable[[], object], terminal: list[Any] | None = None) -> None:
    """From now on SIGTERM (and SIGHUP, once `arm(True)`) write the journal and end the process.

    `terminal`: the terminal settings to give back on the way out (default: as they are now).
    """
    if terminal is not None:
        _saved[:] = [terminal]
    else:
        with contextlib.suppress(Exception):
            import termios

            _saved[:] = [termios.tcgetattr(sys.stdin.fileno())]

    def handle(signum: int, _frame: FrameType | None) -> None:
        for number in SIGNALS:
            signal.signal(number, signal.SIG_IGN)  # a second signal must not interrupt the journal
        try:
            journal()
        finally:
            if signum == signal.SIGTERM:
                end_now(128 + signum)  # the terminal may still be there (a kill from another shell)
            os._exit(128 + signum)

    _handler[:] = [handle]
    signal.signal(signal.SIGTERM, handle)
    arm(False)
