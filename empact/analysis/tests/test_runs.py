"""Queued cross-match runs and the worker that executes them (analysis/runs.py):
queue, claim, execute, fail, take back from a worker that stopped."""

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from empact.accounts.models import RoleAssignment
from empact.accounts.tests.helpers import sign_in
from empact.analysis import crossmatching, runs, services, store
from empact.analysis.models import Dataset, Hit, PersonModel, Run
from empact.analysis.tests.conftest import person
from empact.audit.models import AuditEntry
from empact.engine.linkage import LinkageConfig
from empact.engine.synthetic import generate
from empact.errors import UserError

TODAY = date.today()


@pytest.fixture
def two_contributors(jsonl, ingest):
    """DE and NL share a phone number: one hit."""
    for code in ("DE", "NL"):
        path = jsonl(f"{code}.jsonl", [person(f"{code}-1", "Ivan Petrov", phone=PHONE)])
        ingest(path, code, collected_on=TODAY)


PHONE = "+49 151 12345678"


def execute_queue() -> int:
    return runs.work(stop=threading.Event(), poll=0.01, once=True)


def test_a_queued_run_waits_for_a_worker_then_is_done_with_its_hits(
    two_contributors, people
):
    run = runs.queue_crossmatch(actor=people["analyst"], persons=False)

    assert (run.status, run.kind, run.queued_by) == (
        "queued",
        "deterministic",
        "analyst",
    )
    assert Hit.objects.count() == 0
    assert execute_queue() == 1
    run.refresh_from_db()
    assert (run.status, run.datasets, run.pairs, run.attempts) == ("done", 2, 1, 1)
    assert run.threshold is None  # no person matching in this kind of run
    assert run.claimed_at <= run.finished_at
    assert Hit.objects.get().run == run
    audited = AuditEntry.objects.filter(object_type="analysis.run").values_list(
        "action", "object_id", "actor"
    )
    assert sorted(audited) == [
        ("analysis.crossmatch_queued", str(run.pk), "analyst"),
        ("analysis.crossmatch_run", str(run.pk), "analyst"),
    ]


def test_too_few_persons_to_learn_from_give_identifier_hits_only(
    two_contributors, people, client
):
    run = runs.queue_crossmatch(actor=people["analyst"], persons=True)
    assert execute_queue() == 1
    run.refresh_from_db()
    assert (run.status, run.kind, run.pairs, run.threshold) == ("done", "full", 1, None)
    assert run.note == (
        "no person matching: the datasets hold 2 persons, fewer than the 100 it "
        "needs to learn from; shared identifiers only"
    )
    page = sign_in(client, people["analyst"]).get(reverse("analysis:runs"))
    assert page.status_code == 200
    assert run.note in page.content.decode()


def test_a_full_run_matches_persons_across_contributors(tmp_path, ingest, people):
    """Generated persons of three contributors, imported and queued as a full
    run: probable person matches come out beside the shared identifiers, and the
    run records the threshold they were cut at."""
    generate(150, 3, seed=5, out_dir=tmp_path / "gen")
    for folder, code in (("C01", "DE"), ("C02", "NL"), ("C03", "DE")):
        ingest(tmp_path / "gen" / folder / "entities.ftm.json", code)
    run = runs.queue_crossmatch(actor=people["analyst"], persons=True)
    assert execute_queue() == 1
    run.refresh_from_db()
    assert (run.status, run.threshold) == ("done", LinkageConfig().threshold)
    assert run.note == ""
    # A hit's reasons come highest score first, and a shared identifier scores 1:
    # hits whose first reason is a person match scored what the linkage gave.
    person_matches = Hit.objects.filter(reason__startswith="name: ")
    assert person_matches.exists()
    assert all(run.threshold <= h.score <= 1 for h in person_matches)
    assert any(h.score < 1 for h in person_matches)
    # Only across contributors: C01 and C03 are both DE's
    assert not Hit.objects.filter(
        left_dataset__contributor=F("right_dataset__contributor")
    ).exists()


def test_full_runs_store_their_person_model_and_score_with_it_while_it_fits(
    tmp_path, ingest, people, client
):
    generate(150, 4, seed=5, out_dir=tmp_path / "gen")
    for folder, code in (("C01", "DE"), ("C02", "NL"), ("C03", "DE")):
        ingest(tmp_path / "gen" / folder / "entities.ftm.json", code)

    def full_run(**options):
        run = crossmatching.run_crossmatch(
            actor=people["analyst"], today=TODAY, persons=True, **options
        )
        scores = set(Hit.objects.values_list("left_entity", "right_entity", "score"))
        return run, scores

    first, first_scores = full_run()
    assert first.model_trained and first.model.persons > 100
    assert PersonModel.objects.count() == 1
    # the next run scores with the stored model: the same pairs, the same scores
    second, second_scores = full_run()
    assert (second.model_id, second.model_trained) == (first.model_id, False)
    assert second_scores == first_scores
    audit = AuditEntry.objects.filter(
        action="analysis.crossmatch_run", object_id=str(second.pk)
    ).get()
    assert (audit.extra["person_model"], audit.extra["model_trained"]) == (
        first.model_id,
        False,
    )
    # asked to, a run trains afresh (the same data: the same model learnt again)
    third, third_scores = full_run(retrain=True)
    assert third.model_trained and third.model_id != first.model_id
    assert third_scores == first_scores
    page = sign_in(client, people["analyst"]).get(reverse("analysis:runs"))
    assert f"scored by stored person model {first.model_id}" in page.content.decode()
    assert f"person model {third.model_id} trained on" in page.content.decode()
    # a third more persons than the model learnt from: a new one is trained
    ingest(tmp_path / "gen" / "C04" / "entities.ftm.json", "NL")
    fourth, _ = full_run()
    assert fourth.model_trained and fourth.model.persons > third.model.persons
    # erasing any dataset discards the models learnt from its data too
    dataset = Dataset.objects.filter(erased_at=None).first()
    services.erase_dataset(dataset, actor_name="dpo", why="test")
    assert PersonModel.objects.count() == 0
    fourth.refresh_from_db()
    assert fourth.model is None


def test_queueing_is_for_analysts_only(people):
    with pytest.raises(PermissionDenied):
        runs.queue_crossmatch(actor=people["de_officer"])

    assert Run.objects.count() == 0


def test_a_run_whose_dataset_file_is_missing_fails_and_keeps_the_hits(
    two_contributors, jsonl, ingest, people
):
    first = crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)
    before = list(Hit.objects.values_list("pk", "run", "left_entity", "right_entity"))
    lost = ingest(
        jsonl("nl2.jsonl", [person("NL-2", "I. P.", phone=PHONE)]),
        "NL",
        collected_on=TODAY,
    )
    store.dataset_file(lost.name).unlink()
    run = runs.queue_crossmatch(actor=people["analyst"])

    execute_queue()

    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error.startswith(f"the analysis store has no file for {lost.name}")
    assert "Traceback" not in run.error
    assert (run.finished_at, run.failed_at is not None) == (None, True)
    after = list(Hit.objects.values_list("pk", "run", "left_entity", "right_entity"))
    assert after == before and {h[1] for h in after} == {first.pk}


def test_an_error_while_saving_the_hits_saves_none_of_them(
    two_contributors, jsonl, ingest, people
):
    crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)
    before = list(Hit.objects.values_list("pk", "run"))
    ingest(
        jsonl("nl2.jsonl", [person("NL-2", "I. P.", phone=PHONE)]),
        "NL",
        collected_on=TODAY,
    )

    def disk_full(saved):
        raise OSError("No space left on device")

    with pytest.raises(UserError) as raised:
        crossmatching.run_crossmatch(
            actor=people["analyst"], today=TODAY, progress=disk_full
        )

    failed = Run.objects.get(status="failed")
    assert str(raised.value) == f"run {failed.pk} failed: {failed.error}"
    assert failed.error == (
        "an unexpected error stopped it (OSError); nothing was saved and the "
        "previous hits are kept. The worker's log has the details"
    )
    assert list(Hit.objects.values_list("pk", "run")) == before


def test_a_run_queued_by_someone_who_lost_the_analyst_role_fails(
    two_contributors, people
):
    run = runs.queue_crossmatch(actor=people["analyst"])
    RoleAssignment.objects.filter(user=people["analyst"]).delete()

    execute_queue()

    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error == "analyst, who queued it, may no longer run cross-matches"
    assert Hit.objects.count() == 0


def test_of_two_claims_of_one_queued_run_exactly_one_succeeds(db):
    queued = Run.objects.create(kind="deterministic", queued_by="analyst")
    seen_by_a = Run.objects.get(pk=queued.pk)
    seen_by_b = Run.objects.get(pk=queued.pk)  # both read it while it was queued
    now = timezone.now()

    claims = [runs._claim(seen_by_a, now=now), runs._claim(seen_by_b, now=now)]

    assert claims == [True, False]
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("running", 1)
    assert runs.claim_next_run(now=now) is None


def test_the_oldest_queued_run_is_claimed_first(db):
    first, second = (Run.objects.create(kind="full", queued_by="a") for _ in "12")

    claimed = [runs.claim_next_run(now=timezone.now()) for _ in "123"]

    assert claimed[:2] == [first, second] and claimed[2] is None


def test_claiming_picks_the_candidate_with_skip_locked_on_postgresql(db):
    Run.objects.create(kind="full", queued_by="a")

    with CaptureQueriesContext(connection) as queries:
        runs.claim_next_run(now=timezone.now())

    skip_locked = [q for q in queries if "FOR UPDATE SKIP LOCKED" in q["sql"]]
    assert len(skip_locked) == (1 if connection.vendor == "postgresql" else 0)


def test_a_run_left_running_by_a_stopped_worker_is_taken_back_and_run(
    two_contributors, people, settings
):
    settings.EMPACT_WORKER_STALE_MINUTES = 30
    runs.queue_crossmatch(actor=people["analyst"])
    claimed_at = timezone.now() - timedelta(minutes=31)
    stopped = runs.claim_next_run(now=claimed_at)  # its worker died meanwhile
    assert runs.claim_next_run(now=claimed_at + timedelta(minutes=29)) is None

    assert execute_queue() == 1

    run = Run.objects.get()
    assert (run.status, run.attempts, run.pairs) == ("done", 2, 1)
    assert run.claimed_at > claimed_at
    # The stopped worker, had it only been slow, finds the run no longer its own.
    assert crossmatching.execute_run(stopped, today=TODAY).attempts == 2
    assert Run.objects.get().finished_at == run.finished_at
    assert Hit.objects.get().run == run


def test_a_run_that_keeps_stopping_its_worker_fails_after_three_claims(db, settings):
    settings.EMPACT_WORKER_STALE_MINUTES = 30
    Run.objects.create(kind="full", queued_by="analyst")
    now = timezone.now()

    claims = [runs.claim_next_run(now=now + timedelta(hours=h)) for h in range(4)]

    assert [c.attempts for c in claims[:3]] == [1, 2, 3] and claims[3] is None
    run = Run.objects.get()
    assert run.status == "failed"
    assert run.error.startswith("claimed 3 times, and each time its worker stopped")


def test_the_worker_finishes_the_run_in_progress_when_told_to_stop(
    two_contributors, people
):
    first = runs.queue_crossmatch(actor=people["analyst"])
    second = runs.queue_crossmatch(actor=people["analyst"])
    stop = threading.Event()

    executed = runs.work(stop=stop, poll=0.01, report=lambda run: stop.set())

    first.refresh_from_db()
    second.refresh_from_db()
    assert (executed, first.status, second.status) == (1, "done", "queued")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_claim_the_same_run(figure):
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections: DATABASE_URL=postgres://...")
    workers, queued = 4, 60
    Run.objects.bulk_create(
        Run(kind="deterministic", queued_by="analyst") for _ in range(queued)
    )
    start = threading.Barrier(workers)
    claimed: list[list[int]] = [[] for _ in range(workers)]
    failures: list[str] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            while (run := runs.claim_next_run(now=timezone.now())) is not None:
                claimed[n].append(run.pk)
        except Exception as e:  # reported by the assert below
            failures.append(repr(e))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every = [pk for pks in claimed for pk in pks]
    twice = len(every) - len(set(every))
    figure(
        f"worker claims: {workers} workers x {queued} queued runs: {len(set(every))} "
        f"claimed, {twice} claimed twice, {len(failures)} errors, "
        f"per worker {[len(pks) for pks in claimed]}"
    )
    assert failures == []
    assert twice == 0
    assert sorted(every) == sorted(Run.objects.values_list("pk", flat=True))
    assert Run.objects.filter(status="running", attempts=1).count() == queued
