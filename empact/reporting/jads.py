"""Joint Action Days: planning them, recording their results, and what their results
add to the KPIs of the linked OAs.

A result reaches a KPI through the KPI's declared mapping (JADMapping) when the JAD
is linked to the KPI's OA. Each result reaches each KPI at most once: the mapping
is one per KPI, and the query below joins a result to a KPI by a single path.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from empact.accounts import permissions
from empact.audit.log import record
from empact.errors import UserError
from empact.organisations.models import Organisation
from empact.plans.models import KPI, Action, Plan
from empact.reporting.models import JADMapping, JADResult, JointActionDay


@dataclass(frozen=True)
class JADValue:
    """What one JAD result adds to one KPI, in the half-year the JAD started."""

    kpi_id: int
    year: int
    half: int
    organisation_id: int
    jad_id: int
    value: Decimal


def plan_jad(
    plan: Plan,
    *,
    name: str,
    starts: date,
    ends: date,
    actions: list[Action],
    lead: Organisation,
    participants: list[Organisation],
    actor,
    request=None,
) -> JointActionDay:
    """Plan a JAD linked to OAs of `plan` (drivers and action leaders of the plan)."""
    permissions.require(actor, "jad.manage", plan, request=request)
    problems = [
        f"OA {a.ref} is not in this plan" for a in actions if a.plan_id != plan.pk
    ]
    if ends < starts:
        problems.append(f"the JAD ends ({ends}) before it starts ({starts})")
    if not actions:
        problems.append("link the JAD to at least one operational action")
    if problems:
        raise UserError(f"JAD {name!r} cannot be planned", problems)
    with transaction.atomic():
        jad = JointActionDay.objects.create(
            plan=plan, name=name, starts=starts, ends=ends, lead=lead
        )
        jad.actions.set(actions)
        jad.participants.set({lead, *participants})
        record(
            "jointactionday.created",
            actor=actor,
            operation="collection",
            obj=jad,
            request=request,
        )
    return jad


def record_jad_result(
    jad: JointActionDay,
    organisation: Organisation,
    *,
    measure: str,
    value: int,
    seizure_kind: str = "",
    actor,
    request=None,
) -> JADResult:
    """An organisation's result in a JAD; recording it again replaces the value."""
    permissions.require(actor, "jad.report", jad, request=request)
    if not jad.participants.filter(pk=organisation.pk).exists():
        raise UserError(f"{organisation.code} did not take part in {jad}")
    if value < 0:
        raise UserError(f"{measure}: {value} is negative")
    with transaction.atomic():
        result, _ = JADResult.objects.update_or_create(
            jad=jad,
            organisation=organisation,
            measure=measure,
            seizure_kind=seizure_kind,
            defaults={"value": value},
        )
        record(
            "jadresult.recorded",
            actor=actor,
            operation="collection",
            obj=result,
            request=request,
            extra={"value": value},
        )
    return result


def map_kpi(
    kpi: KPI, *, measure: str, seizure_kind: str = "", actor, request=None
) -> JADMapping:
    """Declare that `kpi` counts the JAD results of one measure (the plan's drivers)."""
    permissions.require(actor, "jad.manage", kpi.action.plan, request=request)
    try:
        with transaction.atomic():
            mapping = JADMapping.objects.create(
                kpi=kpi, measure=measure, seizure_kind=seizure_kind
            )
            record(
                "jadmapping.created",
                actor=actor,
                operation="alteration",
                obj=mapping,
                request=request,
            )
    except IntegrityError:
        raise UserError(f"{kpi} already counts a JAD measure") from None
    return mapping


def jad_values(plan: Plan) -> list[JADValue]:
    """What every JAD result of the plan adds to mapped KPIs; one query."""
    rows = (
        JADResult.objects.filter(
            jad__plan=plan,
            jad__actions__kpis__jad_mapping__measure=F("measure"),
            jad__actions__kpis__jad_mapping__seizure_kind=F("seizure_kind"),
        )
        .values(
            "organisation_id",
            "jad_id",
            "value",
            "jad__starts",
            kpi_id=F("jad__actions__kpis__id"),
        )
        .distinct()
    )
    return [
        JADValue(
            kpi_id=r["kpi_id"],
            year=r["jad__starts"].year,
            half=1 if r["jad__starts"].month <= 6 else 2,
            organisation_id=r["organisation_id"],
            jad_id=r["jad_id"],
            value=Decimal(r["value"]),
        )
        for r in rows
    ]
