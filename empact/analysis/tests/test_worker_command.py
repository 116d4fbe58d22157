"""`empact worker`: executes the queued cross-match runs; --once for tests and cron;
SIGTERM stops it between runs."""

import os
import signal
import threading
import time
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from empact.analysis import runs, store
from empact.analysis.models import Hit, Run
from empact.analysis.tests.conftest import person


def worker(*args) -> str:
    out = StringIO()
    call_command("worker", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def datasets(jsonl, ingest):
    found = []
    for code in ("DE", "NL"):
        entity = person(f"{code}-1", "Ivan Petrov", phone="+49 151 12345678")
        path = jsonl(f"{code}.jsonl", [entity])
        found.append(ingest(path, code, collected_on=date.today()))
    return found


def test_once_executes_what_is_queued_then_exits(datasets, people):
    queued = [runs.queue_crossmatch(actor=people["analyst"]) for _ in "12"]

    said = worker("--once")

    assert said.splitlines() == [
        f"run {queued[0].pk} (queued by analyst) done: 1 hits across 2 datasets",
        f"run {queued[1].pk} (queued by analyst) done: 1 hits across 2 datasets",
        "worker stopped: 2 run(s) executed",
    ]
    assert Hit.objects.get().run_id == queued[1].pk
    assert worker("--once") == "worker stopped: 0 run(s) executed\n"


def test_a_failed_run_is_one_line_and_the_hits_stay(datasets, people):
    runs.queue_crossmatch(actor=people["analyst"])
    worker("--once")
    store.dataset_file(datasets[0].name).unlink()
    failed = runs.queue_crossmatch(actor=people["analyst"], persons=True)

    said = worker("--once")

    assert said.splitlines() == [
        f"run {failed.pk} (queued by analyst) failed: the analysis store has no "
        f"file for {datasets[0].name}: nothing was matched, and the previous hits "
        "are kept. Restore the file from the backup, or erase the dataset",
        "worker stopped: 1 run(s) executed",
    ]
    assert Hit.objects.get().run_id == failed.pk - 1


def test_a_poll_interval_must_be_positive(db):
    with pytest.raises(CommandError, match="--poll 0.0: give a number of seconds"):
        worker("--poll", "0")


def test_sigterm_stops_a_waiting_worker_at_once(db):
    def not_for_the_test(signum, frame):
        raise AssertionError("SIGTERM reached the test: the worker did not take it")

    previous = signal.signal(signal.SIGTERM, not_for_the_test)
    sender = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    try:
        began = time.monotonic()
        sender.start()
        said = worker("--poll", "30")
        took = time.monotonic() - began
        restored = signal.getsignal(signal.SIGTERM)
    finally:
        sender.cancel()
        sender.join()
        signal.signal(signal.SIGTERM, previous)

    assert said.splitlines() == [
        "worker: waiting for queued cross-match runs",
        "worker stopped: 0 run(s) executed",
    ]
    assert took < 10  # not the 30 s poll interval
    assert restored is not_for_the_test
    assert Run.objects.count() == 0
