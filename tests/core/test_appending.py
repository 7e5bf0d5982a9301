"""The measurements file: CSV-quoted appends, both-or-neither saves, path rules (issue 7 items 10, 11)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from kpitui.io.appending import append_rows, appended, measurements_path, rows_write
from kpitui.io.filesafe import commit
from kpitui.io.saving import OutsideFolder, SaveError
from kpitui.services.document import Document

WEIRD = 'a,b\n"c'


def tree_with(tmp_path: Path, measurements: str) -> Path:
    path = tmp_path / "t.toml"
    quoted = WEIRD.replace("\n", "\\n").replace('"', '\\"')
    text = textwrap.dedent(
        f"""\
        [tree]
        as_of = 2026-07-01
        measurements = {measurements!r}

        [nodes.g]
        name = "G"
        kind = "goal"

        [nodes."{quoted}"]
        name = "W"
        parent = "g"
        """
    )
    path.write_text(text, encoding="utf-8")
    return path


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_appended_rows_are_csv_quoted(tmp_path: Path) -> None:
    tree = tree_with(tmp_path, "m.csv")
    (tmp_path / "m.csv").write_text("node,date,value,note\ng,2026-01-01,1,\n")
    doc = Document.open(tree)
    doc.record_actual(WEIRD, 1234567.5, date(2026, 6, 1), measurements=True)
    doc.record_actual("g", 3000000.0, date(2026, 6, 2), measurements=True)
    doc.save()
    assert read_rows(tmp_path / "m.csv") == [
        ["node", "date", "value", "note"],
        ["g", "2026-01-01", "1", ""],
        [WEIRD, "2026-06-01", "1234567.5", ""],
        ["g", "2026-06-02", "3000000", ""],
    ]


def test_rows_follow_the_files_own_column_order() -> None:
    old = b"date,value,node\n2026-01-01,1,g"
    assert appended(old, [("x,y", date(2026, 2, 1), 2.0, "n")]) == (
        b'date,value,node\n2026-01-01,1,g\n2026-02-01,2,"x,y"\n'
    )


def test_a_missing_measurements_folder_saves_neither_file(tmp_path: Path) -> None:
    tree = tree_with(tmp_path, "missing/m.csv")
    before = tree.read_text(encoding="utf-8")
    doc = Document.open(tree)
    doc.set_fields("g", {"owner": "X"})
    doc.record_actual("g", 1.0, date(2026, 6, 1), measurements=True)
    with pytest.raises(SaveError, match=r"folder of the measurements file 'missing/m\.csv' does not exist"):
        doc.save()
    assert tree.read_text(encoding="utf-8") == before
    assert not (tmp_path / "t.toml~").exists()
    assert doc.dirty


def test_a_failing_append_leaves_the_tree_unsaved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpitui.io import appending

    tree = tree_with(tmp_path, "m.csv")
    (tmp_path / "m.csv").write_text("node,date,value\n")
    before = tree.read_text(encoding="utf-8")

    def broken(old: bytes | None, rows: object) -> bytes:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(appending, "appended", broken)
    doc = Document.open(tree)
    doc.record_actual("g", 1.0, date(2026, 6, 1), measurements=True)
    with pytest.raises(SaveError, match="disk full"):
        doc.save()
    assert tree.read_text(encoding="utf-8") == before
    assert (tmp_path / "m.csv").read_text() == "node,date,value\n"


@pytest.mark.parametrize("where", ["../outside.csv", "ABSOLUTE/outside.csv"])
def test_appending_outside_the_trees_folder_needs_consent(tmp_path: Path, where: str) -> None:
    folder = tmp_path / "trees"
    folder.mkdir()
    (tmp_path / "elsewhere").mkdir()
    where = where.replace("ABSOLUTE", str(tmp_path / "elsewhere"))  # an absolute path, still the test's own
    tree = tree_with(folder, where)
    target = (folder / where).resolve()
    target.write_text("node,date,value\n")
    with pytest.raises(OutsideFolder, match="is outside the tree's folder"):
        append_rows(tree, where, [("g", date(2026, 6, 1), 1.0)])
    assert target.read_text() == "node,date,value\n"
    append_rows(tree, where, [("g", date(2026, 6, 1), 1.0)], outside_ok=True)
    assert target.read_text() == "node,date,value\ng,2026-06-01,1\n"
    target.unlink()


def test_appending_below_the_trees_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    tree = tree_with(tmp_path, "data/m.csv")
    assert append_rows(tree, "data/m.csv", [("g", date(2026, 6, 1), 1.0, "first")]) == (tmp_path / "data/m.csv", 0)
    assert (tmp_path / "data/m.csv").read_text() == "node,date,value,note\ng,2026-06-01,1,first\n"


def test_appending_to_parquet_or_a_fifo_is_refused(tmp_path: Path) -> None:
    tree = tree_with(tmp_path, "m.parquet")
    with pytest.raises(SaveError, match=r"to a \.csv measurements file only"):
        append_rows(tree, "m.parquet", [("g", date(2026, 6, 1), 1.0)])
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(SaveError, match="is not a regular file"):
        append_rows(tree, "pipe.csv", [("g", date(2026, 6, 1), 1.0)])


def test_measurements_paths_are_literal_and_regular(tmp_path: Path) -> None:
    tree = tmp_path / "t.toml"
    assert measurements_path(tree, "m.csv") == (tmp_path / "m.csv", None)
    for pattern in ("*.csv", "dir/**/x.csv", "m[12].csv", "m?.csv"):
        path, problem = measurements_path(tree, pattern)
        assert path is None and problem is not None and "wildcard" in problem
    assert "must end with .csv or .parquet" in str(measurements_path(tree, "../.bashrc")[1])


def test_check_never_expands_a_glob_or_waits_on_a_fifo(tmp_path: Path) -> None:
    (tmp_path / "globdir").mkdir()
    (tmp_path / "globdir" / "a.csv").write_text("node,date,value\ng,2026-01-01,5\n")
    for measurements in ("globdir/*.csv", "pipe.csv"):
        tree = tree_with(tmp_path, measurements)
        if measurements == "pipe.csv":
            os.mkfifo(tmp_path / "pipe.csv")
        proc = subprocess.run(
            [sys.executable, "-m", "kpitui", "check", str(tree), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode in (0, 1), proc.stderr
        assert "measurements_error" in proc.stdout
        assert '"value": 5' not in proc.stdout


def test_a_hard_link_made_after_the_check_is_refused_under_the_lock(tmp_path: Path) -> None:
    # The path check comes first; the file can gain a name elsewhere before the lock is taken.
    folder, elsewhere = tmp_path / "trees", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    tree = tree_with(folder, "m.csv")
    (folder / "m.csv").write_text("node,date,value\n")
    write = rows_write(tree, "m.csv", [("g", date(2026, 6, 1), 1.0)])
    os.link(folder / "m.csv", elsewhere / "m.csv")
    with pytest.raises(OutsideFolder, match=r"has 2 names \(hard links\)"):
        commit([write])
    assert (elsewhere / "m.csv").read_text() == "node,date,value\n"
    commit([rows_write(tree, "m.csv", [("g", date(2026, 6, 1), 1.0)], outside_ok=True)])
    assert (elsewhere / "m.csv").read_text() == "node,date,value\ng,2026-06-01,1\n"


def test_a_document_save_asks_before_appending_to_a_hard_linked_measurements_file(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "trees", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    tree = tree_with(folder, "m.csv")
    (elsewhere / "m.csv").write_text("node,date,value\n")
    os.link(elsewhere / "m.csv", folder / "m.csv")
    doc = Document.open(tree)
    doc.record_actual("g", 1.0, date(2026, 6, 1), measurements=True)
    before = tree.read_bytes()
    with pytest.raises(OutsideFolder, match="hard links"):
        doc.save()
    assert tree.read_bytes() == before
    assert (elsewhere / "m.csv").read_text() == "node,date,value\n"
    doc.save(outside_ok=True)
    assert (elsewhere / "m.csv").read_text() == "node,date,value\ng,2026-06-01,1\n"
