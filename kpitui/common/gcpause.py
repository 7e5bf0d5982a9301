"""Keep the cyclic garbage collector out of reading and analysing a tree."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def no_gc_pauses(restore: bool = True) -> Iterator[None]:
    """Collect no garbage while the block runs; the collector is as it was afterwards
    (unless not `restore`: for a process that ends right after the block).

    Reading and analysing a tree allocate hundreds of thousands of objects that live as long
    as the tree is used and form almost no reference cycles, yet each allocation burst sets
    off a collection that walks them all again (11% of `check` at 10k nodes, 22% at 100k;
    see benchmarks/).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled and restore:
            gc.enable()
