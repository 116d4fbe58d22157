"""Every change to reporting: periods, contributions, their workflow, amendments.

Each service asks the permission module first (before its transaction, so that a
refusal's audit entry stands), then writes the change and its audit entry in one
transaction. Concurrency: a contribution carries a version; a change names the
version it was made on, and a conditional UPDATE refuses it if someone else got
there first, the same on SQLite and PostgreSQL.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from empact.accounts import permissions
from empact.audit.log import record
from empact.errors import UserError
from empact.organisations.models import Organisation
from empact.plans.models import KPI, Action, Plan
from empact.reporting import workflow
from empact.reporting.models import (
    ActivityStatus,
    AmendmentRequest,
    Contribution,
    KPIValue,
    ReportingPeriod,
    Transition,
)


@dataclass(frozen=True)
class ValueInput:
    value: str  # as typed; "" leaves the KPI unreported
    evidence: str = ""
    weight: str = "1"


@dataclass(frozen=True)
class StatusInput:
    status: str  # "" leaves the activity unreported
    comment: str = ""


# Periods -------------------------------------------------------------------


def create_period(
    plan: Plan, year: int, half: int, *, deadline: date, actor, request=None
) -> ReportingPeriod:
    """A new half-year period of the plan, not open yet."""
    permissions.require(actor, "period.manage", plan, request=request)
    if year not in plan.years:
        raise UserError(f"{year} is not a year of the plan period {plan.period}")
    if ReportingPeriod.objects.filter(plan=plan, year=year, half=half).exists():
        raise UserError(f"the period {year}-H{half} exists already")
    with transaction.atomic():
        period = ReportingPeriod.objects.create(
            plan=plan, year=year, half=half, deadline=deadline
        )
        record(
            "period.created",
            actor=actor,
            operation="alteration",
            obj=period,
            request=request,
        )
    return period


def step_period(period: ReportingPeriod, step: str, *, actor, request=None) -> None:
    """Open, close or lock a period (locking is the driver's alone)."""
    permissions.require(
        actor,
        "period.lock" if step == "lock" else "period.manage",
        period.plan,
        request=request,
    )
    refusal = workflow.period_step_refusal(step, period=period.code, state=period.state)
    if refusal:
        raise UserError(refusal)
    to_state = workflow.PERIOD_STEPS[step, period.state]
    with transaction.atomic():
        changed = ReportingPeriod.objects.filter(
            pk=period.pk, state=period.state
        ).update(state=to_state)
        if not changed:
            raise UserError(
                f"the period {period.code} was changed by someone else "
                "in the meantime; reload and try again"
            )
        record(
            f"period.{workflow.past_tense(step)}",
            actor=actor,
            operation="alteration",
            obj=period,
            request=request,
            extra={"from": period.state, "to": to_state},
        )
    period.state = to_state


# Contributions ---------------------------------------------------------------


def start_contribution(
    organisation: Organisation,
    action: Action,
    period: ReportingPeriod,
    *,
    actor,
    request=None,
    today: date | None = None,
) -> Contribution:
    """The organisation's draft for this OA and period, made if it does not exist
    and the period is open for reporting."""
    draft = Contribution(organisation=organisation, action=action, period=period)
    permissions.require(actor, "contribution.edit", draft, request=request)
    if action.plan_id != period.plan_id:
        raise UserError(f"OA {action.ref} is not in the plan of {period.code}")
    with transaction.atomic():
        existing = Contribution.objects.filter(
            organisation=organisation, action=action, period=period
        ).first()
        if existing is not None:
            return existing
        _refuse_start(draft, today or timezone.localdate())
        contribution, created = Contribution.objects.get_or_create(
            organisation=organisation, action=action, period=period
        )
        if created:
            record(
                "contribution.created",
                actor=actor,
                operation="collection",
                obj=contribution,
                request=request,
            )
    return contribution


def save_contribution(
    contribution: Contribution,
    *,
    version: int,
    values: dict[int, ValueInput],
    statuses: dict[int, StatusInput],
    narrative: str,
    actor,
    today: date,
    request=None,
) -> Contribution:
    """Save a draft's values, activity statuses and narrative; all or nothing.

    Raises UserError listing every problem (KPI letter or activity number, and why).
    """
    permissions.require(actor, "contribution.edit", contribution, request=request)
    _refuse_edit(contribution, today)
    kpis = {k.pk: k for k in contribution.action.kpis.all()}
    activities = {a.pk: a for a in contribution.action.activities.all()}
    clean_values, problems = _clean_values(values, kpis)
    clean_statuses, status_problems = _clean_statuses(statuses, activities)
    problems += status_problems
    if _has_nul(narrative):
        problems.append(f"the narrative {NUL_PROBLEM}")
    if problems:
        raise UserError(
            f"{contribution}: {len(problems)} problem(s); nothing was saved", problems
        )
    with transaction.atomic():
        _lock_period(contribution)
        _refuse_edit(contribution, today)
        _bump_version(contribution, version, narrative=narrative)
        _replace_values(contribution, clean_values)
        _replace_statuses(contribution, clean_statuses)
        record(
            "contribution.changed",
            actor=actor,
            operation="alteration",
            obj=contribution,
            request=request,
            extra={"values": len(clean_values), "statuses": len(clean_statuses)},
        )
    contribution.refresh_from_db()
    return contribution


def take_step(
    contribution: Contribution,
    step: str,
    *,
    version: int,
    actor,
    today: date,
    reason: str = "",
    request=None,
) -> Contribution:
    """submit (the organisation), accept or return (the action leader)."""
    permission = "contribution.edit" if step == "submit" else "contribution.review"
    permissions.require(actor, permission, contribution, request=request)
    if _has_nul(reason):
        raise UserError(
            f"{contribution} cannot be {workflow.past_tense(step)}: the reason "
            f"{NUL_PROBLEM}"
        )
    with transaction.atomic():
        # Lock order: period, then contribution. Holding the period row means a
        # driver locking it now waits for this step, or this step sees the lock.
        _lock_period(contribution)
        # A form opened on an older version is a conflict before anything else:
        # read now, the contribution may be in a state the form never showed
        # ("a draft cannot be accepted" would not say that someone returned it).
        if contribution.version != version:
            raise _conflict(contribution)
        refusal = workflow.step_refusal(
            step, situation(contribution, today=today), reason=reason
        )
        if refusal:
            raise UserError(
                f"{contribution} cannot be {workflow.past_tense(step)}: {refusal}"
            )
        to_state = workflow.TRANSITIONS[step, contribution.state]
        changed = Contribution.objects.filter(
            pk=contribution.pk,
            version=version,
            state=contribution.state,
        ).update(
            state=to_state,
            version=F("version") + 1,
            returned_reason=reason if step == "return" else "",
            updated_at=timezone.now(),
        )
        if not changed:
            raise _conflict(contribution)
        Transition.objects.create(
            contribution=contribution,
            name=step,
            from_state=contribution.state,
            to_state=to_state,
            by=actor.username,
            reason=reason,
        )
        record(
            f"contribution.{workflow.past_tense(step)}",
            actor=actor,
            operation="alteration",
            obj=contribution,
            why=reason,
            request=request,
            extra={"from": contribution.state, "to": to_state},
        )
    contribution.refresh_from_db()
    return contribution


# Amendments -------------------------------------------------------------------


def request_amendment(
    contribution: Contribution, *, proposed: dict, reason: str, actor, request=None
) -> AmendmentRequest:
    """Ask the driver to change a contribution of a locked period."""
    permissions.require(actor, "contribution.edit", contribution, request=request)
    if contribution.period.state != workflow.LOCKED:
        raise UserError(
            f"the period {contribution.period.code} is not locked: edit "
            "the contribution, or ask the action leader to return it"
        )
    if not reason.strip():
        raise UserError("say why the amendment is needed")
    if _has_nul(reason):
        raise UserError(f"the reason {NUL_PROBLEM}; the amendment was not requested")
    # Checked now, not only when the driver decides: an amendment with a bad
    # figure could never be approved, and its author would not be told why.
    *_, problems = _cleaned_proposal(contribution, proposed)
    if problems:
        raise UserError("the amendment was not requested; nothing was saved", problems)
    with transaction.atomic():
        amendment = AmendmentRequest.objects.create(
            contribution=contribution,
            proposed=proposed,
            reason=reason,
            requested_by=actor.username,
        )
        record(
            "amendment.requested",
            actor=actor,
            operation="alteration",
            obj=amendment,
            why=reason,
            request=request,
        )
    return amendment


def decide_amendment(
    amendment: AmendmentRequest, *, approve: bool, actor, reason: str = "", request=None
) -> AmendmentRequest:
    """The driver approves (the change is applied) or rejects (with a reason)."""
    contribution = amendment.contribution
    permissions.require(actor, "amendment.decide", contribution, request=request)
    if not approve and not reason.strip():
        raise UserError("to reject an amendment, say why")
    if _has_nul(reason):
        raise UserError(f"the reason {NUL_PROBLEM}; the amendment was not decided")
    values, statuses, problems = _cleaned_proposal(contribution, amendment.proposed)
    if approve and problems:
        raise UserError("the amendment cannot be applied", problems)
    to_state = (
        AmendmentRequest.State.APPROVED if approve else AmendmentRequest.State.REJECTED
    )
    with transaction.atomic():
        changed = AmendmentRequest.objects.filter(
            pk=amendment.pk,
            state=AmendmentRequest.State.PENDING,
        ).update(
            state=to_state,
            decided_by=actor.username,
            decided_at=timezone.now(),
            decision_reason=reason,
        )
        if not changed:
            raise UserError(
                "this amendment was decided by someone else in the "
                "meantime; reload to see the decision"
            )
        if approve:
            _apply_amendment(contribution, amendment, values, statuses, actor)
        record(
            f"amendment.{to_state}",
            actor=actor,
            operation="alteration",
            obj=amendment,
            why=reason,
            request=request,
        )
    amendment.refresh_from_db()
    return amendment


def _apply_amendment(contribution, amendment, values, statuses, actor) -> None:
    changes = {"version": F("version") + 1, "updated_at": timezone.now()}
    # Only what the amendment proposes: writing back the narrative read earlier
    # would undo another amendment approved in the meantime.
    if "narrative" in amendment.proposed:
        changes["narrative"] = amendment.proposed["narrative"]
    Contribution.objects.filter(pk=contribution.pk).update(**changes)
    _replace_values(contribution, values, only_given=True)
    _replace_statuses(contribution, statuses, only_given=True)
    Transition.objects.create(
        contribution=contribution,
        name="amend",
        from_state=contribution.state,
        to_state=contribution.state,
        by=actor.username,
        reason=amendment.reason,
    )


def input_problems(
    contribution: Contribution,
    *,
    values: dict[int, ValueInput],
    statuses: dict[int, StatusInput],
) -> list[str]:
    """Every problem `save_contribution` would find with these inputs."""
    kpis = {k.pk: k for k in contribution.action.kpis.all()}
    activities = {a.pk: a for a in contribution.action.activities.all()}
    return _clean_values(values, kpis)[1] + _clean_statuses(statuses, activities)[1]


# Helpers ---------------------------------------------------------------------


def situation(contribution: Contribution, *, today: date) -> workflow.Situation:
    period = contribution.period
    return workflow.Situation(
        state=contribution.state,
        period=period.code,
        period_state=period.state,
        deadline=period.deadline,
        today=today,
    )


def _lock_period(contribution: Contribution) -> None:
    """Take the period's row lock (PostgreSQL) and re-read its state."""
    contribution.period = ReportingPeriod.objects.select_for_update().get(
        pk=contribution.period_id
    )


def _refuse_start(draft: Contribution, today: date) -> None:
    """A new draft is started only while its period takes reports (row locked)."""
    _lock_period(draft)
    refusal = workflow.edit_refusal(situation(draft, today=today))
    if refusal:
        raise UserError(f"{draft} cannot be started: {refusal}")


def _refuse_edit(contribution: Contribution, today: date) -> None:
    refusal = workflow.edit_refusal(situation(contribution, today=today))
    if refusal:
        raise UserError(f"{contribution} cannot be edited: {refusal}")


def _bump_version(contribution: Contribution, version: int, *, narrative: str) -> None:
    changed = Contribution.objects.filter(
        pk=contribution.pk,
        version=version,
        state=workflow.DRAFT,
    ).update(narrative=narrative, version=F("version") + 1, updated_at=timezone.now())
    if not changed:
        raise _conflict(contribution)


def _conflict(contribution: Contribution) -> UserError:
    return UserError(
        f"{contribution} was changed by someone else since you opened "
        "it; reload it to see the change, then try again"
    )


def _clean_values(values: dict[int, ValueInput], kpis: dict[int, KPI]):
    clean, problems = {}, []
    for kpi_id, given in values.items():
        kpi = kpis.get(kpi_id)
        if kpi is None:
            problems.append(f"KPI #{kpi_id} is not a KPI of this OA")
            continue
        if not given.value.strip():
            continue
        value, problem = _parse_value(kpi, given.value)
        weight, weight_problem = _parse_number(given.weight or "1")
        if problem or weight_problem or weight <= 0:
            problems.append(
                f"KPI {kpi.letter}: {problem or 'the weight must be a number above 0'}"
            )
            continue
        if _has_nul(given.evidence):
            problems.append(f"KPI {kpi.letter}: the evidence note {NUL_PROBLEM}")
            continue
        clean[kpi_id] = (value, weight, given.evidence.strip())
    return clean, problems


def _parse_value(kpi: KPI, text: str) -> tuple[Decimal | None, str]:
    value, problem = _parse_number(text)
    if problem:
        return None, problem
    if value < 0:
        return None, f"{text!r} is negative; report what was achieved, 0 or more"
    if kpi.kind == KPI.Kind.COUNT and value != value.to_integral_value():
        return None, f"{text!r} is not a whole number, and this KPI counts"
    if kpi.kind == KPI.Kind.PERCENTAGE and value > 100:
        return None, f"{text!r} is above 100, and this KPI is a percentage"
    if kpi.kind == KPI.Kind.RATING and kpi.target_scale and value > kpi.target_scale:
        return None, f"{text!r} is above the top of the scale ({kpi.target_scale})"
    return value, ""


def _parse_number(text: str) -> tuple[Decimal | None, str]:
    cleaned = text.strip().replace(" ", "").replace("\u202f", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None, f"{text!r} is not a number"
    if not value.is_finite() or abs(value) >= Decimal(10) ** 12:
        return None, f"{text!r} is not a number this platform can hold"
    return value.quantize(Decimal("0.01")), ""


def _clean_statuses(statuses: dict[int, StatusInput], activities: dict):
    clean, problems = {}, []
    allowed = set(ActivityStatus.Status.values)
    for activity_id, given in statuses.items():
        activity = activities.get(activity_id)
        if activity is None:
            problems.append(f"activity #{activity_id} is not an activity of this OA")
        elif given.status and given.status not in allowed:
            problems.append(
                f"activity {activity.number}: {given.status!r} is not one "
                f"of {', '.join(sorted(allowed))}"
            )
        elif _has_nul(given.comment):
            problems.append(f"activity {activity.number}: the comment {NUL_PROBLEM}")
        elif given.status:
            clean[activity_id] = (given.status, given.comment.strip())
    return clean, problems


# No database stores a NUL character in text (PostgreSQL refuses it outright).
NUL_PROBLEM = "holds a NUL character (\\x00), which cannot be stored; remove it"


def _has_nul(text: str) -> bool:
    return "\x00" in text


def _replace_values(contribution, clean: dict, *, only_given: bool = False) -> None:
    if not only_given:
        contribution.values.exclude(kpi_id__in=clean).delete()
    for kpi_id, (value, weight, evidence) in clean.items():
        KPIValue.objects.update_or_create(
            contribution=contribution,
            kpi_id=kpi_id,
            defaults={"value": value, "weight": weight, "evidence": evidence},
        )


def _replace_statuses(contribution, clean: dict, *, only_given: bool = False) -> None:
    if not only_given:
        contribution.activity_statuses.exclude(activity_id__in=clean).delete()
    for activity_id, (status, comment) in clean.items():
        ActivityStatus.objects.update_or_create(
            contribution=contribution,
            activity_id=activity_id,
            defaults={"status": status, "comment": comment},
        )


def _cleaned_proposal(contribution: Contribution, proposed: dict):
    """(values, statuses, problems) of an amendment's proposed changes."""
    kpis = {k.pk: k for k in contribution.action.kpis.all()}
    activities = {a.pk: a for a in contribution.action.activities.all()}
    values, problems = _clean_values(_value_inputs(proposed), kpis)
    statuses, more = _clean_statuses(_status_inputs(proposed), activities)
    if _has_nul(proposed.get("narrative") or ""):
        more.append(f"the narrative {NUL_PROBLEM}")
    return values, statuses, problems + more


def _value_inputs(proposed: dict) -> dict[int, ValueInput]:
    return {int(k): ValueInput(**v) for k, v in proposed.get("values", {}).items()}


def _status_inputs(proposed: dict) -> dict[int, StatusInput]:
    return {int(k): StatusInput(**v) for k, v in proposed.get("statuses", {}).items()}
