"""Reads of reporting data for the pages: each returns what one page shows.

Every read starts from the permission module: a plan the actor may not see, and a
contribution they may not see, are 404 alike whether or not they exist. Opening
one contribution is a consultation of operational data and is logged before the
data is returned (contribution_page).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Prefetch, Sum
from django.http import Http404

from empact.accounts import permissions
from empact.accounts.models import Participation, RoleAssignment
from empact.audit.log import record_consultation
from empact.organisations.models import Organisation
from empact.plans.models import KPI, Action, Activity, Plan, StrategicGoal
from empact.plans.selectors import _require_plan
from empact.reporting import workflow
from empact.reporting.attainment import Amount, Reported, SourceKey
from empact.reporting.jads import jad_values
from empact.reporting.models import (
    ActivityStatus,
    AmendmentRequest,
    Contribution,
    JADResult,
    JointActionDay,
    KPIValue,
    ReportingPeriod,
    Transition,
)
from empact.reporting.services import situation

WEIGHTED_KINDS = (KPI.Kind.PERCENTAGE, KPI.Kind.RATING)


# Periods page --------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRow:
    period: ReportingPeriod
    steps: list[str]  # the period steps the actor may take now: open, close, lock


@dataclass(frozen=True)
class OwnContribution:
    """An OA the actor holds a role in, in one open period, and the organisation's
    contribution to it if started."""

    action: Action
    period: ReportingPeriod
    contribution: Contribution | None


@dataclass(frozen=True)
class GridCell:
    period: ReportingPeriod
    visible: int  # contributions the actor may see
    submitted: int  # of which waiting for review


@dataclass(frozen=True)
class GridRow:
    action: Action
    cells: list[GridCell]  # one per period


@dataclass(frozen=True)
class PeriodsPage:
    plan: Plan
    periods: list[PeriodRow]
    own: list[OwnContribution]
    grid: list[GridRow]


def plan_for(slug: str, *, actor, request=None) -> Plan:
    """The plan with its driver; Http404 alike for unknown and invisible plans."""
    pk = _require_plan(slug, actor=actor, request=request)
    return Plan.objects.select_related("driver").get(pk=pk)


def periods_page(slug: str, *, actor, request=None) -> PeriodsPage:
    """The plan's periods with the steps `actor` may take on each, the actor's own
    contributions to start or open, and the OA × period grid of what they see."""
    plan = plan_for(slug, actor=actor, request=request)
    periods = list(plan.periods.all())
    actions = list(plan.actions.order_by("position", "ref"))
    return PeriodsPage(
        plan=plan,
        periods=[PeriodRow(p, _period_steps(actor, p)) for p in periods],
        own=_own_contributions(actor, plan, periods),
        grid=_grid(actor, plan, actions, periods),
    )


def _period_steps(actor, period: ReportingPeriod) -> list[str]:
    steps = []
    for step, state in workflow.PERIOD_STEPS:
        if state != period.state:
            continue
        needed = "period.lock" if step == "lock" else "period.manage"
        if permissions.can(actor, needed, period.plan):
            steps.append(step)
    return steps


def _own_contributions(actor, plan, periods) -> list[OwnContribution]:
    if actor.organisation_id is None:
        return []
    open_periods = [p for p in periods if p.state == workflow.OPEN]
    actions = list(
        Action.objects.filter(
            plan=plan,
            role_assignments__user=actor,
            role_assignments__role__in=RoleAssignment.ACTION_ROLES,
        )
        .distinct()
        .order_by("position", "ref")
    )
    started = {
        (c.action_id, c.period_id): c
        for c in Contribution.objects.filter(
            organisation_id=actor.organisation_id,
            action__in=actions,
            period__in=open_periods,
        )
    }
    return [
        OwnContribution(a, p, started.get((a.pk, p.pk)))
        for p in open_periods
        for a in actions
    ]


def _grid(actor, plan, actions, periods) -> list[GridRow]:
    counts: dict[tuple[int, int], list[int]] = {}
    visible = permissions.visible(
        actor, Contribution.objects.filter(period__plan=plan)
    ).order_by()
    for row in visible.values("action_id", "period_id", "state").annotate(
        n=Count("pk")
    ):
        cell = counts.setdefault((row["action_id"], row["period_id"]), [0, 0])
        cell[0] += row["n"]
        if row["state"] == workflow.SUBMITTED:
            cell[1] += row["n"]
    return [
        GridRow(
            action=a,
            cells=[GridCell(p, *counts.get((a.pk, p.pk), (0, 0))) for p in periods],
        )
        for a in actions
    ]


def get_period_for(slug: str, code: str, *, actor, request=None) -> ReportingPeriod:
    """The plan's period `code` (e.g. 2024-H1); Http404 if either is not there or
    the plan is invisible to `actor`."""
    plan = plan_for(slug, actor=actor, request=request)
    year, half = _parse_period_code(code)
    period = plan.periods.filter(year=year, half=half).first()
    if period is None:
        raise Http404("no such reporting period")
    period.plan = plan
    return period


def _parse_period_code(code: str) -> tuple[int, int]:
    year, _, half = code.partition("-H")
    if not (year.isdigit() and half in ("1", "2")):
        raise Http404("no such reporting period")
    return int(year), int(half)


def get_period_and_action(
    slug: str, code: str, ref: str, *, actor, request=None
) -> tuple[ReportingPeriod, Action]:
    """The plan's period `code` and OA `ref`; Http404 as get_period_for, or for an
    OA the plan does not have."""
    period = get_period_for(slug, code, actor=actor, request=request)
    action = period.plan.actions.select_related("leader").filter(ref=ref).first()
    if action is None:
        raise Http404("no such operational action")
    return period, action


# Period × OA page -----------------------------------------------------------------


@dataclass(frozen=True)
class PeriodActionPage:
    plan: Plan
    period: ReportingPeriod
    action: Action
    contributions: list[Contribution]  # those `actor` may see
    not_started: list[Organisation]  # for the OA's reviewers: taking part, no report
    own_startable: bool  # the actor's organisation may start its contribution here


def period_action_page(
    slug: str, code: str, ref: str, *, actor, request=None
) -> PeriodActionPage:
    """The contributions to one OA in one period that `actor` may see; Http404 for
    an unknown or invisible plan, period or OA."""
    period, action = get_period_and_action(
        slug, code, ref, actor=actor, request=request
    )
    contributions = list(
        permissions.visible(
            actor, Contribution.objects.filter(period=period, action=action)
        ).select_related("organisation")
    )
    blank = Contribution(action=action, period=period)
    reporting = {c.organisation_id for c in contributions}
    not_started = []
    if permissions.can(actor, "contribution.review", blank):
        not_started = [
            p.organisation
            for p in Participation.objects.filter(action=action)
            .select_related("organisation")
            .order_by("organisation__name")
            if p.organisation_id not in reporting
        ]
    own = Contribution(
        organisation_id=actor.organisation_id, action=action, period=period
    )
    return PeriodActionPage(
        plan=period.plan,
        period=period,
        action=action,
        contributions=contributions,
        not_started=not_started,
        own_startable=actor.organisation_id is not None
        and actor.organisation_id not in reporting
        and period.state == workflow.OPEN
        and permissions.can(actor, "contribution.edit", own),
    )


# One contribution -----------------------------------------------------------------


def get_contribution_for(
    actor, pk: int, *, request=None, permission: str = "contribution.view"
) -> Contribution:
    """Contribution `pk` if `actor` may `permission` it; Http404 alike for one that
    does not exist and one that is not theirs (the refusal is logged)."""
    contribution = (
        Contribution.objects.select_related(
            "organisation", "period__plan", "action__plan", "action__goal"
        )
        .filter(pk=pk)
        .first()
    )
    if contribution is None:
        raise Http404("no such contribution")
    permissions.require(actor, permission, contribution, request=request)
    return contribution


def get_amendment_for(actor, pk: int, *, request=None) -> AmendmentRequest:
    """Amendment request `pk` if `actor` may decide it; Http404 otherwise."""
    amendment = (
        AmendmentRequest.objects.select_related(
            "contribution__organisation",
            "contribution__period__plan",
            "contribution__action__plan",
            "contribution__action__goal",
        )
        .filter(pk=pk)
        .first()
    )
    if amendment is None:
        raise Http404("no such amendment request")
    permissions.require(
        actor, "amendment.decide", amendment.contribution, request=request
    )
    return amendment


@dataclass(frozen=True)
class Report:
    """What a contribution reports, keyed for the forms: KPI and activity ids."""

    kpis: list[KPI]
    activities: list[Activity]
    values: dict[int, KPIValue]  # by KPI id
    statuses: dict[int, ActivityStatus]  # by activity id
    narrative: str

    @property
    def has_weighted(self) -> bool:
        """Whether a KPI is a percentage or rating, whose values carry a weight."""
        return any(k.kind in WEIGHTED_KINDS for k in self.kpis)

    def kpi_rows(self) -> list[tuple[KPI, KPIValue | None]]:
        return [(k, self.values.get(k.pk)) for k in self.kpis]

    def activity_rows(self) -> list[tuple[Activity, ActivityStatus | None]]:
        return [(a, self.statuses.get(a.pk)) for a in self.activities]


def contribution_report(contribution: Contribution) -> Report:
    """The KPIs and activities of the contribution's OA with what it reports."""
    return Report(
        kpis=list(contribution.action.kpis.order_by("letter")),
        activities=list(contribution.action.activities.order_by("number")),
        values={v.kpi_id: v for v in contribution.values.all()},
        statuses={s.activity_id: s for s in contribution.activity_statuses.all()},
        narrative=contribution.narrative,
    )


@dataclass(frozen=True)
class Change:
    what: str  # "KPI a", "activity 2", "narrative"
    current: str
    proposed: str


@dataclass(frozen=True)
class AmendmentView:
    amendment: AmendmentRequest
    changes: list[Change]

    @property
    def is_pending(self) -> bool:
        return self.amendment.state == AmendmentRequest.State.PENDING


@dataclass(frozen=True)
class ContributionPage:
    contribution: Contribution
    report: Report
    transitions: list[Transition]
    amendments: list[AmendmentView]
    edit_refusal: str | None  # why it cannot be edited now; None if it can
    submit_refusal: str | None
    review_refusal: str | None
    is_locked: bool


def contribution_page(
    contribution: Contribution, *, actor, today: date, request=None
) -> ContributionPage:
    """Everything the contribution page shows. Records the consultation first:
    if it cannot be logged (AuditWriteFailed), nothing is returned."""
    record_consultation(contribution, actor=actor, request=request)
    report = contribution_report(contribution)
    now = situation(contribution, today=today)
    amendments = contribution.amendments.order_by("-requested_at", "-pk")
    return ContributionPage(
        contribution=contribution,
        report=report,
        transitions=list(contribution.transitions.all()),
        amendments=[AmendmentView(a, amendment_changes(a, report)) for a in amendments],
        edit_refusal=workflow.edit_refusal(now),
        submit_refusal=workflow.step_refusal("submit", now),
        review_refusal=workflow.step_refusal("accept", now),
        is_locked=contribution.period.state == workflow.LOCKED,
    )


def amendment_changes(amendment: AmendmentRequest, report: Report) -> list[Change]:
    """The proposed changes of an amendment, named by KPI letter and activity number,
    beside what the contribution reports now."""
    proposed = amendment.proposed or {}
    changes = _value_changes(proposed.get("values", {}), report)
    changes += _status_changes(proposed.get("statuses", {}), report)
    if "narrative" in proposed:
        changes.append(Change("narrative", report.narrative, proposed["narrative"]))
    return changes


def _value_changes(proposed: dict, report: Report) -> list[Change]:
    kpis = {str(k.pk): k for k in report.kpis}
    changes = []
    for kpi_id, given in proposed.items():
        kpi = kpis.get(kpi_id)
        current = report.values.get(kpi.pk) if kpi else None
        changes.append(
            Change(
                f"KPI {kpi.letter}" if kpi else f"KPI #{kpi_id}",
                _value_text(current.value, current.evidence) if current else "",
                _value_text(given.get("value", ""), given.get("evidence", "")),
            )
        )
    return changes


def _status_changes(proposed: dict, report: Report) -> list[Change]:
    activities = {str(a.pk): a for a in report.activities}
    labels = dict(ActivityStatus.Status.choices)
    changes = []
    for activity_id, given in proposed.items():
        activity = activities.get(activity_id)
        current = report.statuses.get(activity.pk) if activity else None
        now = _status_text(labels, current.status, current.comment) if current else ""
        changes.append(
            Change(
                f"activity {activity.number}"
                if activity
                else f"activity #{activity_id}",
                now,
                _status_text(labels, given.get("status", ""), given.get("comment", "")),
            )
        )
    return changes


def plain_decimal(value) -> str:
    """20.00 as "20", 4.50 as "4.5": the way a person types it (no grouping)."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _value_text(value, evidence: str) -> str:
    text = plain_decimal(value) if isinstance(value, Decimal) else str(value)
    return f"{text} ({evidence})" if evidence else text


def _status_text(labels: dict, status: str, comment: str) -> str:
    text = str(labels.get(status, status))
    return f"{text} ({comment})" if comment else text


# Reads for the reports (empact/reports) -------------------------------------------
# A report is a plan-wide document: these reads return every OA's figures and
# contributions, so their only caller (empact.reports) checks report.produce first.

REPORT_SOURCE_CONTRIBUTIONS = "contributions"
REPORT_SOURCE_JADS = "jad_results"


def report_plan(plan: Plan) -> Plan:
    """The plan with its goals → OAs (leaders) → KPIs (JAD mappings) and activities,
    prefetched in a fixed number of queries."""
    actions = (
        Action.objects.select_related("leader", "co_leader")
        .prefetch_related(
            Prefetch("kpis", queryset=KPI.objects.select_related("jad_mapping")),
            "activities",
        )
        .order_by("position", "ref")
    )
    goals = StrategicGoal.objects.prefetch_related(
        Prefetch("actions", queryset=actions)
    ).order_by("number")
    return (
        Plan.objects.select_related("driver")
        .prefetch_related(Prefetch("goals", queryset=goals), "co_drivers")
        .get(pk=plan.pk)
    )


def report_amounts(plan: Plan) -> dict[int, dict[SourceKey, Reported]]:
    """Accepted and pending (submitted) amounts per KPI id, keyed by (source, year,
    half) as attainment.py reads them. JAD results are accepted amounts of their
    own source (jads.jad_values). Two queries."""
    values = KPIValue.objects.filter(
        kpi__action__plan_id=plan.pk,
        contribution__state__in=(
            Contribution.State.SUBMITTED,
            Contribution.State.ACCEPTED,
        ),
    )
    found: dict[int, dict[SourceKey, Reported]] = defaultdict(dict)
    for row in _summed(values):
        key = (REPORT_SOURCE_CONTRIBUTIONS, row["year"], row["half"])
        amount = Amount(row["total"], row["weighted"], row["weight"], row["count"])
        before = found[row["kpi_id"]].get(key, Reported())
        if row["state"] == Contribution.State.ACCEPTED:
            found[row["kpi_id"]][key] = Reported(amount, before.pending)
        else:
            found[row["kpi_id"]][key] = Reported(before.accepted, amount)
    for value in jad_values(plan):
        key = (REPORT_SOURCE_JADS, value.year, value.half)
        before = found[value.kpi_id].get(key, Reported())
        one = Amount(value.value, value.value, Decimal(1), 1)
        found[value.kpi_id][key] = Reported(before.accepted + one)
    return dict(found)


def _summed(values):
    return (
        values.values(
            "kpi_id",
            year=F("contribution__period__year"),
            half=F("contribution__period__half"),
            state=F("contribution__state"),
        )
        .annotate(
            total=Sum("value"),
            weighted=Sum(
                F("value") * F("weight"),
                output_field=DecimalField(max_digits=28, decimal_places=4),
            ),
            weight=Sum("weight"),
            count=Count("pk"),
        )
        .order_by()
    )


def report_contributions(
    plan: Plan, *, periods: list[ReportingPeriod], states: tuple[str, ...]
) -> list[Contribution]:
    """The plan's contributions in `periods` and `states`, with their organisation,
    OA, period and activity statuses; two queries."""
    return list(
        Contribution.objects.filter(
            action__plan_id=plan.pk, period__in=periods, state__in=states
        )
        .select_related("organisation", "action", "period")
        .prefetch_related("activity_statuses")
        .order_by(
            "action__position", "period__year", "period__half", "organisation__code"
        )
    )


def report_jads(plan: Plan) -> list[JointActionDay]:
    """The plan's Joint Action Days with their OAs, lead, participants and results."""
    return list(
        JointActionDay.objects.filter(plan_id=plan.pk)
        .select_related("lead")
        .prefetch_related(
            "actions",
            "participants",
            Prefetch(
                "results",
                queryset=JADResult.objects.select_related("organisation").order_by(
                    "measure", "seizure_kind", "organisation__code"
                ),
            ),
        )
        .order_by("starts", "name")
    )


def report_participations(plan: Plan) -> list[Participation]:
    """Who takes part in which OA of the plan, with the organisation."""
    return list(
        Participation.objects.filter(action__plan_id=plan.pk)
        .select_related("organisation", "action")
        .order_by("organisation__code", "action__position")
    )
