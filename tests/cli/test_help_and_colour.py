"""What `kpitui --help` says of exit codes, and when a report for people is coloured."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kpitui.cli import main
from kpitui.outputs.text_report import colour_wanted
from tests.conftest import ROOT

ANSI = "\033["


def test_help_names_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "Exit codes: 0 fine, 1 `check` found something at or above --fail-on, 2 the file could not be loaded "
        "(or a change was refused), 3 an internal error: a bug in kpitui (KPITUI_DEBUG=1 shows it)."
    ) in text


@pytest.mark.parametrize(
    ("terminal", "environ", "coloured"),
    [
        (False, {}, False),
        (True, {}, True),
        (False, {"FORCE_COLOR": "1"}, True),  # a CI log that shows colours
        (False, {"FORCE_COLOR": ""}, False),  # set but empty: not forced
        (False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR wins
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # set but empty: no-color.org says colour stays
    ],
)
def test_colour_wanted(terminal: bool, environ: dict[str, str], coloured: bool) -> None:
    assert colour_wanted(terminal, environ) is coloured


@pytest.mark.parametrize("command", [["check", "sample_trees/webshop.toml"], ["review", "sample_trees/webshop.toml"]])
@pytest.mark.parametrize(
    ("environ", "coloured"), [({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False), ({}, False)]
)
def test_force_color_colours_check_and_review_into_a_pipe(
    command: list[str], environ: dict[str, str], coloured: bool
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "GITHUB_ACTIONS")}
    result = subprocess.run(
        [sys.executable, "-m", "kpitui", *command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, **environ},
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    assert (ANSI in result.stdout) is coloured
