"""The API's world: a plan with an open period, IT's and FR's drafts for OA 1.1,
and one token per kind of caller: IT and FR (participants of OA 1.1), the OA's
leader (Europol), the plan's driver (DE) and an outsider (BR)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from empact.accounts.models import Participation, RoleAssignment, User
from empact.accounts.tokens import create_token
from empact.organisations.models import Organisation
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import services

Role = RoleAssignment.Role


@pytest.fixture
def world(db):
    plan = make_plan(actions=2)
    action = plan.actions.get(ref="1.1")
    people = {
        "driver": make_user("driver.de", "DE", role=Role.DRIVER, plan=plan),
        "leader": make_user(
            "leader.europol", "EUROPOL", role=Role.ACTION_LEADER, action=action
        ),
    }
    period = services.create_period(
        plan,
        2024,
        1,
        deadline=timezone.localdate() + timedelta(days=30),
        actor=people["driver"],
    )
    services.step_period(period, "open", actor=people["driver"])
    contributions = {}
    for code in ("IT", "FR", "BR"):
        organisation = make_organisation(code)
        scope = {"role": Role.PARTICIPANT, "action": action} if code != "BR" else {}
        people[code] = make_user(f"leader.{code.lower()}", code, **scope)
        if code != "BR":
            Participation.objects.create(organisation=organisation, action=action)
            contributions[code] = services.start_contribution(
                organisation, action, period, actor=people[code]
            )
    tokens = {name: token_for(user) for name, user in people.items()}
    return {
        "plan": plan,
        "action": action,
        "period": period,
        "people": people,
        "tokens": tokens,
        **contributions,
    }


def make_user(username, code, *, role=None, **scope):
    organisation = Organisation.objects.filter(code=code).first() or (
        make_organisation(code)
    )
    user = User.objects.create_user(username, password="x", organisation=organisation)
    if role:
        RoleAssignment.objects.create(user=user, role=role, **scope)
    return user


def token_for(user) -> str:
    return create_token(
        user, organisation=user.organisation, name="system", days=30, by="test"
    )[1]


def call(method, path, *, token=None, data=None, client=None):
    client = client or Client()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "get":
        return client.get(path, data or {}, headers=headers)
    body = json.dumps(data or {})
    return getattr(client, method)(
        path, body, content_type="application/json", headers=headers
    )
