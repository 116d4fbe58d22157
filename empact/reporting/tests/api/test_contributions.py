import hashlib
import json
from datetime import date, timedelta

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from empact.accounts.models import APIToken
from empact.accounts.tests.helpers import sign_in
from empact.accounts.tokens import revoke_token
from empact.audit.models import AuditEntry
from empact.reporting import jads
from empact.reporting.models import (
    AmendmentRequest,
    Contribution,
    JointActionDay,
    Transition,
)
from empact.reporting.tests.api.conftest import call

# Every operation, with a body that reaches its permission check; "{id}" is IT's
# contribution, "{amendment}" an amendment request of it.
OPERATIONS = {
    "list_plans": ("get", "/api/plans", None),
    "get_plan": ("get", "/api/plans/oap-test", None),
    "list_periods": ("get", "/api/plans/oap-test/periods", None),
    "list_contributions": ("get", "/api/contributions", None),
    "get_contribution": ("get", "/api/contributions/{id}", None),
    "start_contribution": (
        "post",
        "/api/contributions",
        {"plan": "oap-test", "oa": "1.1", "period": "2024-H1"},
    ),
    "save_contribution": ("put", "/api/contributions/{id}", {"version": 99}),
    "submit_contribution": ("post", "/api/contributions/{id}/submit", {"version": 99}),
    "accept_contribution": ("post", "/api/contributions/{id}/accept", {"version": 99}),
    "return_contribution": (
        "post",
        "/api/contributions/{id}/return",
        {"version": 99, "reason": "incomplete"},
    ),
    "list_amendments": ("get", "/api/amendments", None),
    "get_amendment": ("get", "/api/amendments/{amendment}", None),
    "request_amendment": (
        "post",
        "/api/contributions/{id}/amendments",
        {"reason": "a typo", "narrative": "Corrected."},
    ),
    # A rejection without a reason: refused even to the driver, so nothing changes.
    "decide_amendment": (
        "post",
        "/api/amendments/{amendment}/decide",
        {"decision": "reject", "reason": ""},
    ),
    "list_jads": ("get", "/api/plans/oap-test/jads", None),
    "get_jad": ("get", "/api/jads/{jad}", None),
    "record_jad_result": (
        "post",
        "/api/jads/{jad}/results",
        {"measure": "arrests", "value": 1},
    ),
    "openapi-json": ("get", "/api/openapi.json", None),
}
REPORTING_TAGS = {"plans", "contributions", "review", "amendments", "joint action days"}
SIGNED_IN = {"IT", "FR", "BR", "leader", "driver"}
PLAN_READERS = SIGNED_IN - {"BR"}
IT_READERS = {"IT", "leader", "driver"}  # who may see IT's contribution
# Who gets past the permission check of each operation on IT's records; everyone
# else signed in must get 404, exactly as for a record that does not exist.
REACHES = {
    "list_plans": SIGNED_IN,
    "get_plan": PLAN_READERS,
    "list_periods": PLAN_READERS,
    "list_contributions": SIGNED_IN,
    "get_contribution": IT_READERS,
    "start_contribution": {"IT", "FR", "leader"},  # each for its own organisation
    "save_contribution": {"IT"},
    "submit_contribution": {"IT"},
    "accept_contribution": {"leader"},
    "return_contribution": {"leader"},
    "list_amendments": SIGNED_IN,
    "get_amendment": IT_READERS,
    "request_amendment": {"IT"},
    "decide_amendment": {"driver"},
    # A JAD is seen as its plan; each records for its own organisation (leader and
    # driver are told that theirs did not take part).
    "list_jads": PLAN_READERS,
    "get_jad": PLAN_READERS,
    "record_jad_result": PLAN_READERS,
    "openapi-json": SIGNED_IN,
}
# Who may see IT's figures in each operation's answer: its contribution's readers,
# and for JADs (results per organisation) the plan's readers.
SEES_IT = {name: IT_READERS for name in REACHES} | {
    "list_jads": PLAN_READERS,
    "get_jad": PLAN_READERS,
    "record_jad_result": {"IT"},
}


def test_the_schema_is_served_to_callers_and_lists_every_operation(world):
    response = call("get", "/api/openapi.json", token=world["tokens"]["IT"])
    assert response.status_code == 200
    schema = response.json()
    # Other apps mount their own operations (and test them); these are reporting's.
    operations = {
        op["operationId"]
        for methods in schema["paths"].values()
        for op in methods.values()
        if set(op["tags"]) & REPORTING_TAGS
    }
    assert operations == set(OPERATIONS) - {"openapi-json"}
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    assert Client().get("/api/docs").status_code == 404  # no docs page (no CDN)


def test_anonymous_callers_get_401_on_every_endpoint(world):
    amendment, jad = _amendment_of(world["IT"]), _jad(world)
    for method, path, data in OPERATIONS.values():
        path = path.format(id=world["IT"].pk, amendment=amendment.pk, jad=jad.pk)
        response = call(method, path, data=data)
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
    assert [c["id"] for c in listed["items"]] == [world["IT"].pk]
    assert listed["count"] == 1
    theirs.refresh_from_db()
    assert (theirs.version, theirs.narrative, theirs.state) == (1, "", "draft")
    denied = AuditEntry.objects.filter(
        action="permission.denied", object_id=str(theirs.pk), outcome="denied"
    )
    assert denied.count() == 3  # every refused attempt is logged, like the pages'


def test_an_outsider_sees_no_plan(world):
    token = world["tokens"]["BR"]
    assert call("get", "/api/plans", token=token).json()["items"] == []
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
    amendment, jad = _amendment_of(mine), _jad(world)
    callers = {"anonymous": None, **world["tokens"]}
    leaks, over_denials = [], []
    for name, (method, path, data) in OPERATIONS.items():
        url = path.format(id=mine.pk, amendment=amendment.pk, jad=jad.pk)
        for caller, token in callers.items():
            response = call(method, url, token=token, data=data)
            shown = '"organisation": "IT"' in response.content.decode()
            if caller not in SEES_IT[name] and shown:
                leaks.append((name, caller, "shown"))
            if caller == "anonymous":
                if response.status_code != 401:
                    leaks.append((name, caller, response.status_code))
            elif caller not in REACHES[name] and response.status_code != 404:
                leaks.append((name, caller, response.status_code))
            elif caller in REACHES[name] and response.status_code in (401, 404):
                over_denials.append((name, caller, response.status_code))
    mine.refresh_from_db()
    amendment.refresh_from_db()
    if (mine.version, mine.state, mine.narrative) != (1, "draft", ""):
        leaks.append(("contribution changed", mine.version, mine.state))
    if amendment.state != "pending":
        leaks.append(("amendment decided", amendment.state))
    figure(
        f"api: {len(OPERATIONS)} operations × {len(callers)} callers, "
        f"{len(leaks)} leaks, {len(over_denials)} over-denials"
    )
    assert leaks == []
    assert over_denials == []


def test_a_list_is_paged_with_a_ceiling_on_its_size(world):
    token = world["tokens"]["driver"]
    first = call("get", "/api/contributions", token=token, data={"limit": 1})
    second = call(
        "get", "/api/contributions", token=token, data={"limit": 1, "offset": 1}
    )
    assert first.json()["count"] == second.json()["count"] == 2
    assert [c["organisation"] for c in first.json()["items"]] == ["IT"]
    assert [c["organisation"] for c in second.json()["items"]] == ["FR"]
    assert (second.json()["limit"], second.json()["offset"]) == (1, 1)
    too_many = call("get", "/api/contributions", token=token, data={"limit": 201})
    assert too_many.status_code == 422
    assert too_many.json() == {
        "message": "the request is not valid; nothing was done",
        "problems": ["query.limit: Input should be less than or equal to 200"],
    }


def test_every_list_documents_its_page_bounds_in_the_schema(world):
    schema = call("get", "/api/openapi.json", token=world["tokens"]["IT"]).json()
    lists = {
        op["operationId"]: {p["name"]: p["schema"] for p in op["parameters"]}
        for methods in schema["paths"].values()
        for op in methods.values()
        if op["operationId"].startswith("list_")
    }
    assert set(lists) >= {  # and any other app's lists, which obey the same rule
        "list_amendments",
        "list_contributions",
        "list_jads",
        "list_periods",
        "list_plans",
    }
    for parameters in lists.values():
        assert parameters["limit"]["maximum"] == 200
        assert parameters["limit"]["default"] == 50
        assert parameters["offset"]["minimum"] == 0


def test_a_body_that_does_not_fit_the_schema_is_422_naming_each_field(world):
    mine, token = world["IT"], world["tokens"]["IT"]
    response = call(
        "put",
        f"/api/contributions/{mine.pk}",
        token=token,
        data={"narrative": 3, "values": {"a": {"evidence": "x"}}},
    )
    assert response.status_code == 422
    assert response.json() == {
        "message": "the request is not valid; nothing was done",
        "problems": [
            "body.version: Field required",
            "body.narrative: Input should be a valid string",
            "body.values.a.value: Field required",
        ],
    }


def test_a_number_no_database_holds_is_refused_not_a_server_error(world):
    mine, big = world["IT"], 2**70
    token = world["tokens"]["IT"]
    for path in (f"/api/contributions/{big}", f"/api/jads/{big}"):
        assert call("get", path, token=token).status_code == 404
    for method, path, data in [
        ("get", "/api/amendments", {"contribution": big}),
        ("post", f"/api/contributions/{mine.pk}/submit", {"version": big}),
        ("put", f"/api/contributions/{mine.pk}", {"version": big}),
    ]:
        response = call(method, path, token=token, data=data)
        assert response.status_code == 422, (path, response.content)
        assert "less than or equal to" in response.json()["problems"][0]


def _amendment_of(contribution) -> AmendmentRequest:
    # Made directly: the services refuse amendments of an open period, and these
    # tests need one to probe who may read and decide it.
    return AmendmentRequest.objects.create(
        contribution=contribution,
        proposed={"narrative": "Corrected."},
        reason="a typo",
        requested_by="leader.it",
    )


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


def _jad(world) -> JointActionDay:
    """A JAD on OA 1.1 led by IT, with FR taking part."""
    return jads.plan_jad(
        world["plan"],
        name="JAD ARKTOS",
        starts=date(2024, 9, 10),
        ends=date(2024, 9, 14),
        actions=[world["action"]],
        lead=world["people"]["IT"].organisation,
        participants=[world["people"]["FR"].organisation],
        actor=world["people"]["driver"],
    )
