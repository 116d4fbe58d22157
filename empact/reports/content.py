"""What each report says, as plain frozen dataclasses: the renderers (HTML, PDF,
DOCX, XLSX) write exactly these and read nothing else.

Three reports (seed section 5.3):

- `light_report(plan, period)`: progress as at the end of one reporting period.
- `comprehensive_report(plan, year=...)`: results of one year, or of the whole
  plan period when `year` is None.
- `fact_sheet(plan, year)`: one page of headline figures, attainment by goal and
  participation by country.

Which values count. A final report counts accepted values only: contributions the
action leader accepted, and Joint Action Day results (which are facts recorded
by the JAD's participants, counted through the KPI's declared mapping exactly as
on the dashboards). A draft (`draft=True`) also counts submitted values that are
not accepted yet, shows them as `pending`, includes the narratives and statuses
of submitted contributions, and says so on every page (`Report.draft`).

How a KPI row is measured. Values are added up (or averaged, weighted) over the
reporting periods up to the end of the report's scope, by attainment.py. The
row shows the scope that carries the KPI's target: the year, when the plan gives
the year a target; otherwise the whole plan period (a target "for 2024-2025"
has no yearly share). The comprehensive report for the whole plan period always
shows the plan period. `expected` is the target pro rata of the time elapsed at
the report's `as_of` date (the end of its scope, or today if that is earlier).

Issues and risks of an OA are derived, not typed: activities reported delayed
(with the reporters' comments), activities whose planned quarters have all
ended without being reported completed or cancelled (overdue), and KPIs whose
status is red ("far behind"). "Not achieved" in the comprehensive report is the
KPIs that did not reach their target in the scope, with the OA's narratives as
the reporters' own account of why.

Headline figures of the fact sheet, for one year (`HEADLINES` below):

- arrests, OCGs dismantled, investigations supported, HVTs identified, seizures,
  false documents: the count KPIs whose text names the thing (the patterns are in
  HEADLINES, so they apply to any plan written in the OAP template's words).
  Within one OA, KPIs counting the same thing overlap (OA 2.11 counts
  "apprehensions/arrests" and "migrant smugglers apprehended"), so each OA adds
  its largest such KPI; the OAs are then added up. Values are the year's, as
  counted by the report (accepted, or with pending in a draft), JAD results
  mapped to those KPIs included. JAD results of the matching measure (arrests,
  OCGs disrupted, seizures, false documents) that reach none of these KPIs are
  added once each, so no JAD result counts twice and none is lost.
- JADs: the Joint Action Days recorded on the platform that started in the year
  (one JAD serves several OAs, so KPIs counting action days per OA are not
  added up). When the platform holds no JAD for the plan at all, the largest
  value among the KPIs that count Action Days stands in, and the note says so.
- every headline lists its sources (KPI references, "JAD records") so a reader
  can trace it.

Attainment by goal counts the statuses of the goal's KPIs in the year's scope
(see above). Participation by country counts, per country (agencies and
international organisations under their own code), the organisations taking
part, the OAs they lead or take part in, and their contributions counted in
the year.

This module reads through the reporting and plan selectors only. It does not
check permissions: a report discloses every OA's figures and narratives, so its
callers (empact.reports.exports) require `report.produce` first.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from empact.plans.models import KPI, Plan
from empact.reporting import attainment, selectors
from empact.reporting.attainment import (
    Amount,
    Reported,
    ScopeAttainment,
    SourceKey,
    Status,
    TargetSpec,
    Thresholds,
)
from empact.reporting.dashboards import configured_thresholds, written
from empact.reporting.models import (
    ActivityStatus,
    Contribution,
    JADMeasure,
    ReportingPeriod,
)

__all__ = [
    "ActionSection",
    "ActivityRow",
    "ComprehensiveReport",
    "CountryRow",
    "FactSheet",
    "GoalAttainment",
    "GoalSection",
    "Headline",
    "Issue",
    "JADRow",
    "KPIRow",
    "LightReport",
    "Narrative",
    "PlanInfo",
    "Report",
    "StatusCounts",
    "Summary",
    "comprehensive_report",
    "fact_sheet",
    "light_report",
    "written",
]

LIGHT, COMPREHENSIVE, FACT_SHEET = "light", "comprehensive", "factsheet"
ACCEPTED = (Contribution.State.ACCEPTED,)
REPORTED = (Contribution.State.SUBMITTED, Contribution.State.ACCEPTED)
ACTIVITY_LABELS = dict(ActivityStatus.Status.choices)


# What a report says ------------------------------------------------------------


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


# Headline figures ----------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineRule:
    key: str
    label: str
    pattern: re.Pattern
    measure: str = ""  # the JAD measure that counts the same thing


HEADLINES = (
    HeadlineRule(
        "arrests",
        "Arrests",
        re.compile(r"arrest|apprehen", re.I),
        JADMeasure.ARRESTS,
    ),
    HeadlineRule(
        "ocgs",
        "OCGs dismantled or disrupted",
        re.compile(
            r"\bOCGs?\b.*(dismantl|disrupt)|(dismantl|disrupt).*\bOCGs?\b", re.I
        ),
        JADMeasure.OCGS_DISRUPTED,
    ),
    HeadlineRule(
        "investigations",
        "Investigations initiated or supported",
        re.compile(r"investigations?\b", re.I),
    ),
    HeadlineRule("hvts", "High-value targets identified", re.compile(r"\bHVTs?\b")),
    HeadlineRule(
        "seizures",
        "Seizures",
        re.compile(r"seiz", re.I),
        JADMeasure.SEIZURES,
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
JADS_LABEL = "Joint Action Days"
ACTION_DAYS = re.compile(r"^number of (support of )?(EMPACT |joint )action days", re.I)


def headline_keys(kpi_text: str, kind: str) -> list[str]:
    """The headline figures a KPI counts toward (count KPIs only)."""
    if kind != KPI.Kind.COUNT:
        return []
    return [rule.key for rule in HEADLINES if rule.pattern.search(kpi_text)]


# The three reports ---------------------------------------------------------------


def light_report(
    plan: Plan,
    period: ReportingPeriod,
    *,
    draft: bool = False,
    today: date | None = None,
    thresholds: Thresholds | None = None,
) -> LightReport:
    """Progress as at the end of `period`: per OA its activities, KPIs against the
    pro-rata target, narratives, issues and risks; per goal and plan a summary."""
    today = today or timezone.localdate()
    as_of = min(period.ends, today)
    build = _Builder(
        plan,
        periods=[period],
        through=(period.year, period.half),
        year=period.year,
        as_of=as_of,
        draft=draft,
        thresholds=thresholds,
    )
    goals = build.goals(comprehensive=False)
    return LightReport(
        **_common(
            build.plan,
            LIGHT,
            "Light progress report",
            period.code,
            f"reporting period {period.code} "
            f"({_day(period.starts)} to {_day(period.ends)})",
            as_of,
            draft,
        ),
        goals=goals,
        summary=build.summary(goals),
    )


def comprehensive_report(
    plan: Plan,
    *,
    year: int | None = None,
    draft: bool = False,
    today: date | None = None,
    thresholds: Thresholds | None = None,
) -> ComprehensiveReport:
    """Results of one year, or of the whole plan period when `year` is None: per
    goal and OA, results against targets, JAD results, highlights, what was not
    achieved, narratives and links to other OAPs."""
    today = today or timezone.localdate()
    plan_years = plan.years
    if year is not None and year not in plan_years:
        raise ValueError(f"{year} is not a year of the plan {plan.period}")
    years = [year] if year is not None else plan_years
    ends = date(years[-1], 12, 31)
    as_of = min(ends, today)
    periods = [p for p in plan.periods.all() if p.year in years]
    build = _Builder(
        plan,
        periods=periods,
        through=(years[-1], 2),
        year=year,
        as_of=as_of,
        draft=draft,
        thresholds=thresholds,
    )
    goals = build.goals(comprehensive=True)
    scope = str(year) if year is not None else plan.period
    label = f"the year {year}" if year is not None else f"the plan period {scope}"
    return ComprehensiveReport(
        **_common(
            build.plan,
            COMPREHENSIVE,
            "Comprehensive results report",
            scope,
            label,
            as_of,
            draft,
        ),
        goals=goals,
        summary=build.summary(goals),
        jads=tuple(build.jad_rows()),
    )


def fact_sheet(
    plan: Plan,
    year: int,
    *,
    draft: bool = False,
    today: date | None = None,
    thresholds: Thresholds | None = None,
) -> FactSheet:
    """The year on one page: headline figures, attainment by strategic goal, and
    participation by country."""
    today = today or timezone.localdate()
    if year not in plan.years:
        raise ValueError(f"{year} is not a year of the plan {plan.period}")
    as_of = min(date(year, 12, 31), today)
    periods = [p for p in plan.periods.all() if p.year == year]
    build = _Builder(
        plan,
        periods=periods,
        through=(year, 2),
        year=year,
        as_of=as_of,
        draft=draft,
        thresholds=thresholds,
    )
    goals = build.goals(comprehensive=True)
    return FactSheet(
        **_common(
            build.plan,
            FACT_SHEET,
            f"Fact sheet {year}",
            str(year),
            f"the year {year}",
            as_of,
            draft,
        ),
        headlines=tuple(build.headlines()),
        goals=tuple(GoalAttainment(g.number, g.title, g.statuses) for g in goals),
        countries=tuple(build.countries()),
        summary=build.summary(goals),
    )


# Inside ----------------------------------------------------------------------


def _common(plan, kind, title, scope, scope_label, as_of, draft) -> dict:
    return {
        "kind": kind,
        "title": title,
        "plan": PlanInfo(
            slug=plan.slug,
            title=plan.title,
            priority=plan.priority,
            period=plan.period,
            council_document=plan.council_document,
            driver=plan.driver.name,
            co_drivers=tuple(o.name for o in plan.co_drivers.all()),
            distribution=plan.marking,
        ),
        "scope": scope,
        "scope_label": scope_label,
        "as_of": as_of,
        "marking": plan.marking,
        "draft": draft,
        "generated_at": timezone.now(),
    }


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


@dataclass
class _Builder:
    """Reads once, then builds every section from what it read."""

    source: Plan
    periods: list[ReportingPeriod]
    through: tuple[int, int]
    year: int | None  # None: the whole plan period
    as_of: date
    draft: bool
    thresholds: Thresholds | None
    plan: Plan = field(init=False)

    def __post_init__(self):
        self.thresholds = self.thresholds or configured_thresholds()
        self.plan = selectors.report_plan(self.source)
        amounts = selectors.report_amounts(self.plan, through=self.through)
        self.amounts = amounts
        states = REPORTED if self.draft else ACCEPTED
        self.contributions = selectors.report_contributions(
            self.plan, periods=self.periods, states=REPORTED
        )
        self.counted = [c for c in self.contributions if c.state in states]
        self.jads = selectors.report_jads(self.plan)
        self.participations = selectors.report_participations(self.plan)

    # Sections

    def goals(self, *, comprehensive: bool) -> tuple[GoalSection, ...]:
        by_action = defaultdict(list)
        for contribution in self.counted:
            by_action[contribution.action_id].append(contribution)
        pending = defaultdict(int)
        for c in self.contributions:
            if c.state == Contribution.State.SUBMITTED:
                pending[c.action_id] += 1
        sections = []
        for goal in self.plan.goals.all():
            actions = tuple(
                self._action(a, by_action[a.pk], pending[a.pk], comprehensive)
                for a in goal.actions.all()
            )
            statuses = sum((a.statuses for a in actions), StatusCounts())
            sections.append(
                GoalSection(goal.number, goal.title, goal.objective, actions, statuses)
            )
        return tuple(sections)

    def summary(self, goals: tuple[GoalSection, ...]) -> Summary:
        actions = [a for g in goals for a in g.actions]
        activities = [row for a in actions for row in a.activities]
        return Summary(
            actions=len(actions),
            kpis=sum(len(a.kpis) for a in actions),
            statuses=sum((g.statuses for g in goals), StatusCounts()),
            contributions=sum(a.contributions for a in actions),
            pending_contributions=sum(a.pending_contributions for a in actions),
            activities_completed=sum(r.status == "completed" for r in activities),
            activities_delayed=sum(r.status == "delayed" for r in activities),
            activities_overdue=sum(r.is_overdue for r in activities),
            jads=len(self._jads_in_scope()),
        )

    def jad_rows(self, action_id: int | None = None) -> list[JADRow]:
        rows = []
        for jad in self._jads_in_scope():
            actions = list(jad.actions.all())
            if action_id is not None and action_id not in {a.pk for a in actions}:
                continue
            totals: dict[tuple[str, str], int] = defaultdict(int)
            for result in jad.results.all():
                totals[result.get_measure_display(), result.seizure_kind] += (
                    result.value
                )
            rows.append(
                JADRow(
                    name=jad.name,
                    starts=jad.starts,
                    ends=jad.ends,
                    lead=jad.lead.code,
                    participants=len(jad.participants.all()),
                    oas=tuple(a.ref for a in actions),
                    results=tuple((m, k, v) for (m, k), v in totals.items()),
                )
            )
        return rows

    def headlines(self) -> list[Headline]:
        found = [self._headline(rule) for rule in HEADLINES]
        found.insert(4, self._jads_headline())
        return found

    def countries(self) -> list[CountryRow]:
        orgs: dict[str, set[int]] = defaultdict(set)
        actions: dict[str, set[int]] = defaultdict(set)
        leads: dict[str, set[int]] = defaultdict(set)
        names: dict[str, str] = {}
        for p in self.participations:
            code = p.organisation.country or p.organisation.code
            # A state's own organisation (code IT) names the country; other
            # Italian bodies stand in until it is met.
            if code not in names or p.organisation.code == code:
                names[code] = p.organisation.name
            orgs[code].add(p.organisation_id)
            actions[code].add(p.action_id)
            if p.role in ("leader", "co_leader"):
                leads[code].add(p.action_id)
        contributions: dict[str, int] = defaultdict(int)
        for c in self.counted:
            contributions[c.organisation.country or c.organisation.code] += 1
        return [
            CountryRow(
                code=code,
                name=names[code],
                organisations=len(orgs[code]),
                actions=len(actions[code]),
                leads=len(leads[code]),
                contributions=contributions[code],
            )
            for code in sorted(names, key=lambda c: (-len(actions[c]), c))
        ]

    # One OA

    def _action(self, action, counted, pending, comprehensive) -> ActionSection:
        kpis = tuple(self._kpi_row(action, kpi) for kpi in action.kpis.all())
        activities = tuple(self._activities(action, counted))
        return ActionSection(
            ref=action.ref,
            title=action.title,
            short_title=action.short_title,
            leader=action.leader.code,
            leader_name=action.leader.name,
            co_leader=action.co_leader.code if action.co_leader else "",
            kpis=kpis,
            activities=activities,
            narratives=tuple(self._narratives(action, counted)),
            issues=tuple(_issues(kpis, activities)),
            highlights=tuple(_highlights(kpis)),
            not_achieved=tuple(_not_achieved(kpis)) if comprehensive else (),
            jads=tuple(self.jad_rows(action.pk)),
            links=action.links,
            statuses=StatusCounts.of(k.status for k in kpis),
            contributions=len(counted),
            pending_contributions=pending if self.draft else 0,
        )

    def _kpi_row(self, action, kpi) -> KPIRow:
        reported = self.amounts.get(kpi.pk, {})
        spec = _target_spec(kpi)
        final = attainment.kpi_attainment(
            spec,
            reported,
            years=self.plan.years,
            today=self.as_of,
            thresholds=self.thresholds,
        )
        counted = final
        if self.draft:
            counted = attainment.kpi_attainment(
                spec,
                _with_pending(reported),
                years=self.plan.years,
                today=self.as_of,
                thresholds=self.thresholds,
            )
        shown, scope = _scope_of(final, self.year), _scope_of(counted, self.year)
        status = Status(scope.status)
        return KPIRow(
            ref=f"{action.ref} {kpi.letter}",
            letter=kpi.letter,
            text=kpi.text,
            kind=kpi.kind,
            unit=kpi.unit,
            target_text=kpi.target_text,
            scope=scope.label,
            target=scope.target,
            expected=scope.expected,
            accepted=shown.accepted,
            pending=shown.pending if self.draft else None,
            value=scope.accepted,
            this_period=self._this_period(kpi, reported),
            share_of_expected=scope.share_of_expected,
            share_of_target=scope.share_of_target,
            status=status.value,
            status_label=status.label,
            status_symbol=status.symbol,
            reason=scope.reason,
        )

    def _this_period(self, kpi, reported) -> Decimal | None:
        """Light report: what was counted in its one period alone."""
        if len(self.periods) != 1:
            return None
        period = self.periods[0]
        amount = Amount()
        for (_source, year, half), r in reported.items():
            if (year, half) == (period.year, period.half):
                amount += r.accepted + (r.pending if self.draft else Amount())
        if not amount.count:
            return None
        return attainment.aggregate(amount, kpi.aggregation)

    def _activities(self, action, counted) -> list[ActivityRow]:
        latest = max((c.period.code for c in counted), default="")
        reports: dict[int, list[tuple[Contribution, ActivityStatus]]] = defaultdict(
            list
        )
        for contribution in sorted(
            counted, key=lambda c: (c.period.code, c.organisation.code)
        ):
            for status in contribution.activity_statuses.all():
                reports[status.activity_id].append((contribution, status))
        rows = []
        for activity in action.activities.all():
            found = reports.get(activity.pk, [])
            chosen = _chosen_status(found, action.leader_id, latest)
            code = chosen.status if chosen else ""
            rows.append(
                ActivityRow(
                    number=activity.number,
                    text=activity.text,
                    timing=activity.timing,
                    status=code,
                    status_label=str(ACTIVITY_LABELS.get(code, "Not reported")),
                    comments=tuple(
                        f"{c.organisation.code}: {s.comment}"
                        for c, s in found
                        if s.comment.strip()
                    ),
                    reports=tuple(
                        (c.organisation.code, str(ACTIVITY_LABELS[s.status]))
                        for c, s in found
                        if c.period.code == latest
                    ),
                    is_overdue=attainment.is_overdue(
                        activity.quarters or {}, code or None, today=self.as_of
                    ),
                )
            )
        return rows

    def _narratives(self, action, counted) -> list[Narrative]:
        leaders = {action.leader_id, action.co_leader_id} - {None}
        found = [
            Narrative(
                organisation=c.organisation.code,
                organisation_name=c.organisation.name,
                period=c.period.code,
                text=c.narrative,
                is_leader=c.organisation_id in leaders,
                is_pending=c.state != Contribution.State.ACCEPTED,
            )
            for c in counted
            if c.narrative.strip()
        ]
        # The leader's account first, as the seed's reporting template asks of
        # the action leader; then the participants by period and code.
        return sorted(found, key=lambda n: (not n.is_leader, n.period, n.organisation))

    # The fact sheet

    def _jads_in_scope(self) -> list:
        years = {self.year} if self.year is not None else set(self.plan.years)
        return [j for j in self.jads if j.starts.year in years]

    def _headline(self, rule: HeadlineRule) -> Headline:
        best: dict[str, tuple[Decimal, str]] = {}
        mapped: set[tuple[int, int]] = set()  # (jad, organisation) already counted
        for goal in self.plan.goals.all():
            for action in goal.actions.all():
                for kpi in action.kpis.all():
                    if rule.key not in headline_keys(kpi.text, kpi.kind):
                        continue
                    mapping = getattr(kpi, "jad_mapping", None)
                    if mapping is not None and mapping.measure == rule.measure:
                        mapped |= self._jad_pairs(action.pk, mapping)
                    value = self._year_value(kpi)
                    if value is None:
                        continue
                    if action.ref not in best or value > best[action.ref][0]:
                        best[action.ref] = (value, f"OA {action.ref} {kpi.letter}")
        total = sum((v for v, _ in best.values()), Decimal(0))
        sources = [s for _, s in best.values()]
        if rule.measure:
            extra = self._unmapped_jad_total(rule.measure, mapped)
            if extra:
                total += extra
                sources.append("JAD results not counted by a KPI")
        return Headline(rule.key, rule.label, total, tuple(sources))

    def _year_value(self, kpi) -> Decimal | None:
        """The KPI's value counted in the fact sheet's year (sum KPIs only)."""
        reported = self.amounts.get(kpi.pk, {})
        if self.draft:
            reported = _with_pending(reported)
        amount = Amount()
        for (_source, year, _half), r in reported.items():
            if year == self.year:
                amount += r.accepted
        return amount.total if amount.count else None

    def _jad_pairs(self, action_id: int, mapping) -> set[tuple[int, int]]:
        return {
            (jad.pk, result.organisation_id)
            for jad in self._jads_in_scope()
            if action_id in {a.pk for a in jad.actions.all()}
            for result in jad.results.all()
            if result.measure == mapping.measure
            and result.seizure_kind == mapping.seizure_kind
        }

    def _unmapped_jad_total(self, measure: str, mapped) -> Decimal:
        return Decimal(
            sum(
                result.value
                for jad in self._jads_in_scope()
                for result in jad.results.all()
                if result.measure == measure
                and (jad.pk, result.organisation_id) not in mapped
            )
        )

    def _jads_headline(self) -> Headline:
        if self.jads:
            count = len(self._jads_in_scope())
            return Headline("jads", JADS_LABEL, Decimal(count), ("JAD records",))
        best, source = Decimal(0), ""
        for goal in self.plan.goals.all():
            for action in goal.actions.all():
                for kpi in action.kpis.all():
                    if kpi.kind != KPI.Kind.COUNT or not ACTION_DAYS.search(kpi.text):
                        continue
                    value = self._year_value(kpi)
                    if value is not None and value > best:
                        best, source = value, f"OA {action.ref} {kpi.letter}"
        return Headline(
            "jads",
            JADS_LABEL,
            best,
            (source,) if source else (),
            note="no JAD is recorded on the platform: the largest KPI counting "
            "Action Days stands in",
        )


def _target_spec(kpi) -> TargetSpec:
    by_year = {
        int(year): Decimal(str(value))
        for year, value in (kpi.target_by_year or {}).items()
        if value is not None
    }
    return TargetSpec(kpi.target_value, kpi.target_scope, by_year, kpi.aggregation)


def _with_pending(reported: Mapping[SourceKey, Reported]) -> dict:
    """Pending amounts counted as if accepted (drafts)."""
    return {
        key: Reported(r.accepted + r.pending, Amount()) for key, r in reported.items()
    }


def _scope_of(found: attainment.KPIAttainment, year: int | None) -> ScopeAttainment:
    """The year's scope when the year has a target, else the plan period's."""
    if year is None:
        return found.period
    scope = next(s for s in found.years if s.label == str(year))
    if scope.target is None and found.period.target is not None:
        return found.period
    return scope


def _chosen_status(found, leader_id, latest) -> ActivityStatus | None:
    in_latest = [(c, s) for c, s in found if c.period.code == latest]
    for contribution, status in in_latest:
        if contribution.organisation_id == leader_id:
            return status
    return in_latest[0][1] if in_latest else None


def _issues(kpis: tuple[KPIRow, ...], activities: tuple[ActivityRow, ...]):
    for row in activities:
        if row.status == ActivityStatus.Status.DELAYED:
            why = "; ".join(row.comments)
            yield Issue(
                "delayed",
                f"Activity {row.number} is delayed" + (f" ({why})" if why else ""),
            )
        elif row.is_overdue:
            yield Issue(
                "overdue",
                f"Activity {row.number} ({row.timing}) is overdue: its planned "
                f"quarters have ended and it is reported {row.status_label.lower()}",
            )
    for row in kpis:
        if row.status == Status.RED:
            yield Issue(
                "kpi_behind",
                f"KPI {row.letter} is far behind: {written(row.value)} against "
                f"{written(row.expected)} expected by now ({row.scope})",
            )


def _highlights(kpis: tuple[KPIRow, ...]):
    for row in kpis:
        if row.share_of_target is not None and row.share_of_target >= 1:
            yield (
                f"KPI {row.letter}: {written(row.value)}, target "
                f"{written(row.target)} reached ({row.scope})"
            )
        elif row.status == Status.GREEN:
            yield (
                f"KPI {row.letter}: on track, {written(row.value)} against "
                f"{written(row.expected)} expected by now ({row.scope})"
            )


def _not_achieved(kpis: tuple[KPIRow, ...]):
    for row in kpis:
        if row.target is None or row.share_of_target is None:
            if row.target is not None and row.value is None:
                yield f"KPI {row.letter}: nothing counted against {written(row.target)}"
            continue
        if row.share_of_target < 1:
            yield (
                f"KPI {row.letter}: {written(row.value)} of {written(row.target)} "
                f"({written(row.share_of_target * 100, 0)}% of the target, {row.scope})"
            )
