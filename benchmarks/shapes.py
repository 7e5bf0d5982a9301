"""Pathological but valid tree shapes: a deep chain, a long loop, a dense influence clique."""

from __future__ import annotations

import random

KPI = 'target = 10\nactual = 5\nunit = "x"\nowner = "Team"\n'


def chain(n: int) -> str:
    """A goal with an n-1 deep chain of KPIs below it, one per level."""
    out = ['[tree]\nperiod = { start = 2026-01-01, end = 2026-12-31 }\n[nodes.n0]\nname = "Top"\nkind = "goal"\n']
    out += (f'[nodes.n{i}]\nname = "Node {i}"\nparent = "n{i - 1}"\n{KPI}' for i in range(1, n))
    return "".join(out)


def flat(n: int) -> str:
    """The baseline: a goal with n-1 KPIs directly below it."""
    out = ['[tree]\nperiod = { start = 2026-01-01, end = 2026-12-31 }\n[nodes.n0]\nname = "Top"\nkind = "goal"\n']
    out += (f'[nodes.n{i}]\nname = "Node {i}"\nparent = "n0"\n{KPI}' for i in range(1, n))
    return "".join(out)


def loop(n: int) -> str:
    """n KPIs whose parent links form one loop."""
    return "".join(f'[nodes.n{i}]\nname = "Node {i}"\nparent = "n{(i - 1) % n}"\n{KPI}' for i in range(n))


def clique(n: int, seed: int = 1) -> str:
    """n KPIs under one goal, each influencing every other with a random sign."""
    rng = random.Random(seed)
    out = ['[nodes.g]\nname = "Goal"\nkind = "goal"\n']
    for i in range(n):
        signs = ", ".join(f'n{j} = "{rng.choice("+-")}"' for j in range(n) if j != i)
        direction = rng.choice(("increase", "decrease"))
        out.append(
            f'[nodes.n{i}]\nname = "Node {i}"\nparent = "g"\ndirection = "{direction}"\ninfluences = {{ {signs} }}\n'
        )
    return "".join(out)
