"""`kpitui check`, `export` and saving, as ratios against a baseline measured in the same run.

- start-up: `check` of a small tree (20 nodes, no measurements) against `python -c "import tomllib"`;
- `check` of 10k nodes against the standard library's `tomllib` merely parsing the file;
- `check` of 100k nodes against 10k (10 = linear; with --full only: it takes minutes here);
- `export` against `check`; `check` with 100k measurement rows against without;
- saving a 10k-node tree after one edit against loading it.

Whole processes (what a user waits for), run in turn and compared by their medians.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.generate import measurements_csv, tree_text
from benchmarks.harness import PY, Ratio, Timing, interleaved, interleaved_calls, print_ratio, seconds

PARSE = "import sys, tomllib; tomllib.load(open(sys.argv[1], 'rb'))"


def check_args(path: Path) -> list[str]:
    """The command line of `kpitui check` that never fails on findings."""
    return [PY, "-m", "kpitui", "check", str(path), "--fail-on", "never"]


def run(base: Path, full: bool, runs: int) -> list[Ratio]:
    """Measure and print every ratio of this module."""
    found: list[Ratio] = []
    small = base / "small.toml"
    small.write_text(tree_text(20), encoding="utf-8")
    sample = Path(__file__).resolve().parent.parent / "sample_trees"
    startup = interleaved(
        {
            "python": [PY, "-c", "import tomllib"],
            "small": check_args(small),
            "sales": check_args(sample / "sales.toml"),
            "webshop": check_args(sample / "webshop.toml"),
        },
        runs * 2,
    )
    py = startup["python"].seconds
    found.append(
        print_ratio(
            Ratio(
                "check of a 20-node tree ÷ python -c 'import tomllib'",
                startup["small"].seconds / py,
                3,
                f"{seconds(startup['small'].seconds)} vs {seconds(py)}",
            )
        )
    )
    for name, why in (
        ("sales", "a parent cycle and a dangling reference"),
        ("webshop", "measurements: imports polars"),
    ):
        found.append(
            print_ratio(Ratio(f"check of sample_trees/{name}.toml ÷ the same", startup[name].seconds / py, None, why))
        )

    t10k = base / "t10k.toml"
    t10k.write_text(tree_text(10_000), encoding="utf-8")
    big = interleaved(
        {
            "parse": [PY, "-c", PARSE, str(t10k)],
            "check": check_args(t10k),
            "export": [PY, "-m", "kpitui", "export", str(t10k), "-o", str(base / "out.csv")],
        },
        runs,
    )
    check10k = big["check"].seconds
    found.append(
        print_ratio(
            Ratio(
                "check of 10k nodes ÷ tomllib parsing the file",
                check10k / big["parse"].seconds,
                0.5,
                f"{seconds(check10k)}, {big['check'].rss_mib:.0f} MiB",
            )
        )
    )
    found.append(print_ratio(Ratio("export of 10k nodes ÷ check", big["export"].seconds / check10k, None)))
    if full:
        t100k = base / "t100k.toml"
        t100k.write_text(tree_text(100_000), encoding="utf-8")
        hundred = interleaved({"check10k": check_args(t10k), "check100k": check_args(t100k)}, 3, warmup=0)
        found.append(
            print_ratio(
                Ratio(
                    "check of 100k nodes ÷ check of 10k",
                    hundred["check100k"].seconds / hundred["check10k"].seconds,
                    10.5,
                    f"{seconds(hundred['check100k'].seconds)}, {hundred['check100k'].rss_mib:.0f} MiB",
                )
            )
        )
    measured = base / "measured.toml"
    measured.write_text(tree_text(10_000, measurements="measured.csv"), encoding="utf-8")
    (base / "measured.csv").write_text(measurements_csv(10_000, 100_000))
    rows = interleaved({"plain": check_args(t10k), "measured": check_args(measured)}, runs)
    found.append(
        print_ratio(
            Ratio(
                "check of 10k nodes with 100k measurement rows ÷ without",
                rows["measured"].seconds / rows["plain"].seconds,
                None,
            )
        )
    )
    found += [print_ratio(r) for r in save_ratios(t10k, runs)]
    return found


def save_ratios(path: Path, runs: int) -> list[Ratio]:
    """Saving after one edit against loading the same file, in one process (as the TUI does).

    A save reads the bytes it is about to write back and compares them with the document meant
    (`Document._prove`): the writing is held to the old goal, and the whole save, proof included,
    is reported beside it.
    """
    from kpitui.io.loader import load_tree
    from kpitui.services import document

    proof = document.Document._prove

    def load() -> Timing:
        start = time.perf_counter()
        load_tree(path)
        return Timing(time.perf_counter() - start, 0)

    def saving(proved: bool) -> Callable[[], Timing]:
        def save() -> Timing:
            doc = document.Document.open(path)
            doc.set_fields(next(iter(doc.tables)), {"owner": "Benchmark"})
            document.Document._prove = proof if proved else lambda *args: None  # type: ignore[method-assign]
            try:
                start = time.perf_counter()
                doc.save()
                return Timing(time.perf_counter() - start, 0)
            finally:
                document.Document._prove = proof  # type: ignore[method-assign]

        return save

    calls: dict[str, Callable[[], Timing]] = {"load": load, "save": saving(True), "unproved": saving(False)}
    result = interleaved_calls(calls, runs)
    load_s, save_s, unproved_s = (result[k].seconds for k in ("load", "save", "unproved"))
    return [
        Ratio(
            "save of 10k nodes after one edit, without its proof ÷ loading them",
            unproved_s / load_s,
            0.1,
            f"{seconds(unproved_s)} vs {seconds(load_s)}",
        ),
        Ratio(
            "save of 10k nodes after one edit, proof included ÷ loading them",
            save_s / load_s,
            None,
            f"{seconds(save_s)} vs {seconds(load_s)}: the proof reads the new file back",
        ),
    ]
