"""Hit/no-hit through the API, with bearer tokens as national systems call it."""

import json
from datetime import date

import pytest
from django.test import Client

from empact.accounts.tokens import create_token
from empact.analysis import crossmatching
from empact.analysis.models import Hit, Release
from empact.analysis.tests.conftest import person


def token_for(user) -> str:
    return create_token(
        user, organisation=user.organisation, name="system", days=30, by="test"
    )[1]


def call(method, path, token, data=None):
    headers = {"Authorization": f"Bearer {token}"}
    if method == "get":
        return Client().get(path, headers=headers)
    return Client().post(
        path, json.dumps(data or {}), content_type="application/json", headers=headers
    )


@pytest.fixture
def hit(jsonl, ingest, people):
    ingest(jsonl("de.jsonl", [person("de-1", "Ivan", phone="+49 151 12345678")]), "DE")
    ingest(
        jsonl("nl.jsonl", [person("nl-1", "Iwan", phone="+4915112345678")]),
        "NL",
        handling="H3",
    )
    crossmatching.run_crossmatch(actor=people["analyst"], today=date(2026, 3, 1))
    return Hit.objects.get()


def test_a_hit_shows_whom_to_ask_and_withholds_h3_content(hit, people):
    body = call("get", "/api/analysis/hits", token_for(people["de_officer"])).json()

    assert body["count"] == 1
    item = body["items"][0]
    assert (item["ask"], item["own_entity"], item["content"]) == ("NL", "de-1", None)
    assert item["reason"] == "phone:+4915112345678"
    assert "Iwan" not in json.dumps(body)


def test_a_no_hit_has_the_same_shape_and_tells_nothing(hit, people, orgs):
    xk_token = token_for(people["xk_officer"])

    body = call("get", "/api/analysis/hits", xk_token).json()

    assert body == {"items": [], "count": 0, "limit": 50, "offset": 0}


def test_release_through_the_api_then_content_is_shown(hit, people):
    de, nl = token_for(people["de_officer"]), token_for(people["nl_officer"])

    asked = call("post", f"/api/analysis/hits/{hit.pk}/release", de, {"why": "c-17"})
    listed = call("get", "/api/analysis/releases", nl).json()
    release_id = listed["items"][0]["id"]
    decided = call(
        "post", f"/api/analysis/releases/{release_id}/decision", nl, {"grant": True}
    )
    after = call("get", "/api/analysis/hits", de).json()

    assert asked.status_code == 200
    assert asked.json()["state"] == "requested"
    assert decided.json()["state"] == "released"
    values = {c["value"] for c in after["items"][0]["content"]}
    assert "Iwan" in values


def test_another_organisations_hit_and_request_are_404(hit, people):
    xk = token_for(people["xk_officer"])
    de = token_for(people["de_officer"])
    call("post", f"/api/analysis/hits/{hit.pk}/release", de, {"why": "c"})
    release = Release.objects.get()

    asked = call("post", f"/api/analysis/hits/{hit.pk}/release", xk, {"why": "c"})
    decided = call(
        "post", f"/api/analysis/releases/{release.pk}/decision", de, {"grant": True}
    )

    assert (asked.status_code, decided.status_code) == (404, 404)
    assert asked.json() == decided.json() == {"detail": "Not Found"}
    assert Release.objects.get().state == "requested"
