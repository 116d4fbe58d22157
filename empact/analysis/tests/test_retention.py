"""T-21: with an injected clock, data past its review date is never used in a new
run, and once erased leaves no reference in any derived store."""

from datetime import date, timedelta

from empact.analysis import crossmatching, selectors, services, store
from empact.analysis.models import Dataset, Hit, Release
from empact.analysis.tests.conftest import person
from empact.audit.models import AuditEntry

COLLECTED = date(2026, 1, 10)
CODES = ("DE", "NL")


def persons(code):
    return [person(f"{code}-{i}", f"P{i}", phone=f"+49 151 100{i}") for i in range(5)]


def test_review_flags_then_erasure_leaves_nothing_behind(jsonl, ingest, people, figure):
    datasets = [
        ingest(jsonl(f"{c}.jsonl", persons(c)), c, handling="H2") for c in CODES
    ]
    crossmatching.run_crossmatch(actor=people["analyst"], today=COLLECTED)
    services.request_release(Hit.objects.first(), actor=people["de_officer"], why="c")
    review = datasets[0].review_date

    flagged = selectors.retention_due(people["dpo"], today=review - timedelta(days=10))
    overdue_run = crossmatching.run_crossmatch(
        actor=people["analyst"], today=review + timedelta(days=1)
    )
    erased = services.erase_due(today=review + timedelta(days=1))
    names = {d.name for d in datasets}
    entity_ids = {f"{c}-{i}" for c in ("DE", "NL") for i in range(5)}
    residual = (
        Hit.objects.filter(left_dataset__name__in=names).count()
        + Hit.objects.filter(right_entity__in=entity_ids).count()
        + Release.objects.filter(entity__in=entity_ids).count()
        + sum(store.dataset_file(n).exists() for n in names)
        + len(list(store.root().glob("*.parquet")))
        + Dataset.objects.filter(name__in=names, erased_at=None).count()
    )
    figure(
        f"T-21 retention: {sum(d.entities for d in datasets)} records, "
        f"{overdue_run.datasets} overdue used in a new run, {len(erased)} datasets "
        f"erased, {residual} residual references in the DB, hits, releases and "
        "the Parquet store"
    )

    assert {d.name for d in flagged} == names
    assert overdue_run.datasets == 0
    assert residual == 0
    assert AuditEntry.objects.filter(action="analysis.dataset_erased").count() == 2
