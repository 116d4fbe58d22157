"""THE permission module: every view, API endpoint, export, report and service asks it.

`can(actor, action, obj)` answers; `require(...)` refuses (and logs the refusal);
`visible(actor, queryset)` is the same rules as a SQL filter, for lists. Templates
only ask, through the `can` template tag; they never decide. Each rule is written
one condition per line so that a test can show every branch. docs/permissions.md
lists every action; a test keeps it equal to RULES.

Refusals of records the actor may not know about are 404, the same as a record that
does not exist, so that guessing ids tells nothing (V-1). A refusal is logged to the
audit log; callers check permission before they open a transaction, so that the
log entry of a refusal is not rolled back with the refused work.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from empact.accounts.models import RoleAssignment

Role = RoleAssignment.Role


# Facts about the actor, computed once per request and kept on the user object.


def roles_of(actor) -> list[RoleAssignment]:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    if not hasattr(actor, "_empact_roles"):
        actor._empact_roles = list(
            RoleAssignment.objects.filter(user=actor).select_related("action")
        )
    return actor._empact_roles


def has_role(actor, role: str) -> bool:
    return any(r.role == role for r in roles_of(actor))


def _is_signed_in(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and actor.is_active)


# Rules, one condition per line.


def signed_in(actor, obj=None) -> bool:
    return _is_signed_in(actor)


def drives_plan(actor, plan) -> bool:
    """Driver or co-driver of this plan."""
    return any(
        r.role in (Role.DRIVER, Role.CO_DRIVER) and r.plan_id == plan.pk
        for r in roles_of(actor)
    )


def can_view_plan(actor, plan) -> bool:
    """The plan is LIMITE: visible to every user of a participating organisation."""
    if not _is_signed_in(actor):
        return False
    if drives_plan(actor, plan):
        return True
    if has_role(actor, Role.SUPPORT):
        return True
    if any(
        r.action is not None and r.action.plan_id == plan.pk for r in roles_of(actor)
    ):
        return True
    if actor.organisation_id is None:
        return False
    return _organisation_takes_part(actor.organisation_id, plan)


def _organisation_takes_part(organisation_id: int, plan) -> bool:
    if plan.driver_id == organisation_id:
        return True
    if plan.co_drivers.filter(pk=organisation_id).exists():
        return True
    return plan.actions.filter(
        Q(leader_id=organisation_id)
        | Q(co_leader_id=organisation_id)
        | Q(participations__organisation_id=organisation_id)
    ).exists()


def can_view_plan_part(actor, obj) -> bool:
    """An OA, KPI, activity or version of a plan: as the plan."""
    return can_view_plan(actor, obj.plan)


def is_auditor(actor, obj=None) -> bool:
    return _is_signed_in(actor) and has_role(actor, Role.AUDITOR)


def is_administrator(actor, obj=None) -> bool:
    if not _is_signed_in(actor):
        return False
    if not actor.is_staff:
        return False
    return actor.is_superuser or has_role(actor, Role.ADMINISTRATOR)


def manages_periods(actor, plan) -> bool:
    """Open and close reporting periods: the plan's drivers and EMPACT support."""
    if drives_plan(actor, plan):
        return True
    return has_role(actor, Role.SUPPORT)


def edits_contribution(actor, contribution) -> bool:
    """A user of the reporting organisation with a role in that OA."""
    if not _is_signed_in(actor):
        return False
    if actor.organisation_id != contribution.organisation_id:
        return False
    return any(
        r.role in RoleAssignment.ACTION_ROLES and r.action_id == contribution.action_id
        for r in roles_of(actor)
    )


def reviews_contribution(actor, contribution) -> bool:
    """The action leader or co-leader of the contribution's OA."""
    return any(
        r.role in (Role.ACTION_LEADER, Role.CO_LEADER)
        and r.action_id == contribution.action_id
        for r in roles_of(actor)
    )


def decides_amendment(actor, contribution) -> bool:
    return drives_plan(actor, contribution.action.plan)


def can_view_contribution(actor, contribution) -> bool:
    """Its own organisation's editors, the OA's leaders, the plan's drivers,
    EMPACT support, and the NEC of the organisation's country."""
    if edits_contribution(actor, contribution):
        return True
    if reviews_contribution(actor, contribution):
        return True
    if drives_plan(actor, contribution.action.plan):
        return True
    if has_role(actor, Role.SUPPORT):
        return True
    country = contribution.organisation.country
    return bool(country) and any(
        r.role == Role.NEC and r.country == country for r in roles_of(actor)
    )


def can_view_jad(actor, jad) -> bool:
    """A JAD, its results and its KPI mapping: as its plan (LIMITE)."""
    return can_view_plan(actor, jad.plan)


def _leads(actor, action_ids) -> bool:
    return any(
        r.role in (Role.ACTION_LEADER, Role.CO_LEADER) and r.action_id in action_ids
        for r in roles_of(actor)
    )


def manages_jads(actor, plan) -> bool:
    """Plan JADs in this plan: drivers, EMPACT support and the leaders of its OAs
    (a leader links the JAD to an OA they lead: see links_jads_to)."""
    if drives_plan(actor, plan):
        return True
    if has_role(actor, Role.SUPPORT):
        return True
    return any(
        r.role in (Role.ACTION_LEADER, Role.CO_LEADER)
        and r.action is not None
        and r.action.plan_id == plan.pk
        for r in roles_of(actor)
    )


def links_jads_to(actor, action) -> bool:
    """Link a JAD to this OA, or map its KPIs to JAD results: the plan's drivers,
    EMPACT support, and the OA's leader and co-leader."""
    if drives_plan(actor, action.plan):
        return True
    if has_role(actor, Role.SUPPORT):
        return True
    return _leads(actor, {action.pk})


def coordinates_jad(actor, jad) -> bool:
    """Record any participating organisation's results: the plan's drivers,
    EMPACT support, and the leaders of one of the JAD's OAs."""
    if drives_plan(actor, jad.plan):
        return True
    if has_role(actor, Role.SUPPORT):
        return True
    return _leads(actor, {a.pk for a in jad.actions.all()})


def reports_jad_results(actor, jad) -> bool:
    """Record results in this JAD: its coordinators (for any participant), and the
    users of a participating organisation with a role in one of the JAD's OAs
    (for their own organisation)."""
    if coordinates_jad(actor, jad):
        return True
    if not _is_signed_in(actor) or actor.organisation_id is None:
        return False
    if all(o.pk != actor.organisation_id for o in jad.participants.all()):
        return False
    action_ids = {a.pk for a in jad.actions.all()}
    return any(
        r.role in RoleAssignment.ACTION_ROLES and r.action_id in action_ids
        for r in roles_of(actor)
    )


def is_analyst(actor, obj=None) -> bool:
    """The analysis project's analysts: every dataset, run and hit."""
    return _is_signed_in(actor) and has_role(actor, Role.ANALYST)


def speaks_for_contributor(actor, organisation) -> bool:
    """See the hits of an organisation's data, and release its entities: a user of
    that organisation with a role in an OA, its country's NEC, or its analyst."""
    if not _is_signed_in(actor) or organisation is None:
        return False
    if actor.organisation_id != organisation.pk:
        return False
    return any(
        r.role in (*RoleAssignment.ACTION_ROLES, Role.NEC, Role.ANALYST)
        for r in roles_of(actor)
    )


def speaks_for_own_organisation(actor, obj=None) -> bool:
    """As speaks_for_contributor, for the actor's own organisation (the menu)."""
    if not _is_signed_in(actor) or actor.organisation_id is None:
        return False
    return any(
        r.role in (*RoleAssignment.ACTION_ROLES, Role.NEC, Role.ANALYST)
        for r in roles_of(actor)
    )


def sees_hit(actor, hit) -> bool:
    """One hit: whoever speaks for either side of it."""
    return speaks_for_contributor(
        actor, hit.left_dataset.contributor
    ) or speaks_for_contributor(actor, hit.right_dataset.contributor)


def releases_entity(actor, release) -> bool:
    """Decide a release request: whoever speaks for the entity's provider."""
    return speaks_for_contributor(actor, release.dataset.contributor)


def produces_reports(actor, plan) -> bool:
    """Produce the plan's reports (light, comprehensive, fact sheet): the plan's
    drivers and EMPACT support. A report is plan-wide: it discloses every OA's
    figures and the narratives of every counted contribution, which only they
    may already read in full; an action leader or NEC would learn other OAs'
    and other countries' contributions from it."""
    if drives_plan(actor, plan):
        return True
    return has_role(actor, Role.SUPPORT)


Rule = Callable[..., bool]
RULES: dict[str, Rule] = {
    "plan.view": can_view_plan,
    "plan.manage_people": drives_plan,
    "action.view": can_view_plan_part,
    "organisation.view": signed_in,
    "audit.view": is_auditor,
    "audit.export": is_auditor,
    "admin.access": is_administrator,
    "period.manage": manages_periods,
    "period.lock": drives_plan,
    "contribution.view": can_view_contribution,
    "contribution.edit": edits_contribution,
    "contribution.review": reviews_contribution,
    "amendment.decide": decides_amendment,
    "jad.view": can_view_jad,
    "jad.manage": manages_jads,
    "jad.link": links_jads_to,
    "jad.coordinate": coordinates_jad,
    "jad.report": reports_jad_results,
    "report.produce": produces_reports,
    "analysis.view": is_analyst,
    "analysis.ingest": is_analyst,
    "analysis.handling": is_analyst,
    "analysis.run": is_analyst,
    "analysis.open": is_analyst,
    "analysis.hits": speaks_for_contributor,
    "analysis.own_hits": speaks_for_own_organisation,
    "analysis.hit": sees_hit,
    "analysis.release": releases_entity,
    "analysis.retention": is_auditor,
}
# Actions about a record whose very existence is need-to-know: refused as 404.
HIDDEN_WHEN_REFUSED = {
    "plan.view",
    "action.view",
    "plan.manage_people",
    "contribution.view",
    "contribution.edit",
    "contribution.review",
    "amendment.decide",
    "jad.view",
    "analysis.hit",
    "analysis.release",
}


def can(actor, action: str, obj=None) -> bool:
    """Whether `actor` may do `action` (on `obj`); unknown actions are refused."""
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"no permission rule named {action!r}")
    return rule(actor, obj)


def require(actor, action: str, obj=None, *, request=None) -> None:
    """Raise Http404 or PermissionDenied unless `actor` may; the refusal is logged."""
    if can(actor, action, obj):
        return
    _log_refusal(actor, action, obj, request)
    if action in HIDDEN_WHEN_REFUSED:
        raise Http404("not found")
    raise PermissionDenied(action)


def _log_refusal(actor, action, obj, request) -> None:
    from empact.audit.log import record

    record(
        "permission.denied",
        actor=actor if _is_signed_in(actor) else None,
        actor_name="" if _is_signed_in(actor) else "anonymous",
        operation="security",
        obj=obj,
        outcome="denied",
        request=request,
        extra={"permission": action},
    )


def visible(actor, queryset: QuerySet) -> QuerySet:
    """`queryset` narrowed to what `actor` may see, by the same rules as `can`."""
    model = queryset.model._meta.label_lower
    if model == "plans.plan":
        return queryset.filter(pk__in=_visible_plan_ids(actor))
    if model == "plans.action":
        return queryset.filter(plan_id__in=_visible_plan_ids(actor))
    if model == "reporting.contribution":
        return queryset.filter(_visible_contributions(actor))
    if model == "organisations.organisation":
        return queryset if _is_signed_in(actor) else queryset.none()
    raise KeyError(f"no visibility rule for {model}")


def _visible_contributions(actor) -> Q:
    """can_view_contribution as a filter on Contribution."""
    if not _is_signed_in(actor):
        return Q(pk__in=[])
    if has_role(actor, Role.SUPPORT):
        return Q()
    roles = roles_of(actor)
    own_actions = [r.action_id for r in roles if r.role in RoleAssignment.ACTION_ROLES]
    led = [r.action_id for r in roles if r.role in (Role.ACTION_LEADER, Role.CO_LEADER)]
    driven = [r.plan_id for r in roles if r.role in (Role.DRIVER, Role.CO_DRIVER)]
    countries = [r.country for r in roles if r.role == Role.NEC]
    return (
        Q(organisation_id=actor.organisation_id, action_id__in=own_actions)
        | Q(action_id__in=led)
        | Q(action__plan_id__in=driven)
        | Q(organisation__country__in=countries)
    )


def _visible_plan_ids(actor) -> list[int]:
    from empact.plans.models import Plan

    if not _is_signed_in(actor):
        return []
    if has_role(actor, Role.SUPPORT):
        return list(Plan.objects.values_list("pk", flat=True))
    ids = {r.plan_id for r in roles_of(actor) if r.plan_id}
    ids |= {r.action.plan_id for r in roles_of(actor) if r.action is not None}
    org = actor.organisation_id
    if org is not None:
        ids |= set(
            Plan.objects.filter(
                Q(driver_id=org)
                | Q(co_drivers=org)
                | Q(actions__leader_id=org)
                | Q(actions__co_leader_id=org)
                | Q(actions__participations__organisation_id=org)
            ).values_list("pk", flat=True)
        )
    return sorted(ids)
