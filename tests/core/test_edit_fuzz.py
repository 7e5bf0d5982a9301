"""Random edits and saves of trees in the shapes that have fooled saving: no silent loss.

Each case makes a tree (inline-table nodes, multi-line strings ending in quotes, CRLF, a BOM,
quoted ids: `tests/toml_shapes.py`), makes a few random edits through `Document`, and saves.
The save either writes a file that reads back as exactly the edited document, with `FILE~`
the file before; or it is refused and both are untouched. `make test` runs a few cases;
`make fuzz` runs FUZZ_CASES of them (5000 there).
"""

from __future__ import annotations

import contextlib
import os
import random
from pathlib import Path
from typing import Any

from kpitui.io.saving import SaveError, differences
from kpitui.io.toml_read import read_toml
from kpitui.services.document import Document, EditError
from tests import toml_shapes

CASES = int(os.environ.get("FUZZ_CASES", "40"))


def _edit(rng: random.Random, doc: Document) -> None:
    ids = list(doc.tables)
    if not ids:
        doc.add_node({"name": "Again " + toml_shapes.one_line(rng), "kind": "goal"})
        return
    node_id = rng.choice(ids)
    kind = rng.randrange(6)
    if kind == 0:
        doc.set_fields(node_id, {rng.choice(["owner", "unit", "description"]): toml_shapes.words(rng)})
    elif kind == 1:
        doc.add_node({"name": "New " + toml_shapes.one_line(rng), "parent": node_id}, after=rng.choice(ids))
    elif kind == 2 and len(ids) > 2:
        doc.delete_node(node_id, children=rng.choice(["delete", "up"]))
    elif kind == 3:
        new_id = rng.choice(["r" + str(rng.randrange(100)), f"r {rng.randrange(100)}"])
        doc.replace(node_id, dict(doc.tables[node_id]), new_id=new_id)
    elif kind == 4:
        doc.set_settings({**doc.settings, "title": toml_shapes.words(rng)})
    else:
        doc.set_fields(node_id, {}, unset=("owner", "unit", "description"))


def _case(tmp_path: Path, seed: int) -> str:
    rng = random.Random(seed)
    shape = toml_shapes.tree(rng)
    path = tmp_path / f"t{seed}.toml"
    before = shape.text.encode("utf-8")
    path.write_bytes(before)
    doc = Document.open(path)
    original: dict[str, Any] = dict(doc.tree.doc)
    for _ in range(rng.randrange(1, 5)):
        with contextlib.suppress(EditError):
            _edit(rng, doc)
    intended = {**original, "nodes": dict(doc.tables)}
    if doc.settings_changed:
        intended["tree"] = doc.settings
    try:
        doc.save()
    except SaveError:
        assert path.read_bytes() == before
        assert not path.with_name(path.name + "~").exists()
        return "refused"
    saved = path.read_bytes().decode("utf-8").removeprefix(toml_shapes.BOM)
    assert differences(read_toml(saved, str(path)), intended) == [], seed
    assert path.with_name(path.name + "~").read_bytes() == before
    return "saved"


def test_random_edits_of_tricky_trees_save_exactly_or_not_at_all(tmp_path: Path) -> None:
    outcomes = [_case(tmp_path, seed) for seed in range(CASES)]
    # Every one of these trees can be saved: a refusal here is a scanner that lost its way.
    assert outcomes.count("saved") == CASES
