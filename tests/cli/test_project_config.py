"""What fails a check is the project's to decide (kpitui.toml, [tool.kpitui]), never one person's config."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpitui.cli import main
from kpitui.io.config import config_path

ERROR = """\
[nodes.g]
name = "G"
kind = "goal"

[nodes.k]
name = "K"
parent = "missing"
"""

WARNING = """\
[tree]
as_of = 2026-01-02

[nodes.g]
name = "G"
kind = "goal"
owner = "Team"

[nodes.k]
name = "K"
parent = "g"
owner = "Team"
unit = "EUR"
pacing = "level"
target = 100
actual = 10
measured = 2026-01-01
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def personal(text: str) -> Path:
    return write(config_path(), text)  # under the test's own XDG_CONFIG_HOME (tests/conftest.py)


@pytest.fixture(autouse=True)
def outside_github(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def test_a_personal_fail_on_never_no_longer_passes_a_tree_with_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The pre-commit hook passed a tree with errors for whoever had fail_on = "never" in their own config.
    config = personal('theme = "nord"\nfail_on = "never"\n')
    tree = write(tmp_path / "repo" / "kpis.toml", ERROR)
    assert main(["check", "--only-trees", str(tree)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"kpitui: {config}: fail_on is ignored there: what fails a check is the project's to decide; set fail_on "
        "in a kpitui.toml beside the trees, or under [tool.kpitui] in pyproject.toml\n"
    )


def test_the_project_decides_whatever_the_personal_config_says(tmp_path: Path) -> None:
    personal('fail_on = "never"\n')
    write(tmp_path / "repo" / "kpitui.toml", 'fail_on = "error"\n')
    assert main(["check", str(write(tmp_path / "repo" / "warned.toml", WARNING))]) == 0
    assert main(["check", str(write(tmp_path / "repo" / "broken.toml", ERROR))]) == 1


def test_pyproject_tool_table_above_the_tree(tmp_path: Path) -> None:
    write(tmp_path / "repo" / "pyproject.toml", '[project]\nname = "x"\n\n[tool.kpitui]\nfail_on = "never"\n')
    write(tmp_path / "repo" / "kpis" / "pyproject.toml", '[project]\nname = "no kpitui table: passed by"\n')
    assert main(["check", str(write(tmp_path / "repo" / "kpis" / "deep" / "t.toml", ERROR))]) == 0


def test_the_nearest_settings_win_and_kpitui_toml_before_pyproject_in_one_folder(tmp_path: Path) -> None:
    write(tmp_path / "repo" / "kpitui.toml", 'fail_on = "never"\n')
    write(tmp_path / "repo" / "team" / "pyproject.toml", '[tool.kpitui]\nfail_on = "never"\n')
    write(tmp_path / "repo" / "team" / "kpitui.toml", 'fail_on = "warning"\n')
    assert main(["check", str(write(tmp_path / "repo" / "team" / "t.toml", WARNING))]) == 1
    assert main(["check", str(write(tmp_path / "repo" / "t.toml", WARNING))]) == 0
    # Each file is judged by its own project's settings, in one run.
    assert main(["check", str(tmp_path / "repo" / "t.toml"), str(tmp_path / "repo" / "team" / "t.toml")]) == 1


def test_a_kpi_tree_named_kpitui_toml_is_a_tree_not_settings(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.kpitui]\nfail_on = "never"\n')
    tree = write(tmp_path / "kpitui.toml", ERROR)
    assert main(["check", str(tree)]) == 0
    assert main(["check", str(write(tmp_path / "other.toml", ERROR))]) == 0


def test_fail_on_on_the_command_line_beats_the_project(tmp_path: Path) -> None:
    write(tmp_path / "kpitui.toml", 'fail_on = "never"\n')
    assert main(["check", "--fail-on", "warning", str(write(tmp_path / "t.toml", WARNING))]) == 1


def test_wrong_project_settings_are_load_errors_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.kpitui]\nfail_on = "errors"\ntheme = "nord"\nfailon = 1\n',
    )
    tree = write(tmp_path / "t.toml", WARNING)
    assert main(["check", str(tree)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{settings}:6: `theme` is a personal setting: put it in {config_path()}, not in the project's settings; "
        "the project's are: fail_on",
        f"{settings}:7: unknown project setting `failon`; known: fail_on",
        f"{settings}:5: `fail_on` is 'errors'; use one of: error | warning | info | never",
        "3 problems; the file was not loaded and not changed.",
    ]
    write(tmp_path / "kpitui.toml", "fail_on = \n")
    assert main(["check", str(tree)]) == 2
    assert capsys.readouterr().err.startswith(f"{tmp_path / 'kpitui.toml'}:1:11: not valid TOML: ")


@pytest.mark.parametrize(
    ("environment", "args", "first"),
    [
        ("true", [], "::warning file="),
        ("true", ["--format", "text"], "t.toml — "),
        ("false", [], "t.toml — "),
        (None, [], "t.toml — "),
    ],
)
def test_check_writes_annotations_in_a_github_actions_job(
    environment: str | None,
    args: list[str],
    first: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if environment is not None:
        monkeypatch.setenv("GITHUB_ACTIONS", environment)
    tree = write(tmp_path / "t.toml", WARNING)
    assert main(["check", *args, str(tree)]) == 1
    assert capsys.readouterr().out.startswith(first)
