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
    # Now: 710,000 sessions x 2.6% = 18,460 orders x 36.2 EUR = 668,252 EUR (was 14,910 orders, 539,742 EUR).
    # By 2026-12-31 (docs/contract.md#forecast): conversion's trend line moves up with it, 1.68625% → 2.18625%, so the
    # orders forecast 1,255,375.42 sessions x 2.18625% = 27,445.66 and revenue 27,445.66 x 37.62 EUR = 1,032,570.10:
    # 86% of 1.2M, at risk instead of off track.
    # Conversion is paced linearly from 2.4% to 2.8%: expected 2.4 + 0.4 x 180/364 = 2.5978%, so 2.6% is on track
    # (attainment 1 + 0.0022/0.1978 = 1.011), and with order value on track (36.2 against 36.23) so is CRO.
    assert result.stdout.splitlines()[:21] == [
        "Bonenbar.nl — online marketing 2026 — as of 2026-06-30",
        "What if Conversieratio (conversieratio) actual = 2.6 (now 2.1):",
        "",
        "  Online omzet €1,2M (omzet)",
        "      actual          539,742 EUR → 668,252 EUR",
        "      status          at risk → on track",
        "      forecast        796,419.30 EUR → 1,032,570.10 EUR (by 2026-12-31)",
        "      forecast status off track → at risk",
        "  Bestellingen (bestellingen)",
        "      actual          14,910 orders → 18,460 orders",
        "      status          off track → at risk",
        "      rollup status   off track → at risk",
        "      forecast        21,168.79 orders → 27,445.66 orders (by 2026-12-31)",
        "  CRO: meer bezoekers worden klant (cro)",
        "      rollup status   off track → on track",
        "  Conversieratio (conversieratio)",
        "      actual          2.1% → 2.6%",
        "      status          off track → on track",
        "      rollup status   off track → on track",
        "      forecast        1.68625% → 2.18625% (by 2026-12-31)",
        "",
    ]
    # Conversion on track clears the goodhart by status; none by trend is left, since order value
    # (a linear KPI) grows slower than its plan needs: it loses ground, so the pair is a declared
    # tension only (a conflict of severity info appears, the goodhart clears).
    assert "Findings that appear (4):" in result.stdout
    assert "Findings that clear (5):" in result.stdout
    assert (
        "  conflict: 'Conversieratio' and 'Gemiddelde orderwaarde' are declared counter-metrics, a managed"
        in (result.stdout.split("Findings that clear")[0])
    )
    assert (
        "  forecast_miss: 'Online omzet €1,2M' is at risk today but its inputs' trends give it 796k EUR"
        in result.stdout
    )
    assert "  off_track: 'Conversieratio' is off track: 2.1% against 2.6% expected by 2026-06-30" in result.stdout


def test_the_forecasts_a_what_if_moves_check_out_by_hand() -> None:
    from datetime import date

    from kpitui.drivers.questions import what_if
    from kpitui.engine import analyze
    from kpitui.io.loader import load_tree

    an = analyze(load_tree(ROOT / WEBSHOP))
    fc = {n: an.results[n].forecast for n in ("sessies", "conversieratio", "gemiddelde-orderwaarde", "omzet")}
    assert all(f is not None and f.day == date(2026, 12, 31) for f in fc.values())
    s, c, a = (fc[n].value for n in ("sessies", "conversieratio", "gemiddelde-orderwaarde"))  # type: ignore[union-attr]
    assert fc["omzet"].value == pytest.approx(s * c / 100 * a, rel=1e-12)  # type: ignore[union-attr]
    scenario = what_if(an, {"conversieratio": 2.6})
    moved = scenario.results["omzet"].forecast
    assert moved is not None and moved.value == pytest.approx(s * (c + 0.5) / 100 * a, rel=1e-12)
    assert moved.status == "at_risk"  # 1,032,570.10 / 1,200,000 = 0.8605: still short of 1.2M


def test_what_conversion_do_we_need_for_1_2_million() -> None:
    result = run(WEBSHOP, "--seek", "omzet", "--via", "conversieratio")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # on pace for 1.2M by 2026-06-30: 1,200,000 x 180/364 = 593,406.59 EUR;
    # / (710,000 sessions x 36.2 EUR = 25,702,000) = 2.30880%
    assert lines[1] == (
        "Goal: Online omzet €1,2M (omzet) reaches 593,406.59 EUR "
        "(expected by 2026-06-30, on pace for its target of 1,200,000 EUR);"
    )
    assert lines[4] == "Conversieratio (conversieratio) must be 2.3088% (now 2.1%)."
    full = run(WEBSHOP, "--seek", "omzet", "--via", "conversieratio", "--to", "1200000", "--format", "json")
    data = json.loads(full.stdout)
    assert data["seek"]["value"] == pytest.approx(1_200_000 / (710_000 * 36.2) * 100, rel=1e-9)  # 4.6689%
    assert data["seek"]["goal_is"] == "the value asked"
    assert data["changes"][0]["actual"]["after"] == pytest.approx(1_200_000, rel=1e-9)


def test_json_lists_every_change_before_and_after() -> None:
    data = json.loads(run(WEBSHOP, "sessies=800000", "--format", "json").stdout)
    assert data["overrides"] == {"sessies": 800000.0}
    assert data["kind"] == "actual"
    # 800,000 x 2.1% x 36.2 = 608,160; the sessions forecast moves up by 90,000 with it.
    assert data["changes"][0] == {
        "node": "omzet",
        "name": "Online omzet €1,2M",
        "actual": {"before": 539742.0, "after": pytest.approx(608160.0)},
        "status": {"before": "at_risk", "after": "on_track"},
        # the sessions forecast 1,255,375.42 + 90,000: revenue's forecast grows in proportion
        "forecast": {
            "before": pytest.approx(796_419.299121, abs=1e-5),
            "after": pytest.approx(796_419.299121 * 1_345_375.423687 / 1_255_375.423687, abs=1e-5),
        },
        "forecast_date": "2026-12-31",
    }
    sessions = next(c for c in data["changes"] if c["node"] == "sessies")
    assert sessions["forecast"]["after"] - sessions["forecast"]["before"] == pytest.approx(90_000)
    assert sessions["forecast_status"] == {"before": "off_track", "after": "at_risk"}


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
    # 2026-06-23 → 06-30: revenue 695,000 x 2.12% x 36.1 = 531,897.40 → 710,000 x 2.1% x 36.2 = 539,742.
    # Revenue = orders x order value, split by Shapley: orders' part (14,910 − 14,734) x the mean 36.15,
    # passed on to sessions +15,000 x the mean rate 2.11% x 36.15 (+11,441.48) and the rate −0.02 points
    # x the mean 702,500 sessions x 36.15 (−5,079.08); order value +0.1 x the mean 14,822 orders (+1,482.20).
    assert lines[start + 1 : start + 5] == [
        "  Online omzet €1,2M: +7845 EUR",
        "      +11.4k EUR  Bezoeken (sessies)",
        "      −5079 EUR  Conversieratio",
        "      +1482 EUR  Gemiddelde orderwaarde",
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
    assert parts["sessies"] == pytest.approx(36.15 * 15_000 * 4.22 / 200, abs=1e-6)
    assert parts["conversieratio"] == pytest.approx(36.15 * -0.02 * 1_405_000 / 200, abs=1e-6)
    assert parts["gemiddelde-orderwaarde"] == pytest.approx(0.1 * (695_000 * 2.12 + 710_000 * 2.1) / 200, abs=1e-6)
    assert sum(parts.values()) == pytest.approx(moved["after"] - moved["before"], abs=1e-6)


def test_a_result_beyond_a_float_is_unknown_with_the_finding_overflow(capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    # 1e308 sessions x 2.1 (the conversion, before the division by 100) is beyond a float:
    # orders and revenue are unknown, as the analysis makes such a value, and `overflow` says why.
    assert main(["whatif", str(ROOT / WEBSHOP), "sessies=1e308"]) == 0
    out = capsys.readouterr().out
    assert "      actual          539,742 EUR → –" in out
    assert "      actual          14,910 orders → –" in out
    assert "      actual          710,000 sessies → 1e+308 sessies" in out
    assert "overflow: 'Online omzet €1,2M': a value computed from its numbers is beyond ±1.8e308" in out
    assert "inf" not in out.lower()


def test_json_of_a_result_beyond_a_float_is_null_and_still_json(capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    assert main(["whatif", str(ROOT / WEBSHOP), "sessies=1e308", "--format", "json"]) == 0
    text = capsys.readouterr().out
    assert "Infinity" not in text and "NaN" not in text
    data = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    revenue = next(c for c in data["changes"] if c["node"] == "omzet")
    assert revenue["actual"] == {"before": 539742.0, "after": None}
    assert revenue["status"] == {"before": "at_risk", "after": "unknown"}
    assert {(f["code"], f["node"]) for f in data["findings_appeared"]} == {
        ("overflow", "omzet"),
        ("overflow", "bestellingen"),
    }


@pytest.mark.parametrize("to", ["inf", "nan", "-inf"])
def test_seeking_a_value_beyond_a_float_is_refused(to: str, capsys: pytest.CaptureFixture[str]) -> None:
    from kpitui.cli import main

    assert main(["whatif", str(ROOT / WEBSHOP), "--seek", "omzet", "--via", "conversieratio", f"--to={to}"]) == 2
    captured = capsys.readouterr()
    assert "is not a number to reach; give a finite value" in captured.err
    assert "internal error" not in captured.err and captured.out == ""
