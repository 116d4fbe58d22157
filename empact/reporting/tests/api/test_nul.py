"""A NUL character (\\x00) wherever the API takes text is refused with a reason,
never a server error: PostgreSQL can neither store it nor compare a column with
it, so before these checks each of these requests was a 500 there (found by the
stateful API fuzz, T-15). The pages are safe already: Django's form fields refuse
NUL."""

import pytest
from django.utils import timezone

from empact.reporting import services
from empact.reporting.tests.api.conftest import call
from empact.reporting.tests.api.test_amendments import locked  # noqa: F401
from empact.reporting.tests.api.test_contributions import _jad

NUL = "\x00"
# A name the API looks for: refused by the schema (422), naming the field.
LOOKUPS = {
    "get_plan": ("get", "/api/plans/oap%00test", None, "path.slug"),
    "list_periods": ("get", "/api/plans/oap%00test/periods", None, "path.slug"),
    "list_jads": ("get", "/api/plans/oap%00test/jads", None, "path.slug"),
    "list_contributions plan": (
        "get",
        "/api/contributions?plan=a%00",
        None,
        "query.plan",
    ),
    "list_contributions oa": ("get", "/api/contributions?oa=1%00", None, "query.oa"),
    "list_amendments plan": ("get", "/api/amendments?plan=a%00", None, "query.plan"),
    "start_contribution plan": (
        "post",
        "/api/contributions",
        {"plan": f"oap{NUL}test", "oa": "1.1", "period": "2024-H1"},
        "body.plan",
    ),
    "start_contribution oa": (
        "post",
        "/api/contributions",
        {"plan": "oap-test", "oa": f"1.1{NUL}", "period": "2024-H1"},
        "body.oa",
    ),
}


@pytest.mark.parametrize("name", LOOKUPS)
def test_a_name_with_nul_is_refused_by_the_schema(world, name):
    method, path, data, field = LOOKUPS[name]

    response = call(method, path, token=world["tokens"]["IT"], data=data)

    assert response.status_code == 422, response.content
    assert response.json()["problems"][0].startswith(f"{field}: String should match")


def test_a_return_reason_with_nul_is_refused_and_nothing_changes(world):
    fr, people = world["FR"], world["people"]
    fr = services.take_step(
        fr, "submit", version=fr.version, actor=people["FR"], today=_today()
    )

    response = call(
        "post",
        f"/api/contributions/{fr.pk}/return",
        token=world["tokens"]["leader"],
        data={"version": fr.version, "reason": f"see{NUL}the file"},
    )

    assert response.status_code == 400, response.content
    assert response.json()["message"] == (
        "FR · OA 1.1 · 2024-H1 cannot be returned: the reason holds a NUL "
        "character (\\x00), which cannot be stored; remove it"
    )
    fr.refresh_from_db()
    assert fr.state == "submitted"


def test_an_amendment_with_nul_is_refused_whether_in_its_reason_or_narrative(
    world,
    locked,  # noqa: F811
):
    path = f"/api/contributions/{locked.pk}/amendments"
    token = world["tokens"]["IT"]

    in_reason = call(
        "post", path, token=token, data={"reason": f"a{NUL}", "narrative": "Fixed."}
    )
    in_narrative = call(
        "post", path, token=token, data={"reason": "typo", "narrative": f"a{NUL}"}
    )

    assert (in_reason.status_code, in_narrative.status_code) == (400, 400)
    assert "the reason holds a NUL character" in in_reason.json()["message"]
    assert in_narrative.json()["problems"] == [
        "the narrative holds a NUL character (\\x00), which cannot be stored; remove it"
    ]
    assert not locked.amendments.exists()


def test_a_decision_reason_with_nul_is_refused_and_the_amendment_stays_pending(
    world,
    locked,  # noqa: F811
):
    asked = call(
        "post",
        f"/api/contributions/{locked.pk}/amendments",
        token=world["tokens"]["IT"],
        data={"reason": "typo", "narrative": "Fixed."},
    )

    response = call(
        "post",
        f"/api/amendments/{asked.json()['id']}/decide",
        token=world["tokens"]["driver"],
        data={"decision": "reject", "reason": f"no{NUL}"},
    )

    assert response.status_code == 400, response.content
    assert "the reason holds a NUL character" in response.json()["message"]
    assert locked.amendments.get().state == "pending"


def test_a_seizure_kind_with_nul_is_refused(world):
    jad = _jad(world)

    response = call(
        "post",
        f"/api/jads/{jad.pk}/results",
        token=world["tokens"]["IT"],
        data={"measure": "seizures", "seizure_kind": f"cash{NUL}", "value": 3},
    )

    assert response.status_code == 400, response.content
    assert response.json()["problems"] == [
        "seizures: the kind holds a NUL character (\\x00), which cannot be "
        "stored; remove it"
    ]
    assert not jad.results.exists()


def _today():
    return timezone.localdate()
