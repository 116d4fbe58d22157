"""Synthetic reporting for the demo: two half-years of 2024 for all 26 OAs, and
three Joint Action Days with results.

Every value is made up (seeded, so each demo is the same) and every narrative says
so. It is written through the real services, by demo reporters who hold the roles
the services ask for, so the audit log and the workflow see what they would see.
2024-H1 is accepted and locked; 2024-H2 is closed with a mix of accepted, submitted
and returned contributions. The JADs are led by the leader of their first OA, with
the organisations taking part in their OAs; each records its own results, and the
driver declares which KPIs count them.
"""

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from empact.accounts.models import Participation, RoleAssignment, User
from empact.plans.models import KPI, Plan
from empact.reporting import jads, services
from empact.reporting.models import (
    ActivityStatus,
    Contribution,
    JADMeasure,
    ReportingPeriod,
)

SYNTHETIC = "[SYNTHETIC DEMO DATA] "
STATUSES = [s.value for s in ActivityStatus.Status]


@dataclass(frozen=True)
class DemoJAD:
    name: str
    starts: date
    ends: date
    oas: tuple[str, ...]  # the first OA's leader leads the JAD


DEMO_JADS = (
    DemoJAD("JAD MARE NOSTRUM", date(2024, 10, 7), date(2024, 10, 11), ("2.4", "2.2")),
    DemoJAD("JAD DANUBE GATE", date(2024, 11, 18), date(2024, 11, 21), ("2.7", "2.10")),
    DemoJAD("JAD NORTH SEA", date(2024, 5, 13), date(2024, 5, 15), ("2.6", "2.3")),
)
# (OA, KPI letter, JAD measure, seizure kind): what the driver declares each counts.
# KPI b of OA 2.4 is left for the demo's action leader to map.
DEMO_MAPPINGS = (
    ("2.4", "a", JADMeasure.ARRESTS, ""),
    ("2.2", "a", JADMeasure.OCGS_DISRUPTED, ""),
    ("2.2", "b", JADMeasure.ARRESTS, ""),
    ("2.7", "c", JADMeasure.ARRESTS, ""),
    ("2.7", "d", JADMeasure.FALSE_DOCUMENTS, ""),
    ("2.10", "c", JADMeasure.FALSE_DOCUMENTS, ""),
    ("2.6", "d", JADMeasure.SEIZURES, "boats"),
    ("2.3", "b", JADMeasure.MIGRANTS_DETECTED, ""),
)
SEIZURE_KINDS = ("boats", "cash", "vehicles", "phones")


def load_demo_reporting(plan: Plan, *, driver: User, password: str) -> int:
    """Fill two periods of 2024 where the plan has none, and plan the demo JADs
    with their results where it has none; returns contributions made."""
    needs_periods = not ReportingPeriod.objects.filter(plan=plan).exists()
    needs_jads = not plan.jads.exists()
    if not (needs_periods or needs_jads):
        return 0
    with transaction.atomic():
        reporters = _demo_reporters(plan, password)
        made = _load(plan, driver, reporters) if needs_periods else 0
        if needs_jads:
            _load_jads(plan, driver, reporters)
    return made


def _load(plan: Plan, driver: User, reporters: dict[int, User]) -> int:
    rng = random.Random(2024)
    h1 = services.create_period(plan, 2024, 1, deadline=date(2024, 7, 15), actor=driver)
    h2 = services.create_period(plan, 2024, 2, deadline=date(2025, 1, 15), actor=driver)
    made = 0
    for period, today, fate in (
        (h1, date(2024, 7, 1), _always_accept),
        (h2, date(2025, 1, 5), _mixed_fate),
    ):
        services.step_period(period, "open", actor=driver)
        for participation in _participations(plan):
            reporter = reporters[participation.organisation_id]
            leader = reporters[participation.action.leader_id]
            _report(participation, period, reporter, leader, today, rng, fate)
            made += 1
        services.step_period(period, "close", actor=driver)
    services.step_period(h1, "lock", actor=driver)
    return made


def _load_jads(plan: Plan, driver: User, reporters: dict[int, User]) -> None:
    rng = random.Random(2025)
    for kpi_oa, letter, measure, kind in DEMO_MAPPINGS:
        kpi = KPI.objects.get(action__plan=plan, action__ref=kpi_oa, letter=letter)
        jads.map_kpi(kpi, measure=measure, seizure_kind=kind, actor=driver)
    for demo in DEMO_JADS:
        actions = [plan.actions.get(ref=ref) for ref in demo.oas]
        takes_part = Participation.objects.filter(action__in=actions)
        participants = sorted(
            {p.organisation for p in takes_part.select_related("organisation")},
            key=lambda o: o.code,
        )
        jad = jads.plan_jad(
            plan,
            name=f"{SYNTHETIC}{demo.name}",
            starts=demo.starts,
            ends=demo.ends,
            actions=actions,
            lead=actions[0].leader,
            participants=participants,
            actor=driver,
        )
        for organisation in participants:
            results = _jad_results_for(rng)
            jads.record_jad_results(
                jad, organisation, results=results, actor=reporters[organisation.pk]
            )


def _jad_results_for(rng: random.Random) -> list[tuple[str, str, int]]:
    """One organisation's made-up results: a few arrests, now and then an OCG,
    migrants and documents, and seizures of one or two kinds."""
    results = [
        (JADMeasure.ARRESTS, "", rng.randint(0, 9)),
        (JADMeasure.OCGS_DISRUPTED, "", rng.choice((0, 0, 1, 2))),
        (JADMeasure.MIGRANTS_DETECTED, "", rng.randint(0, 60)),
        (JADMeasure.FALSE_DOCUMENTS, "", rng.randint(0, 12)),
    ]
    for kind in rng.sample(SEIZURE_KINDS, rng.randint(1, 2)):
        results.append((JADMeasure.SEIZURES, kind, rng.randint(1, 6)))
    return results


def _participations(plan: Plan):
    return (
        Participation.objects.filter(action__plan=plan)
        .select_related("organisation", "action", "action__plan")
        .order_by("action__position", "organisation__code")
    )


def _demo_reporters(plan: Plan, password: str) -> dict[int, User]:
    """One demo reporter per participating organisation, with a role in each of its
    OAs (action leader where the organisation leads)."""
    reporters: dict[int, User] = {}
    for p in _participations(plan):
        org = p.organisation
        if org.pk not in reporters:
            user, created = User.objects.get_or_create(
                username=f"reporter.{org.code.lower()}",
                defaults={
                    "organisation": org,
                    "first_name": "Demo",
                    "last_name": f"reporter, {org.name}",
                },
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            reporters[org.pk] = user
        role = (
            RoleAssignment.Role.ACTION_LEADER
            if p.role == Participation.Role.LEADER
            else RoleAssignment.Role.PARTICIPANT
        )
        RoleAssignment.objects.get_or_create(
            user=reporters[org.pk],
            role=role,
            action=p.action,
            defaults={"granted_by": "empact demo"},
        )
    return {pk: User.objects.get(pk=user.pk) for pk, user in reporters.items()}


def _report(participation, period, reporter, leader, today, rng, fate) -> None:
    action = participation.action
    contribution = services.start_contribution(
        participation.organisation, action, period, actor=reporter, today=today
    )
    values = {
        k.pk: services.ValueInput(**_value_for(k, rng)) for k in action.kpis.all()
    }
    statuses = {
        a.pk: services.StatusInput(
            status=rng.choice(STATUSES[:3]), comment=SYNTHETIC.strip()
        )
        for a in action.activities.all()
    }
    narrative = (
        f"{SYNTHETIC}{participation.organisation.name} in OA {action.ref} "
        f"({action.short_title}), {period.code}: activities went broadly "
        "as planned; figures are invented for the demonstration."
    )
    contribution = services.save_contribution(
        contribution,
        version=contribution.version,
        values=values,
        statuses=statuses,
        narrative=narrative,
        actor=reporter,
        today=today,
    )
    contribution = services.take_step(
        contribution,
        "submit",
        actor=reporter,
        version=contribution.version,
        today=today,
    )
    fate(contribution, leader, today, rng)


def _value_for(kpi: KPI, rng: random.Random) -> dict:
    if kpi.kind in (KPI.Kind.PERCENTAGE, KPI.Kind.RATING):
        top = kpi.target_scale or Decimal(100 if kpi.kind == KPI.Kind.PERCENTAGE else 5)
        level = Decimal(rng.randint(60, 100)) / 100 * top
        return {
            "value": f"{level:.1f}",
            "weight": str(rng.randint(5, 40)),
            "evidence": f"{SYNTHETIC}survey of participants",
        }
    target = kpi.target_value or Decimal(10)
    share = Decimal(rng.randint(5, 40)) / 100  # one organisation's half-year share
    return {
        "value": str(max(0, round(target * share))),
        "evidence": f"{SYNTHETIC}national case files",
    }


def _always_accept(contribution: Contribution, leader, today, rng) -> None:
    services.take_step(
        contribution, "accept", actor=leader, version=contribution.version, today=today
    )


def _mixed_fate(contribution: Contribution, leader, today, rng) -> None:
    roll = rng.random()
    if roll < 0.7:
        _always_accept(contribution, leader, today, rng)
    elif roll < 0.85:
        services.take_step(
            contribution,
            "return",
            actor=leader,
            version=contribution.version,
            today=today,
            reason=f"{SYNTHETIC}please add the evidence for KPI a",
        )
