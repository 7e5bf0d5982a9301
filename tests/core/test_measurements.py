"""Reading a measurements file (docs/contract.md#observations): which rows are good, what is said of the others."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest

from kpitui.io.measurements import DEFAULT_LIMIT, LIMIT_VARIABLE, load_measurements, size_limit


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


def sparse(path: Path, size: int, head: bytes = b"node,date,value\n") -> Path:
    path.write_bytes(head)
    os.truncate(path, size)  # the rest is a hole: nothing on disk
    return path


def test_a_sparse_measurements_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    # `truncate -s 2G m.csv`: 0 bytes on disk, and polars held 21 GB for 92 s reading its
    # zeros (tests/cli/test_robust_input.py has that one; this one is small enough to read).
    path = sparse(tmp_path / "m.csv", 64 << 20)
    started = time.monotonic()
    m = load_measurements(path)
    assert time.monotonic() - started < 1
    assert m.frame is None and len(m.problems) == 1
    assert m.problems[0].startswith(f"measurements file {str(path)!r} is sparse: 64.0 MiB long with only ")
    assert m.problems[0].endswith("it is not a measurements file: fix tree.measurements, or write the file again")


def test_a_measurements_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.csv"
    path.write_text("node,date,value\n" + "k,2026-01-05,1\n" * 100_000)  # 1.5 MB, all of it written
    monkeypatch.setenv(LIMIT_VARIABLE, "1M")
    m = load_measurements(path)
    assert m.frame is None
    assert m.problems == [
        f"measurements file {str(path)!r} is 1.4 MiB, more than the 1.0 MiB kpitui reads: if it is the right "
        "file, raise the limit (KPITUI_MAX_MEASUREMENTS=1G), else fix tree.measurements"
    ]
    monkeypatch.setenv(LIMIT_VARIABLE, "2 MiB")
    m = load_measurements(path)
    assert m.problems == [] and m.frame is not None and m.frame.height == 100_000


@pytest.mark.parametrize(
    ("text", "limit"),
    [("", DEFAULT_LIMIT), ("2G", 2 << 30), ("500m", 500 << 20), ("1.5 GiB", 3 << 29), ("123", 123), ("64KB", 65536)],
)
def test_the_size_limit_is_read_from_the_environment(text: str, limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LIMIT_VARIABLE, text)
    assert size_limit() == limit
    assert DEFAULT_LIMIT == 1 << 30


def test_a_size_limit_that_is_not_a_size_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m.csv").write_text("node,date,value\nk,2026-01-05,1\n")
    monkeypatch.setenv(LIMIT_VARIABLE, "lots")
    assert load_measurements(tmp_path / "m.csv").problems == [
        f"measurements file {str(tmp_path / 'm.csv')!r} was not read: KPITUI_MAX_MEASUREMENTS='lots' is not a "
        "size like 2G, 500M or 1073741824 (bytes)"
    ]


def test_a_file_with_a_small_hole_or_a_small_sparse_file_is_still_read(tmp_path: Path) -> None:
    # Holes are judged only when they are most of a file of 1 MiB or more.
    small = sparse(tmp_path / "small.csv", 64 << 10)
    assert "is sparse" not in " ".join(load_measurements(small).problems)
    rows = b"node,date,value\n" + b"k,2026-01-05,1\n" * 200_000  # 3 MB written
    mostly = tmp_path / "mostly.csv"
    mostly.write_bytes(rows)
    with mostly.open("r+b") as out:
        out.truncate(len(rows) + (1 << 20))  # a 1 MiB hole at the end, after a last newline
    m = load_measurements(mostly)
    assert "is sparse" not in " ".join(m.problems)
