import hashlib
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from empact.accounts.models import APIToken, Participation, RoleAssignment, User
from empact.accounts.tests.helpers import sign_in
from empact.accounts.tokens import create_token, revoke_token
from empact.audit.models import AuditEntry
from empact.organisations.models import Organisation
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import services
from empact.reporting.models import Contribution, Transition

Role = RoleAssignment.Role
OPERATIONS = {
    "list_plans": ("get", "/api/plans"),
    "get_plan": ("get", "/api/plans/oap-test"),
    "list_periods": ("get", "/api/plans/oap-test/periods"),
    "list_contributions": ("get", "/api/contributions"),
    "get_contribution": ("get", "/api/contributions/{id}"),
    "start_contribution": ("post", "/api/contributions"),
    "save_contribution": ("put", "/api/contributions/{id}"),
    "submit_contribution": ("post", "/api/contributions/{id}/submit"),
    "openapi-json": ("get", "/api/openapi.json"),
}


@pytest.fixture
def world(db):
    plan = make_plan(actions=2)
    action = plan.actions.get(ref="1.1")
    driver = _user("driver.de", "DE", role=Role.DRIVER, plan=plan)
    period = services.create_period(
        plan, 2024, 1, deadline=timezone.localdate() + timedelta(days=30), actor=driver
    )
    services.step_period(period, "open", actor=driver)
    people, tokens, contributions = {}, {}, {}
    for code in ("IT", "FR", "BR"):
        organisation = make_organisation(code)
        if code != "BR":
            Participation.objects.create(organisation=organisation, action=action)
        people[code] = _user(
            f"leader.{code.lower()}",
            code,
            **({} if code == "BR" else {"role": Role.PARTICIPANT, "action": action}),
        )
        tokens[code] = create_token(
            people[code], organisation=organisation, name="system", days=30, by="test"
        )[1]
        if code != "BR":
            contributions[code] = services.start_contribution(
                organisation, action, period, actor=people[code]
            )
    return {"plan": plan, "people": people, "tokens": tokens, **contributions}


def _user(username, code, *, role=None, **scope):
    organisation = Organisation.objects.filter(code=code).first() or (
        make_organisation(code)
    )
    user = User.objects.create_user(username, password="x", organisation=organisation)
    if role:
        RoleAssignment.objects.create(user=user, role=role, **scope)
    return user


def call(method, path, *, token=None, data=None, client=None):
    client = client or Client()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = json.dumps(data or {})
    if method == "get":
        return client.get(path, headers=headers)
    return getattr(client, method)(
        path, body, content_type="application/json", headers=headers
    )


def test_the_schema_is_served_to_callers_and_lists_every_operation(world):
    response = call("get", "/api/openapi.json", token=world["tokens"]["IT"])
    assert response.status_code == 200
    schema = response.json()
    operations = {
        op["operationId"].rsplit("_api_", 1)[-1]
        for methods in schema["paths"].values()
        for op in methods.values()
    }
    assert operations == set(OPERATIONS) - {"openapi-json"}
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    assert Client().get("/api/docs").status_code == 404  # no docs page (no CDN)


def test_anonymous_callers_get_401_on_every_endpoint(world):
    for method, path in OPERATIONS.values():
        path = path.format(id=world["IT"].pk)
        response = call(method, path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "Unauthorized"}


def test_a_token_in_the_query_string_is_not_accepted(world):
    token = world["tokens"]["IT"]
    assert Client().get(f"/api/plans?token={token}").status_code == 401
    assert Client().get(f"/api/plans?access_token={token}").status_code == 401


def test_an_organisation_cannot_read_or_change_another_organisations_contribution(
    world,
):
    theirs, token = world["FR"], world["tokens"]["IT"]
    for method, path, data in [
        ("get", "/api/contributions/{id}", None),
        ("put", "/api/contributions/{id}", {"version": 1, "narrative": "x"}),
        ("post", "/api/contributions/{id}/submit", {"version": 1}),
    ]:
        hidden = call(method, path.format(id=theirs.pk), token=token, data=data)
        missing = call(method, path.format(id=999999), token=token, data=data)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content == b'{"detail": "Not Found"}'
    listed = call("get", "/api/contributions", token=token).json()
    assert [c["id"] for c in listed] == [world["IT"].pk]
    theirs.refresh_from_db()
    assert (theirs.version, theirs.narrative, theirs.state) == (1, "", "draft")
    from empact.audit.models import AuditEntry

    denied = AuditEntry.objects.filter(
        action="permission.denied", object_id=str(theirs.pk), outcome="denied"
    )
    assert denied.count() == 3  # every refused attempt is logged, like the pages'


def test_an_outsider_sees_no_plan(world):
    token = world["tokens"]["BR"]
    assert call("get", "/api/plans", token=token).json() == []
    assert call("get", "/api/plans/oap-test", token=token).status_code == 404


def test_an_expired_or_revoked_token_is_refused(world):
    token = world["tokens"]["IT"]
    assert call("get", "/api/plans", token=token).status_code == 200
    row = APIToken.objects.get(user=world["people"]["IT"])
    APIToken.objects.filter(pk=row.pk).update(expires_at=timezone.now())
    assert call("get", "/api/plans", token=token).status_code == 401
    APIToken.objects.filter(pk=row.pk).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    revoke_token(row, by="test")
    assert call("get", "/api/plans", token=token).status_code == 401
    assert call("get", "/api/plans", token=token + "x").status_code == 401


def test_the_token_is_stored_hashed(world):
    token = world["tokens"]["IT"]
    row = APIToken.objects.get(user=world["people"]["IT"])
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = json.dumps(list(APIToken.objects.values()), default=str)
    stored += json.dumps(list(AuditEntry.objects.values()), default=str)
    assert token not in stored
    assert token[len("empact_") :] not in stored
    assert len(token) >= len("empact_") + 43  # 256 bits, base64


def test_reading_a_contribution_is_audited_as_a_consultation(world):
    mine = world["IT"]
    response = call("get", f"/api/contributions/{mine.pk}", token=world["tokens"]["IT"])
    assert response.status_code == 200
    assert response.json()["organisation"] == "IT"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor, entry.object_id) == (
        "contribution.consulted",
        "leader.it",
        str(mine.pk),
    )


def test_a_national_system_saves_and_submits_and_it_is_audited_like_the_page(world):
    mine, token = world["IT"], world["tokens"]["IT"]
    saved = call(
        "put",
        f"/api/contributions/{mine.pk}",
        token=token,
        data={
            "version": 1,
            "narrative": "Two OCGs dismantled.",
            "values": {"a": {"value": "2", "evidence": "case files"}},
            "statuses": {"1": {"status": "completed"}},
        },
    )
    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert body["version"] == 2
    assert body["values"] == [
        {"kpi": "a", "value": "2.00", "weight": "1.00", "evidence": "case files"}
    ]
    assert body["statuses"] == [{"activity": 1, "status": "completed", "comment": ""}]

    submitted = call(
        "post", f"/api/contributions/{mine.pk}/submit", token=token, data={"version": 2}
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "submitted"
    entry = AuditEntry.objects.get(action="contribution.submitted")
    assert (entry.actor, entry.organisation, entry.object_id, entry.extra) == (
        "leader.it",
        "IT",
        str(mine.pk),
        {"from": "draft", "to": "submitted"},
    )
    assert entry.request_id == submitted["X-Request-ID"]
    assert Transition.objects.get(contribution=mine).by == "leader.it"


def test_an_outdated_version_is_a_conflict(world):
    mine, token = world["IT"], world["tokens"]["IT"]
    first = call(
        "put", f"/api/contributions/{mine.pk}", token=token, data={"version": 1}
    )
    assert first.status_code == 200
    again = call(
        "put", f"/api/contributions/{mine.pk}", token=token, data={"version": 1}
    )
    assert again.status_code == 409
    assert again.json()["message"].endswith(
        "is at version 2, not 1; read it again, then retry"
    )
    submit = call(
        "post", f"/api/contributions/{mine.pk}/submit", token=token, data={"version": 1}
    )
    assert submit.status_code == 409


def test_a_mistake_is_400_with_every_problem(world):
    mine, token = world["IT"], world["tokens"]["IT"]
    response = call(
        "put",
        f"/api/contributions/{mine.pk}",
        token=token,
        data={
            "version": 1,
            "values": {"a": {"value": "many"}, "z": {"value": "1"}},
            "statuses": {"9": {"status": "completed"}},
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "IT · OA 1.1 · 2024-H1: 2 problem(s); nothing was saved",
        "problems": [
            "KPI z: not a KPI of this OA",
            "activity 9: not an activity of this OA",
        ],
    }
    response = call(
        "put",
        f"/api/contributions/{mine.pk}",
        token=token,
        data={"version": 1, "values": {"a": {"value": "many"}}},
    )
    assert response.json() == {
        "message": "IT · OA 1.1 · 2024-H1: 1 problem(s); nothing was saved",
        "problems": ["KPI a: 'many' is not a number"],
    }


def test_starting_a_contribution_uses_the_tokens_organisation(world):
    Contribution.objects.filter(organisation__code="IT").delete()
    response = call(
        "post",
        "/api/contributions",
        token=world["tokens"]["IT"],
        data={"plan": "oap-test", "oa": "1.1", "period": "2024-H1"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["organisation"] == "IT"
    outsider = call(
        "post",
        "/api/contributions",
        token=world["tokens"]["BR"],
        data={"plan": "oap-test", "oa": "1.1", "period": "2024-H1"},
    )
    assert outsider.status_code == 404


def test_a_browser_session_may_call_the_api_with_its_csrf_token(world):
    client = sign_in(Client(enforce_csrf_checks=True), world["people"]["IT"])
    assert client.get("/api/plans").status_code == 200
    mine = world["IT"]
    without = call("post", f"/api/contributions/{mine.pk}/submit", client=client)
    assert without.status_code == 403


def test_every_operation_refuses_every_caller_but_its_own(world, figure):
    mine = world["IT"]
    callers = {"anonymous": None, **world["tokens"]}
    allowed = {"IT"}
    leaks = 0
    for name, (method, path) in OPERATIONS.items():
        for caller, token in callers.items():
            data = {"version": 99}
            if name == "start_contribution":
                data = {"plan": "oap-test", "oa": "1.1", "period": "2024-H1"}
            response = call(method, path.format(id=mine.pk), token=token, data=data)
            shown = '"organisation": "IT"' in response.content.decode()
            if caller not in allowed and shown:
                leaks += 1
            if caller == "anonymous" and response.status_code != 401:
                leaks += 1
    mine.refresh_from_db()
    leaks += (mine.version, mine.state) != (1, "draft")
    figure(f"api: {len(OPERATIONS)} operations × {len(callers)} callers, {leaks} leaks")
    assert leaks == 0


def test_the_token_command_creates_lists_and_revokes(world, capsys):
    call_command(
        "token",
        "create",
        "--org",
        "IT",
        "--user",
        "leader.it",
        "--name",
        "IT national system",
        "--days",
        "365",
    )
    out = capsys.readouterr().out
    raw = next(word for word in out.split() if word.startswith("empact_"))
    assert call("get", "/api/plans", token=raw).status_code == 200
    token = APIToken.objects.get(name="IT national system")
    call_command("token", "list")
    assert "IT national system" in capsys.readouterr().out
    call_command("token", "revoke", str(token.pk))
    assert call("get", "/api/plans", token=raw).status_code == 401
    assert raw not in json.dumps(list(AuditEntry.objects.values()), default=str)
