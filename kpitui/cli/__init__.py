"""Command line: `kpitui [FILE]`, `check`, `export`, `set`; the TUI is imported only to open it."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from kpitui.common.text import safe_text
from kpitui.common.version import __version__
from kpitui.model.domain import LoadError, Location, NotATreeError, SaveError, TreeLoadError

if TYPE_CHECKING:
    from collections.abc import Callable

COMMANDS = (
    "check",
    "export",
    "set",
    "diagram",
    "schema",
    "serve",
    "completion",
    "record",
    "review",
    "whatif",
    "rule",
)
SAMPLE = "webshop.toml"

DESCRIPTION = """\
Browse, check, edit and export KPI trees.

  kpitui [FILE]                  open the TUI (no FILE: a copy of the bundled sample tree)
  kpitui check FILE              report orphans, conflicts, off-track KPIs and more
  kpitui export FILE [-o OUT]    write one row per node: CSV, or .xlsx
  kpitui set FILE ID KEY=VALUE   change one node from a script
  kpitui record FILE ROWS.csv    many actuals at once (columns node,date,value[,note]), all or none
  kpitui review FILE             the weekly check-in: what changed since last week, who acts
  kpitui diagram FILE            the tree as a Mermaid or Graphviz diagram
  kpitui serve [FILE]            the app in a browser (needs kpitui[web])
  kpitui completion SHELL        shell completion for bash, zsh or fish
  kpitui schema                  print the tree file's JSON Schema (for Taplo, VS Code)
  kpitui whatif FILE ID=VALUE    what changes if a driver had this value; --seek ID --via DRIVER
  kpitui rule CODE               what a finding code means, why it matters, how to fix it

Exit codes: 0 fine, 1 `check` found something at or above --fail-on, 2 the file could not be
loaded (or a change was refused), 3 an internal error: a bug in kpitui (KPITUI_DEBUG=1 shows it).
Run `kpitui COMMAND --help` for a command's options.
"""


# What each exit code of kpitui means, in every command and in the TUI (the docs' reference
# page of exit codes is made from this).
EXIT_CODES: tuple[tuple[str, str], ...] = (
    ("0", "Fine: the command did what was asked (`check`: nothing at or above --fail-on)."),
    ("1", "`check` found a finding at or above --fail-on (default: the project's fail_on, else warning)."),
    (
        "2",
        "A file could not be loaded (the errors go to stderr as FILE:LINE[:COL]: what is wrong; what to do, all "
        "of them, in file order), a save, `set` or `record` was refused, an output could not be written, or "
        "the command line was wrong.",
    ),
    (
        "3",
        "An internal error, a bug in kpitui: one line on stderr, the traceback only with KPITUI_DEBUG=1.",
    ),
    ("130", "Interrupted with ctrl+c."),
    (
        "128 + N",
        "The TUI was ended by signal N: 129 for a hang-up (SIGHUP, a dropped SSH connection), 143 for SIGTERM; "
        "unsaved edits are journaled first.",
    ),
)


def parser(command: str | None) -> argparse.ArgumentParser:
    """The argument parser of a command (one of COMMANDS), or of `kpitui [FILE]` for None."""
    return _parser(command)


class _Width:
    """argparse's help width read from the terminal through `os`, not `shutil`.

    argparse makes a help formatter for every `add_argument`, and its default one imports
    `shutil` (and with it bz2, lzma) to ask the terminal's width: a tenth of the start-up of
    `kpitui check` on a small tree. `os.get_terminal_size` is what `shutil` asks too.
    """

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        if width is None:
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)  # type: ignore[call-arg]


def _columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` gives it: $COLUMNS, the terminal, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(_Width, argparse.HelpFormatter):
    """The default help layout."""


class _RawFormatter(_Width, argparse.RawDescriptionHelpFormatter):
    """The description as written."""


class _Parser(argparse.ArgumentParser):
    """argparse that says what to do instead of only what went wrong."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raw = kwargs.get("formatter_class") is argparse.RawDescriptionHelpFormatter
        kwargs["formatter_class"] = _RawFormatter if raw else _Formatter
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-06-30") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _parser(command: str | None) -> argparse.ArgumentParser:
    if command is None:
        p = _Parser(prog="kpitui", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("file", nargs="?", help="tree file to open; created on first save if it does not exist")
        p.add_argument("--as-of", type=_as_of, metavar="DATE", help="reference date (default: tree.as_of, else today)")
        p.add_argument(
            "--theme", metavar="NAME", help="a Textual theme for this run (nord, gruvbox, textual-light, ...)"
        )
        p.add_argument("--version", action="version", version=f"kpitui {__version__}")
        return p
    if command == "check":
        p = _Parser(
            prog="kpitui check",
            description="Analyse trees and report every finding, most severe first. Exit 2 when a file cannot "
            "be loaded (the others are still checked), else 1 when a finding is at or above --fail-on.",
        )
        p.add_argument(
            "files",
            nargs="+",
            metavar="FILE",
            help="tree files (TOML); a measurements file (.csv, .parquet) checks the trees in its folder that read it",
        )
        p.add_argument("--as-of", type=_as_of, metavar="DATE", help="reference date (default: tree.as_of, else today)")
        p.add_argument(
            "--format",
            choices=("text", "json", "github", "sarif"),
            help="text for people; json; github (workflow annotations); sarif (SARIF 2.1.0) (default: github "
            "when GITHUB_ACTIONS=true, as in a GitHub Actions job, else text)",
        )
        p.add_argument(
            "--fail-on",
            choices=("error", "warning", "info", "never"),
            help="exit 1 when a finding is at or above this severity (default: the project's fail_on, from "
            "kpitui.toml or [tool.kpitui] in pyproject.toml beside the tree or above it, else warning)",
        )
        p.add_argument(
            "--only-trees",
            action="store_true",
            help="skip TOML files that are not KPI trees (no [nodes], [tree] or version), and measurements files "
            "no tree reads, as the pre-commit hook does",
        )
        return p
    if command == "export":
        p = _Parser(
            prog="kpitui export",
            description="Write one row per node, in tree order: CSV, or an Excel workbook when OUT ends in .xlsx.",
        )
        p.add_argument("file", help="tree file (TOML)")
        p.add_argument(
            "-o", "--output", metavar="OUT", help="write here (OUT.csv, or OUT.xlsx) instead of CSV to stdout"
        )
        p.add_argument("--as-of", type=_as_of, metavar="DATE", help="reference date (default: tree.as_of, else today)")
        p.add_argument("--raw", action="store_true", help="do not prefix formula-like cells with '")
        return p
    if command == "diagram":
        p = _Parser(
            prog="kpitui diagram",
            description="Write the tree as a Mermaid flowchart (paste it into a wiki or Markdown) or as Graphviz "
            "DOT (`dot -Tsvg`): names and statuses, coloured by rollup status, nodes serving no goal apart, "
            "declared and influence conflicts dashed.",
        )
        p.add_argument("file", help="tree file (TOML)")
        p.add_argument(
            "--format",
            choices=("mermaid", "dot"),
            help="mermaid or dot (default: dot when OUT ends in .dot or .gv, else mermaid)",
        )
        p.add_argument("-o", "--output", metavar="OUT", help="write here instead of to stdout")
        p.add_argument("--as-of", type=_as_of, metavar="DATE", help="reference date (default: tree.as_of, else today)")
        return p
    if command == "serve":
        p = _Parser(
            prog="kpitui serve",
            description="Serve the app to a web browser (textual-serve; install with pip install 'kpitui[web]'). "
            "Each browser tab runs its own app on FILE. Bound to 127.0.0.1 unless --host says otherwise. "
            "Only whoever opens the printed address, with its secret token, gets in: share it as you would "
            "the file itself.",
        )
        p.add_argument("file", nargs="?", help="tree file (default: a copy of the bundled sample tree)")
        p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
        p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
        p.add_argument(
            "--sessions",
            type=_positive,
            default=1,
            metavar="N",
            help="browser tabs open at once, each an app process (default: 1)",
        )
        p.add_argument("--token-file", metavar="PATH", help="also write the token here, readable by you only")
        p.add_argument("--as-of", type=_as_of, metavar="DATE", help="reference date (default: tree.as_of, else today)")
        return p
    if command == "completion":
        p = _Parser(
            prog="kpitui completion",
            description="Print the shell code for completing kpitui's commands, options and files. bash: "
            'add eval "$(kpitui completion bash)" to ~/.bashrc; zsh: the same with zsh in ~/.zshrc; fish: '
            "kpitui completion fish > ~/.config/fish/completions/kpitui.fish",
        )
        p.add_argument("shell", choices=("bash", "zsh", "fish"), help="bash, zsh or fish")
        return p
    if command == "record":
        p = _Parser(
            prog="kpitui record",
            description="Record many actuals at once: every row of ROWS.csv (a header naming node,date,value and "
            "optionally note) is checked first, and nothing is written unless all are good; a value its node's "
            "history makes implausible (a running total going back, a tenfold jump) is questioned and written "
            "only with --force. The rows are appended "
            "to the tree's measurements file, or, without one, each node's newest row is stored as its "
            "actual and measured date.",
        )
        p.add_argument("file", help="tree file (TOML)")
        p.add_argument("rows", help="CSV file of rows: node,date,value[,note]")
        p.add_argument(
            "--force",
            action="store_true",
            help="write values their node's history makes implausible (questioned otherwise), a read-only tree, "
            "or a measurements file outside its folder",
        )
        return p
    if command == "review":
        p = _Parser(
            prog="kpitui review",
            description="The weekly check-in: compares the analysis at --since (default: as_of minus 7 days) with "
            "the one at as_of — status changes, findings that appeared or cleared — and lists every KPI off track "
            "or forecast to miss with its owner, its gap and the weekly pace it now needs.",
        )
        p.add_argument("file", help="tree file (TOML)")
        p.add_argument("--since", type=_as_of, metavar="DATE", help="the last check-in (default: as_of minus 7 days)")
        p.add_argument("--as-of", type=_as_of, metavar="DATE", help="reference date (default: tree.as_of, else today)")
        p.add_argument("--format", choices=("text", "json"), default="text", help="report format (default: text)")
        return p
    if command == "whatif":
        from kpitui.cli.whatif import parser

        return parser(_Parser, _as_of)
    if command == "rule":
        from kpitui.cli.rule import parser as rule_parser

        return rule_parser(_Parser)
    if command == "schema":
        return _Parser(
            prog="kpitui schema",
            description="Print the tree file's JSON Schema (draft 2020-12), for editors: save it and point "
            "a `#:schema PATH` comment at the top of a tree file to it (Taplo, VS Code's Even Better TOML).",
        )
    p = _Parser(
        prog="kpitui set",
        description="Change one node and save the file as the TUI does. VALUE is read as TOML "
        '(actual=97, measured=2026-07-01, parent=["a","b"]), else as plain text (owner=Sales team).',
    )
    p.add_argument("file", help="tree file (TOML)")
    p.add_argument("id", help="the node's id")
    p.add_argument("assignments", nargs="*", metavar="KEY=VALUE", help="fields to set")
    p.add_argument("--unset", action="append", default=[], metavar="KEY", help="remove a field (repeatable)")
    p.add_argument("--force", action="store_true", help="write the file even if it is read-only")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run kpitui; returns the exit code (EXIT_CODES: 0 fine, 1 findings, 2 load/save, 3 a bug)."""
    global _own_process
    _own_process = argv is None
    try:
        code = _main(sys.argv[1:] if argv is None else argv)
    except Exception as exc:  # a bug: never let a script read a crash as findings (exit 1)
        return internal_error(exc)
    if argv is None and _written_out:
        _exit_now(code)
    return code


# Set by a command that has written everything and leaves nothing to clean up (`check`).
_written_out = False
# Whether this run is the process's own (`main()` from the command line), which ends with it.
_own_process = False


def _exit_now(code: int) -> None:
    """End the process (the command line's, never a caller's) without freeing, one by one and in
    a last garbage collection, the half a million objects a 10k-node check made (20-30 ms)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away, as _main treats it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    os._exit(code)


def internal_error(exc: BaseException) -> int:
    """Say on one line that kpitui failed (the traceback only with KPITUI_DEBUG=1); returns 3."""
    if os.environ.get("KPITUI_DEBUG"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    detail = safe_text(f"{type(exc).__name__}: {exc}")[:300]
    print(
        f"kpitui: internal error (a bug in kpitui, not in your file): {detail}; "
        "run again with KPITUI_DEBUG=1 for the traceback and report it",
        file=sys.stderr,
    )
    return 3


def _looks_like_a_command(word: str) -> bool:
    """A bare word (no dot, no slash, no option) that names no existing file: a mistyped command."""
    return not word.startswith("-") and "." not in word and "/" not in word and not Path(word).exists()


def _main(args: list[str]) -> int:
    from kpitui.cli.completion import complete_if_asked

    complete_if_asked(COMMANDS, _parser)
    command = args[0] if args and args[0] in COMMANDS else None
    if command is None and args and _looks_like_a_command(args[0]):
        import difflib

        close = difflib.get_close_matches(args[0], COMMANDS, n=1, cutoff=0.5)
        hint = f"did you mean `kpitui {close[0]}`? " if close else ""
        print(
            f"kpitui: {args[0]!r} is not a command nor an existing file; {hint}"
            f"commands: {', '.join(COMMANDS)}; to start a new tree, name it with .toml",
            file=sys.stderr,
        )
        return 2
    parser = _parser(command)
    rest = args[1:] if command else args
    options = parser.parse_intermixed_args(rest) if command == "set" else parser.parse_args(rest)
    try:
        return _HANDLERS.get(command or "", _open)(options)
    except TreeLoadError as exc:
        _print_load_errors(exc.errors)
        return 2
    except SaveError as exc:
        print(safe_text(str(exc)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`kpitui export tree.toml | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _check(options: argparse.Namespace) -> int:
    from kpitui.common.gcpause import no_gc_pauses
    from kpitui.engine import analyze
    from kpitui.io.config import ProjectConfig, project_config
    from kpitui.io.loader import KpiTree, load_tree
    from kpitui.io.readers_of import is_measurements, trees_reading
    from kpitui.outputs import ci as annotations
    from kpitui.outputs.text_report import as_text, colour_wanted, fails

    if options.format is None:  # in a GitHub Actions job, annotations on the pull request (as ruff does)
        options.format = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if options.fail_on is None:
        _personal_fail_on_ignored()
    results: list[annotations.Checked] = []
    fail_on: list[str] = []  # per result: --fail-on, else its project's, else warning ("" for a failed one)
    # No collections while the trees are read and analysed, nor while the report is made (it
    # allocates a container per finding: JSON, SARIF); a collection would walk the whole analysis
    # each time (10k nodes, JSON: 0.16 s with collections, 0.04 s without). A process of its own
    # ends right after the report (`main`): turning the collector on again would only set off one
    # last collection of everything (about 13 ms at 10k nodes).
    with no_gc_pauses(restore=not _own_process):
        projects: dict[Path, ProjectConfig] = {}
        done: set[str] = set()  # each tree once, whether named or reached through its measurements
        for file in options.files:
            todo: list[tuple[str, KpiTree | None]] = [(file, None)]
            if is_measurements(file):  # the trees that read it, so a change to it alone is checked
                todo = [(str(tree.path), tree) for tree in trees_reading(file)]
                if not todo and not options.only_trees:
                    results.append(annotations.Failed(file, [LoadError(Location(file), NOT_MEASURED)]))
                    fail_on.append("")
                elif not todo and options.format == "text":
                    print(safe_text(f"{file}: no tree in its folder reads it, skipped"), file=sys.stderr)
            for name, tree in todo:
                if os.path.realpath(name) in done:
                    continue
                done.add(os.path.realpath(name))
                try:
                    analysis = analyze(tree or load_tree(name), options.as_of)
                    limit = options.fail_on or project_config(name, projects).fail_on or "warning"
                    results.append(analysis)
                    fail_on.append(limit)
                except NotATreeError as exc:
                    if not options.only_trees:
                        results.append(annotations.Failed(name, exc.errors))
                        fail_on.append("")
                    elif options.format == "text":
                        print(safe_text(f"{name}: not a KPI tree, skipped"), file=sys.stderr)
                except TreeLoadError as exc:  # the tree's, or its project settings'
                    results.append(annotations.Failed(name, exc.errors))
                    fail_on.append("")
        if not results:
            return 0
        if options.format == "json":
            several = len(options.files) > 1 or len(results) > 1
            sys.stdout.write(annotations.as_json(results, several=several) + "\n")
        elif options.format == "github":
            sys.stdout.write(annotations.as_github(results))
        elif options.format == "sarif":
            sys.stdout.write(annotations.as_sarif(results) + "\n")
        else:
            colour = colour_wanted(sys.stdout.isatty())
            for i, checked in enumerate(results):
                if i:
                    sys.stdout.write("\n")
                if isinstance(checked, annotations.Failed):
                    sys.stdout.flush()
                    _print_load_errors(checked.errors)
                else:
                    sys.stdout.write(as_text(checked, colour))
    global _written_out
    _written_out = True
    if any(isinstance(c, annotations.Failed) for c in results):
        return 2
    failing = (
        fails(c.findings, limit)
        for c, limit in zip(results, fail_on, strict=True)
        if not isinstance(c, annotations.Failed)
    )
    return 1 if any(failing) else 0


NOT_MEASURED = (
    "no tree in its folder reads it (`measurements` in a tree's [tree] table): name the tree to check, "
    "or check with --only-trees, which passes it by"
)


def _personal_fail_on_ignored() -> None:
    """Say that a `fail_on` in the user's own config file no longer counts: what fails a check is
    the project's to decide, the same for everyone, the pre-commit hook and CI."""
    from kpitui.io.config import load_config

    config = load_config()
    if config.fail_on is not None:
        print(
            safe_text(
                f"kpitui: {config.path}: fail_on is ignored there: what fails a check is the project's to decide; "
                "set fail_on in a kpitui.toml beside the trees, or under [tool.kpitui] in pyproject.toml"
            ),
            file=sys.stderr,
        )


def _print_load_errors(errors: list[LoadError]) -> None:
    for error in errors:
        print(safe_text(str(error)), file=sys.stderr)
    if len(errors) > 1:
        print(f"{len(errors)} problems; the file was not loaded and not changed.", file=sys.stderr)


def _export(options: argparse.Namespace) -> int:
    from kpitui.common.gcpause import no_gc_pauses
    from kpitui.engine import analyze
    from kpitui.io.loader import load_tree
    from kpitui.outputs.export import write_csv

    with no_gc_pauses():
        analysis = analyze(load_tree(options.file), options.as_of)
    if options.output:
        try:
            if options.output.lower().endswith(".xlsx"):
                from kpitui.outputs.spreadsheet import write_xlsx

                write_xlsx(analysis, options.output, options.raw)
                return 0
            with open(options.output, "wb") as out:
                write_csv(analysis, out, options.raw)
        except OSError as exc:
            print(safe_text(f"{options.output}: cannot write: {exc.strerror or exc}"), file=sys.stderr)
            return 2
    elif sys.stdout.isatty():  # read by a person: the file's control characters shown escaped, as everywhere
        import io

        data = io.BytesIO()
        write_csv(analysis, data, options.raw)
        sys.stdout.write(safe_text(data.getvalue().decode("utf-8"), newlines=True))
        sys.stdout.flush()
    else:  # data for a program, exactly as the file has it
        write_csv(analysis, sys.stdout.buffer, options.raw)
        sys.stdout.flush()
    return 0


def _set(options: argparse.Namespace) -> int:
    from kpitui.services.editing import SetError, set_fields

    try:
        message = set_fields(Path(options.file), options.id, options.assignments, options.unset, options.force)
    except SetError as exc:
        print(safe_text(f"{options.file}: {exc}"), file=sys.stderr)
        return 2
    print(safe_text(message, newlines=True))
    return 0


def _record(options: argparse.Namespace) -> int:
    from kpitui.services.recording import RecordError, record

    try:
        done = record(Path(options.file), Path(options.rows), options.force)
    except RecordError as exc:
        for problem in exc.problems:
            print(safe_text(problem), file=sys.stderr)
        if exc.summary:
            print(exc.summary, file=sys.stderr)
        return 2
    print(safe_text(f"{options.file}: {done}"))  # names the measurements file, as the tree says it
    return 0


def _review(options: argparse.Namespace) -> int:
    from kpitui.analysis.results import resolve_as_of
    from kpitui.io.loader import load_tree
    from kpitui.services.review import as_json, as_text, review

    tree = load_tree(options.file)
    day = resolve_as_of(tree, options.as_of)
    if options.since is not None and options.since >= day:
        print(
            f"kpitui review: --since {options.since} is not before the review's date {day} "
            "(--as-of, else tree.as_of, else today): give an earlier --since",
            file=sys.stderr,
        )
        return 2
    result = review(tree, day, options.since)
    if options.format == "json":
        sys.stdout.write(as_json(result) + "\n")
    else:
        from kpitui.outputs.text_report import colour_wanted

        sys.stdout.write(as_text(result, colour_wanted(sys.stdout.isatty())))
    return 0


def _diagram(options: argparse.Namespace) -> int:
    from kpitui.engine import analyze
    from kpitui.io.loader import load_tree
    from kpitui.outputs.diagram import diagram

    form = options.format
    if form is None:
        form = "dot" if (options.output or "").lower().endswith((".dot", ".gv")) else "mermaid"
    text = diagram(analyze(load_tree(options.file), options.as_of), form)
    if not options.output:
        sys.stdout.write(text)
        return 0
    try:
        Path(options.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(safe_text(f"{options.output}: cannot write: {exc.strerror or exc}"), file=sys.stderr)
        return 2
    return 0


def _serve(options: argparse.Namespace) -> int:
    import contextlib
    import errno
    import shlex

    try:
        from kpitui.cli import serve as serving
    except ImportError:
        print("kpitui serve needs textual-serve: pip install 'kpitui[web]'", file=sys.stderr)
        return 2
    path = Path(options.file).resolve() if options.file else sample_path()
    # KPITUI_SERVED: the app writes files only in the tree's folder (its users may not be the file's owner).
    command = "KPITUI_SERVED=1 " + shlex.join([sys.executable, "-m", "kpitui", str(path)])
    if options.as_of:
        command += " " + shlex.join(["--as-of", options.as_of.isoformat()])
    port = options.port

    def cannot_listen(exc: OSError) -> int:
        if exc.errno == errno.EADDRINUSE:
            print(f"kpitui: port {port} is in use; pick another with --port", file=sys.stderr)
        else:
            print(f"kpitui: cannot listen on {options.host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2

    problem = serving.bind_problem(options.host, port)
    if problem is not None:
        return cannot_listen(problem)
    token = serving.new_token()
    token_file = Path(options.token_file) if options.token_file else None
    if token_file is not None:
        try:
            serving.write_token(token_file, token)
        except OSError as exc:
            print(f"kpitui: {token_file}: cannot write the token: {exc.strerror or exc}", file=sys.stderr)
            return 2
    server = serving.Guarded(
        command, host=options.host, port=port, title=f"kpitui — {path.name}", token=token, sessions=options.sessions
    )
    print(safe_text(f"kpitui: serving {path} (ctrl+c to stop); open"), file=sys.stderr)
    print(f"  {server.public_url}/?token={token}", file=sys.stderr)
    try:
        server.serve()
    except OSError as exc:  # taken between the test and the server's own bind
        return cannot_listen(exc)
    finally:
        if token_file is not None:
            with contextlib.suppress(OSError):
                if token_file.read_text(encoding="utf-8").strip() == token:
                    token_file.unlink()
    return 0


def _schema(_options: argparse.Namespace | None = None) -> int:
    from kpitui.model.json_schema import schema_text

    sys.stdout.write(schema_text())
    return 0


def sample_path() -> Path:
    """A copy of the bundled sample tree that the user may edit, made on first use."""
    import shutil

    package = Path(__file__).resolve().parent.parent  # kpitui/: installed, the samples are inside it
    bundled = next(
        (d for d in (package / "sample_trees", package.parent / "sample_trees") if (d / SAMPLE).exists()), None
    )
    if bundled is None:
        missing = "the bundled sample tree is missing from this installation; reinstall kpitui or name a FILE"
        raise TreeLoadError([LoadError(Location("kpitui"), missing)])
    state = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "kpitui" / "sample"
    state.mkdir(parents=True, exist_ok=True)
    for source in bundled.iterdir():
        target = state / source.name
        if source.is_file() and not target.exists():
            shutil.copy2(source, target)
    _schema_beside(state / SAMPLE)
    return state / SAMPLE


def _schema_beside(tree: Path) -> None:
    """Write the JSON Schema where the tree's `#:schema` line points, so editors complete the copy too.

    A convenience only: where it cannot be written the tree still opens.
    """
    import contextlib

    from kpitui.model.json_schema import schema_text

    with contextlib.suppress(OSError, UnicodeDecodeError):
        first = tree.read_text(encoding="utf-8").partition("\n")[0]
        if first.startswith("#:schema ") and "://" not in first:
            target = (tree.parent / first.removeprefix("#:schema ").strip()).resolve()
            text = schema_text()
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")


def _open(options: argparse.Namespace) -> int:
    path = Path(options.file) if options.file else sample_path()
    # A driver other than the terminal's (textual-serve's web driver, for `kpitui serve`) needs no terminal.
    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            safe_text(
                "kpitui: the tree browser needs a terminal (stdin and stdout); in scripts and pipes use "
                f"`kpitui check {path}` or `kpitui export {path}`"
            ),
            file=sys.stderr,
        )
        return 2
    from kpitui.tui import early_keys, hangup

    terminal = early_keys.take_terminal()  # before importing Textual: keys typed meanwhile stay keys
    try:
        from kpitui.io.config import load_config
        from kpitui.tui.app import make_app

        served = os.environ.get("KPITUI_SERVED") == "1"  # set by `kpitui serve` for its app processes
        app = make_app(path, as_of=options.as_of, theme=options.theme, config=load_config(), served=served)
        hangup.install(app.journal_now, terminal)
        app.run()
    finally:
        early_keys.give_back(terminal)
    crash = app.crash
    if crash is not None:
        return internal_error(crash)
    return int(app.return_code or 0)


def _completion(options: argparse.Namespace) -> int:
    from kpitui.cli.completion import script

    sys.stdout.write(script(options.shell))
    return 0


def _rule(options: argparse.Namespace) -> int:
    from kpitui.cli.rule import run

    return run(options)


def _whatif(options: argparse.Namespace) -> int:
    from kpitui.cli.whatif import run

    return run(options)


# Every command word of COMMANDS and what runs it; anything else opens the TUI.
_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": _check,
    "export": _export,
    "set": _set,
    "diagram": _diagram,
    "schema": _schema,
    "serve": _serve,
    "completion": _completion,
    "record": _record,
    "review": _review,
    "whatif": _whatif,
    "rule": _rule,
}
