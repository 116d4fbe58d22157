"""A tightening and a cross-match run at the same moment, on PostgreSQL: whichever
holds the dataset first, neither deadlocks and the hits end with the new code.

Each side is stopped, holding its locks, until the other is waiting for them:
the run just before it saves its hits (it holds the datasets), the tightening
just before it recodes the hits (it holds the dataset)."""

import threading
from datetime import date

import pytest
from django.db import connection

from empact.accounts.models import User
from empact.analysis import crossmatching, handling
from empact.analysis.models import Dataset, Hit
from empact.analysis.tests.conftest import person

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs real row locks: run with DATABASE_URL=postgres://...",
    ),
]
TODAY = date(2026, 3, 1)
PHONE = "+49 151 12345678"
WAIT = 20  # seconds; a deadlock is reported by PostgreSQL after 1 s


@pytest.fixture
def two(jsonl, ingest):
    de = ingest(jsonl("de.jsonl", [person("de-1", "A", phone=PHONE)]), "DE")
    ingest(jsonl("nl.jsonl", [person("nl-1", "B", phone=PHONE)]), "NL", "H1")
    return de


def in_thread(call, results, key):
    def run():
        try:
            results[key] = call()
        except Exception as error:  # the outcome is what the test inspects
            results[key] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def pause(module, name, monkeypatch, reached, go):
    """`module.name` stops at its start, in the caller's transaction, until `go`."""
    original = getattr(module, name)

    def paused(*args, **kwargs):
        reached.set()
        assert go.wait(WAIT)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, paused)


def blocked(thread) -> bool:
    thread.join(0.5)
    return thread.is_alive()


def test_a_tightening_waits_for_a_run_holding_the_dataset(two, people, monkeypatch):
    analyst = people["analyst"]
    crossmatching.run_crossmatch(
        actor=analyst, today=TODAY
    )  # hits for the run to replace
    reached, go, results = threading.Event(), threading.Event(), {}
    pause(crossmatching, "_save_hits", monkeypatch, reached, go)
    run = in_thread(
        lambda: crossmatching.run_crossmatch(actor=_fresh(analyst), today=TODAY),
        results,
        "run",
    )
    assert reached.wait(WAIT)
    tighten = in_thread(
        lambda: handling.tighten_handling(
            Dataset.objects.get(pk=two.pk), "H3", actor=_fresh(analyst), reason="r"
        ),
        results,
        "tighten",
    )
    waited = blocked(tighten)
    go.set()
    run.join(WAIT)
    tighten.join(WAIT)

    assert waited
    assert not isinstance(results["run"], Exception), results["run"]
    assert not isinstance(results["tighten"], Exception), results["tighten"]
    assert results["tighten"].hits == 1  # the run's new hit, recoded
    assert Hit.objects.get().handling == "H3"


def test_a_run_waits_for_a_tightening_holding_the_dataset(two, people, monkeypatch):
    analyst = people["analyst"]
    crossmatching.run_crossmatch(actor=analyst, today=TODAY)
    reached, go, results = threading.Event(), threading.Event(), {}
    pause(handling, "_recode_hits", monkeypatch, reached, go)
    tighten = in_thread(
        lambda: handling.tighten_handling(
            Dataset.objects.get(pk=two.pk), "H3", actor=_fresh(analyst), reason="r"
        ),
        results,
        "tighten",
    )
    assert reached.wait(WAIT)
    run = in_thread(
        lambda: crossmatching.run_crossmatch(actor=_fresh(analyst), today=TODAY),
        results,
        "run",
    )
    waited = blocked(run)
    go.set()
    tighten.join(WAIT)
    run.join(WAIT)

    assert waited
    assert not isinstance(results["run"], Exception), results["run"]
    assert not isinstance(results["tighten"], Exception), results["tighten"]
    assert Hit.objects.get().handling == "H3"  # coded from the committed code


def _fresh(user):
    return User.objects.get(pk=user.pk)  # no cached roles shared between threads
