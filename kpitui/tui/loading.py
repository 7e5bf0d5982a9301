"""How far loading a tree has got: written by the loading thread, shown by the screen.

The loading thread only sets plain attributes; the screen reads them on a timer and
redraws the header, so the thread never waits for the event loop and the event loop
never waits for the thread.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator

from kpitui.common.gcpause import no_gc_pauses as paused

# How often the header shows the progress again (when it changed): each time the screen is
# laid out again, which takes the interpreter from the loading thread (4% of a 100k load at 0.1 s).
PROGRESS_SECONDS = 0.25


class LoadProgress:
    """The step a load is in, with a count where the step has one, and when it began."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = time.monotonic()
        self.step = "reading"
        self.done = 0
        self.total = 0
        self.unit = ""

    def at(self, step: str, done: int = 0, total: int = 0, unit: str = "") -> None:
        """Now in `step`, `done` of `total` `unit` so far (0 of 0: a step without a count)."""
        self.step, self.done, self.total, self.unit = step, done, total, unit

    def text(self) -> str:
        """One line for the header: the step, its count or percentage, and the seconds so far."""
        count = ""
        if self.total:
            share = min(100, 100 * self.done // self.total)
            count = f": {self.done:,} of {self.total:,} {self.unit} ({share}%)"
        elif self.done:
            count = f" {self.done:,} {self.unit}"
        elapsed = time.monotonic() - self.started
        return f"Loading {self.name}… {self.step}{count} · {elapsed:.0f} s · q quits"


@contextlib.contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Keep the cyclic garbage collector out of parsing and analysing a tree.

    What the block made is then frozen, before the collector runs again: later collections,
    while editing, skip it. Unfrozen, the first collections after a load walked every object
    of the tree again, young as they all were (at 100k nodes, 0.3-0.6 s in which the tree was
    not shown yet). A load first collects what was made since (the frozen objects are not
    walked: this is quick), so that no garbage made while browsing is frozen with the tree,
    then unfreezes what the previous one froze, so a tree read again frees the old one.
    """
    gc.collect()
    gc.unfreeze()
    with paused():
        yield
        gc.freeze()
