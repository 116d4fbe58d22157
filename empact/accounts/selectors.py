"""Reads about people: who takes part in a plan, and who holds which role in it."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q

from empact.accounts import permissions
from empact.accounts.models import Participation, RoleAssignment
from empact.plans.models import Action, Plan


@dataclass(frozen=True)
class PlanPeople:
    plan: Plan
    actions: list[Action]  # each with .participations prefetched
    roles: list[RoleAssignment]


def plan_people(slug: str, *, actor, request=None) -> PlanPeople:
    """Participation and roles of one plan, for its driver; Http404 for others."""
    plan = Plan.objects.filter(slug=slug).first()
    if plan is None:
        from django.http import Http404

        raise Http404("no such plan")
    permissions.require(actor, "plan.manage_people", plan, request=request)
    participations = Participation.objects.select_related("organisation").order_by(
        "role", "organisation__name"
    )
    actions = list(
        plan.actions.select_related("leader")
        .prefetch_related(Prefetch("participations", queryset=participations))
        .order_by("position")
    )
    roles = list(
        RoleAssignment.objects.filter(Q(plan=plan) | Q(action__plan=plan))
        .select_related("user", "user__organisation", "action")
        .order_by("action__position", "role", "user__username")
    )
    return PlanPeople(plan=plan, actions=actions, roles=roles)


def get_participation(pk: int, *, plan: Plan) -> Participation:
    return Participation.objects.select_related("action__plan", "organisation").get(
        pk=pk, action__plan=plan
    )


def get_role_assignment(pk: int, *, plan: Plan) -> RoleAssignment:
    return RoleAssignment.objects.select_related("user", "plan", "action__plan").get(
        Q(plan=plan) | Q(action__plan=plan), pk=pk
    )
