"""The plan linter: what makes a plan hard to monitor, found before anyone reports.

Pure: it takes a canonical plan dict and the known organisation codes, and returns
findings. Errors are what stops a plan from being imported or monitored (duplicate
refs, unknown leaders, timings nobody can place in a quarter); warnings are what a
Driver should fix in the next amendment (a KPI without a measurable target, a target
whose scope is not stated, an OA that speaks of another crime area).
"""

import re
from dataclasses import dataclass

from empact.plans.planfile import period_years
from empact.plans.schema import reference_problems
from empact.plans.timing import parse_timing

ERROR = "error"
WARNING = "warning"

# The crime areas of the EMPACT 2022-2025 priorities, with the words by which an
# OA summary names them. A summary naming another area and not its plan's own is
# probably in the wrong plan.
CRIME_AREAS: dict[str, tuple[str, ...]] = {
    "migrant smuggling": (
        "migrant smuggling",
        "smuggling of migrants",
        "migrants",
        "illegal immigration",
        "irregular migration",
        "facilitation of illegal",
    ),
    "trafficking in human beings": (
        "trafficking in human beings",
        "human trafficking",
        "thb",
    ),
    "drug trafficking": (
        "drug trafficking",
        "cannabis",
        "cocaine",
        "heroin",
        "synthetic drugs",
        "new psychoactive",
    ),
    "firearms trafficking": ("firearms",),
    "cyber-attacks": ("cyber-attack", "cyberattack", "ransomware"),
    "child sexual exploitation": ("child sexual", "csam"),
    "online and offline frauds": ("online fraud", "payment fraud"),
    "environmental crime": (
        "environmental crime",
        "waste trafficking",
        "wildlife trafficking",
    ),
    "excise fraud": ("excise fraud", "tobacco smuggling"),
    "mtic fraud": ("mtic", "missing trader"),
    "intellectual property crime": ("intellectual property", "counterfeit goods"),
    "organised property crime": ("organised property crime", "burglar"),
}


@dataclass(frozen=True)
class Finding:
    severity: str  # ERROR | WARNING
    where: str  # "OA 2.4 KPI b", "OA 2.9 activity 2", "plan"
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


def lint_plan(plan: dict, *, organisation_codes: set[str]) -> list[Finding]:
    """Every finding for a canonical plan dict, errors first, in plan order."""
    findings = [
        Finding(ERROR, "plan", p) for p in reference_problems(plan, organisation_codes)
    ]
    years = period_years(plan["period"])
    for action in plan["actions"]:
        findings += _kpi_findings(action)
        findings += _timing_findings(action, years)
        findings += _crime_area_findings(action, plan["priority"])
    return sorted(findings, key=lambda f: f.severity != ERROR)


def _kpi_findings(action: dict) -> list[Finding]:
    findings = []
    for kpi in action["kpis"]:
        where = f"OA {action['ref']} KPI {kpi['letter']}"
        target = kpi["target"]
        if target["value"] is None and not target["by_year"]:
            findings.append(
                Finding(
                    WARNING,
                    where,
                    f"no measurable target: {kpi['text']!r} states no number to attain",
                )
            )
        # A percentage or rating is a level, not a sum: per year or for the
        # period it reads the same, so only sums need their scope stated.
        elif target["scope"] is None and kpi["aggregation"] == "sum":
            findings.append(
                Finding(
                    WARNING,
                    where,
                    f"target {target['as_written']!r} does not say whether it is per "
                    "year or for the whole plan period",
                )
            )
    return findings


def _timing_findings(action: dict, years: tuple[int, ...]) -> list[Finding]:
    findings = []
    for activity in action["activities"]:
        timing = parse_timing(activity["timing"], years=years)
        if timing.ok:
            continue
        where = f"OA {action['ref']} activity {activity['number']}"
        if activity["quarters"]:
            findings.append(
                Finding(
                    WARNING,
                    where,
                    f"timing {activity['timing']!r} "
                    f"does not parse ({timing.problem}); the quarters "
                    "given by hand are used",
                )
            )
        else:
            findings.append(
                Finding(
                    ERROR,
                    where,
                    f"timing {activity['timing']!r} does not parse: {timing.problem}",
                )
            )
    return findings


def _crime_area_findings(action: dict, priority: str) -> list[Finding]:
    text = f"{action['title']} {action['summary']}".lower()
    own = CRIME_AREAS.get(priority.lower(), (priority.lower(),))
    if any(_mentions(text, word) for word in own):
        return []
    others = [
        area
        for area, words in CRIME_AREAS.items()
        if area != priority.lower() and any(_mentions(text, w) for w in words)
    ]
    if not others:
        return []
    return [
        Finding(
            WARNING,
            f"OA {action['ref']}",
            f"the summary speaks of {', '.join(others)}, not of the plan's "
            f"priority ({priority}); is this OA in the right plan?",
        )
    ]


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}", text) is not None
