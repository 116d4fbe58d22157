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
from empact.reporting.models import JADMapping, JADMeasure, JADResult, JointActionDay
from empact.reporting.services import NUL_PROBLEM

NAME_MAX = JointActionDay._meta.get_field("name").max_length
KIND_MAX = JADResult._meta.get_field("seizure_kind").max_length
MEASURES = ", ".join(JADMeasure.values)
# Said beside every KPI that counts JAD results, wherever a contribution is typed.
NOT_IN_CONTRIBUTIONS = (
    "JAD results for this KPI are added from the JAD; do not include them here"
)


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
    """Plan a JAD linked to OAs of `plan`: its drivers, EMPACT support, or the leader
    of one of the linked OAs. Raises UserError listing every problem."""
    permissions.require(actor, "plan.view", plan, request=request)
    permissions.require(actor, "jad.manage", plan, request=request)
    name = " ".join(name.split())
    problems = _plan_problems(plan, name, starts, ends, actions, actor)
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
            extra={
                "oas": sorted(a.ref for a in actions),
                "lead": lead.code,
                "participants": sorted({lead.code, *(o.code for o in participants)}),
            },
        )
    return jad


def _plan_problems(plan, name, starts, ends, actions, actor) -> list[str]:
    problems = []
    if not name:
        problems.append("name: give the JAD a name, e.g. JAD ARKTOS")
    if len(name) > NAME_MAX:
        problems.append(f"name: {len(name)} characters; {NAME_MAX} at most")
    problems += [
        f"OA {a.ref} is not in this plan" for a in actions if a.plan_id != plan.pk
    ]
    if ends < starts:
        problems.append(f"the JAD ends ({ends}) before it starts ({starts})")
    if not actions:
        problems.append("link the JAD to at least one operational action")
    own = [a for a in actions if a.plan_id == plan.pk]
    if own and not any(permissions.can(actor, "jad.link", a) for a in own):
        refs = ", ".join(a.ref for a in own)
        problems.append(
            f"you lead none of the OAs chosen ({refs}): link the JAD to an OA you "
            "lead, or ask the plan's driver to plan it"
        )
    return problems


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
    """An organisation's result in a JAD; recording it again replaces the value.
    Its own users record it, or the JAD's coordinators for any participant."""
    require_recording(jad, organisation, actor=actor, request=request)
    seizure_kind = normalised_kind(seizure_kind)
    problems = _participant_problems(jad, organisation)
    problems += result_problems(measure, seizure_kind, value)
    if problems:
        raise UserError(
            f"{organisation.code}'s result in {jad} was not saved", problems
        )
    with transaction.atomic():
        return _save_result(
            jad, organisation, measure, seizure_kind, value, actor, request
        )


def record_jad_results(
    jad: JointActionDay,
    organisation: Organisation,
    *,
    results: list[tuple[str, str, int]],
    actor,
    request=None,
) -> list[JADResult]:
    """Several results of one organisation, as (measure, seizure kind, value): all
    are saved, or none (UserError listing every problem)."""
    require_recording(jad, organisation, actor=actor, request=request)
    results = [(m, normalised_kind(k), v) for m, k, v in results]
    problems = _participant_problems(jad, organisation)
    for measure, kind, value in results:
        problems += result_problems(measure, kind, value)
    kinds = [k for m, k, _ in results if m == JADMeasure.SEIZURES]
    problems += [
        f"seizures of {k}: given twice"
        for k in sorted(set(kinds))
        if kinds.count(k) > 1
    ]
    if not results and not problems:
        problems.append("no figure was given: type at least one")
    if problems:
        raise UserError(
            f"{organisation.code}'s results in {jad} were not saved", problems
        )
    with transaction.atomic():
        return [
            _save_result(jad, organisation, m, k, v, actor, request)
            for m, k, v in results
        ]


def require_recording(jad, organisation, *, actor, request=None) -> None:
    """Refuse unless `actor` may record `organisation`'s results in `jad`: Http404
    for those who may not see the JAD, PermissionDenied naming the rule for others."""
    permissions.require(actor, "jad.view", jad, request=request)
    permissions.require(actor, "jad.report", jad, request=request)
    if organisation.pk != getattr(actor, "organisation_id", None):
        permissions.require(actor, "jad.coordinate", jad, request=request)


def _participant_problems(jad, organisation) -> list[str]:
    if jad.participants.filter(pk=organisation.pk).exists():
        return []
    return [f"{organisation.code} did not take part in {jad}"]


def normalised_kind(kind: str) -> str:
    """A seizure kind as stored and compared: "Cash " and "cash" are one kind."""
    return " ".join(kind.split()).lower()


def result_problems(measure: str, seizure_kind: str, value: int) -> list[str]:
    """What is wrong with one result, each problem naming the measure."""
    if measure not in JADMeasure.values:
        return [f"{measure!r} is not a JAD measure; use one of: {MEASURES}"]
    problems = []
    if measure == JADMeasure.SEIZURES and not seizure_kind:
        problems.append("seizures: say what was seized, e.g. cash, vehicles, boats")
    if measure != JADMeasure.SEIZURES and seizure_kind:
        problems.append(f"{measure}: only seizures have a kind ({seizure_kind!r})")
    if "\x00" in seizure_kind:
        problems.append(f"seizures: the kind {NUL_PROBLEM}")
    if len(seizure_kind) > KIND_MAX:
        problems.append(
            f"seizures of {seizure_kind[:20]}...: {KIND_MAX} characters at most"
        )
    if value < 0:
        problems.append(f"{measure}: {value} is negative")
    return problems


def _save_result(jad, organisation, measure, seizure_kind, value, actor, request):
    key = {"jad": jad, "organisation": organisation, "measure": measure}
    previous = JADResult.objects.filter(**key, seizure_kind=seizure_kind).first()
    result, _ = JADResult.objects.update_or_create(
        **key, seizure_kind=seizure_kind, defaults={"value": value}
    )
    record(
        "jadresult.recorded",
        actor=actor,
        operation="collection",
        obj=result,
        request=request,
        extra={"value": value, "previous": previous.value if previous else None},
    )
    return result


def map_kpi(
    kpi: KPI, *, measure: str, seizure_kind: str = "", actor, request=None
) -> JADMapping:
    """Declare that `kpi` counts the JAD results of one measure: the plan's drivers,
    EMPACT support, or the leader of the KPI's OA."""
    permissions.require(actor, "plan.view", kpi.action.plan, request=request)
    permissions.require(actor, "jad.link", kpi.action, request=request)
    seizure_kind = normalised_kind(seizure_kind)
    problems = result_problems(measure, seizure_kind, 0)
    if kpi.kind != KPI.Kind.COUNT:
        problems.append(
            f"{kpi} is a {kpi.get_kind_display().lower()} KPI; JAD results are "
            "counts, so only a count KPI can add them"
        )
    if problems:
        raise UserError(f"{kpi} was not mapped", problems)
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
                extra={"measure": measure, "seizure_kind": seizure_kind},
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
