"""Reads of plan data for the pages: each returns what one page shows, prefetched."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from empact.accounts import permissions
from empact.plans.models import KPI, Action, Activity, Plan, PlanVersion, StrategicGoal


@dataclass(frozen=True)
class QuarterColumn:
    year: int
    quarter: int


@dataclass(frozen=True)
class TimelineCell:
    column: QuarterColumn
    planned: bool


@dataclass(frozen=True)
class TimelineRow:
    activity: Activity
    cells: list[TimelineCell]  # one per QuarterColumn

    @property
    def is_parsed(self) -> bool:
        return any(cell.planned for cell in self.cells)


@dataclass(frozen=True)
class ActionPage:
    action: Action
    kpis: list[KPI]
    columns: list[QuarterColumn]
    timeline: list[TimelineRow]
    previous: Action | None
    next: Action | None


def plans_list(*, actor) -> QuerySet[Plan]:
    """Every plan `actor` may see, with its driver, newest period first."""
    plans = Plan.objects.select_related("driver").order_by("-period_start", "title")
    return permissions.visible(actor, plans)


def _require_plan(slug: str, *, actor, request=None, action: str = "plan.view"):
    """The plan's id if `actor` may; Http404 alike for unknown and refused plans."""
    plan = Plan.objects.filter(slug=slug).first()
    if plan is None:
        raise Http404("no such plan")
    permissions.require(actor, action, plan, request=request)
    return plan.pk


def plan_overview(slug: str, *, actor, request=None) -> Plan:
    """The plan with its goals and their actions, each annotated with KPI and
    activity counts; raises Http404 for an unknown or invisible plan."""
    pk = _require_plan(slug, actor=actor, request=request)
    actions = (
        Action.objects.select_related("leader")
        .annotate(
            kpi_count=Count("kpis", distinct=True),
            activity_count=Count("activities", distinct=True),
        )
        .order_by("position", "ref")
    )
    goals = StrategicGoal.objects.prefetch_related(
        Prefetch("actions", queryset=actions)
    )
    plans = Plan.objects.select_related("driver").prefetch_related(
        "co_drivers", Prefetch("goals", queryset=goals)
    )
    return plans.get(pk=pk)


def plan_versions(slug: str, *, actor, request=None) -> Plan:
    """The plan with its versions, newest first (snapshots left out);
    raises Http404 for an unknown or invisible plan."""
    pk = _require_plan(slug, actor=actor, request=request)
    versions = PlanVersion.objects.defer("snapshot").order_by("-number")
    plans = Plan.objects.select_related("driver").prefetch_related(
        Prefetch("versions", queryset=versions)
    )
    return plans.get(pk=pk)


def quarter_columns(years: list[int]) -> list[QuarterColumn]:
    """One column per quarter of each year, in order."""
    return [QuarterColumn(year, q) for year in years for q in (1, 2, 3, 4)]


def timeline_cells(quarters: dict, columns: list[QuarterColumn]) -> list[TimelineCell]:
    """The cells an activity's `{"2024": [1, 2]}` quarters fill, one per column.

    Keys are strings once stored as JSON; integer keys are accepted too.
    """
    return [
        TimelineCell(
            c, c.quarter in (quarters.get(str(c.year)) or quarters.get(c.year) or [])
        )
        for c in columns
    ]


def get_action_page(slug: str, ref: str, *, actor, request=None) -> ActionPage:
    """One OA with its KPIs, activity timeline and neighbours in the plan;
    raises Http404 for an unknown slug or ref, or an invisible plan."""
    pk = _require_plan(slug, actor=actor, request=request)
    action = (
        Action.objects.select_related(
            "plan", "plan__driver", "goal", "leader", "co_leader"
        )
        .prefetch_related("kpis", "activities")
        .filter(plan_id=pk, ref=ref)
        .first()
    )
    if action is None:
        raise Http404("no such operational action")
    siblings = list(
        Action.objects.filter(plan=action.plan)
        .only("id", "ref", "short_title", "position")
        .order_by("position", "ref")
    )
    index = next(i for i, a in enumerate(siblings) if a.pk == action.pk)
    columns = quarter_columns(action.plan.years)
    timeline = [
        TimelineRow(activity, timeline_cells(activity.quarters or {}, columns))
        for activity in action.activities.all()
    ]
    return ActionPage(
        action=action,
        kpis=list(action.kpis.all()),
        columns=columns,
        timeline=timeline,
        previous=siblings[index - 1] if index > 0 else None,
        next=siblings[index + 1] if index + 1 < len(siblings) else None,
    )
