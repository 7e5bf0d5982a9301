"""The wheel holds everything an installed kpitui needs, and says what it is."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

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
