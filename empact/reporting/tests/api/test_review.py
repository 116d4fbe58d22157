from empact.audit.models import AuditEntry
from empact.reporting.models import Transition
from empact.reporting.tests.api.conftest import call


def _submitted(world):
    mine = world["IT"]
    response = call(
        "post",
        f"/api/contributions/{mine.pk}/submit",
        token=world["tokens"]["IT"],
        data={"version": 1},
    )
    assert response.status_code == 200, response.content
    return mine


def test_the_oas_leader_accepts_a_submitted_contribution_and_it_is_audited(world):
    mine = _submitted(world)
    response = call(
        "post",
        f"/api/contributions/{mine.pk}/accept",
        token=world["tokens"]["leader"],
        data={"version": 2},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["version"]) == ("accepted", 3)
    entry = AuditEntry.objects.get(action="contribution.accepted")
    assert (entry.actor, entry.object_id, entry.extra) == (
        "leader.europol",
        str(mine.pk),
        {"from": "submitted", "to": "accepted"},
    )
    assert entry.request_id == response["X-Request-ID"]
    assert Transition.objects.get(contribution=mine, name="accept").by == (
        "leader.europol"
    )


def test_returning_needs_a_reason_and_sends_it_back_as_a_draft(world):
    mine, token = _submitted(world), world["tokens"]["leader"]
    url = f"/api/contributions/{mine.pk}/return"
    missing = call("post", url, token=token, data={"version": 2})
    assert missing.status_code == 422
    assert missing.json()["problems"] == ["body.reason: Field required"]
    blank = call("post", url, token=token, data={"version": 2, "reason": "  "})
    assert blank.status_code == 400
    assert blank.json() == {
        "message": "IT · OA 1.1 · 2024-H1 cannot be returned: to return a "
        "contribution, say why",
        "problems": [],
    }
    returned = call(
        "post", url, token=token, data={"version": 2, "reason": "KPI a lacks evidence"}
    )
    assert returned.status_code == 200, returned.content
    body = returned.json()
    assert (body["state"], body["returned_reason"]) == ("draft", "KPI a lacks evidence")
    entry = AuditEntry.objects.get(action="contribution.returned")
    assert (entry.actor, entry.justification) == (
        "leader.europol",
        "KPI a lacks evidence",
    )


def test_a_participant_cannot_review_even_its_own_contribution(world):
    mine = _submitted(world)
    for caller in ("IT", "FR", "driver"):
        response = call(
            "post",
            f"/api/contributions/{mine.pk}/accept",
            token=world["tokens"][caller],
            data={"version": 2},
        )
        assert response.status_code == 404, caller
    mine.refresh_from_db()
    assert mine.state == "submitted"
    refusals = AuditEntry.objects.filter(
        action="permission.denied", object_id=str(mine.pk)
    )
    assert sorted(e.extra["permission"] for e in refusals) == [
        "contribution.review",  # IT and the driver may read it, not review it
        "contribution.review",
        "contribution.view",  # FR may not even read it
    ]


def test_accepting_a_draft_says_why_and_an_old_version_is_a_conflict(world):
    mine, token = world["IT"], world["tokens"]["leader"]
    url = f"/api/contributions/{mine.pk}/accept"
    draft = call("post", url, token=token, data={"version": 1})
    assert draft.status_code == 400
    assert draft.json()["message"] == (
        "IT · OA 1.1 · 2024-H1 cannot be accepted: a draft contribution cannot be "
        "accepted"
    )
    _submitted(world)
    stale = call("post", url, token=token, data={"version": 1})
    assert stale.status_code == 409
    assert stale.json()["message"] == (
        "IT · OA 1.1 · 2024-H1 is at version 2, not 1; read it again, then retry"
    )
