"""Reading a measurements file (SPEC 2): which rows are good, and what is said about the others."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kpitui.core.measurements import load_measurements


def test_spaces_around_a_date_or_a_value_are_read_past(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(
        'node,date,value,note\na, 2026-01-05 ,7 ,\nb,2026-01-06,\t2.5,\nc,"2026-01-07 "," -3 ",\nd,2026-01-08,1e3,\n'
    )
    m = load_measurements(tmp_path / "m.csv")
    assert m.bad_rows == []
    assert m.frame is not None
    assert m.frame.rows() == [
        ("a", date(2026, 1, 5), 7.0, 2),
        ("b", date(2026, 1, 6), 2.5, 3),
        ("c", date(2026, 1, 7), -3.0, 4),
        ("d", date(2026, 1, 8), 1000.0, 5),
    ]


def test_a_blank_node_and_what_spaces_do_not_mend_are_bad_rows(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(
        "node,date,value,note\n  ,2026-01-05,1,\na,2026-01-05,1 2,\na,2026-02-30 ,1,\n"
        "a,2026-01-05, inf,\nb,2026-01-05,4,\n"
    )
    m = load_measurements(tmp_path / "m.csv")
    assert m.bad_rows == [
        (2, "has no node id"),
        (3, "has value '1 2', not a number"),
        (4, "has date '2026-02-30 ', not an ISO date like 2026-06-30"),
        (5, "has value ' inf', not a number"),
    ]
    assert m.frame is not None and m.frame.rows() == [("b", date(2026, 1, 5), 4.0, 6)]


def test_ids_beginning_with_a_non_ascii_or_control_character_are_ids_unless_blank(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(
        "node,date,value,note\n\u00fcmsatz,2026-01-05,1,\n\u3000,2026-01-05,2,\n\u00a0 \t,2026-01-05,3,\n"
        '"\x01x",2026-01-05,4,\n" a",2026-01-05,5,\n!,2026-01-05,6,\n',
        encoding="utf-8",
    )
    m = load_measurements(tmp_path / "m.csv")
    assert m.bad_rows == [(3, "has no node id"), (4, "has no node id")]
    assert m.frame is not None
    assert [(node, line) for node, _, _, line in m.frame.rows()] == [
        ("\u00fcmsatz", 2),
        ("\x01x", 5),
        (" a", 6),
        ("!", 7),
    ]
