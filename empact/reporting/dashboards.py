"""Reads for the dashboards: where the plan stands against its KPI targets.

Each selector runs a fixed number of queries however many OAs, KPIs, organisations
and contributions there are: values are added up in the database, grouped by KPI,
period and contribution state, and the arithmetic is attainment.py's.

Who sees what. Every dashboard needs plan.view (404 otherwise, as for the plan
pages). Figures added up over all submitted and accepted contributions of the plan
are shown to everyone who may see the plan: an aggregate does not show any single
organisation's record. Anything about one organisation's contribution (who
reported an activity's status, the organisation page) comes only from the
contributions `permissions.visible` lets the actor see.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.conf import settings
from django.db.models import Count, DecimalField, F, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from empact.accounts import permissions
from empact.audit.log import record
from empact.audit.models import AuditEntry
from empact.organisations.models import Organisation
from empact.plans.models import KPI, Action, Activity, Plan, StrategicGoal
from empact.plans.selectors import (
    QuarterColumn,
    TimelineCell,
    _require_plan,
    quarter_columns,
    timeline_cells,
)
from empact.reporting import attainment
from empact.reporting.attainment import (
    Amount,
    KPIAttainment,
    Reported,
    ScopeAttainment,
    SourceKey,
    Status,
    TargetSpec,
    Thresholds,
)
from empact.reporting.jads import jad_values
from empact.reporting.models import (
    ActivityStatus,
    Contribution,
    KPIValue,
    ReportingPeriod,
)

# The source id of values reported in contributions; other sources of accepted
# values (Joint Action Day results) get their own id and are merged with
# attainment.merge_sources.
CONTRIBUTIONS = "contributions"
JAD_RESULTS = "jad_results"
REPORTED = (Contribution.State.SUBMITTED, Contribution.State.ACCEPTED)
STATES = tuple(Contribution.State.values)
ACCEPTED = str(Contribution.State.ACCEPTED)
NOTHING_REPORTED = Reported()


@dataclass(frozen=True)
class ScopeFigures:
    """One scope's attainment with its figures written for the page (formatting
    here rather than with template filters: a plan has hundreds of them)."""

    scope: ScopeAttainment
    accepted: str
    pending: str
    target: str
    expected: str
    share_of_expected: str

    @classmethod
    def of(cls, scope: ScopeAttainment) -> "ScopeFigures":
        share = scope.share_of_expected
        return cls(
            scope=scope,
            accepted=written(scope.accepted),
            pending=written(scope.pending) if scope.pending_count else "—",
            target=written(scope.target),
            expected=written(scope.expected),
            share_of_expected="—" if share is None else f"{written(share * 100, 0)}%",
        )


@dataclass(frozen=True)
class KPIRow:
    kpi: KPI
    attainment: KPIAttainment

    @cached_property
    def years(self) -> list[ScopeFigures]:
        return [ScopeFigures.of(scope) for scope in self.attainment.years]

    @property
    def scopes(self) -> list[ScopeFigures]:
        """Each year, then the whole period."""
        return [*self.years, self.period]

    @cached_property
    def period(self) -> ScopeFigures:
        return ScopeFigures.of(self.attainment.period)


@dataclass(frozen=True)
class ActionRow:
    action: Action
    kpis: list[KPIRow]
    statuses: dict[Status, int]  # of its KPIs over the whole period


@dataclass(frozen=True)
class GoalSection:
    goal: StrategicGoal
    actions: list[ActionRow]


@dataclass(frozen=True)
class PeriodRow:
    period: ReportingPeriod
    counts: dict[str, int]  # contributions by state

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class PlanDashboard:
    plan: Plan
    today: date
    thresholds: Thresholds
    goals: list[GoalSection]
    periods: list[PeriodRow]
    statuses: dict[Status, int]  # of all KPIs over the whole period


@dataclass(frozen=True)
class ActivityRow:
    activity: Activity
    cells: list[TimelineCell]
    latest: ActivityStatus | None  # the latest status reported, by anyone
    may_see_reporter: bool  # whether the actor may see whose report it is
    is_overdue: bool

    @property
    def is_parsed(self) -> bool:
        return any(cell.planned for cell in self.cells)


@dataclass(frozen=True)
class ActionDashboard:
    action: Action
    plan: Plan
    today: date
    thresholds: Thresholds
    kpis: list[KPIRow]
    statuses: dict[Status, int]
    columns: list[QuarterColumn]
    current: QuarterColumn | None
    timeline: list[ActivityRow]
    periods: list[PeriodRow]
    contributions: list[Contribution]  # those the actor may see

    @property
    def overdue(self) -> int:
        return sum(row.is_overdue for row in self.timeline)


@dataclass(frozen=True)
class OrganisationKPIRow:
    kpi: KPI
    values: list[KPIValue | None]  # one per contribution of the section
    accepted: Decimal | None  # sum or weighted mean of its accepted values

    @property
    def accepted_written(self) -> str:
        return written(self.accepted)


@dataclass(frozen=True)
class OrganisationSection:
    action: Action
    contributions: list[Contribution]
    rows: list[OrganisationKPIRow]


@dataclass(frozen=True)
class OrganisationView:
    plan: Plan
    organisation: Organisation
    today: date
    sections: list[OrganisationSection]

    @property
    def contribution_count(self) -> int:
        return sum(len(s.contributions) for s in self.sections)


def configured_thresholds() -> Thresholds:
    """The attainment thresholds set in the settings (percent of expected)."""
    return Thresholds.from_percent(
        settings.EMPACT_ATTAINMENT_GREEN_PERCENT,
        settings.EMPACT_ATTAINMENT_AMBER_PERCENT,
    )


def plan_dashboard(
    slug: str, *, actor, today: date, request=None, thresholds: Thresholds | None = None
) -> PlanDashboard:
    """Every KPI of the plan against its target, by goal and OA, and the
    contributions by state per period; Http404 for an unknown or invisible plan."""
    pk = _require_plan(slug, actor=actor, request=request)
    plan = Plan.objects.select_related("driver").get(pk=pk)
    return plan_figures(plan, today=today, thresholds=thresholds)


def plan_figures(
    plan: Plan, *, today: date, thresholds: Thresholds | None = None
) -> PlanDashboard:
    """The plan dashboard of a plan the caller has been allowed to see."""
    pk = plan.pk
    thresholds = thresholds or configured_thresholds()
    actions_of, kpis_of = _plan_tree(pk)
    # Aggregates over every reported contribution of the plan: see the module doc.
    reported = _with_jad_results(_reported(plan_values(pk)), plan_id=pk)
    sections = [
        GoalSection(
            goal,
            [
                _action_row(
                    action, kpis_of[action.pk], reported, plan.years, today, thresholds
                )
                for action in actions_of[goal.pk]
            ],
        )
        for goal in StrategicGoal.objects.filter(plan_id=pk)
    ]
    rows = [row for s in sections for a in s.actions for row in a.kpis]
    return PlanDashboard(
        plan=plan,
        today=today,
        thresholds=thresholds,
        goals=sections,
        periods=_period_rows(Q(plan_id=pk), Q()),
        statuses=attainment.count_statuses(r.attainment.period for r in rows),
    )


def action_dashboard(
    slug: str,
    ref: str,
    *,
    actor,
    today: date,
    request=None,
    thresholds: Thresholds | None = None,
) -> ActionDashboard:
    """One OA's KPIs against their targets, its activities planned beside their
    latest reported status, and its contributions the actor may see;
    Http404 for an unknown plan or OA, or an invisible plan."""
    pk = _require_plan(slug, actor=actor, request=request)
    thresholds = thresholds or configured_thresholds()
    action = (
        Action.objects.select_related("plan", "plan__driver", "goal", "leader")
        .prefetch_related("kpis", "activities")
        .filter(plan_id=pk, ref=ref)
        .first()
    )
    if action is None:
        raise Http404("no such operational action")
    plan = action.plan
    # Aggregates over every reported contribution of the OA: see the module doc.
    reported = _with_jad_results(
        _reported(KPIValue.objects.filter(kpi__action_id=action.pk)), plan_id=pk
    )
    row = _action_row(
        action, action.kpis.all(), reported, plan.years, today, thresholds
    )
    contributions = list(
        permissions.visible(actor, Contribution.objects.filter(action_id=action.pk))
        .select_related("organisation", "period")
        .order_by("period__year", "period__half", "organisation__code")
    )
    columns = quarter_columns(plan.years)
    return ActionDashboard(
        action=action,
        plan=plan,
        today=today,
        thresholds=thresholds,
        kpis=row.kpis,
        statuses=row.statuses,
        columns=columns,
        current=_current_quarter(today, plan.years),
        timeline=_timeline(action, columns, {c.pk for c in contributions}, today),
        periods=_period_rows(Q(plan_id=pk), Q(contributions__action_id=action.pk)),
        contributions=contributions,
    )


def organisation_view(
    slug: str, code: str, *, actor, today: date, request=None
) -> OrganisationView:
    """What one organisation reported across the plan's OAs, as far as the actor
    may see its contributions; the consultation is logged before anything is
    returned. Http404 for an unknown plan or organisation, or an invisible plan."""
    pk = _require_plan(slug, actor=actor, request=request)
    organisation = Organisation.objects.filter(code=code).first()
    if organisation is None:
        raise Http404("no such organisation")
    plan = Plan.objects.select_related("driver").get(pk=pk)
    values = KPIValue.objects.order_by()
    contributions = list(
        permissions.visible(
            actor,
            Contribution.objects.filter(action__plan_id=pk, organisation=organisation),
        )
        .select_related("action", "period")
        .prefetch_related(Prefetch("values", queryset=values))
        .order_by("action__position", "action__ref", "period__year", "period__half")
    )
    kpis = KPI.objects.filter(
        action_id__in={c.action_id for c in contributions}
    ).order_by("letter")
    record(
        "organisation.consulted",
        actor=actor,
        operation=AuditEntry.Operation.CONSULTATION,
        obj=organisation,
        request=request,
        extra={"plan": plan.slug, "contributions": [c.pk for c in contributions]},
    )
    return OrganisationView(
        plan=plan,
        organisation=organisation,
        today=today,
        sections=_organisation_sections(contributions, list(kpis)),
    )


def plan_values(plan_id: int) -> QuerySet:
    """The KPI values of a plan's KPIs, whatever their state."""
    return KPIValue.objects.filter(kpi__action__plan_id=plan_id)


def reported_rows(values: QuerySet) -> QuerySet:
    """The dashboards' aggregate: (kpi id, year, half, state, Σ value,
    Σ value × weight, Σ weight, count) over the submitted and accepted
    `values`. Public for the benchmark, which runs its SQL alone as a floor."""
    return (
        values.filter(contribution__state__in=REPORTED)
        .values_list(
            "kpi_id",
            "contribution__period__year",
            "contribution__period__half",
            "contribution__state",
        )
        .annotate(
            total=Sum("value"),
            weighted_total=Sum(
                F("value") * F("weight"),
                output_field=DecimalField(max_digits=28, decimal_places=4),
            ),
            weight=Sum("weight"),
            count=Count("pk"),
        )
        .order_by()
    )


def written(value: Decimal | None, places: int = 2) -> str:
    """A figure as the dashboards write it: "1,234.5", "20", "—" for none."""
    if value is None:
        return "—"
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    text = f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# Inside ----------------------------------------------------------------------

_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(5)}


def _reported(values: QuerySet) -> dict[int, dict[SourceKey, Reported]]:
    """Reported amounts per KPI id, added up in the database: one query."""
    found: dict[int, dict[SourceKey, Reported]] = defaultdict(dict)
    for kpi_id, year, half, state, *sums in reported_rows(values):
        key = (CONTRIBUTIONS, year, half)
        before = found[kpi_id].get(key, NOTHING_REPORTED)
        if state == ACCEPTED:
            found[kpi_id][key] = Reported(Amount(*sums), before.pending)
        else:
            found[kpi_id][key] = Reported(before.accepted, Amount(*sums))
    return found


def _with_jad_results(
    reported: dict[int, dict[SourceKey, Reported]], *, plan_id: int
) -> dict[int, dict[SourceKey, Reported]]:
    """Add Joint Action Day results as accepted amounts of their own source, one
    query; jads.jad_values gives each result to each mapped KPI once."""
    amounts: dict[SourceKey, Amount] = defaultdict(Amount)
    per_kpi: dict[int, set[SourceKey]] = defaultdict(set)
    for value in jad_values(plan_id):
        key = (JAD_RESULTS, value.year, value.half)
        amounts[value.kpi_id, *key] += Amount(value.value, value.value, Decimal(1), 1)
        per_kpi[value.kpi_id].add(key)
    merged = dict(reported)
    for kpi_id, keys in per_kpi.items():
        jad_part = {k: Reported(accepted=amounts[kpi_id, *k]) for k in keys}
        merged[kpi_id] = attainment.merge_sources(reported.get(kpi_id, {}), jad_part)
    return merged


def target_spec(kpi: KPI) -> TargetSpec:
    """The KPI's target as attainment.py reads it."""
    by_year = {
        int(year): Decimal(str(value))
        for year, value in (kpi.target_by_year or {}).items()
        if value is not None
    }
    return TargetSpec(kpi.target_value, kpi.target_scope, by_year, kpi.aggregation)


def _plan_tree(plan_id: int) -> tuple[dict[int, list[Action]], dict[int, list[KPI]]]:
    """The plan's actions by goal id (with their leaders) and KPIs by action id:
    two queries. Grouped here rather than with prefetch_related, which filters a
    queryset for each goal and each action and cost more than the queries."""
    actions = Action.objects.filter(plan_id=plan_id).select_related("leader")
    by_id = {action.pk: action for action in actions.order_by("position", "ref")}
    actions_of: dict[int, list[Action]] = defaultdict(list)
    for action in by_id.values():
        actions_of[action.goal_id].append(action)
    kpis_of: dict[int, list[KPI]] = defaultdict(list)
    for kpi in KPI.objects.filter(action__plan_id=plan_id).order_by("letter"):
        kpi.action = by_id[kpi.action_id]  # as prefetching did: no query per KPI
        kpis_of[kpi.action_id].append(kpi)
    return actions_of, kpis_of


def _action_row(action, kpis, reported, years, today, thresholds) -> ActionRow:
    rows = [
        KPIRow(
            kpi,
            attainment.kpi_attainment(
                target_spec(kpi),
                reported.get(kpi.pk, {}),
                years=years,
                today=today,
                thresholds=thresholds,
            ),
        )
        for kpi in kpis
    ]
    return ActionRow(
        action, rows, attainment.count_statuses(r.attainment.period for r in rows)
    )


def _period_rows(periods: Q, contributions: Q) -> list[PeriodRow]:
    """The periods matching `periods`, each with its contributions (those matching
    `contributions`) counted by state: one query."""
    counts = {
        f"n_{state}": Count(
            "contributions", filter=contributions & Q(contributions__state=state)
        )
        for state in STATES
    }
    found = (
        ReportingPeriod.objects.filter(periods)
        .annotate(**counts)
        .order_by("year", "half")
    )
    return [
        PeriodRow(p, {state: getattr(p, f"n_{state}") for state in STATES})
        for p in found
    ]


def _timeline(action, columns, visible_ids: set[int], today) -> list[ActivityRow]:
    latest = _latest_statuses(action)
    rows = []
    for activity in action.activities.all():
        status = latest.get(activity.pk)
        quarters = activity.quarters or {}
        rows.append(
            ActivityRow(
                activity=activity,
                cells=timeline_cells(quarters, columns),
                latest=status,
                may_see_reporter=status is not None
                and status.contribution_id in visible_ids,
                is_overdue=attainment.is_overdue(
                    quarters, status.status if status else None, today=today
                ),
            )
        )
    return rows


def _latest_statuses(action) -> dict[int, ActivityStatus]:
    """The latest status reported for each activity of the OA (latest period,
    then the latest change), over its submitted and accepted contributions.
    The status of an OA's activity is a fact about the OA; who reported it is
    shown only where the actor may see that contribution."""
    statuses = (
        ActivityStatus.objects.filter(
            activity__action_id=action.pk, contribution__state__in=REPORTED
        )
        .select_related("contribution__period", "contribution__organisation")
        .order_by(
            "activity_id",
            "-contribution__period__year",
            "-contribution__period__half",
            "-contribution__updated_at",
            "-pk",
        )
    )
    latest: dict[int, ActivityStatus] = {}
    for status in statuses:
        latest.setdefault(status.activity_id, status)
    return latest


def _current_quarter(today: date, years: list[int]) -> QuarterColumn | None:
    if today.year not in years:
        return None
    return QuarterColumn(today.year, (today.month - 1) // 3 + 1)


def _organisation_sections(contributions, kpis) -> list[OrganisationSection]:
    by_action: dict[int, list[Contribution]] = defaultdict(list)
    for contribution in contributions:
        by_action[contribution.action_id].append(contribution)
    kpis_of: dict[int, list[KPI]] = defaultdict(list)
    for kpi in kpis:
        kpis_of[kpi.action_id].append(kpi)
    return [
        OrganisationSection(
            action=group[0].action,
            contributions=group,
            rows=[_organisation_row(kpi, group) for kpi in kpis_of[action_id]],
        )
        for action_id, group in by_action.items()
    ]


def _organisation_row(kpi: KPI, contributions) -> OrganisationKPIRow:
    values = [
        next((v for v in c.values.all() if v.kpi_id == kpi.pk), None)
        for c in contributions
    ]
    accepted = Amount()
    for contribution, value in zip(contributions, values, strict=True):
        if value is not None and contribution.state == Contribution.State.ACCEPTED:
            accepted += Amount(value.value, value.value * value.weight, value.weight, 1)
    return OrganisationKPIRow(
        kpi=kpi,
        values=values,
        accepted=attainment.aggregate(accepted, kpi.aggregation)
        if accepted.count
        else None,
    )
