"""The keymap of the config file checked against the binding ids kpitui has.

Textual's `App.set_keymap` ignores an id no binding has, so a typo (`app.serach`) did nothing,
silently. Every id of every binding of kpitui's screens and widgets (and of the Textual classes
they build on) is known by importing the TUI's modules: done off the event loop, and only for a
config file with a keymap.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
from collections.abc import Iterable


def binding_ids() -> set[str]:
    """Every binding id a keymap may name: kpitui's TUI classes' and those of the classes they extend."""
    from textual.binding import Binding

    import kpitui.tui

    ids: set[str] = set()
    for info in pkgutil.walk_packages(kpitui.tui.__path__, "kpitui.tui."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != info.name:
                continue
            for base in cls.__mro__:
                for binding in base.__dict__.get("BINDINGS", ()):
                    if isinstance(binding, Binding) and binding.id:
                        ids.add(binding.id)
    return ids


def unknown(keymap: Iterable[str], ids: set[str]) -> list[str]:
    """A sentence for each keymap id no binding has, with the nearest id that exists."""
    found = []
    for name in keymap:
        if name in ids:
            continue
        close = difflib.get_close_matches(name, sorted(ids), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        found.append(f"{name!r} is no binding's id{hint}")
    return found
