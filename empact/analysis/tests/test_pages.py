"""The analysis pages, driven as a person would: upload, run, look at hits, ask,
release, open with a reason, keep."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from empact.accounts.tests.helpers import sign_in
from empact.analysis import store
from empact.analysis.models import Dataset, Hit, Release, Run
from empact.analysis.tests.conftest import person
from empact.audit.models import AuditEntry


def upload(name, entities):
    body = "".join(json.dumps(e) + "\n" for e in entities).encode()
    return SimpleUploadedFile(name, body, content_type="application/x-ndjson")


def import_form(code, handling, file):
    return {
        "file": file,
        "contributor": code,
        "handling": handling,
        "purpose": "OA 1.1 case 2024-17",
        "collected_on": (date.today() - timedelta(days=10)).isoformat(),
        "source_code": "B",
        "info_code": "2",
        "role": "suspect",
    }


@pytest.fixture
def analyst(client, people):
    return sign_in(client, people["analyst"])


@pytest.fixture
def with_hit(analyst):
    for code, handling, entity in (
        ("DE", "H0", person("de-1", "Ivan Petrov", phone="+49 151 12345678")),
        ("NL", "H2", person("nl-1", "Iwan Petrow", phone="+4915112345678")),
    ):
        form = import_form(code, handling, upload(f"{code}.jsonl", [entity]))
        analyst.post(reverse("analysis:import_dataset"), form)
    analyst.post(reverse("analysis:start_run"))
    call_command("worker", "--once", stdout=StringIO())
    return Hit.objects.get()


def test_an_analyst_imports_a_file_and_sees_it_listed(analyst):
    file = upload("de.jsonl", [person("p1", "Ivan Petrov")])

    response = analyst.post(
        reverse("analysis:import_dataset"), import_form("DE", "H1", file), follow=True
    )

    assert "Imported" in response.text
    dataset = Dataset.objects.get()
    assert (dataset.origin, dataset.handling, dataset.role) == (
        "de.jsonl",
        "H1",
        "suspect",
    )
    assert "de.jsonl" in analyst.get(reverse("analysis:datasets")).text


def test_a_bad_upload_lists_its_problems_and_saves_nothing(analyst):
    file = SimpleUploadedFile("bad.jsonl", b'{"id": "p1", "schema": "Nope"}\n')

    response = analyst.post(
        reverse("analysis:import_dataset"), import_form("DE", "H1", file)
    )

    assert response.status_code == 400
    assert "nothing imported" in response.text
    assert "line 1" in response.text
    assert Dataset.objects.count() == 0


def test_a_run_lists_the_hit_for_the_analyst(analyst, with_hit):
    page = analyst.get(reverse("analysis:runs")).text

    assert "phone:+4915112345678" in page


def test_opening_an_entity_asks_for_a_reason_first(analyst, with_hit):
    url = reverse("analysis:open_entity")
    query = {"dataset": with_hit.right_dataset.name, "entity": with_hit.right_entity}

    asked = analyst.get(url, query)
    refused = analyst.post(url, query | {"why": ""})
    opened = analyst.post(url, query | {"why": "case 2024-17"})

    assert "needs a reason" in asked.text
    assert "Iwan Petrow" not in asked.text
    assert refused.status_code == 400
    assert "Iwan Petrow" in opened.text
    assert AuditEntry.objects.filter(action="analysis.entity_opened").count() == 1


def test_the_contributor_asks_and_the_provider_releases(client, people, with_hit):
    de = sign_in(client, people["de_officer"])
    page = de.get(reverse("analysis:hits")).text
    assert "ask NL to release it" in page
    assert "Iwan Petrow" not in page
    de.post(reverse("analysis:request_release", args=[with_hit.pk]), {"why": "c-17"})

    nl = sign_in(client, people["nl_officer"])
    release = Release.objects.get()
    assert "c-17" in nl.get(reverse("analysis:hits")).text
    nl.post(reverse("analysis:decide_release", args=[release.pk]), {"grant": "yes"})

    de = sign_in(client, people["de_officer"])
    assert "Iwan Petrow" in de.get(reverse("analysis:hits")).text


def test_refusing_without_a_reason_is_a_clear_error(client, people, with_hit):
    de = sign_in(client, people["de_officer"])
    de.post(reverse("analysis:request_release", args=[with_hit.pk]), {"why": "c-17"})
    nl = sign_in(client, people["nl_officer"])
    url = reverse("analysis:decide_release", args=[Release.objects.get().pk])

    response = nl.post(url, {"grant": "no", "reason": ""})

    assert response.status_code == 400
    assert "needs a reason" in response.text
    assert Release.objects.get().state == "requested"


def test_another_organisations_hit_does_not_exist_for_you(client, people, with_hit):
    xk = sign_in(client, people["xk_officer"])

    response = xk.post(
        reverse("analysis:request_release", args=[with_hit.pk]), {"why": "x"}
    )

    assert response.status_code == 404
    assert Release.objects.count() == 0


def test_the_dpo_keeps_a_dataset_due_for_review(client, people, analyst):
    form = import_form("DE", "H0", upload("old.jsonl", [person("p1", "A")]))
    form["collected_on"] = (date.today() - timedelta(days=3 * 365 - 5)).isoformat()
    analyst.post(reverse("analysis:import_dataset"), form)
    dataset = Dataset.objects.get()
    dpo = sign_in(client, people["dpo"])
    assert "old.jsonl" in dpo.get(reverse("analysis:retention")).text

    until = (date.today() + timedelta(days=365)).isoformat()
    dpo.post(
        reverse("analysis:keep_dataset", args=[dataset.pk]),
        {"until": until, "reason": "trial pending"},
    )

    dataset.refresh_from_db()
    assert dataset.review_date.isoformat() == until
    assert dataset.kept_reason == "trial pending"


def test_the_runs_page_shows_the_queue_and_why_a_run_failed(analyst, with_hit):
    url = reverse("analysis:runs")
    queued = analyst.post(reverse("analysis:start_run"), follow=True)
    run = Run.objects.first()
    assert f"Run {run.pk} is queued" in queued.text
    assert "Queued</span>" in queued.text
    store.dataset_file(with_hit.left_dataset.name).unlink()

    call_command("worker", "--once", stdout=StringIO())

    page = analyst.get(url).text
    assert page.count("Done</span>") == 1
    assert page.count("Failed</span>") == 1
    assert "the analysis store has no file for" in page
    assert page.count("<td>analyst</td>") == 2
    assert Hit.objects.get() == with_hit
