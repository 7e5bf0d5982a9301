"""Which trees read a measurements file.

A commit that changes only a tree's measurements changes its findings as much as one that
changes the tree: `kpitui check` given a measurements file (.csv, .parquet) checks the trees
in that file's folder whose `[tree] measurements` names it, so the pre-commit hook can watch
measurements files too.
"""

from __future__ import annotations

import os
from pathlib import Path

from kpitui.io.loader import KpiTree, decode, parse_tree, read_bytes
from kpitui.model.domain import TreeLoadError

SUFFIXES = (".csv", ".parquet")


def is_measurements(path: str | os.PathLike[str]) -> bool:
    """Whether `path` names a measurements file (by its suffix)."""
    return Path(path).suffix.lower() in SUFFIXES


def trees_reading(measurements: str | os.PathLike[str]) -> list[KpiTree]:
    """The trees in the measurements file's folder whose `[tree] measurements` is that file, loaded,
    in file name order; each named from the folder as the measurements file was (`kpis/a.toml`).

    A .toml file there that does not mention the file's name is not read; one that does not load
    or is not a KPI tree is passed by (it is checked when it is itself committed).
    """
    given = Path(measurements)
    target = given.resolve()
    name = given.name.encode("utf-8")
    found: list[KpiTree] = []
    for candidate in sorted(given.parent.glob("*.toml")):
        try:
            if not candidate.is_file():
                continue
            data = read_bytes(candidate)
            if name not in data:
                continue
            tree = parse_tree(decode(data, str(candidate)), candidate, data=data)
        except (TreeLoadError, OSError):
            continue
        named = tree.settings.measurements
        if named and (candidate.parent / named).resolve() == target:
            found.append(tree)
    return found
