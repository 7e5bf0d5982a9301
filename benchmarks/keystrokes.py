"""Keystrokes to build issue 13's 11-node tree from an empty file in the TUI, against the goal.

Replays the keys of `benchmarks/keystroke_task.py` in the real app (80x24, headless),
checks the file written equals the expected tree, and prints the count.

Usage: python benchmarks/keystrokes.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.keystroke_task import EXPECTED, keys, replay, typed_characters

GOAL = 250
BEFORE = 694  # the same kind of task in the first TUI (issue 13)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        written = asyncio.run(replay(Path(folder) / "webshop.toml"))
    count = len(keys())
    ok = "the expected tree" if written == EXPECTED else "NOT the expected tree (see tests/tui/test_keystrokes.py)"
    print(
        f"keystrokes to build the 11-node tree: {count} (goal <= {GOAL}, before {BEFORE}); "
        f"{typed_characters()} of them type names, numbers and units; the file written is {ok}"
    )


if __name__ == "__main__":
    main()
