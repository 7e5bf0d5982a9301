"""The core never imports the UI: check and export stay fast and run headless."""

import subprocess
import sys

from tests.conftest import ROOT


def test_core_and_cli_do_not_import_textual_or_rich() -> None:
    code = (
        "import sys, kpitui.cli, kpitui.core.analysis, kpitui.core.export, kpitui.core.report, "
        "kpitui.core.loader, kpitui.core.measurements;"
        "bad = [m for m in ('textual', 'rich') if m in sys.modules]; print(bad); sys.exit(bool(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
