"""A plan with an open period and FR's draft for OA 1.1, and people around it:
an officer (FR), another participant (NL), the leader (IT), the driver (DE) and an
outsider (BR). Shared by the reporting page tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from empact.accounts.models import Participation, RoleAssignment, User
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import services


@pytest.fixture
def plan(db):
    plan = make_plan("oap-ms")
    action = plan.actions.get(ref="1.1")
    for code in ("FR", "NL"):
        Participation.objects.create(
            organisation=make_organisation(code), action=action
        )
    make_organisation("BR")
    return plan


@pytest.fixture
def people(plan):
    action = plan.actions.get(ref="1.1")
    found = {}
    for name, code, role, scope in [
        ("officer", "FR", "participant", {"action": action}),
        ("other", "NL", "participant", {"action": action}),
        ("leader", "IT", "action_leader", {"action": action}),
        ("driver", "DE", "driver", {"plan": plan}),
        ("outsider", "BR", None, {}),
    ]:
        found[name] = User.objects.create_user(
            name, organisation=make_organisation(code)
        )
        if role:
            RoleAssignment.objects.create(user=found[name], role=role, **scope)
    return found


@pytest.fixture
def period(plan, people):
    period = services.create_period(
        plan,
        2024,
        1,
        deadline=timezone.localdate() + timedelta(days=30),
        actor=people["driver"],
    )
    services.step_period(period, "open", actor=people["driver"])
    return period


@pytest.fixture
def contribution(plan, people, period):
    return services.start_contribution(
        people["officer"].organisation,
        plan.actions.get(ref="1.1"),
        period,
        actor=people["officer"],
    )
