"""Synthetic reporting for the demo: two half-years of 2024 for all 26 OAs.

Every value is made up (seeded, so each demo is the same) and every narrative says
so. It is written through the real services, by demo reporters who hold the roles
the services ask for, so the audit log and the workflow see what they would see.
2024-H1 is accepted and locked; 2024-H2 is closed with a mix of accepted, submitted
and returned contributions.
"""

import random
from datetime import date
from decimal import Decimal

from django.db import transaction

from empact.accounts.models import Participation, RoleAssignment, User
from empact.plans.models import KPI, Plan
from empact.reporting import services
from empact.reporting.models import ActivityStatus, Contribution, ReportingPeriod

SYNTHETIC = "[SYNTHETIC DEMO DATA] "
STATUSES = [s.value for s in ActivityStatus.Status]


def load_demo_reporting(plan: Plan, *, driver: User, password: str) -> int:
    """Fill two periods of 2024 where the plan has none; returns contributions made."""
    if ReportingPeriod.objects.filter(plan=plan).exists():
        return 0
    with transaction.atomic():
        return _load(plan, driver, password)


def _load(plan: Plan, driver: User, password: str) -> int:
    rng = random.Random(2024)
    reporters = _demo_reporters(plan, password)
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
        participation.organisation, action, period, actor=reporter
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
