"""Tightening a dataset's handling code: by the service, the page and the command;
never looser; refused without permission or reason; audited; every hit follows."""

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from empact.accounts.tests.helpers import sign_in
from empact.analysis import crossmatching, selectors, services, store
from empact.analysis.handling import tighten_handling
from empact.analysis.models import Dataset, Hit
from empact.analysis.tests.conftest import person
from empact.audit.models import AuditEntry
from empact.errors import UserError
from empact.reports.crossmatch import crossmatch_report, produce_crossmatch_report

PHONE = "+49 151 12345678"
TODAY = date(2026, 3, 1)


@pytest.fixture
def held(jsonl, ingest, people):
    """DE (H0), NL (H1) and EUROPOL (H0) share a phone number: three hits."""
    found = {}
    for code, handling in (("DE", "H0"), ("NL", "H1"), ("EUROPOL", "H0")):
        path = jsonl(f"{code}.jsonl", [person(f"{code}-1", f"P {code}", phone=PHONE)])
        found[code] = ingest(path, code, handling=handling)
    crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)
    assert Hit.objects.count() == 3
    return found


def codes_of_hits() -> dict[frozenset, str]:
    return {
        frozenset(
            {h.left_dataset.contributor.code, h.right_dataset.contributor.code}
        ): (h.handling)
        for h in Hit.objects.select_related(
            "left_dataset__contributor", "right_dataset__contributor"
        )
    }


def test_tightening_recodes_every_hit_of_the_dataset_in_the_same_step(held, people):
    done = tighten_handling(
        held["DE"], "H2", actor=people["analyst"], reason="DE's message 2026/114"
    )

    assert (done.previous, done.code, done.hits) == ("H0", "H2", 2)
    assert Dataset.objects.get(pk=held["DE"].pk).handling == "H2"
    assert codes_of_hits() == {
        frozenset({"DE", "NL"}): "H2",
        frozenset({"DE", "EUROPOL"}): "H2",
        frozenset({"NL", "EUROPOL"}): "H1",  # DE is no source of it
    }
    entry = AuditEntry.objects.get(action="analysis.handling_tightened")
    assert entry.operation == "alteration"
    assert entry.outcome == "allowed"
    assert entry.justification == "DE's message 2026/114"
    assert entry.extra == {"from": "H0", "to": "H2", "hits": 2}
    assert entry.object_id == str(held["DE"].pk)


def test_the_other_side_loses_content_the_new_code_withholds(held, people):
    nl = people["nl_officer"]
    before = {h.ask.code: h for h in selectors.own_hits(nl, nl.organisation)}
    assert before["DE"].content is not None  # H0: shown to the other side

    tighten_handling(held["DE"], "H2", actor=people["analyst"], reason="asked")

    after = {h.ask.code: h for h in selectors.own_hits(nl, nl.organisation)}
    assert after["DE"].content is None
    assert after["DE"].withheld_because == "H2: ask DE to release it"
    assert after["DE"].handling == "H2"
    report = crossmatch_report(nl, nl.organisation)
    assert report.handling == "H2"


def test_the_exported_report_carries_the_derived_code(held, people):
    tighten_handling(held["DE"], "H3", actor=people["analyst"], reason="asked")
    nl = people["nl_officer"]

    export = produce_crossmatch_report(
        nl, nl.organisation, fmt="xlsx", marking="limite"
    )

    rows = list(load_workbook(io.BytesIO(export.data))["Hits"].values)
    assert rows[0][0] == "LIMITE — Cross-match report of NL, handling code H3"
    column = rows[1].index("Handling")
    by_other = {row[rows[1].index("Ask")]: row[column] for row in rows[2:]}
    assert by_other == {"DE": "H3", "EUROPOL": "H1"}
    entry = AuditEntry.objects.get(action="report.crossmatch_exported")
    assert entry.extra["handling"] == "H3"


def test_loosening_is_refused_naming_the_dataset_and_both_codes(held, people):
    nl = held["NL"]

    with pytest.raises(UserError) as refused:
        tighten_handling(nl, "H0", actor=people["analyst"], reason="asked")

    message = str(refused.value)
    assert nl.name in message
    assert "H1" in message and "H0" in message
    assert "may only be tightened" in message
    assert Dataset.objects.get(pk=nl.pk).handling == "H1"
    assert not AuditEntry.objects.filter(action="analysis.handling_tightened")


def test_the_same_code_again_changes_nothing(held, people):
    done = tighten_handling(held["NL"], "H1", actor=people["analyst"], reason="asked")

    assert not done.changed
    assert done.hits == 0
    assert not AuditEntry.objects.filter(action="analysis.handling_tightened")


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_needed(held, people, reason):
    with pytest.raises(UserError, match="needs a reason"):
        tighten_handling(held["DE"], "H3", actor=people["analyst"], reason=reason)
    assert Dataset.objects.get(pk=held["DE"].pk).handling == "H0"


def test_an_unknown_code_is_refused(held, people):
    with pytest.raises(UserError, match="choose one of H0, H1, H2, H3"):
        tighten_handling(held["DE"], "H9", actor=people["analyst"], reason="asked")


def test_an_erased_dataset_is_not_tightened(held, people):
    services.erase_dataset(held["DE"], actor=people["dpo"], why="test")

    with pytest.raises(UserError, match="was erased"):
        tighten_handling(held["DE"], "H3", actor=people["analyst"], reason="asked")


@pytest.mark.parametrize("who", ["de_officer", "dpo", "de_norole"])
def test_without_the_permission_it_is_refused_and_the_refusal_audited(
    held, people, who
):
    with pytest.raises(PermissionDenied):
        tighten_handling(held["DE"], "H3", actor=people[who], reason="mine")

    assert Dataset.objects.get(pk=held["DE"].pk).handling == "H0"
    assert set(codes_of_hits().values()) == {"H1", "H0"}
    denial = AuditEntry.objects.get(action="permission.denied")
    assert denial.outcome == "denied"
    assert denial.extra == {"permission": "analysis.handling"}
    assert denial.object_id == str(held["DE"].pk)


def test_a_tightening_committed_while_the_engine_ran_is_not_lost(
    jsonl, ingest, people, monkeypatch
):
    """A run reads the datasets, then the engine works for a while; a tightening
    that commits meanwhile must reach the hits the run then saves."""
    de = ingest(jsonl("de.jsonl", [person("de-1", "A", phone=PHONE)]), "DE")
    ingest(jsonl("nl.jsonl", [person("nl-1", "B", phone=PHONE)]), "NL")
    engine_ran = []
    connect = store.connect

    def connect_then_tighten(names, **options):
        engine_ran.append(names)
        Dataset.objects.filter(pk=de.pk).update(handling="H3")  # committed meanwhile
        return connect(names, **options)

    monkeypatch.setattr(store, "connect", connect_then_tighten)
    crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)

    assert engine_ran
    assert Hit.objects.get().handling == "H3"


# The page and the command


def test_an_analyst_tightens_from_the_datasets_page(client, held, people):
    analyst = sign_in(client, people["analyst"])
    page = analyst.get(reverse("analysis:datasets"))
    url = reverse("analysis:tighten_handling", args=[held["DE"].pk])
    assert url in page.content.decode()

    response = analyst.post(url, {"code": "H3", "reason": "DE asked"}, follow=True)

    assert response.status_code == 200
    assert (
        f"{held['DE'].name} is now H3 (was H0); 2 hit(s)" in response.content.decode()
    )
    assert Dataset.objects.get(pk=held["DE"].pk).handling == "H3"
    entry = AuditEntry.objects.get(action="analysis.handling_tightened")
    assert entry.actor == "analyst"


def test_the_page_refuses_loosening_with_the_reason(client, held, people):
    analyst = sign_in(client, people["analyst"])
    url = reverse("analysis:tighten_handling", args=[held["NL"].pk])

    response = analyst.post(url, {"code": "H0", "reason": "please"})

    assert response.status_code == 400
    assert "may only be tightened; H0 would loosen it" in response.content.decode()
    assert Dataset.objects.get(pk=held["NL"].pk).handling == "H1"


def test_the_page_refuses_a_form_without_reason_and_other_roles(client, held, people):
    url = reverse("analysis:tighten_handling", args=[held["DE"].pk])
    analyst = sign_in(client, people["analyst"])
    assert analyst.post(url, {"code": "H3"}).status_code == 400
    assert analyst.get(url).status_code == 405  # POST only

    officer = sign_in(client, people["de_officer"])
    assert officer.post(url, {"code": "H3", "reason": "x"}).status_code == 403
    assert Dataset.objects.get(pk=held["DE"].pk).handling == "H0"


def empact(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_tightens_and_says_what_changed(held, people):
    name = held["DE"].name
    args = ["analysis", "handling", name, "--reason", "DE's message 2026/114"]

    said = empact(*args, "--to", "H2", "--as", "analyst")

    assert said.strip() == f"{name}: handling code H0 -> H2; 2 hit(s) took the " + (
        "stricter code"
    )
    assert codes_of_hits()[frozenset({"DE", "NL"})] == "H2"
    assert empact(*args, "--to", "H2", "--as", "analyst").strip() == (
        f"{name}: already H2, unchanged"
    )


def test_the_command_refuses_in_one_line(held, people):
    name = held["NL"].name
    args = ["analysis", "handling", name, "--reason", "r"]

    with pytest.raises(CommandError, match=f"{name}: its handling code is H1"):
        empact(*args, "--to", "H0", "--as", "analyst")
    with pytest.raises(CommandError, match="de_officer may not do this"):
        empact(*args, "--to", "H3", "--as", "de_officer")
    with pytest.raises(CommandError, match="nl-nothing: there is no dataset"):
        empact("analysis", "handling", "nl-nothing", "--to", "H3", "--reason", "r",
               "--as", "analyst")  # fmt: skip
    assert Dataset.objects.get(pk=held["NL"].pk).handling == "H1"
