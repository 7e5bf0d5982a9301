"""The wheel holds everything an installed kpitui needs, and says what it is."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tests.conftest import ROOT, SAMPLES


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("kpitui-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_holds_code_schema_samples_styles_and_license(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    package = ROOT / "kpitui"
    for path in package.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".tcss", ".json", ".typed") and "__pycache__" not in path.parts:
            assert path.relative_to(ROOT).as_posix() in names
    for sample in SAMPLES.iterdir():
        assert f"kpitui/sample_trees/{sample.name}" in names
    assert "kpitui/kpitui.schema.json" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def test_the_metadata_says_what_kpitui_is(wheel: zipfile.ZipFile) -> None:
    metadata = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    text = wheel.read(metadata).decode("utf-8")
    assert "License-Expression: MIT" in text
    assert "Classifier: Environment :: Console" in text
    assert "Curses" not in text  # Textual draws with escape codes of its own, not curses
    assert "Project-URL: Homepage, " in text
    assert "Provides-Extra: web" in text
    assert "Requires-Dist: textual-serve" in text
    entry = wheel.read(next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))).decode()
    assert "kpitui = kpitui.cli:main" in entry


def test_the_readme_starts_with_the_make_commands_then_what_and_how_to_install() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.index("make run") < text.index("make test") < text.index("is a terminal app")
    assert text.index("is a terminal app") < text.index("pipx install kpitui") < text.index("## Development")
    assert "uv tool install kpitui" in text
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def requirements() -> dict[str, SpecifierSet]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]
    return {r.name: r.specifier for r in found}


@pytest.mark.parametrize(
    ("package", "refused", "why"),
    [
        ("polars", "1.1.0", "scan_csv(infer_schema=...) came in 1.2: every tree with measurements exited 3"),
        ("polars", "1.27.1", "is_in(rows.implode()) means what kpitui means from 1.28: a bad row made the file unread"),
        ("polars", "1.40.1", "before 1.41 a row with one trailing empty cell made the whole file unreadable"),
        ("tomli", "2.3.0", "a key of 100,000 parts took all memory before 2.3.1 (the process was killed)"),
        ("tomli", "2.4.0", "2.4.0 lost that limit again"),
        ("argcomplete", "3.2.0", "kpitui completion zsh needs argcomplete's own zsh hook (#compdef), from 3.3"),
        ("xlsxwriter", "3.0.7", "polars' write_excel(autofit=True) needs 3.0.8: every .xlsx export exited 3"),
        ("textual", "6.1.0", "Footer(compact=...) came in 6.2: the TUI crashed at start"),
        ("textual", "9.0.0", "kpitui reads private Textual state (see README, Declared minimums are tested)"),
        ("pytest-asyncio", "0.23.8", "asyncio_default_fixture_loop_scope (pyproject.toml) came in 0.24"),
        ("pandas", "2.2.1", "the first pandas built for numpy 2 is 2.2.2, and lowest-direct takes numpy's newest"),
    ],
)
def test_declared_versions_admit_nothing_that_cannot_run_kpitui(package: str, refused: str, why: str) -> None:
    spec = requirements()[package]
    assert refused not in spec, why
    assert version(package) in spec  # what the suite runs on is admitted


def test_ci_runs_the_smoke_tests_on_the_lowest_versions_after_the_suite() -> None:
    steps = [
        line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line.startswith("make")
    ]
    assert steps == ["make test", "make test-lowest"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ntest-lowest:", 1)[1].split("\n\n", 1)[0]
    assert "uv pip install --quiet --resolution lowest-direct -e '.[dev]'" in recipe
    assert "pytest -q -p no:cacheprovider tests/test_smoke.py" in recipe
