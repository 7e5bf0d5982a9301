"""Shell completion through argcomplete: one parser with every command, for the shell to ask."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable

SHELLS = ("bash", "zsh", "fish")


def completion_parser(
    commands: Iterable[str], parser_of: Callable[[str | None], argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    """The command line as one argparse tree (the CLI itself dispatches on the first word).

    The top level's optional FILE is left out: argparse cannot tell it from a command.
    """
    top = parser_of(None)
    root = argparse.ArgumentParser(prog="kpitui", description=top.description)
    for action in top._actions:
        if action.option_strings and action.dest != "help":
            root._add_action(action)
    subs = root.add_subparsers(dest="command")
    for command in commands:
        sub = parser_of(command)
        subs.add_parser(command, parents=[sub], add_help=False, help=sub.description)
    return root


def complete_if_asked(commands: Iterable[str], parser_of: Callable[[str | None], argparse.ArgumentParser]) -> None:
    """Answer the shell's completion request and exit, when this run is one."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    import argcomplete

    argcomplete.autocomplete(completion_parser(commands, parser_of))


# argcomplete's zsh hook offers only what kpitui answers, so where kpitui has no answer (a tree
# file as the first word: `kpitui web<TAB>`) zsh completed nothing; bash (`complete -o default`)
# and fish fall back to file names. The same fallback for zsh: file names when nothing matched.
ZSH_ANSWER = '_describe "${words[1]}" completions "${nosort[@]}" "${nospace[@]}"'


def script(shell: str) -> str:
    """The shell code that hooks kpitui's completion into `shell`."""
    from argcomplete.shell_integration import shellcode

    code = shellcode(["kpitui"], shell=shell)
    if shell == "zsh":
        code = code.replace(ZSH_ANSWER, ZSH_ANSWER + " || _files")
    return code
