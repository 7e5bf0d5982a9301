"""Shared benchmark machinery: whole processes timed interleaved, ratios printed next to goals.

These machines are shared and noisy, so absolute times mean little: every goal is a ratio of
two things measured in the same run, and the commands being compared are run in turn (a, b,
a, b, ...) so that a burst of load elsewhere slows both, like hyperfine's interleaving. The
median of the runs is kept.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

PY = sys.executable


def compile_bytecode() -> None:
    """Compile kpitui's modules once, as pip does when it installs the package.

    A checkout run with PYTHONDONTWRITEBYTECODE set (or from a read-only folder) would
    otherwise compile every imported module again in every timed process, which is not
    what a user's installed kpitui does: in such a run start-up measured about twice as long.
    """
    package = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kpitui")
    subprocess.run([PY, "-m", "compileall", "-q", package], check=True, stdout=subprocess.DEVNULL)


@dataclass(frozen=True)
class Timing:
    """A command's median wall time and its largest peak memory over the runs."""

    seconds: float
    rss_mib: float


def run_once(args: Sequence[str], ok: Sequence[int] = (0, 1)) -> Timing:
    """Run a process to its end; its wall time and peak resident memory (max RSS)."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in ok:
        raise SystemExit(f"{' '.join(args)} failed with exit code {code}: {err.decode(errors='replace')[-500:]}")
    return Timing(elapsed, usage.ru_maxrss / 1024)


def interleaved(commands: Mapping[str, Sequence[str]], runs: int, warmup: int = 1) -> dict[str, Timing]:
    """Each command run `runs` times, in turn with the others; the median time of each."""
    return interleaved_calls({name: (lambda a=args: run_once(a)) for name, args in commands.items()}, runs, warmup)


def interleaved_calls(calls: Mapping[str, Callable[[], Timing]], runs: int, warmup: int = 1) -> dict[str, Timing]:
    """Like `interleaved`, for measurements that are not one plain process each."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    peaks: dict[str, float] = dict.fromkeys(calls, 0.0)
    for _ in range(runs):
        for name, call in calls.items():
            timing = call()
            times[name].append(timing.seconds)
            peaks[name] = max(peaks[name], timing.rss_mib)
    return {name: Timing(statistics.median(times[name]), peaks[name]) for name in calls}


@dataclass(frozen=True)
class Ratio:
    """One measured ratio and the goal it is held against (at or under `goal`)."""

    name: str
    value: float
    goal: float | None
    detail: str = ""

    def line(self) -> str:
        """The ratio as one report line: value, goal, met or not, and what was measured."""
        if self.goal is None:
            verdict = "          "
        else:
            verdict = f"≤ {self.goal:<5g} {'ok  ' if self.value <= self.goal else 'MISS'}"
        detail = f"  ({self.detail})" if self.detail else ""
        return f"{self.value:8.3f}  {verdict}  {self.name}{detail}"


def print_ratio(ratio: Ratio) -> Ratio:
    """Print a ratio as soon as it is measured (a full run takes minutes); returns it."""
    print(ratio.line(), flush=True)
    return ratio


def seconds(t: float) -> str:
    """A duration for the detail column."""
    return f"{t * 1000:.0f} ms" if t < 1 else f"{t:.2f} s"
