"""A seeded mutation fuzzer over the sample trees: no traceback, no hang, exit codes 0/1/2 only.

`make test` runs a few cases; `make fuzz` runs FUZZ_CASES (default there: 5000).
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest

from kpitui.cli import main
from tests.conftest import SAMPLES

CASES = int(os.environ.get("FUZZ_CASES", "40"))
SECONDS = 20  # a case taking longer is a hang
SOURCES = [p.read_bytes() for p in sorted(SAMPLES.glob("*.toml"))]


def _flip(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def _delete(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + data[i + rng.randrange(1, 200) :]


def _duplicate(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + data[i : i + rng.randrange(1, 400)] + data[i:]


def _huge_number(rng: random.Random, data: bytes) -> bytes:
    numbers = [i for i, b in enumerate(data) if chr(b).isdigit()]
    if not numbers:
        return data
    i = rng.choice(numbers)
    huge = rng.choice([b"1" + b"0" * 400, b"1e308", b"-1e308", b"inf", b"nan", b"1e999", b"-0", b"9" * 30])
    return data[:i] + huge + data[i + 1 :]


def _deep(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice([50, 300, 500, 5000])
    opener = rng.choice([b"[", b"{a="])
    closer = b"]" if opener == b"[" else b"}"
    inner = b"1" if opener != b"[" else b""
    return data + b"\nzz = " + opener * depth + inner + closer * depth + b"\n"


def _bad_utf8(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]) + data[i:]


def _bom(_rng: random.Random, data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data


def _crlf(_rng: random.Random, data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


def _swap_lines(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[a], lines[b] = lines[b], lines[a]
    return b"\n".join(lines)


MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    _flip,
    _truncate,
    _delete,
    _duplicate,
    _huge_number,
    _deep,
    _bad_utf8,
    _bom,
    _crlf,
    _swap_lines,
]


def cases(count: int, seed: int = 8) -> Iterator[tuple[int, bytes]]:
    """(case number, mutated file) — one to three mutations of a sample each."""
    rng = random.Random(seed)
    for number in range(count):
        data = rng.choice(SOURCES)
        for _ in range(rng.randrange(1, 4)):
            if data:
                data = rng.choice(MUTATIONS)(rng, data)
        yield number, data


class _Hang(Exception):
    pass


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise _Hang


def test_mutated_trees_get_exit_0_1_or_2_never_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fuzz.toml"
    out = tmp_path / "fuzz.csv"
    failures: list[str] = []
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for number, data in cases(CASES):
            path.write_bytes(data)
            for argv in (["check", str(path)], ["export", str(path), "-o", str(out)]):
                signal.alarm(SECONDS)
                try:
                    code = main(argv)
                except _Hang:
                    failures.append(f"case {number} {argv[0]}: no answer in {SECONDS} s")
                    continue
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 2
                finally:
                    signal.alarm(0)
                err = capsys.readouterr().err
                if code not in (0, 1, 2) or "Traceback" in err:
                    failures.append(f"case {number} {argv[0]}: exit {code}: {err[-300:]}")
                    (tmp_path / f"case{number}.toml").write_bytes(data)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert failures == [], "\n".join(failures[:20])
