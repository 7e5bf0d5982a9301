"""`kpitui whatif` on the web-shop sample: the answers a user checks by hand."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

WEBSHOP = "sample_trees/webshop.toml"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kpitui", "whatif", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_what_if_conversion_goes_from_2_1_to_2_6_percent() -> None:
    result = run(WEBSHOP, "conversieratio=2.6")
    assert result.returncode == 0, result.stderr
    # 700,000 sessions x 2.6% = 18,200 orders x 36.2 EUR = 658,840 EUR
    assert result.stdout.splitlines()[:16] == [
        "Bonenbar.nl — online marketing 2026 — as of 2026-06-30",
        "What if Conversieratio (conversieratio) actual = 2.6 (now 2.1):",
        "",
        "  Online omzet €1,2M (omzet)",
        "      actual         532,140 EUR → 658,840 EUR",
        "      status         at risk → on track",
        "  Bestellingen (bestellingen)",
        "      actual         14,700 orders → 18,200 orders",
        "      status         off track → at risk",
        "      rollup status  off track → at risk",
        "  CRO: meer bezoekers worden klant (cro)",
        "      rollup status  off track → at risk",
        "  Conversieratio (conversieratio)",
        "      actual         2.1% → 2.6%",
        "      status         off track → at risk",
        "      rollup status  off track → at risk",
    ]
    assert "Findings that appear (4):" in result.stdout
    assert "Findings that clear (4):" in result.stdout
    assert "  off_track: 'Conversieratio' is off track: 2.1% against 2.8%" in result.stdout


def test_what_conversion_do_we_need_for_1_2_million() -> None:
    result = run(WEBSHOP, "--seek", "omzet", "--via", "conversieratio")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # on pace for 1.2M by 2026-06-30: 1,200,000 x 180/364 = 593,406.59 EUR;
    # / (700,000 sessions x 36.2 EUR) = 2.34178%
    assert lines[1] == (
        "Goal: Online omzet €1,2M (omzet) reaches 593,406.59 EUR "
        "(expected by 2026-06-30, on pace for its target of 1,200,000 EUR);"
    )
    assert lines[4] == "Conversieratio (conversieratio) must be 2.34178% (now 2.1%)."
    full = run(WEBSHOP, "--seek", "omzet", "--via", "conversieratio", "--to", "1200000", "--format", "json")
    data = json.loads(full.stdout)
    assert data["seek"]["value"] == pytest.approx(1_200_000 / (700_000 * 36.2) * 100, rel=1e-9)  # 4.7356%
    assert data["seek"]["goal_is"] == "the value asked"
    assert data["changes"][0]["actual"]["after"] == pytest.approx(1_200_000, rel=1e-9)


def test_json_lists_every_change_before_and_after() -> None:
    data = json.loads(run(WEBSHOP, "sessies=800000", "--format", "json").stdout)
    assert data["overrides"] == {"sessies": 800000.0}
    assert data["kind"] == "actual"
    assert data["changes"][0] == {
        "node": "omzet",
        "name": "Online omzet €1,2M",
        "actual": {"before": 532140.0, "after": pytest.approx(608160.0)},
        "status": {"before": "at_risk", "after": "on_track"},
    }


def test_targets_with_target_flag() -> None:
    data = json.loads(run(WEBSHOP, "sessies=2000000", "--target", "--format", "json").stdout)
    assert data["kind"] == "target"
    orders = next(c for c in data["changes"] if c["node"] == "bestellingen")
    assert orders["target"] == {"before": 42000.0, "after": 56000.0}  # 2M x 2.8%


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["conversie=3"], "there is no node 'conversie'"),
        (["conversieratio=lots"], "'conversieratio=lots' is not ID=NUMBER"),
        (["conversieratio=nan"], "is not ID=NUMBER"),
        ([], "nothing to ask"),
        (["--seek", "omzet"], "--seek ID and --via DRIVER go together"),
        (["--seek", "omzet", "--via", "roas"], "'roas' does not drive 'omzet'; its drivers are: bestellingen"),
        (["--seek", "roas", "--via", "roas"], "'roas' does not drive 'roas'"),
        (["x=1", "--seek", "omzet", "--via", "sessies"], "give it without ID=VALUE"),
    ],
)
def test_what_cannot_be_asked_exits_2_with_the_reason(args: list[str], message: str) -> None:
    result = run(WEBSHOP, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_no_value_reaches_it() -> None:
    result = run(WEBSHOP, "--seek", "omzet", "--via", "conversieratio", "--to", "-5")
    assert result.returncode == 0
    assert "must be" in result.stdout  # a negative conversion does it, and the report says so plainly


def test_review_says_what_moved_each_goal_that_moved() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kpitui", "review", WEBSHOP], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("What moved the goals")
    # 2026-06-23 → 06-30: revenue 675,300 x 2.12% x 36.2 = 518,252.23 → 700,000 x 2.1% x 36.2 = 532,140;
    # sessions +24,700 at the mean rate 2.11% (+18,866.35), the rate −0.02 points on the mean 687,650 (−4,978.59)
    assert lines[start + 1 : start + 4] == [
        "  Online omzet €1,2M: +13.9k EUR",
        "      +18.9k EUR  Bezoeken (sessies)",
        "      −4979 EUR  Conversieratio",
    ]
    data = json.loads(
        subprocess.run(
            [sys.executable, "-m", "kpitui", "review", WEBSHOP, "--format", "json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout
    )
    moved = data["moved"][0]
    assert moved["node"] == "omzet"
    assert moved["method"] == "shapley"
    parts = {p["node"]: p["change"] for p in moved["parts"]}
    assert parts["sessies"] == pytest.approx(18_866.354, abs=1e-6)
    assert parts["conversieratio"] == pytest.approx(-4_978.586, abs=1e-6)
    assert sum(parts.values()) == pytest.approx(moved["after"] - moved["before"], abs=1e-6)
