import pytest
from django.utils import timezone

from empact.audit.models import AuditEntry
from empact.reporting import services
from empact.reporting.models import AmendmentRequest
from empact.reporting.tests.api.conftest import call


@pytest.fixture
def locked(world):
    """IT's contribution reports 2 for KPI a, is accepted, and the period locked."""
    mine, people = world["IT"], world["people"]
    kpi = world["action"].kpis.get(letter="a")
    services.save_contribution(
        mine,
        version=1,
        values={kpi.pk: services.ValueInput("2", "case files")},
        statuses={},
        narrative="Two OCGs.",
        actor=people["IT"],
        today=timezone.localdate(),
    )
    for step, actor in (("submit", "IT"), ("accept", "leader")):
        mine = services.take_step(
            mine,
            step,
            version=mine.version,
            actor=people[actor],
            today=timezone.localdate(),
        )
    for step in ("close", "lock"):
        services.step_period(world["period"], step, actor=people["driver"])
    return mine


def _request(world, contribution, data, caller="IT"):
    return call(
        "post",
        f"/api/contributions/{contribution.pk}/amendments",
        token=world["tokens"][caller],
        data=data,
    )


def test_an_organisation_asks_and_the_driver_approves_and_it_is_applied(world, locked):
    asked = _request(
        world,
        locked,
        {"reason": "a case was counted twice", "values": {"a": {"value": "1"}}},
    )
    assert asked.status_code == 201, asked.content
    body = asked.json()
    assert (body["state"], body["organisation"], body["requested_by"]) == (
        "pending",
        "IT",
        "leader.it",
    )
    assert body["proposed"] == {
        "values": {"a": {"value": "1", "evidence": "", "weight": "1"}},
        "statuses": {},
        "narrative": None,
    }
    decided = call(
        "post",
        f"/api/amendments/{body['id']}/decide",
        token=world["tokens"]["driver"],
        data={"decision": "approve"},
    )
    assert decided.status_code == 200, decided.content
    assert (decided.json()["state"], decided.json()["decided_by"]) == (
        "approved",
        "driver.de",
    )
    read = call(
        "get", f"/api/contributions/{locked.pk}", token=world["tokens"]["IT"]
    ).json()
    assert [(v["kpi"], v["value"]) for v in read["values"]] == [("a", "1.00")]
    assert read["version"] == locked.version + 1
    actions = list(
        AuditEntry.objects.filter(action__startswith="amendment.")
        .order_by("seq")
        .values_list("action", "actor")
    )
    assert actions == [
        ("amendment.requested", "leader.it"),
        ("amendment.approved", "driver.de"),
    ]


def test_rejecting_needs_a_reason_and_a_decision_is_final(world, locked):
    asked = _request(world, locked, {"reason": "typo", "narrative": "Three OCGs."})
    url = f"/api/amendments/{asked.json()['id']}/decide"
    token = world["tokens"]["driver"]
    silent = call("post", url, token=token, data={"decision": "reject"})
    assert silent.status_code == 400
    assert silent.json()["message"] == "to reject an amendment, say why"
    unknown = call("post", url, token=token, data={"decision": "maybe"})
    assert unknown.status_code == 422
    assert unknown.json()["problems"] == [
        "body.decision: Input should be 'approve' or 'reject'"
    ]
    rejected = call(
        "post", url, token=token, data={"decision": "reject", "reason": "no evidence"}
    )
    assert rejected.status_code == 200
    assert rejected.json()["decision_reason"] == "no evidence"
    again = call("post", url, token=token, data={"decision": "approve"})
    assert again.status_code == 409
    assert again.json()["message"] == (
        "this amendment is already rejected by driver.de; it cannot be decided again"
    )
    locked.refresh_from_db()
    assert locked.narrative == "Two OCGs."


def test_an_amendment_names_what_is_wrong_and_saves_nothing(world, locked):
    cases = [
        (
            {"reason": "x", "values": {"z": {"value": "1"}}, "statuses": {"9": {}}},
            422,  # a status without its status field does not fit the schema
        ),
        ({"reason": "x", "values": {"z": {"value": "1"}}}, 400),
        ({"reason": "x"}, 400),
        ({"reason": " ", "narrative": "New."}, 400),
        ({"reason": "x", "values": {"a": {"value": "many"}}}, 400),
    ]
    messages = []
    for data, status in cases:
        response = _request(world, locked, data)
        assert response.status_code == status, (data, response.content)
        messages.append(response.json())
    assert messages[1] == {
        "message": "IT · OA 1.1 · 2024-H1: 1 problem(s); nothing was saved",
        "problems": ["KPI z: not a KPI of this OA"],
    }
    assert messages[2]["message"] == (
        "the amendment changes nothing: give a value, a status or a narrative"
    )
    assert messages[3]["message"] == "say why the amendment is needed"
    assert "KPI a: 'many' is not a number" in str(messages[4])
    assert not AmendmentRequest.objects.exists()


def test_an_open_periods_contribution_is_edited_not_amended(world):
    response = _request(world, world["IT"], {"reason": "x", "narrative": "New."})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "the period 2024-H1 is not locked: edit the contribution, or ask the action "
        "leader to return it"
    )


def test_who_sees_and_who_decides_an_amendment(world, locked):
    asked = _request(world, locked, {"reason": "typo", "narrative": "Three OCGs."})
    pk = asked.json()["id"]
    listed = {
        caller: [
            a["id"] for a in call("get", "/api/amendments", token=token).json()["items"]
        ]
        for caller, token in world["tokens"].items()
    }
    assert listed == {
        "driver": [pk],
        "leader": [pk],
        "IT": [pk],
        "FR": [],
        "BR": [],
    }
    pending = call(
        "get",
        "/api/amendments",
        token=world["tokens"]["driver"],
        data={"state": "pending", "plan": "oap-test"},
    )
    assert [a["id"] for a in pending.json()["items"]] == [pk]
    read = call("get", f"/api/amendments/{pk}", token=world["tokens"]["driver"])
    assert read.json()["proposed"]["narrative"] == "Three OCGs."
    consulted = AuditEntry.objects.filter(action="contribution.consulted").last()
    assert (consulted.actor, consulted.object_id) == ("driver.de", str(locked.pk))
    for caller in ("FR", "BR"):
        assert (
            call("get", f"/api/amendments/{pk}", token=world["tokens"][caller])
        ).status_code == 404
    for caller in ("IT", "leader", "FR"):
        response = call(
            "post",
            f"/api/amendments/{pk}/decide",
            token=world["tokens"][caller],
            data={"decision": "approve"},
        )
        assert response.status_code == 404, caller
    assert AmendmentRequest.objects.get(pk=pk).state == "pending"
