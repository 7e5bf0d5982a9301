"""The core never imports the UI: check and export stay fast and run headless."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

HEAVY = (
    "networkx",
    "polars",
    "tomli",
    "rtoml",
    "difflib",
    "shutil",
    "json",
    "hashlib",
    "tempfile",
    "tomllib",
    "kpitui.io.filesafe",
    "kpitui.io.source",
    "kpitui.model.formula",
)


def test_core_and_cli_do_not_import_textual_or_rich() -> None:
    code = (
        "import sys, kpitui.cli, kpitui.analysis.results, kpitui.outputs.export, kpitui.outputs.text_report, "
        "kpitui.io.loader, kpitui.io.measurements;"
        "bad = [m for m in ('textual', 'rich') if m in sys.modules]; print(bad); sys.exit(bool(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_of_a_plain_tree_imports_neither_networkx_nor_polars(tmp_path: Path) -> None:
    # Start-up is most of a small tree's `check` (a pre-commit hook runs it on every commit):
    # networkx is needed only for a parent cycle, polars only for measurements and export;
    # shutil (with bz2 and lzma, via argparse's help width), json, the saving machinery and
    # the exact-position TOML reader (and rtoml, for what toml-rs may not read) only when a
    # command or a finding needs them; the formula parser only for a tree with formulas.
    tree = tmp_path / "plain.toml"
    tree.write_text('[nodes.g]\nname = "G"\nkind = "goal"\n[nodes.k]\nname = "K"\nparent = "g"\ntarget = 1\n')
    code = (
        f"HEAVY = {HEAVY!r};"
        "import sys; from kpitui.cli import main; code = main(['check', sys.argv[1]]);"
        "heavy = [m for m in HEAVY if m in sys.modules];"
        "print(heavy, file=sys.stderr); sys.exit(10 + code if heavy else code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tree)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode in (0, 1), result.stderr
