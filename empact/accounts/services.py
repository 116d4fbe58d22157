"""Changes to who may do what: role assignments and participation in OAs.

Each service checks permission first (before its transaction, so that a refusal's
audit entry stands) and writes its audit entry in the same transaction as the change.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from empact.accounts import permissions
from empact.accounts.models import Participation, RoleAssignment, User
from empact.audit.log import record
from empact.errors import UserError
from empact.organisations.models import Organisation
from empact.plans.models import Action, Plan

Role = RoleAssignment.Role
PLATFORM_ROLES = (Role.SUPPORT, Role.ANALYST, Role.AUDITOR, Role.ADMINISTRATOR)


def assign_role(
    user: User,
    role: str,
    *,
    actor,
    plan: Plan | None = None,
    action: Action | None = None,
    country: str = "",
    request=None,
) -> RoleAssignment:
    """Give `user` a role; drivers manage the roles of their plan, administrators
    the platform roles and National EMPACT Coordinators."""
    _require_scope_manager(actor, role, plan=plan, action=action, request=request)
    assignment = RoleAssignment(
        user=user,
        role=role,
        plan=plan,
        action=action,
        country=country.upper(),
        granted_by=actor.username,
    )
    held = f"{user.username} already holds this role"
    if RoleAssignment.objects.filter(
        user=user, role=role, plan=plan, action=action, country=assignment.country
    ).exists():
        raise UserError(held)
    _check(assignment)
    try:
        with transaction.atomic():
            assignment.save()
            record(
                "role.assigned",
                actor=actor,
                operation="alteration",
                obj=assignment,
                request=request,
                extra={"user": user.username, "role": role},
            )
    except IntegrityError:
        raise UserError(held) from None
    return assignment


def revoke_role(assignment: RoleAssignment, *, actor, request=None) -> None:
    """Take a role back, with the same permission as giving it."""
    _require_scope_manager(
        actor,
        assignment.role,
        plan=assignment.plan,
        action=assignment.action,
        request=request,
    )
    with transaction.atomic():
        record(
            "role.revoked",
            actor=actor,
            operation="alteration",
            obj=assignment,
            request=request,
            extra={"user": assignment.user.username, "role": assignment.role},
        )
        assignment.delete()


def add_participation(
    organisation: Organisation,
    action: Action,
    *,
    actor,
    role: str = Participation.Role.PARTICIPANT,
    since: date | None = None,
    request=None,
) -> Participation:
    """Record that an organisation takes part in an OA (the driver of its plan)."""
    permissions.require(actor, "plan.manage_people", action.plan, request=request)
    taken = f"{organisation.code} already takes part in OA {action.ref}"
    if Participation.objects.filter(organisation=organisation, action=action).exists():
        raise UserError(taken)
    participation = Participation(
        organisation=organisation, action=action, role=role, since=since
    )
    _check(participation)
    try:
        with transaction.atomic():
            participation.save()
            record(
                "participation.added",
                actor=actor,
                operation="alteration",
                obj=participation,
                request=request,
            )
    except IntegrityError:  # added by someone else in the meantime
        raise UserError(taken) from None
    return participation


def remove_participation(participation: Participation, *, actor, request=None) -> None:
    permissions.require(
        actor, "plan.manage_people", participation.action.plan, request=request
    )
    with transaction.atomic():
        record(
            "participation.removed",
            actor=actor,
            operation="alteration",
            obj=participation,
            request=request,
        )
        participation.delete()


def _require_scope_manager(actor, role, *, plan, action, request) -> None:
    if role in RoleAssignment.PLAN_ROLES and plan is not None:
        permissions.require(actor, "plan.manage_people", plan, request=request)
    elif role in RoleAssignment.ACTION_ROLES and action is not None:
        permissions.require(actor, "plan.manage_people", action.plan, request=request)
    else:
        permissions.require(actor, "admin.access", request=request)


def _check(instance) -> None:
    try:
        instance.full_clean(validate_unique=False)
    except ValidationError as e:
        raise UserError("; ".join(e.messages)) from None
