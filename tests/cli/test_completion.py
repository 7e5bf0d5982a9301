"""Shell completion (argcomplete): the hook for each shell, and the answers the shell gets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kpitui.cli import COMMANDS
from tests.conftest import ROOT

KPITUI = str(Path(sys.executable).parent / "kpitui")


def complete(line: str, tmp_path: Path) -> list[str]:
    """What kpitui answers when the shell asks to complete `line`."""
    out = tmp_path / "answer"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
    }
    subprocess.run([sys.executable, "-m", "kpitui"], env=env, cwd=ROOT, check=True, timeout=60, capture_output=True)
    return out.read_text(encoding="utf-8").split("\v")


@pytest.mark.parametrize(
    ("shell", "mark"),
    [("bash", "-F _python_argcomplete kpitui"), ("zsh", "#compdef kpitui"), ("fish", "complete --command kpitui")],
)
def test_each_shell_gets_a_hook_for_kpitui(shell: str, mark: str, capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert mark in script
    assert "kpitui" in script
    assert "_ARGCOMPLETE" in script


def test_commands_options_and_choices_are_completed(tmp_path: Path) -> None:
    assert set(COMMANDS) <= set(complete("kpitui ", tmp_path))
    assert set(complete("kpitui check --f", tmp_path)) == {"--format", "--fail-on"}
    assert complete("kpitui check --format ", tmp_path) == ["text", "json", "github", "sarif"]
    assert complete("kpitui diagram tree.toml --format ", tmp_path) == ["mermaid", "dot"]
    assert complete("kpitui completion ", tmp_path)[-3:] == ["bash", "zsh", "fish"]
    assert "sample_trees/" in complete("kpitui check sample_", tmp_path)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_the_commands_through_the_hook(tmp_path: Path) -> None:
    script = subprocess.run([KPITUI, "completion", "bash"], capture_output=True, text=True, check=True).stdout
    (tmp_path / "hook.bash").write_text(script, encoding="utf-8")
    probe = (
        f"source {tmp_path / 'hook.bash'}; COMP_WORDS=(kpitui ''); COMP_CWORD=1; COMP_LINE='kpitui '; "
        "COMP_POINT=7; COMP_TYPE=9; _python_argcomplete kpitui '' kpitui; printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    env = {**os.environ, "PATH": f"{Path(KPITUI).parent}{os.pathsep}{os.environ['PATH']}"}
    answer = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, env=env, check=True, timeout=60)
    assert set(COMMANDS) <= set(answer.stdout.split())


def test_zsh_falls_back_to_file_names_where_kpitui_has_no_answer() -> None:
    # bash (complete -o default) and fish fall back to file names; argcomplete's zsh hook did not,
    # so `kpitui web<TAB>` completed nothing in zsh.
    from kpitui.cli.completion import ZSH_ANSWER, script

    assert f"{ZSH_ANSWER} || _files\n" in script("zsh")
    assert "_files" not in script("bash")


@pytest.mark.skipif(shutil.which("zsh") is None or shutil.which("tmux") is None, reason="zsh or tmux is missing")
def test_zsh_completes_a_tree_file_and_a_command(tmp_path: Path) -> None:
    (tmp_path / "webshop.toml").write_text('[nodes.g]\nname = "G"\nkind = "goal"\n', encoding="utf-8")
    hook = tmp_path / "hook.zsh"
    made = subprocess.run(
        [sys.executable, "-m", "kpitui", "completion", "zsh"], cwd=ROOT, capture_output=True, text=True
    )
    hook.write_text(made.stdout, encoding="utf-8")
    (tmp_path / ".zshrc").write_text(
        f"autoload -U compinit && compinit -u\nexport PATH={Path(KPITUI).parent}:$PATH\nsource {hook}\nPS1='%% '\n",
        encoding="utf-8",
    )
    server = ["tmux", "-L", f"kpitui-zsh-{os.getpid()}"]
    env = {**os.environ, "ZDOTDIR": str(tmp_path), "HOME": str(tmp_path)}
    subprocess.run(
        [*server, "new", "-d", "-s", "z", "-x", "100", "-y", "10", "-c", str(tmp_path), "zsh", "-i"],
        env=env,
        check=True,
    )
    try:

        def prompt_line(wanted: str) -> str:
            """The prompt's line once it reads `wanted`, or as it is after 10 s."""
            line = ""
            for _ in range(100):
                screen = subprocess.run([*server, "capture-pane", "-p", "-t", "z"], capture_output=True, text=True)
                lines = [line.rstrip() for line in screen.stdout.splitlines() if line.startswith("%")]
                line = lines[-1] if lines else ""
                if line == wanted:
                    break
                time.sleep(0.1)
            return line

        assert prompt_line("%") == "%"  # zsh is up, completion loaded
        for keys, completed in (("kpitui web", "% kpitui webshop.toml"), ("kpitui che", "% kpitui check")):
            subprocess.run([*server, "send-keys", "-t", "z", "C-u", keys, "Tab"], check=True)
            assert prompt_line(completed) == completed
    finally:
        subprocess.run([*server, "kill-server"], check=False)
