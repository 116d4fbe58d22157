"""Plans, periods and contributions, and the review of contributions.

Handlers are adapters: every read starts from `permissions.visible` or the pages'
selectors, every change goes through `reporting.services` (which check permission
and audit). A record the caller may not see is 404, the same as one that does not
exist. KPIs are named by their letter and activities by their number, as in the
plan file.
"""

import datetime
from contextlib import contextmanager
from decimal import Decimal

from django.db.models import prefetch_related_objects
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate

from empact.accounts import permissions
from empact.audit.log import record_consultation
from empact.errors import UserError
from empact.paging import LimitOffset
from empact.plans.export import plan_as_dict
from empact.plans.models import Plan
from empact.reporting import selectors, services
from empact.reporting.api.errors import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    VersionConflict,
)
from empact.reporting.api.links import CONTRIBUTION, LISTED, links
from empact.reporting.models import Contribution, ReportingPeriod

router = Router(tags=["contributions"])
PERIOD_CODE = r"^\d{4}-H[12]$"
# What a name the API looks up may hold: a plan's slug (a SlugField), and, for
# other names, anything but NUL, which PostgreSQL cannot even compare (a 500).
SLUG = r"^[-a-zA-Z0-9_]+$"
NO_NUL = r"^[^\x00]*$"


class PlanOut(Schema):
    slug: str
    title: str
    priority: str
    period: str


class PeriodOut(Schema):
    code: str
    year: int
    half: int
    state: str
    deadline: datetime.date


class ValueOut(Schema):
    kpi: str = Field(..., alias="kpi.letter")
    value: Decimal
    weight: Decimal
    evidence: str


class StatusOut(Schema):
    activity: int = Field(..., alias="activity.number")
    status: str
    comment: str


class ContributionOut(Schema):
    id: int
    plan: str = Field(..., alias="action.plan.slug")
    oa: str = Field(..., alias="action.ref")
    organisation: str = Field(..., alias="organisation.code")
    period: str = Field(..., alias="period.code")
    state: str
    version: int
    updated_at: datetime.datetime


class ContributionDetailOut(ContributionOut):
    narrative: str
    returned_reason: str
    values: list[ValueOut] = Field(..., alias="values.all")
    statuses: list[StatusOut] = Field(..., alias="activity_statuses.all")


class ContributionFilter(Schema):
    plan: str | None = Field(None, max_length=100, pattern=SLUG)
    period: str | None = Field(None, pattern=PERIOD_CODE)
    oa: str | None = Field(None, max_length=10, pattern=NO_NUL)


class StartIn(Schema):
    plan: str = Field(..., max_length=100, pattern=SLUG)
    oa: str = Field(..., max_length=10, pattern=NO_NUL)
    period: str = Field(..., pattern=PERIOD_CODE)


class ValueIn(Schema):
    value: str = Field(..., max_length=40)
    evidence: str = Field("", max_length=10000)
    weight: str = Field("1", max_length=40)


class StatusIn(Schema):
    status: str = Field(..., max_length=20)
    comment: str = Field("", max_length=10000)


# Contribution.version is a PositiveIntegerField: bounded so that no database is
# asked to compare it with a number it cannot hold.
MAX_VERSION = 2_147_483_647


class SaveIn(Schema):
    version: int = Field(
        ..., ge=1, le=MAX_VERSION, description="The version the caller read."
    )
    narrative: str = Field("", max_length=50000)
    values: dict[str, ValueIn] = {}  # by KPI letter
    statuses: dict[int, StatusIn] = {}  # by activity number


class StepIn(Schema):
    version: int = Field(
        ..., ge=1, le=MAX_VERSION, description="The version the caller read."
    )


class ReturnIn(StepIn):
    reason: str = Field(
        ...,
        max_length=10000,
        description="Why it goes back to the organisation (required, not blank).",
    )


# Plans --------------------------------------------------------------------------


@router.get("/plans", response={200: list[PlanOut], **LIST_ERRORS}, tags=["plans"])
@paginate(LimitOffset)
def list_plans(request):
    return permissions.visible(request.auth, Plan.objects.order_by("slug"))


@router.get("/plans/{slug}", response={200: dict, **READ_ERRORS}, tags=["plans"])
def get_plan(request, slug: str = Path(..., max_length=100, pattern=SLUG)):
    return plan_as_dict(_plan(request, slug))


@router.get(
    "/plans/{slug}/periods",
    response={200: list[PeriodOut], **READ_ERRORS},
    tags=["plans"],
)
@paginate(LimitOffset)
def list_periods(request, slug: str = Path(..., max_length=100, pattern=SLUG)):
    return ReportingPeriod.objects.filter(plan=_plan(request, slug)).order_by(
        "year", "half"
    )


# Contributions ------------------------------------------------------------------


@router.get(
    "/contributions",
    response={200: list[ContributionOut], **LIST_ERRORS},
    openapi_extra=links(200, **LISTED),
)
@paginate(LimitOffset)
def list_contributions(request, filters: Query[ContributionFilter]):
    found = _visible_contributions(request)
    if filters.plan:
        found = found.filter(action__plan__slug=filters.plan)
    if filters.oa:
        found = found.filter(action__ref=filters.oa)
    if filters.period:
        year, half = filters.period.split("-H")
        found = found.filter(period__year=int(year), period__half=int(half))
    return found


@router.get(
    "/contributions/{id}",
    response={200: ContributionDetailOut, **READ_ERRORS},
    openapi_extra=links(200, **CONTRIBUTION),
)
def get_contribution(request, id: int):
    contribution = contribution_detail(request, id)
    record_consultation(contribution, actor=request.auth, request=request)
    return contribution


@router.post(
    "/contributions",
    response={201: ContributionDetailOut, **WRITE_ERRORS},
    openapi_extra=links(201, **CONTRIBUTION),
)
def start_contribution(request, data: StartIn):
    plan = _plan(request, data.plan)
    action = plan.actions.filter(ref=data.oa).first()
    period = _period(plan, data.period)
    if action is None:
        raise UserError(f"OA {data.oa} is not in the plan {plan.slug}")
    organisation = request.auth.organisation
    if organisation is None:
        raise UserError(f"{request.auth} belongs to no organisation")
    contribution = services.start_contribution(
        organisation, action, period, actor=request.auth, request=request
    )
    return Status(201, contribution_detail(request, contribution.pk))


@router.put(
    "/contributions/{id}",
    response={200: ContributionDetailOut, **WRITE_ERRORS},
    openapi_extra=links(200, **CONTRIBUTION),
)
def save_contribution(request, id: int, data: SaveIn):
    contribution = contribution_detail(request, id)
    permissions.require(
        request.auth, "contribution.edit", contribution, request=request
    )
    values, statuses = report_inputs(contribution, data.values, data.statuses)
    with _conflicts(contribution, data.version):
        services.save_contribution(
            contribution,
            version=data.version,
            values=values,
            statuses=statuses,
            narrative=data.narrative,
            actor=request.auth,
            today=timezone.localdate(),
            request=request,
        )
    return contribution_detail(request, id)


# The workflow: the organisation submits, the OA's leaders accept or return -------


STEPPED = {
    "response": {200: ContributionDetailOut, **WRITE_ERRORS},
    "openapi_extra": links(200, **CONTRIBUTION),
    "tags": ["review"],
}


@router.post("/contributions/{id}/submit", **STEPPED)
def submit_contribution(request, id: int, data: StepIn):
    return _take_step(request, id, "submit", data.version)


@router.post("/contributions/{id}/accept", **STEPPED)
def accept_contribution(request, id: int, data: StepIn):
    """The OA's action leader or co-leader accepts a submitted contribution."""
    return _take_step(request, id, "accept", data.version)


@router.post("/contributions/{id}/return", **STEPPED)
def return_contribution(request, id: int, data: ReturnIn):
    """The OA's action leader or co-leader sends a submitted contribution back to
    its organisation as a draft, saying why."""
    return _take_step(request, id, "return", data.version, reason=data.reason)


def _take_step(request, pk: int, step: str, version: int, *, reason: str = ""):
    contribution = contribution_detail(request, pk)
    with _conflicts(contribution, version):
        services.take_step(
            contribution,
            step,
            version=version,
            reason=reason,
            actor=request.auth,
            today=timezone.localdate(),
            request=request,
        )
    return contribution_detail(request, pk)


# Reads and translations -----------------------------------------------------------


def _plan(request, slug: str) -> Plan:
    # The pages' selector: the same 404 for unknown and invisible plans, and the
    # refusal is logged.
    return selectors.plan_for(slug, actor=request.auth, request=request)


def _period(plan: Plan, code: str) -> ReportingPeriod:
    year, half = code.split("-H")
    period = plan.periods.filter(year=int(year), half=int(half)).first()
    if period is None:
        raise UserError(f"the plan {plan.slug} has no reporting period {code}")
    return period


def _visible_contributions(request):
    return permissions.visible(
        request.auth,
        Contribution.objects.select_related(
            "action__plan", "organisation", "period"
        ).order_by("pk"),
    )


def contribution_detail(request, pk: int) -> Contribution:
    contribution = selectors.get_contribution_for(request.auth, pk, request=request)
    prefetch_related_objects(
        [contribution], "values__kpi", "activity_statuses__activity"
    )
    return contribution


def report_inputs(contribution: Contribution, values: dict, statuses: dict):
    """The API's values by KPI letter and statuses by activity number, as the
    services take them (by id); UserError naming every unknown letter or number."""
    kpis = {k.letter: k.pk for k in contribution.action.kpis.all()}
    activities = {a.number: a.pk for a in contribution.action.activities.all()}
    problems = [f"KPI {k}: not a KPI of this OA" for k in values if k not in kpis]
    problems += [
        f"activity {n}: not an activity of this OA"
        for n in statuses
        if n not in activities
    ]
    if problems:
        raise UserError(
            f"{contribution}: {len(problems)} problem(s); nothing was saved", problems
        )
    return (
        {
            kpis[k]: services.ValueInput(v.value, v.evidence, v.weight)
            for k, v in values.items()
        },
        {
            activities[n]: services.StatusInput(s.status, s.comment)
            for n, s in statuses.items()
        },
    )


@contextmanager
def _conflicts(contribution: Contribution, version: int):
    """A refused change made on an outdated version is a conflict (409): the
    caller must read the contribution again, whatever else was wrong."""
    try:
        yield
    except UserError as error:
        current = (
            Contribution.objects.filter(pk=contribution.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current == version:
            raise
        raise VersionConflict(
            f"{contribution} is at version {current}, not {version}; "
            "read it again, then retry",
            error.problems or [error.args[0]],
        ) from error
