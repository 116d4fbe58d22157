"""The fact sheet's headline figures: which KPIs and JAD results each counts.

See the package docstring for the rules; the patterns are here, as data, so that
they apply to any plan written in the words of the OAP template.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from empact.plans.models import KPI
from empact.reporting.models import JADMeasure
from empact.reports.content.model import Headline


@dataclass(frozen=True)
class HeadlineRule:
    key: str
    label: str
    pattern: re.Pattern
    measure: str = ""  # the JAD measure that counts the same thing


HEADLINES = (
    HeadlineRule(
        "arrests", "Arrests", re.compile(r"arrest|apprehen", re.I), JADMeasure.ARRESTS
    ),
    HeadlineRule(
        "ocgs",
        "OCGs dismantled or disrupted",
        re.compile(r"\bOCGs?\b.*(dismantl|disrupt)|(dismantl|disrupt).*\bOCG", re.I),
        JADMeasure.OCGS_DISRUPTED,
    ),
    HeadlineRule(
        "investigations",
        "Investigations initiated or supported",
        re.compile(r"investigations?\b", re.I),
    ),
    HeadlineRule("hvts", "High-value targets identified", re.compile(r"\bHVTs?\b")),
    HeadlineRule(
        "seizures", "Seizures", re.compile(r"seiz", re.I), JADMeasure.SEIZURES
    ),
    HeadlineRule(
        "documents",
        "False documents detected",
        re.compile(
            r"false documents?|fraudulent documents?|document fraud incidents"
            r"|seized documents",
            re.I,
        ),
        JADMeasure.FALSE_DOCUMENTS,
    ),
)
JADS_KEY, JADS_LABEL = "jads", "Joint Action Days"
JADS_POSITION = 4  # after HVTs, as the issue lists them
ACTION_DAYS = re.compile(r"^number of (support of )?(EMPACT |joint )action days", re.I)
NO_JAD_RECORDED = (
    "no JAD is recorded on the platform: the largest KPI counting Action Days stands in"
)


def headline_keys(kpi_text: str, kind: str) -> list[str]:
    """The headline figures a KPI counts toward (count KPIs only)."""
    if kind != KPI.Kind.COUNT:
        return []
    return [rule.key for rule in HEADLINES if rule.pattern.search(kpi_text)]


def counts_action_days(kpi_text: str, kind: str) -> bool:
    return kind == KPI.Kind.COUNT and bool(ACTION_DAYS.search(kpi_text))


def headline(
    rule: HeadlineRule,
    values: list[tuple[str, str, Decimal]],
    unmapped_jad_total: Decimal,
) -> Headline:
    """One figure from (OA ref, KPI letter, value) of the KPIs matching `rule`:
    each OA's largest, added up, plus JAD results no such KPI counted."""
    best: dict[str, tuple[Decimal, str]] = {}
    for ref, letter, value in values:
        if ref not in best or value > best[ref][0]:
            best[ref] = (value, f"OA {ref} {letter}")
    total = sum((v for v, _ in best.values()), Decimal(0))
    sources = [s for _, s in best.values()]
    if unmapped_jad_total:
        total += unmapped_jad_total
        sources.append("JAD results not counted by a KPI")
    return Headline(rule.key, rule.label, total, tuple(sources))


def jads_headline(
    recorded: int | None, action_days: list[tuple[str, str, Decimal]]
) -> Headline:
    """The JADs of the year as recorded (`recorded`), or, when the platform holds
    none for the plan (`recorded` is None), the largest KPI counting them."""
    if recorded is not None:
        return Headline(JADS_KEY, JADS_LABEL, Decimal(recorded), ("JAD records",))
    best = max(action_days, key=lambda v: v[2], default=None)
    if best is None:
        return Headline(JADS_KEY, JADS_LABEL, Decimal(0), (), NO_JAD_RECORDED)
    ref, letter, value = best
    return Headline(
        JADS_KEY, JADS_LABEL, value, (f"OA {ref} {letter}",), NO_JAD_RECORDED
    )
