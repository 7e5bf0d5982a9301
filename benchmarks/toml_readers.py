"""The TOML readers kpitui could use, compared: speed on generated trees and correctness on
the toml-test corpus (../shared/data/toml-test/ beside the checkout), in one run.

Speed is each reader's median parse time ÷ the standard library's `tomllib` on the same text.
Correctness: valid files read differently from `tomllib` (types and values), and invalid
files accepted (TOML 1.0's corpus; readers of TOML 1.1 accept a few 1.1 forms on purpose).
Readers that are not installed are skipped (`pip install pytomlpp` to compare all). kpitui
gives toml-rs only what `kpitui.io.toml_read.shallow` proves shallow (toml-rs crashes on values
nested thousands deep); that check is timed too, on the file's bytes, as the loader runs it.

Usage: python benchmarks/toml_readers.py
"""

from __future__ import annotations

import importlib
import math
import statistics
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import tree_text

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "toml-test" / "tests"
READERS = ("tomllib", "tomli", "rtoml", "toml_rs", "pytomlpp")


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return (type(value).__name__, value)


def readers() -> dict[str, Callable[[str], Any]]:
    """The installed readers' `loads`."""
    found = {}
    for name in READERS:
        try:
            found[name] = importlib.import_module(name).loads
        except ImportError:
            print(f"{name}: not installed, skipped")
    return found


def main() -> None:
    loads = readers()
    corpus = sorted(CORPUS.rglob("*.toml")) if CORPUS.exists() else []
    if corpus:
        for name, read in loads.items():
            wrong = accepted = valid = invalid = 0
            for path in corpus:
                text = path.read_bytes().decode("utf-8", errors="surrogateescape")
                if "\\udc" in ascii(text):
                    continue  # not UTF-8: refused before any reader sees it
                if "/valid/" in str(path):
                    try:
                        expected = _normal(tomllib.loads(text))
                    except tomllib.TOMLDecodeError:
                        continue
                    valid += 1
                    try:
                        wrong += _normal(read(text)) != expected
                    except Exception:
                        wrong += 1
                else:
                    invalid += 1
                    try:
                        read(text)
                        accepted += 1
                    except Exception:
                        pass
            print(f"{name:9} valid files read wrongly {wrong}/{valid}, invalid files accepted {accepted}/{invalid}")
    from kpitui.io.toml_read import shallow

    for n in (10_000, 100_000):
        text = tree_text(n)
        data = text.encode("utf-8")
        times: dict[str, list[float]] = {name: [] for name in loads}
        times["shallow (the guard)"] = []
        for _ in range(5 if n == 10_000 else 2):
            for name, read in loads.items():
                start = time.perf_counter()
                read(text)
                times[name].append(time.perf_counter() - start)
            start = time.perf_counter()
            assert shallow(data)
            times["shallow (the guard)"].append(time.perf_counter() - start)
        base = statistics.median(times["tomllib"])
        ratios = ", ".join(f"{name} {statistics.median(t) / base:.2f}" for name, t in times.items())
        print(f"parse time ÷ tomllib, {n} nodes: {ratios}")


if __name__ == "__main__":
    main()
