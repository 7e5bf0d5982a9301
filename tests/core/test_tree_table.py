"""The [tree] table rewritten alone, settings edited through the Document, measurements files checked."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import tomli

from kpitui.io.saving import SaveError
from kpitui.io.tree_table import check_measurements, render_tree, replace_tree
from kpitui.services.document import Document, EditError

TEXT = """# Our tree
version = 1

[tree]   # the settings
title = "Old"
as_of = 2026-06-30
custom = "kept"   # an unknown key

[tree.thresholds]
on_track = 0.9

# nodes below
[nodes.a]
name = "A"   # a comment that stays
kind = "goal"
"""


def test_render_tree_writes_thresholds_as_their_own_table() -> None:
    table = {
        "title": "T",
        "period": {"start": date(2026, 1, 1), "end": date(2026, 12, 31)},
        "thresholds": {"on_track": 0.9},
    }
    assert render_tree(table) == (
        '[tree]\ntitle = "T"\nperiod = { start = 2026-01-01, end = 2026-12-31 }\n[tree.thresholds]\non_track = 0.9\n'
    )


def test_replace_tree_changes_only_the_tree_tables() -> None:
    table = {"title": "New", "custom": "kept", "thresholds": {"on_track": 0.95, "at_risk": 0.8}}
    result = replace_tree(TEXT, tomli.loads(TEXT), table)
    assert (
        result
        == """# Our tree
version = 1

[tree]
title = "New"
custom = "kept"
[tree.thresholds]
on_track = 0.95
at_risk = 0.8

# nodes below
[nodes.a]
name = "A"   # a comment that stays
kind = "goal"
"""
    )


def test_replace_tree_adds_one_before_the_first_table() -> None:
    text = 'version = 1\n\n[nodes.a]\nname = "A"\n'
    result = replace_tree(text, tomli.loads(text), {"title": "T"})
    assert result == 'version = 1\n\n[tree]\ntitle = "T"\n\n[nodes.a]\nname = "A"\n'
    assert replace_tree("", {}, {"title": "T"}) == '[tree]\ntitle = "T"\n'


def test_replace_tree_refuses_inline_and_scattered_settings() -> None:
    inline = 'tree = { title = "x" }\n[nodes.a]\nname = "A"\n'
    with pytest.raises(SaveError, match="inline or as dotted keys"):
        replace_tree(inline, tomli.loads(inline), {"title": "y"})
    scattered = '[tree]\ntitle = "x"\n[nodes.a]\nname = "A"\n[tree.thresholds]\non_track = 0.9\n'
    with pytest.raises(SaveError, match="several places"):
        replace_tree(scattered, tomli.loads(scattered), {"title": "y"})


def test_settings_are_an_undoable_edit_saved_alone(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(TEXT)
    doc = Document.open(path)
    assert not doc.dirty
    doc.set_settings({**doc.settings, "title": "New", "period": {"start": date(2026, 1, 1), "end": date(2026, 6, 30)}})
    assert doc.dirty and doc.current_tree().settings.title == "New"
    doc.undo()
    assert not doc.dirty and doc.current_tree().settings.title == "Old"
    doc.redo()
    doc.save()
    text = path.read_text()
    assert text.startswith('# Our tree\nversion = 1\n\n[tree]\ntitle = "New"\nas_of = 2026-06-30\ncustom = "kept"\n')
    assert "period = { start = 2026-01-01, end = 2026-06-30 }\n[tree.thresholds]\non_track = 0.9\n" in text
    assert text.endswith('# nodes below\n[nodes.a]\nname = "A"   # a comment that stays\nkind = "goal"\n')
    assert not doc.dirty and doc.settings["title"] == "New"


def test_settings_the_schema_refuses_are_not_applied(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(TEXT)
    doc = Document.open(path)
    with pytest.raises(EditError, match="at_risk"):
        doc.set_settings({"thresholds": {"on_track": 0.5, "at_risk": 0.9}})
    assert not doc.dirty


def test_a_new_tree_gets_its_title_and_period(tmp_path: Path) -> None:
    path = tmp_path / "new.toml"
    doc = Document.open(path)
    doc.set_settings({"title": "Webshop", "period": {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}})
    doc.add_node({"name": "G", "kind": "goal"}, "g")
    doc.save()
    assert path.read_text() == (
        'version = 1\n\n[tree]\ntitle = "Webshop"\nperiod = { start = 2026-01-01, end = 2026-12-31 }\n\n'
        '[nodes.g]\nname = "G"\nkind = "goal"\n'
    )


def test_measurements_files_are_checked_when_chosen(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_text("node,date,value,note\n")
    (tmp_path / "bad.csv").write_text("id;when;amount\n")
    (tmp_path / "folder.csv").mkdir()
    assert check_measurements(tmp_path, "good.csv") is None
    assert check_measurements(tmp_path, "new.csv") is None  # recording an actual creates it
    assert "no column(s) node, date, value" in (check_measurements(tmp_path, "bad.csv") or "")
    assert "not a regular file" in (check_measurements(tmp_path, "folder.csv") or "")
    assert ".csv or .parquet" in (check_measurements(tmp_path, "data.xlsx") or "")
    assert "does not exist" in (check_measurements(tmp_path, "missing.parquet") or "")
    assert "not a pattern" in (check_measurements(tmp_path, "*.csv") or "")
    assert "does not exist" in (check_measurements(tmp_path, "nowhere/new.csv") or "")


def test_a_measurements_file_chosen_that_is_sparse_or_one_long_line_is_refused_not_read(tmp_path: Path) -> None:
    # Its first line was read whole, then refused by the CSV reader with an error nothing
    # caught: the settings screen ended the TUI (a 300 MB sparse file: 620 MB read first).
    import os

    (tmp_path / "sparse.csv").write_bytes(b"")
    os.truncate(tmp_path / "sparse.csv", 300 << 20)
    assert "is sparse: 300.0 MiB long with only 0 bytes written" in (check_measurements(tmp_path, "sparse.csv") or "")
    (tmp_path / "long.csv").write_text("node,date,value," + "n" * 200_000 + "\n")
    assert check_measurements(tmp_path, "long.csv") is None  # its first 65,536 characters name the columns
    (tmp_path / "noise.csv").write_text("x" * 200_000 + ",node,date,value\n")
    assert "no column(s) node, date, value" in (check_measurements(tmp_path, "noise.csv") or "")


def test_unsaved_settings_are_journaled_and_recovered(tmp_path: Path) -> None:
    from kpitui.io.journal import read_journals

    path = tmp_path / "t.toml"
    path.write_text(TEXT)
    first = Document.open(path)
    first.set_settings({**first.settings, "title": "Journaled"})
    assert first.write_journal() is None
    doc = Document.open(path)
    (journal,) = read_journals(path, doc.session).journals
    assert journal.settings is not None and journal.settings["title"] == "Journaled"
    doc.recover(journal)
    assert doc.settings["title"] == "Journaled" and doc.dirty
    assert doc.current_tree().settings.title == "Journaled"


def test_a_journal_with_settings_the_schema_refuses_is_corrupt() -> None:
    from kpitui.io.journal import CorruptJournal, parse_journal

    text = 'file = "t.toml"\nwritten = "x"\norder = []\n[changed]\n[settings]\ntitle = 5\n'
    with pytest.raises(CorruptJournal, match="settings"):
        parse_journal(text.encode())
