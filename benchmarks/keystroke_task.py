"""The 11-node task of issue 13 as keys: a tree built in the TUI from an empty file.

Two goals, three objectives, six KPIs with targets, actuals, owners and periods, one
declared conflict and one influence, and the tree's own title and period — typed as a
new user would, with nothing but the keys below. `replay` runs them against the real
app and returns the file written; the test asserts it equals `EXPECTED`, and
`benchmarks/keystrokes.py` prints how many keys it took.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

# Each step: ("type", text) types every character; ("key", name) presses one key.
Step = tuple[str, str]


def _t(text: str) -> Step:
    return ("type", text)


def _k(*names: str) -> list[Step]:
    return [("key", n) for n in names]


def _kpi(add: str, name: str, target: str, actual: str, unit: str | None, *extra: Step) -> list[Step]:
    """Add a KPI: name, target, actual, unit; owner and period come from its objective."""
    steps = [*_k(add), _t(name), *_k("tab"), _t(target), *_k("tab"), _t(actual)]
    if unit:
        steps += [*_k("tab"), _t(unit)]
    return [*steps, *extra, *_k("ctrl+s")]


def _objective(add: str, name: str, owner: str, period: str) -> list[Step]:
    return [*_k(add), _t(name), *_k("tab"), _t(owner), *_k("tab"), _t(period), *_k("ctrl+s")]


STEPS: list[Step] = [
    # The tree's settings: title and period (t opens them; the title field is selected).
    *_k("t"),
    _t("Webshop 2026"),
    *_k("tab"),
    _t("2026"),
    *_k("ctrl+s"),
    # Goal 1 (a on an empty tree adds a goal).
    *_k("a"),
    _t("Omzet"),
    *_k("ctrl+s"),
    # Objective under it (a under a goal adds an objective), then its two KPIs.
    *_objective("a", "Online", "Marketing", "H2"),
    # Linear pacing: tab to pacing, l picks linear.
    *_kpi("a", "Omzet web", "1,2M", "450k", "EUR", *_k("tab", "l")),
    *_kpi("A", "Conversie", "2,5", "2,1", "%"),
    # Conversion pushes web revenue up: i, pick it by typing, + for the sign.
    *_k("i"),
    _t("web"),
    *_k("enter", "plus"),
    # A second objective beside the first (h: up to it, A: a sibling).
    *_k("h"),
    *_objective("A", "Leads", "Sales", "H2"),
    *_kpi("a", "Aantal leads", "400", "180", "leads"),
    *_kpi("A", "Leadscore", "60", "55", "%"),
    # Lead quantity against lead quality: c, pick it.
    *_k("c"),
    _t("aant"),
    *_k("enter"),
    # The second goal beside the first (g: first line), its objective and KPIs.
    *_k("g", "A"),
    _t("Loyaliteit"),
    *_k("ctrl+s"),
    *_objective("a", "Service", "Support", "H2"),
    *_kpi("a", "Antwoord 24u", "90", "85", "%"),
    *_kpi("A", "Herhaalkoop", "30", "24", "%"),
    # Save.
    *_k("ctrl+s"),
]


def keys(steps: Iterable[Step] = STEPS) -> list[str]:
    """Every key pressed, one entry per keystroke."""
    result: list[str] = []
    for how, what in steps:
        result.extend(list(what) if how == "type" else [what])
    return result


def typed_characters(steps: Iterable[Step] = STEPS) -> int:
    """How many of the keystrokes type text (names, numbers, units), not move or choose."""
    return sum(len(what) for how, what in steps if how == "type")


H2 = {"start": date(2026, 7, 1), "end": date(2026, 12, 31)}
TODAY = date.today()  # a new actual is dated the date analysed: today, in a tree without as_of

EXPECTED = f"""version = 1

[tree]
title = "Webshop 2026"
period = {{ start = 2026-01-01, end = 2026-12-31 }}

[nodes.omzet]
name = "Omzet"
kind = "goal"

[nodes.online]
name = "Online"
kind = "objective"
parent = "omzet"
owner = "Marketing"
period = {{ start = {H2["start"]}, end = {H2["end"]} }}

[nodes.omzet-web]
name = "Omzet web"
parent = "online"
target = 1200000
actual = 450000
unit = "EUR"
pacing = "linear"
owner = "Marketing"
period = {{ start = {H2["start"]}, end = {H2["end"]} }}
measured = {TODAY}

[nodes.conversie]
name = "Conversie"
parent = "online"
target = 2.5
actual = 2.1
unit = "%"
owner = "Marketing"
period = {{ start = {H2["start"]}, end = {H2["end"]} }}
measured = {TODAY}
influences = {{ omzet-web = "+" }}

[nodes.leads]
name = "Leads"
kind = "objective"
parent = "omzet"
owner = "Sales"
period = {{ start = {H2["start"]}, end = {H2["end"]} }}

[nodes.aantal-leads]
name = "Aantal leads"
parent = "leads"
target = 400
actual = 180
unit = "leads"
owner = "Sales"
period = {{ start = {H2["start"]}, end = {H2["end"]} }}
measured = {TODAY}

[nodes.leadscore]
name = "Leadscore"
parent = "leads"
target = 60
actual = 55
unit = "%"
owner = "Sales"
period = {{ start = {H2["start"]}, end = {H2["end"]} }}
measured = {TODAY}
conflicts = ["aantal-leads"]

[nodes.loyaliteit]
name = "Loyaliteit"
kind = "goal"

[nodes.service]
name = "Service"
kind = "objective"
parent = "loyaliteit"
owner = "Support"
period = {{ start = {H2["start"]}, end = {H2["end"]} }}

[nodes.antwoord-24u]
name = "Antwoord 24u"
parent = "service"
target = 90
actual = 85
unit = "%"
owner = "Support"
period = {{ start = {H2["start"]}, end = {H2["end"]} }}
measured = {TODAY}

[nodes.herhaalkoop]
name = "Herhaalkoop"
parent = "service"
target = 30
actual = 24
unit = "%"
owner = "Support"
period = {{ start = {H2["start"]}, end = {H2["end"]} }}
measured = {TODAY}
"""


async def replay(path: Path, size: tuple[int, int] = (80, 24), ahead: bool = False) -> str:
    """Build the tree in a fresh app on `path` (which must not exist) and return the file written.

    `ahead`: send all keys at once without waiting between them, as a slow SSH link
    delivers keys typed ahead.
    """
    from kpitui.tui.app import make_app

    app = make_app(path)
    async with app.run_test(size=size) as pilot:
        for _ in range(200):
            await pilot.pause()
            if app.main.analysis is not None:
                break
        if ahead:
            driver = app._driver
            assert driver is not None
            for key in keys():
                event = key_event(key)
                event.set_sender(app)
                driver.send_message(event)
            quiet = 0
            for _ in range(3000):  # at most about 2 minutes on a loaded machine
                await pilot.pause(0.02)
                waiting = app.typeahead.held or app.typeahead.task is not None
                quiet = 0 if waiting else quiet + 1
                if quiet >= 3:
                    break
            await pilot.pause()
        else:
            await pilot.press(*keys())
            await pilot.pause()
    return path.read_text(encoding="utf-8") if path.exists() else ""


def key_event(key: str) -> Any:
    """The Key event Textual's own Pilot sends for a key name or a character."""
    import unicodedata

    from textual import events
    from textual.app import _character_to_key, _get_unicode_name_from_key  # type: ignore[attr-defined]
    from textual.keys import REPLACED_KEYS

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)
