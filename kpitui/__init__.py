"""kpitui: browse, check and edit KPI trees in the terminal; `kpitui.load(path)` for Python."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpitui.common.version import __version__

__all__ = ["__version__", "load"]

if TYPE_CHECKING:
    from kpitui.api import load


def __getattr__(name: str) -> Any:
    # The API (and networkx, polars with it) loads only when asked for: `kpitui check` stays quick.
    if name == "load":
        from kpitui.api import load

        return load
    raise AttributeError(f"module 'kpitui' has no attribute {name!r}")
