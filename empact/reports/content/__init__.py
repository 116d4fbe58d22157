"""What each report says, as plain frozen dataclasses: the renderers (HTML, PDF,
DOCX, XLSX) write exactly these and read nothing else.

Three reports (seed section 5.3):

- `light_report(plan, period)`: progress as at the end of one reporting period.
- `comprehensive_report(plan, year=...)`: results of one year, or of the whole
  plan period when `year` is None.
- `fact_sheet(plan, year)`: one page of headline figures, attainment by goal and
  participation by country.

Which values count. A final report counts accepted values of locked periods
only: contributions the action leader accepted in a period the driver has
locked, and the Joint Action Day results of those half-years (facts recorded by
the JAD's participants, counted through the KPI's declared mapping exactly as on
the dashboards). Periods of the scope that are not locked yet are left out and
named (`Report.periods_left_out`); a final light report of a period that is not
locked is refused. A draft (`draft=True`) counts every accepted and submitted
value up to the end of its scope, shows the submitted ones as `pending`,
includes the narratives and statuses of submitted contributions, and says so on
every page (`Report.draft`).

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

Headline figures of the fact sheet, for one year (`headlines.HEADLINES`):

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

This package reads through the reporting selectors only. It does not
check permissions: a report discloses every OA's figures and narratives, so its
callers (empact.reports.exports) require `report.produce` first.

model.py holds the dataclasses, build.py the sections, headlines.py the fact
sheet's figures.
"""

from datetime import date

from django.utils import timezone

from empact.errors import UserError
from empact.plans.models import Plan
from empact.reporting.attainment import Thresholds
from empact.reporting.dashboards import written
from empact.reporting.models import ReportingPeriod
from empact.reports.content.build import Builder
from empact.reports.content.headlines import HEADLINES, headline_keys
from empact.reports.content.model import (
    COMPREHENSIVE,
    FACT_SHEET,
    LIGHT,
    ActionSection,
    ActivityRow,
    ComprehensiveReport,
    CountryRow,
    FactSheet,
    GoalAttainment,
    GoalSection,
    Headline,
    Issue,
    JADRow,
    KPIRow,
    LightReport,
    Narrative,
    PlanInfo,
    Report,
    StatusCounts,
    Summary,
)

__all__ = [
    "COMPREHENSIVE",
    "FACT_SHEET",
    "HEADLINES",
    "LIGHT",
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
    "headline_keys",
    "light_report",
    "written",
]


def light_report(
    plan: Plan,
    period: ReportingPeriod,
    *,
    draft: bool = False,
    today: date | None = None,
    thresholds: Thresholds | None = None,
) -> LightReport:
    """Progress as at the end of `period`: per OA its activities, KPIs against the
    pro-rata target, narratives, issues and risks; per goal and plan a summary.
    UserError for a final report of a period that is not locked."""
    if not draft and period.state != ReportingPeriod.State.LOCKED:
        raise UserError(
            f"period {period.code} is {period.get_state_display().lower()}, not "
            "locked: a final report counts only locked periods. Ask for a draft, "
            "or lock the period first"
        )
    today = today or timezone.localdate()
    build = Builder(
        plan,
        scope=[period],
        through=(period.year, period.half),
        year=period.year,
        as_of=min(period.ends, today),
        draft=draft,
        thresholds=thresholds,
    )
    goals = build.goals(comprehensive=False)
    label = (
        f"reporting period {period.code} ({_day(period.starts)} to {_day(period.ends)})"
    )
    return LightReport(
        **build.common(
            kind=LIGHT,
            title="Light progress report",
            scope=period.code,
            scope_label=label,
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
    achieved, narratives and links to other OAPs. UserError for a year outside
    the plan."""
    years = _years(plan, year)
    today = today or timezone.localdate()
    build = Builder(
        plan,
        scope=[p for p in plan.periods.all() if p.year in years],
        through=(years[-1], 2),
        year=year,
        as_of=min(date(years[-1], 12, 31), today),
        draft=draft,
        thresholds=thresholds,
    )
    goals = build.goals(comprehensive=True)
    scope = str(year) if year is not None else plan.period
    label = f"the year {year}" if year is not None else f"the plan period {scope}"
    return ComprehensiveReport(
        **build.common(
            kind=COMPREHENSIVE,
            title="Comprehensive results report",
            scope=scope,
            scope_label=label,
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
    participation by country. UserError for a year outside the plan."""
    _years(plan, year)
    today = today or timezone.localdate()
    build = Builder(
        plan,
        scope=[p for p in plan.periods.all() if p.year == year],
        through=(year, 2),
        year=year,
        as_of=min(date(year, 12, 31), today),
        draft=draft,
        thresholds=thresholds,
    )
    goals = build.goals(comprehensive=True)
    return FactSheet(
        **build.common(
            kind=FACT_SHEET,
            title="Annual fact sheet",
            scope=str(year),
            scope_label=f"the year {year}",
        ),
        headlines=tuple(build.headlines()),
        goals=tuple(GoalAttainment(g.number, g.title, g.statuses) for g in goals),
        countries=tuple(build.countries()),
        summary=build.summary(goals),
    )


def _years(plan: Plan, year: int | None) -> list[int]:
    if year is None:
        return plan.years
    if year not in plan.years:
        raise UserError(
            f"year {year}: the plan {plan.slug} runs from {plan.period_start} to "
            f"{plan.period_end}"
        )
    return [year]


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"
