"""The dataclasses of empact.reports.content: what a report says, in plain values
(str, int, Decimal, date, tuples), so that every format renders the same facts."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from empact.reporting.attainment import Status

LIGHT, COMPREHENSIVE, FACT_SHEET = "light", "comprehensive", "factsheet"


@dataclass(frozen=True)
class StatusCounts:
    """How many KPIs are green, amber, red, or without status."""

    green: int = 0
    amber: int = 0
    red: int = 0
    none: int = 0

    @property
    def total(self) -> int:
        return self.green + self.amber + self.red + self.none

    @classmethod
    def of(cls, statuses: Iterable[str]) -> "StatusCounts":
        counts = dict.fromkeys(Status, 0)
        for status in statuses:
            counts[Status(status)] += 1
        return cls(*(counts[s] for s in Status))

    def __add__(self, other: "StatusCounts") -> "StatusCounts":
        return StatusCounts(
            self.green + other.green,
            self.amber + other.amber,
            self.red + other.red,
            self.none + other.none,
        )


@dataclass(frozen=True)
class PlanInfo:
    slug: str
    title: str
    priority: str
    period: str  # "2024-2025"
    council_document: str
    driver: str  # organisation name
    co_drivers: tuple[str, ...]
    distribution: str  # the plan's own marking, e.g. "LIMITE"


@dataclass(frozen=True)
class KPIRow:
    """One KPI in the scope that carries its target (see the module doc).

    Decimals are raw figures (None: nothing to show); format them with
    `written(value)` ("1,234.5", "—"). `value` is what the status is measured
    on: `accepted` in a final report, accepted plus pending in a draft.
    `status` is attainment.Status's value: green | amber | red | none;
    `status_label` ("On track") and `status_symbol` ("✓") let a black-and-white
    page tell them apart. `reason` says why there is no status.
    """

    ref: str  # "2.4 a"
    letter: str
    text: str
    kind: str  # count | percentage | rating | money
    unit: str
    target_text: str  # the target as the plan writes it
    scope: str  # "2024" or "2024-2025"
    target: Decimal | None
    expected: Decimal | None
    accepted: Decimal | None
    pending: Decimal | None  # submitted, not accepted yet; None in a final
    value: Decimal | None
    this_period: Decimal | None  # light report: counted in the period alone
    share_of_expected: Decimal | None  # value / expected, e.g. 0.8
    share_of_target: Decimal | None
    status: str
    status_label: str
    status_symbol: str
    reason: str


@dataclass(frozen=True)
class ActivityRow:
    """One activity and its status as reported in the report's periods: the
    leading organisation's report where there is one, else the latest period's
    first report by organisation code; `reports` holds each organisation's."""

    number: int
    text: str
    timing: str  # as the plan writes it, "Q1-Q4 2024/25"
    status: str  # ActivityStatus.Status value, "" when nobody reported it
    status_label: str  # "Ongoing", "Not reported"
    comments: tuple[str, ...]  # "FR: waiting for the venue"
    reports: tuple[tuple[str, str], ...]  # (organisation code, status label)
    is_overdue: bool


@dataclass(frozen=True)
class Narrative:
    organisation: str  # code
    organisation_name: str
    period: str  # "2024-H1"
    text: str
    is_leader: bool  # written by the OA's leading organisation
    is_pending: bool  # from a submitted, not yet accepted contribution (drafts)


@dataclass(frozen=True)
class Issue:
    kind: str  # delayed | overdue | kpi_behind
    text: str


@dataclass(frozen=True)
class JADRow:
    name: str
    starts: date
    ends: date
    lead: str  # organisation code
    participants: int
    oas: tuple[str, ...]  # refs of the linked OAs
    results: tuple[tuple[str, str, int], ...]  # (measure label, seizure kind, total)


@dataclass(frozen=True)
class ActionSection:
    ref: str
    title: str
    short_title: str
    leader: str  # organisation code
    leader_name: str
    co_leader: str  # organisation code, "" when none
    kpis: tuple[KPIRow, ...]
    activities: tuple[ActivityRow, ...]
    narratives: tuple[Narrative, ...]
    issues: tuple[Issue, ...]
    highlights: tuple[str, ...]  # KPIs on track or past their target
    not_achieved: tuple[str, ...]  # comprehensive: KPIs short of their target
    jads: tuple[JADRow, ...]
    links: str  # links to other OAPs, as the plan writes them
    statuses: StatusCounts
    contributions: int  # counted in the scope
    pending_contributions: int  # submitted, not accepted (counted only in drafts)


@dataclass(frozen=True)
class GoalSection:
    number: int
    title: str
    objective: str
    actions: tuple[ActionSection, ...]
    statuses: StatusCounts  # of the goal's KPIs


@dataclass(frozen=True)
class Summary:
    """The plan at a glance in the report's scope."""

    actions: int
    kpis: int
    statuses: StatusCounts
    contributions: int
    pending_contributions: int
    activities_completed: int
    activities_delayed: int
    activities_overdue: int
    jads: int


@dataclass(frozen=True)
class Report:
    """What every report carries. `marking` is the plan's own distribution marking
    (LIMITE); the marking printed on each page is the one chosen when rendering
    (empact.reports.markings), which may add a classification."""

    kind: str  # light | comprehensive | factsheet
    title: str
    plan: PlanInfo
    scope: str  # "2024-H1", "2024", "2024-2025"
    scope_label: str  # "reporting period 2024-H1 (1 January to 30 June 2024)"
    as_of: date
    marking: str
    draft: bool
    generated_at: datetime
    # The reporting periods whose values count ("2024-H1"), and those of the
    # scope left out because a final report counts locked periods only.
    periods_counted: tuple[str, ...] = ()
    periods_left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class LightReport(Report):
    goals: tuple[GoalSection, ...] = ()
    summary: Summary | None = None


@dataclass(frozen=True)
class ComprehensiveReport(Report):
    goals: tuple[GoalSection, ...] = ()
    summary: Summary | None = None
    jads: tuple[JADRow, ...] = ()


@dataclass(frozen=True)
class Headline:
    key: str  # arrests | ocgs | investigations | hvts | jads | seizures | documents
    label: str
    value: Decimal
    sources: tuple[str, ...]  # "OA 2.1 c", "JAD records", ...
    note: str = ""


@dataclass(frozen=True)
class GoalAttainment:
    number: int
    title: str
    statuses: StatusCounts


@dataclass(frozen=True)
class CountryRow:
    code: str  # ISO code, or the organisation's code for agencies
    name: str
    organisations: int
    actions: int  # OAs led or taken part in
    leads: int  # OAs led or co-led
    contributions: int  # counted in the year


@dataclass(frozen=True)
class FactSheet(Report):
    headlines: tuple[Headline, ...] = ()
    goals: tuple[GoalAttainment, ...] = ()
    countries: tuple[CountryRow, ...] = ()
    summary: Summary | None = None
