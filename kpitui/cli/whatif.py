"""`kpitui whatif`: a scenario (ID=VALUE...) or a goal seek (--seek ID --via DRIVER), text or JSON."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from datetime import date


def parser(make: Callable[..., argparse.ArgumentParser], as_of: Callable[[str], date]) -> argparse.ArgumentParser:
    """The argument parser of `kpitui whatif`."""
    p = make(
        prog="kpitui whatif",
        description="Recompute the tree with some actuals (or targets) replaced, without touching the file, "
        "and print every node whose actual, target, status, rollup status or forecast changes, before → after. "
        "With --seek ID --via DRIVER: the DRIVER value that makes ID reach its target (for linear pacing: "
        "the part of it expected by now), or --to a value.",
    )
    p.add_argument("file", help="tree file (TOML)")
    p.add_argument("assignments", nargs="*", metavar="ID=VALUE", help="hypothetical values, e.g. conversieratio=2.6")
    p.add_argument("--target", action="store_true", help="the values are targets, not actuals")
    p.add_argument("--seek", metavar="ID", help="the node that must reach its goal")
    p.add_argument("--via", metavar="DRIVER", help="the driver to solve for (upstream of --seek)")
    p.add_argument("--to", type=float, metavar="VALUE", help="the value --seek must reach (default: its goal)")
    p.add_argument("--as-of", type=as_of, metavar="DATE", help="reference date (default: tree.as_of, else today)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format (default: text)")
    return p


def run(options: argparse.Namespace) -> int:
    """Run `kpitui whatif`; 2 for anything that cannot be asked, with the reason on stderr."""
    from kpitui.common.text import safe_text
    from kpitui.drivers.questions import TARGET, DriverError, seek_goal, what_if
    from kpitui.engine import analyze
    from kpitui.io.loader import load_tree
    from kpitui.outputs.whatif_report import seek_json, seek_text, whatif_json, whatif_text

    def refuse(message: str) -> int:
        print(safe_text(f"{options.file}: {message}"), file=sys.stderr)
        return 2

    seeking = options.seek is not None or options.via is not None
    if seeking and (options.seek is None or options.via is None):
        return refuse("--seek ID and --via DRIVER go together: which node must reach its goal, through which driver")
    if seeking and (options.assignments or options.target):
        return refuse("--seek solves for one driver; give it without ID=VALUE and --target")
    if not seeking and not options.assignments:
        return refuse("nothing to ask: give ID=VALUE (e.g. conversieratio=2.6) or --seek ID --via DRIVER")
    if options.to is not None and not seeking:
        return refuse("--to goes with --seek")
    if options.to is not None and not math.isfinite(options.to):
        return refuse(f"--to {options.to} is not a number to reach; give a finite value (for example --to 1200000)")
    overrides: dict[str, float] = {}
    for assignment in options.assignments:
        node_id, sep, raw = assignment.partition("=")
        try:
            number = float(raw.strip().replace("_", ""))
        except ValueError:
            number = math.nan
        if not sep or not node_id.strip() or not math.isfinite(number):
            return refuse(f"{assignment!r} is not ID=NUMBER (for example conversieratio=2.6)")
        overrides[node_id.strip()] = number
    analysis = analyze(load_tree(options.file), options.as_of)
    try:
        if seeking:
            seek = seek_goal(analysis, options.seek, options.via, options.to)
            text = seek_json(analysis, seek) + "\n" if options.format == "json" else seek_text(analysis, seek)
        else:
            scenario = what_if(analysis, overrides, TARGET if options.target else "actual")
            text = whatif_json(scenario) + "\n" if options.format == "json" else whatif_text(scenario)
    except DriverError as exc:
        return refuse(str(exc))
    sys.stdout.write(text)
    return 0
