from datetime import date

import pytest

from empact.audit.models import AuditEntry
from empact.reporting import jad_selectors, jads
from empact.reporting.models import JADResult
from empact.reporting.tests.api.conftest import call, make_user, token_for


@pytest.fixture
def jad(world):
    """A JAD on OA 1.1 led by IT with FR taking part; FR arrested 4."""
    organisations = {
        p.organisation.code: p.organisation for p in world["people"].values()
    }
    jad = jads.plan_jad(
        world["plan"],
        name="JAD ARKTOS",
        starts=date(2024, 9, 10),
        ends=date(2024, 9, 14),
        actions=[world["action"]],
        lead=organisations["IT"],
        participants=[organisations["FR"]],
        actor=world["people"]["driver"],
    )
    jads.record_jad_result(
        jad,
        organisations["FR"],
        measure="arrests",
        value=4,
        actor=world["people"]["FR"],
    )
    return jad


def _record(world, jad, data, caller="IT"):
    token = world["tokens"].get(caller, caller)
    return call("post", f"/api/jads/{jad.pk}/results", token=token, data=data)


def test_a_participant_records_its_own_result_and_it_is_audited(world, jad):
    first = _record(world, jad, {"measure": "arrests", "value": 7})
    assert first.status_code == 200, first.content
    second = _record(
        world, jad, {"measure": "seizures", "seizure_kind": " Cash ", "value": 2}
    )
    assert second.json() == {
        "jad": jad.pk,
        "organisation": "IT",
        "results": [
            {"measure": "arrests", "seizure_kind": "", "value": 7},
            {"measure": "seizures", "seizure_kind": "cash", "value": 2},
        ],
    }
    again = _record(world, jad, {"measure": "arrests", "value": 8})
    assert again.json()["results"][0]["value"] == 8  # replaced, not added
    entries = AuditEntry.objects.filter(action="jadresult.recorded", actor="leader.it")
    assert entries.count() == 3
    assert entries.last().request_id == again["X-Request-ID"]


def test_the_plans_jads_come_with_their_totals(world, jad):
    _record(world, jad, {"measure": "arrests", "value": 3})
    response = call("get", "/api/plans/oap-test/jads", token=world["tokens"]["leader"])
    assert response.status_code == 200, response.content
    assert response.json() == {
        "items": [
            {
                "id": jad.pk,
                "plan": "oap-test",
                "name": "JAD ARKTOS",
                "starts": "2024-09-10",
                "ends": "2024-09-14",
                "lead": "IT",
                "oas": ["1.1"],
                "participants": ["FR", "IT"],
                "totals": {"measures": {"arrests": 7}, "seizures": {}},
            }
        ],
        "count": 1,
        "limit": 50,
        "offset": 0,
    }
    consulted = AuditEntry.objects.get(action="jointactionday.consulted")
    assert consulted.actor == "leader.europol"


def test_one_jad_shows_each_participants_results_and_who_may_record_them(world, jad):
    response = call("get", f"/api/jads/{jad.pk}", token=world["tokens"]["IT"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totals"] == {"measures": {"arrests": 4}, "seizures": {}}
    assert body["results"] == [
        {
            "organisation": "FR",
            "totals": {"measures": {"arrests": 4}, "seizures": {}},
            "may_record": False,
        },
        {
            "organisation": "IT",
            "totals": {"measures": {}, "seizures": {}},
            "may_record": True,
        },
    ]
    entry = AuditEntry.objects.filter(action="jointactionday.consulted").last()
    assert (entry.actor, entry.object_id) == ("leader.it", str(jad.pk))


def test_an_outsider_sees_no_jad_and_records_nothing(world, jad):
    token = world["tokens"]["BR"]
    hidden = call("get", f"/api/jads/{jad.pk}", token=token)
    missing = call("get", "/api/jads/999999", token=token)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert call("get", "/api/plans/oap-test/jads", token=token).status_code == 404
    assert _record(
        world, jad, {"measure": "arrests", "value": 1}, "BR"
    ).status_code == (404)
    assert not JADResult.objects.filter(organisation__code="BR").exists()


def test_a_reader_who_takes_no_part_is_told_why_not(world, jad):
    # The driver's organisation (DE) does not take part; as the JAD's coordinator
    # the driver could record others' results, but the API records only one's own.
    response = _record(world, jad, {"measure": "arrests", "value": 1}, "driver")
    assert response.status_code == 400
    assert response.json()["problems"] == [
        "DE did not take part in JAD ARKTOS (10 Sep 2024)"
    ]
    # Europol leads OA 1.1 but did not take part either.
    refused = _record(world, jad, {"measure": "arrests", "value": 1}, "leader")
    assert refused.status_code == 400


def test_a_user_without_a_role_in_the_jads_oas_is_refused_with_the_reason(world, jad):
    # IT takes part, so this IT analyst sees the plan and the JAD, but holds no
    # role in OA 1.1.
    analyst = make_user("analyst.it", "IT")
    response = _record(
        world, jad, {"measure": "arrests", "value": 1}, token_for(analyst)
    )
    assert response.status_code == 403
    assert response.json() == {
        "message": "IT's result in JAD ARKTOS (10 Sep 2024) was not recorded",
        "problems": [jad_selectors.REFUSALS["jad.report"]],
    }
    assert AuditEntry.objects.filter(
        action="permission.denied", actor="analyst.it", extra__permission="jad.report"
    ).exists()
    assert (
        call("get", f"/api/jads/{jad.pk}", token=token_for(analyst)).status_code == 200
    )


def test_a_result_that_does_not_fit_is_refused_with_every_reason(world, jad):
    cases = [
        ({"measure": "arrests", "value": -1}, 422),
        ({"measure": "kidnaps", "value": 1}, 422),
        ({"measure": "seizures", "value": 1}, 400),
        ({"measure": "arrests", "seizure_kind": "cash", "value": 1}, 400),
        ({"measure": "arrests", "value": 2**31}, 422),
    ]
    for data, status in cases:
        response = _record(world, jad, data)
        assert response.status_code == status, (data, response.content)
        assert response.json()["problems"], data
    assert _record(world, jad, {"measure": "seizures", "value": 1}).json()[
        "problems"
    ] == ["seizures: say what was seized, e.g. cash, vehicles, boats"]
    assert not JADResult.objects.filter(organisation__code="IT").exists()
