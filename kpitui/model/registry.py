"""Every finding code, defined once: severity, family, summary and the explanation a user reads.

The severities of the model, the pair codes, SARIF's rule metadata (`shortDescription`,
`fullDescription`, `help`, `helpUri`), the order findings are listed in, `kpitui rule CODE` and
the docs' page per code (`docs/rules/`) all read this list. It imports nothing of kpitui's,
so every layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
FAMILIES: tuple[str, ...] = (
    "structure",
    "conflicts",
    "status",
    "forecast",
    "quality",
    "focus",
    "units",
    "formulas",
    "data",
)
DOCS_URL = "https://github.com/kpitui/kpitui/blob/main/docs/rules"


@dataclass(frozen=True)
class Rule:
    """One finding code.

    `why` says why it matters, `example` is a small tree fragment (TOML) that raises it, `fix`
    what to do. `pair`: the finding is about two nodes, shown on both and accepted by either.
    """

    code: str
    severity: str
    family: str
    summary: str
    why: str
    example: str
    fix: str
    pair: bool = False
    example_format: str = "toml"  # or "csv": a measurements file

    @property
    def acceptable(self) -> bool:
        """Errors cannot be accepted: the tree is wrong, not a judgement call."""
        return self.severity != "error"

    @property
    def accepting(self) -> str:
        """How to accept it, in one paragraph."""
        if not self.acceptable:
            return "An error cannot be accepted: fix it."
        text = (
            f'Write `accept = {{ {self.code} = "the reason" }}` on the node. The finding is still '
            "reported, marked accepted with its reason, but no longer counts for `--fail-on`, the "
            "header or the TUI's problem list."
        )
        if self.pair:
            text += " Either node of the pair may accept it."
        return text

    @property
    def help_uri(self) -> str:
        return f"{DOCS_URL}/{self.code}.md"

    def page(self) -> str:
        """The rule's explanation as Markdown: `kpitui rule CODE` and its docs page."""
        return (
            f"# {self.code}\n\n"
            f"**{self.severity}** · {self.family}\n\n"
            f"{self.summary}\n\n"
            f"## Why it matters\n\n{self.why}\n\n"
            f"## Example\n\n```{self.example_format}\n{self.example.strip()}\n```\n\n"
            f"## How to fix it\n\n{self.fix}\n\n"
            f"## Accepting it\n\n{self.accepting}\n"
        )


RULES: tuple[Rule, ...] = (
    # Listed as findings are: errors, warnings, infos; each names its family.
    Rule(
        "dangling_ref",
        "error",
        "structure",
        "A reference to a node id that does not exist.",
        "A `parent`, `conflicts`, `influences` or formula input names an id no node has, usually a typo. "
        "The link is lost: the node may serve no goal and its value reaches no parent.",
        '[nodes.visits]\nname = "Visits"\nparent = "acquisitie"   # the node\'s id is "acquisition"',
        'Correct the id; the message says which id is closest ("did you mean"). Or add the missing node.',
    ),
    Rule(
        "cycle",
        "error",
        "structure",
        "Parent links (or formulas) that go round in a loop.",
        "A loop has no top: none of its nodes can serve a goal, nothing in it rolls up, and formulas "
        "reading each other in a loop have no value.",
        '[nodes.a]\nname = "A"\nparent = "b"\n\n[nodes.b]\nname = "B"\nparent = "a"',
        "Break the loop: one of the nodes named in the message must point at a node outside it.",
    ),
    Rule(
        "measurements_error",
        "error",
        "data",
        "The measurements file is missing or unreadable.",
        "Without it every measured KPI is judged on its inline actual only, or not at all.",
        '[tree]\nmeasurements = "measurements.csv"   # no such file',
        "Fix the `measurements` path, or restore the file.",
    ),
    Rule(
        "orphan",
        "warning",
        "structure",
        "A node that serves no goal.",
        "A KPI that no chain of parents links to a goal is measured for nobody: effort goes into a "
        "number no strategy asks for. The message names the nearest cause (no parent, a parent that "
        "does not exist, a top that is not a goal, a cycle).",
        '[nodes.newsletter]\nname = "Newsletter sign-ups"   # no parent',
        'Give the node a `parent` on the way to a goal, make its top node `kind = "goal"`, or delete it.',
    ),
    Rule(
        "conflict",
        "warning",
        "conflicts",
        "Two nodes whose pursuit works against each other.",
        "Raised when a pair is declared in `conflicts` (info: a managed tension, the counter-metric "
        "is the remedy), or when one node's push lowers the other through `influences` (warning). "
        "Pushing one side hard hurts the other.",
        '[nodes.leads]\nname = "Leads"\nparent = "sales"\ninfluences = { lead-quality = "-" }',
        "Declare the pair in `conflicts` so both are watched together, or change the influence.",
        pair=True,
    ),
    Rule(
        "goodhart",
        "warning",
        "conflicts",
        "One side of a declared conflict is bought at the other's cost.",
        "When a measure becomes a target it stops being a good measure (Goodhart's law). A declared "
        "pair where one is on track and the other off track, or one improves while the other worsens, "
        "shows the target being gamed.",
        '[nodes.nail-count]\nname = "Nails made"\nconflicts = ["nail-weight"]',
        "Look at both sides together: restore the lagging one before pushing the other further.",
        pair=True,
    ),
    Rule(
        "target_gap",
        "warning",
        "conflicts",
        "A rollup node whose children's targets fall short of its own.",
        "A parent that rolls up its children (`rollup`) while asking more than their targets add up "
        "to (less, for a `decrease` KPI) cannot reach its target even when every child reaches "
        "theirs: the plan does not add up. It is one finding on the parent, naming its children; the "
        "children are not at fault and are not marked.",
        '[nodes.team]\nname = "Team revenue"\nrollup = "sum"\ntarget = 60\n\n'
        '[nodes.anna]\nname = "Anna"\nparent = "team"\ntarget = 25\n\n'
        '[nodes.ben]\nname = "Ben"\nparent = "team"\ntarget = 25',
        "Make the children's targets add up to the parent's (or add the child that covers the rest), "
        "or change the parent's target.",
    ),
    Rule(
        "off_track",
        "warning",
        "status",
        "A KPI whose actual lags the pace needed to reach its target.",
        "Attainment (the actual against what the pace expects by the date shown) is below the "
        "`at_risk` threshold: at this rate the target will not be met.",
        '[nodes.orders]\nname = "Orders"\ntarget = 1000\nactual = 300   # 500 expected by mid-year',
        "Act on the KPI or its drivers, or revise the target if it no longer fits the strategy.",
    ),
    Rule(
        "stale",
        "warning",
        "status",
        "A KPI not measured as often as its frequency says.",
        "Its newest value is older than its `frequency` allows, so its status judges old news.",
        '[nodes.nps]\nname = "NPS"\nfrequency = "weekly"\nactual = 41\nmeasured = 2026-05-01',
        "Record this period's value (`v` in the TUI, `kpitui record`), or set a frequency that "
        "matches how often it is really measured.",
    ),
    Rule(
        "unmeasured_goal",
        "warning",
        "quality",
        "A goal with no KPI anywhere below it.",
        "A goal nobody measures cannot be steered: there is no number to tell progress.",
        '[nodes.happy]\nname = "Happy customers"\nkind = "goal"   # nothing below',
        "Add a KPI below the goal (directly or through an objective).",
    ),
    Rule(
        "no_period",
        "warning",
        "status",
        "A linear KPI without a period.",
        "A `linear` KPI is judged against the share of its period that has passed; without a period "
        "(its own, inherited or the tree's) there is no pace to judge it by.",
        '[nodes.revenue]\nname = "Revenue"\npacing = "linear"\ntarget = 3e6',
        'Give the node, a parent or `[tree]` a `period`, or make it `pacing = "level"`.',
    ),
    Rule(
        "bad_measurement",
        "warning",
        "data",
        "A measurement row whose date or value cannot be read.",
        "The row is left out, so the KPI's history and status miss that value.",
        "node,date,value\norders,2026-13-01,120",
        "Fix or delete the row named in the message.",
        example_format="csv",
    ),
    Rule(
        "implausible_value",
        "warning",
        "data",
        "A node's newest value that its history makes doubtful: a running total that went back, "
        "or a value ten times larger or smaller than the one before it.",
        "A `linear` KPI counted from zero (no baseline, or 0) is a running total for the period, which "
        "only grows towards its target; any other value (a level, or a linear KPI moving from a baseline "
        "of its own) that jumps tenfold from one measurement to the next is far more often a slip than "
        "news: `7.930` typed for 7,930 subscribers (a Dutch thousands separator read as a decimal point) "
        "is a thousandfold drop, and the status and forecast built on it are nonsense (attainment −800%).",
        "node,date,value\nsubscribers,2026-11-30,7912\nsubscribers,2026-12-07,7.93",
        "Check the number the message names. If it is wrong, record the right one for the same date "
        "(the row written last counts for its day) or correct the row; if it is right (a reset, a "
        "restated total), accept the finding on the node.",
        example_format="csv",
    ),
    Rule(
        "forecast_miss",
        "warning",
        "forecast",
        "On track today, forecast to miss at the horizon.",
        "The trend of its measurements, carried forward, ends below what the pace needs: fine now, "
        "off track later if nothing changes.",
        '[nodes.signups]\nname = "Sign-ups"\ntarget = 1200\n# measurements rising too slowly',
        "Act now on the KPI's drivers; the detail panel shows the forecast and its interval.",
    ),
    Rule(
        "mixed_units",
        "warning",
        "units",
        "A rollup over children with different units.",
        "Adding euros to orders gives a number that means nothing; the rollup is still computed.",
        '[nodes.total]\nname = "Total"\nunit = "EUR"\nrollup = "sum"\n# children in EUR and in orders',
        "Give the children one unit, or use a formula that converts them.",
    ),
    Rule(
        "scale_mismatch",
        "warning",
        "units",
        "A % KPI whose numbers mix the 0-1 and 0-100 scales.",
        "0.89 against 92 is a 0–1 value judged against a 0–100 target: its status is nonsense.",
        '[nodes.conversion]\nname = "Conversion"\nunit = "%"\ntarget = 92\nactual = 0.89',
        "Write every number of the KPI on one scale (92 and 89, or 0.92 and 0.89).",
    ),
    Rule(
        "formula_error",
        "warning",
        "formulas",
        "A formula that cannot be evaluated (division by zero).",
        "The node's value is unknown while its inputs make the formula undefined.",
        '[nodes.ratio]\nname = "Ratio"\nformula = "{orders} / {visits}"   # visits is 0',
        "Check the inputs' values, or guard the formula.",
    ),
    Rule(
        "overflow",
        "warning",
        "status",
        "A value beyond what a number can hold.",
        "A rollup, formula or what-if produced a number too large to compute with; the node's value "
        "is unknown rather than wrong.",
        '[nodes.big]\nname = "Big"\nformula = "{a} * {b}"   # both near 1e308',
        "Check the inputs' magnitudes and units; a value this large is almost always a typo.",
    ),
    Rule(
        "at_risk",
        "info",
        "status",
        "A KPI somewhat behind its pace.",
        "Attainment is between the `at_risk` and `on_track` thresholds: not lost yet, but slipping.",
        '[nodes.orders]\nname = "Orders"\ntarget = 1000\nactual = 450   # 500 expected',
        "Watch it at the next check-in; act before it turns off track.",
    ),
    Rule(
        "too_many_children",
        "info",
        "quality",
        "A node with more children than max_children.",
        "A wide node is hard to reason about and usually mixes concerns (`tree.thresholds.max_children`, default 7).",
        '# eight KPIs with parent = "sales"',
        "Group the children under objectives, or raise `max_children` if the width is deliberate.",
    ),
    Rule(
        "too_many_kpis",
        "info",
        "focus",
        "A goal with more KPIs below it than max_kpis.",
        "With too many numbers nobody knows which ones matter (`tree.thresholds.max_kpis`, default 12).",
        "# thirteen KPIs below one goal",
        "Keep the KPIs that steer the goal; move the rest to a sub-goal or drop them.",
    ),
    Rule(
        "short_term_only",
        "info",
        "focus",
        "A goal steered on short-term KPIs only.",
        "When every KPI below a goal that states a `horizon` says `short`, the long term has no voice.",
        '[nodes.sales-this-week]\nname = "Sales this week"\nparent = "revenue"\nhorizon = "short"',
        "Add a long-horizon KPI (retention, pipeline, capability) below the goal.",
    ),
    Rule(
        "not_smart",
        "info",
        "quality",
        "A KPI lacking a target, unit, owner or period.",
        "A KPI is SMART when it is specific (a unit), measurable (a target), assigned (an owner) and "
        "time-bound (a period, its own or inherited). What is missing is named.",
        '[nodes.visits]\nname = "Visits"\nparent = "marketing"   # no target, unit, owner',
        "Fill in what the message names.",
    ),
    Rule(
        "single_kpi_goal",
        "info",
        "quality",
        "A goal or objective measured by one KPI without a counter-metric.",
        "One number alone invites gaming it (Goodhart): nothing shows what its pursuit costs.",
        '[nodes.growth]\nname = "Growth"\nkind = "objective"\n\n[nodes.leads]\nname = "Leads"\nparent = "growth"',
        "Add a counter-metric (a second KPI, declared in `conflicts` with the first), or drivers below the KPI.",
    ),
    Rule(
        "individual_target",
        "info",
        "quality",
        "A target set on one person.",
        "A target on an individual's KPI tends to be met at the team's expense; team targets share the pressure.",
        '[nodes.calls]\nname = "Calls made"\nowner = "Piet"\nowner_type = "individual"\ntarget = 400',
        "Set the target on the team, or accept it when it is deliberate.",
    ),
    Rule(
        "unknown_key",
        "info",
        "data",
        "A key kpitui does not know (kept as written).",
        "Usually a typo (`traget`), so the value it was meant to set is not used.",
        '[nodes.orders]\nname = "Orders"\ntraget = 1000',
        "Correct the key (the message suggests the closest known one), or keep it if it is yours.",
    ),
    Rule(
        "unknown_node_in_measurements",
        "info",
        "data",
        "A measurement row for a node that does not exist.",
        "Its values reach no KPI: a renamed or deleted node, or a typo in the file.",
        "node,date,value\nordrs,2026-06-01,120",
        "Correct the id in the measurements file, or add the node.",
        example_format="csv",
    ),
)

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
SEVERITY_RANK: dict[str, int] = {severity: i for i, severity in enumerate(SEVERITIES)}
# The order findings are listed in: by severity, then as the registry lists them.
CODE_ORDER: dict[str, int] = {
    rule.code: i for i, rule in enumerate(sorted(RULES, key=lambda r: SEVERITY_RANK[r.severity]))
}


def rule(code: str) -> Rule | None:
    """The rule of a code, or None when there is none."""
    return BY_CODE.get(code)
