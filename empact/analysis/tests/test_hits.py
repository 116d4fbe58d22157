"""Hit/no-hit: what each side learns of a cross-match, and nothing more."""

from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from empact.analysis import crossmatching, selectors, services
from empact.analysis.models import Hit, Release
from empact.analysis.tests.conftest import person
from empact.audit.models import AuditEntry
from empact.errors import UserError

TODAY = date(2026, 3, 1)


@pytest.fixture
def matched(jsonl, ingest, people):
    de = ingest(
        jsonl(
            "de.jsonl",
            [
                person("de-1", "Ivan Petrov", phone="+49 151 12345678"),
                person("de-2", "Anna Berg", phone="+49 151 99999999"),
            ],
        ),
        "DE",
    )
    nl = ingest(
        jsonl(
            "nl.jsonl",
            [
                person("nl-1", "I. Petrov", phone="+4915112345678"),
                person("nl-2", "Secret Name", phone="+31 6 12345678"),
            ],
        ),
        "NL",
        handling="H2",
    )
    run = crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)
    return de, nl, run


def test_a_shared_phone_between_two_contributors_is_one_hit(matched):
    de, nl, run = matched

    hit = Hit.objects.get()
    assert run.pairs == 1
    assert {hit.left_entity, hit.right_entity} == {"de-1", "nl-1"}
    assert hit.reason == "phone:+4915112345678"
    assert {hit.left_dataset, hit.right_dataset} == {de, nl}
    assert hit.handling == "H2"  # the stricter of H0 and H2


def test_the_contributor_learns_whom_to_ask_but_not_h2_content(matched, people):
    hits = selectors.own_hits(people["de_officer"], people["de_officer"].organisation)

    assert len(hits) == 1
    assert hits[0].ask.code == "NL"
    assert hits[0].own_entity == "de-1"
    assert hits[0].content is None
    assert "ask NL to release it" in hits[0].withheld_because


def test_h0_content_is_shown_to_the_other_side(matched, people):
    hits = selectors.own_hits(people["nl_officer"], people["nl_officer"].organisation)

    assert hits[0].ask.code == "DE"
    assert ("Person", "name", "Ivan Petrov") in hits[0].content


def test_a_no_hit_shows_nothing_of_others_data(matched, people):
    _de, nl, _run = matched
    hits = selectors.own_hits(people["de_officer"], people["de_officer"].organisation)
    shown = repr(hits)

    assert "Secret Name" not in shown
    assert "nl-2" not in shown
    assert nl.name not in shown  # not even which dataset of theirs


def test_content_is_shown_after_the_provider_releases_it(matched, people):
    de_officer, nl_officer = people["de_officer"], people["nl_officer"]
    hit = Hit.objects.get()
    release = services.request_release(hit, actor=de_officer, why="case 2024-17")

    services.decide_release(release, actor=nl_officer, grant=True)
    hits = selectors.own_hits(de_officer, de_officer.organisation)

    assert ("Person", "name", "I. Petrov") in hits[0].content
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "analysis.release_requested" in actions
    assert "analysis.release_decided" in actions


def test_a_refusal_needs_a_reason_and_is_told_to_the_requester(matched, people):
    de_officer, nl_officer = people["de_officer"], people["nl_officer"]
    release = services.request_release(
        Hit.objects.get(), actor=de_officer, why="case 2024-17"
    )

    with pytest.raises(UserError, match="needs a reason"):
        services.decide_release(release, actor=nl_officer, grant=False)
    services.decide_release(
        release, actor=nl_officer, grant=False, reason="ongoing covert operation"
    )
    hits = selectors.own_hits(de_officer, de_officer.organisation)

    assert hits[0].content is None
    assert "refused by NL: ongoing covert operation" in hits[0].withheld_because


def test_only_the_provider_decides_a_release(matched, people):
    release = services.request_release(
        Hit.objects.get(), actor=people["de_officer"], why="case 2024-17"
    )

    with pytest.raises(Http404):
        services.decide_release(release, actor=people["de_officer"], grant=True)
    assert Release.objects.get().state == Release.State.REQUESTED


def test_others_hits_are_refused_and_the_refusal_logged(matched, people):
    with pytest.raises(PermissionDenied):
        selectors.own_hits(people["de_officer"], people["nl_officer"].organisation)
    with pytest.raises(PermissionDenied):
        selectors.own_hits(people["de_norole"], people["de_norole"].organisation)

    assert AuditEntry.objects.filter(action="permission.denied").count() == 2


def test_viewing_hits_is_audited_as_a_consultation(matched, people):
    selectors.own_hits(people["nl_officer"], people["nl_officer"].organisation)

    entry = AuditEntry.objects.get(action="analysis.hits_viewed")
    assert entry.operation == "consultation"
    assert entry.extra == {"hits": 1, "contents_shown": 1}


def test_a_strategic_partner_is_neither_matched_nor_told(jsonl, ingest, people):
    ingest(jsonl("de.jsonl", [person("de-1", "A", phone="+49 151 1234567")]), "DE")
    ingest(jsonl("xk.jsonl", [person("xk-1", "B", phone="+49 151 1234567")]), "XK")

    run = crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)

    assert run.datasets == 1
    assert Hit.objects.count() == 0


def test_data_past_its_review_date_is_not_compared(jsonl, ingest, people):
    ingest(
        jsonl("de.jsonl", [person("de-1", "A", phone="+49 151 1234567")]),
        "DE",
        collected_on=date(2020, 1, 1),
    )
    ingest(jsonl("nl.jsonl", [person("nl-1", "B", phone="+49 151 1234567")]), "NL")

    run = crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)

    assert run.pairs == 0


def test_entities_of_one_contributor_never_hit_each_other(jsonl, ingest, people):
    ingest(jsonl("a.jsonl", [person("de-1", "A", phone="+49 151 1234567")]), "DE")
    ingest(jsonl("b.jsonl", [person("de-9", "B", phone="+49 151 1234567")]), "DE")

    run = crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)

    assert run.pairs == 0


def test_only_analysts_run_a_crossmatch(people):
    with pytest.raises(PermissionDenied):
        crossmatching.run_crossmatch(actor=people["de_officer"], today=TODAY)


def test_ids_as_given_may_repeat_across_datasets(jsonl, ingest, people):
    """FtM ids are kept as given, and "p1" is in many exports: DE's two datasets
    and NL's each have a p1; NL's p1 shares one phone with each of DE's."""
    de_a = ingest(jsonl("a.jsonl", [person("p1", "A", phone="+49 151 1111111")]), "DE")
    de_b = ingest(jsonl("b.jsonl", [person("p1", "B", phone="+49 151 2222222")]), "DE")
    phones = {"phone": ["+49 151 1111111", "+49 151 2222222"]}
    nl_p1 = {"id": "p1", "schema": "Person", "properties": {"name": ["C"], **phones}}
    nl = ingest(jsonl("nl.jsonl", [nl_p1]), "NL")

    run = crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)

    sides = {
        frozenset(
            {(h.left_dataset_id, h.left_entity), (h.right_dataset_id, h.right_entity)}
        ): h.reason
        for h in Hit.objects.filter(run=run)
    }
    assert sides == {
        frozenset({(de_a.pk, "p1"), (nl.pk, "p1")}): "phone:+491511111111",
        frozenset({(de_b.pk, "p1"), (nl.pk, "p1")}): "phone:+491512222222",
    }


def test_a_run_is_held_to_its_memory_budget_and_spills_only_into_the_store(
    jsonl, ingest, people, settings, monkeypatch
):
    from empact.analysis import store

    settings.EMPACT_ANALYSIS_MEMORY_MB = 512
    ingest(jsonl("de.jsonl", [person("de-1", "A", phone="+49 151 1234567")]), "DE")
    ingest(jsonl("nl.jsonl", [person("nl-1", "B", phone="+49 151 1234567")]), "NL")
    seen = []
    connect = store.connect

    def connect_and_look(names, **options):
        con = connect(names, **options)
        seen.append(
            con.execute(
                "SELECT current_setting('memory_limit'), "
                "current_setting('temp_directory')"
            ).fetchone()
        )
        return con

    monkeypatch.setattr(store, "connect", connect_and_look)
    run = crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)

    assert run.pairs == 1
    [(limit, spill)] = seen
    assert limit == "488.2 MiB"  # 512 MB, as DuckDB writes it
    assert Path(spill).parent == store.root()
    assert not Path(spill).exists()  # removed when the run ended
