"""Cross-match runs: the engine on every dataset the rules allow, its pairs saved as
hits that replace the last run's, all or nothing, with their audit entry.

`run_crossmatch` runs at once in the caller (the command line, the demo);
`execute_run` executes a run queued for `empact worker` (analysis/runs.py).
"""

import gc
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from empact.accounts import permissions
from empact.accounts.models import User
from empact.analysis import rules, store
from empact.analysis.models import Dataset, Hit, PersonModel, Run
from empact.analysis.services import actor_name
from empact.audit.log import AuditWriteFailed, record
from empact.engine.crossmatch import crossmatch
from empact.engine.linkage import (
    MIN_PERSONS,
    LinkageConfig,
    TrainedModel,
    link_persons,
    model_fits,
    persons_from_statements,
    stored_linker,
    train,
)
from empact.engine.tables import most_restrictive
from empact.errors import UserError

HITS_BATCH = 5_000
HITS_LOCK_KEY = 0x68697473  # "hits": the advisory lock of replacing them
logger = logging.getLogger(__name__)


def run_crossmatch(
    *,
    actor,
    today: date,
    persons: bool = False,
    retrain: bool = False,
    request=None,
    progress=None,
) -> Run:
    """Cross-match every dataset the rules allow, at once, in the caller (the command
    line, the demo); the hits replace the last run's. A queued run does the same
    work in `empact worker` (analysis/runs.py).

    Shared identifiers always; with `persons`, also probable matches of persons
    (Splink), whose reason names the fields that agreed, scored by the stored
    person model while it fits, else (or with `retrain`) by one trained on the
    data and stored. Raises UserError when the
    run fails: the run is then marked failed, and the previous hits stay."""
    permissions.require(actor, "analysis.run", None, request=request)
    run = Run.objects.create(
        kind=Run.Kind.FULL if persons else Run.Kind.DETERMINISTIC,
        retrain=persons and retrain,
        status=Run.Status.RUNNING,
        queued_by=actor_name(actor),
        claimed_at=timezone.now(),
        attempts=1,
    )
    run = execute_run(run, today=today, actor=actor, request=request, progress=progress)
    if run.status == Run.Status.FAILED:
        raise UserError(f"run {run.pk} failed: {run.error}")
    return run


def execute_run(
    run: Run, *, today: date, actor=None, request=None, progress=None
) -> Run:
    """Execute a claimed run: match, then replace every hit with the run's own in one
    transaction. Returns the run as it ends: done; failed, with a message for people
    (the traceback goes to the log) and the previous hits in place; or still
    running, when a worker took it back meanwhile (analysis/runs.py) and this
    execution saved nothing.

    `actor` is by default the person who queued the run, who must still be allowed
    to run cross-matches. `progress`, if given, is called once per hit saved,
    inside the transaction: an error it raises fails the run like any other."""
    try:
        actor = actor or _queued_by(run)
        datasets = [
            d
            for d in Dataset.objects.filter(erased_at=None).select_related(
                "contributor"
            )
            if rules.comparable(d, today=today)
        ]
        _require_files(datasets)
        full = run.kind == Run.Kind.FULL
        stored = None if run.retrain or not full else PersonModel.objects.first()
        matched = _pairs([d.name for d in datasets], persons=full, stored=stored)
        _save_run(
            run,
            datasets,
            matched,
            actor=actor,
            request=request,
            progress=progress,
        )
    except RunTakenBack:
        logger.warning("run %s was taken back by another worker: not saved", run.pk)
    except UserError as error:
        logger.warning("cross-match run %s failed: %s", run.pk, error)
        _fail(run, str(error))
    except Exception as error:  # any other failure ends as a message on the run
        logger.exception("cross-match run %s failed", run.pk)
        _fail(run, _failure_message(error))
    except BaseException:
        _fail(run, "it was interrupted before it finished; the previous hits are kept")
        raise
    run.refresh_from_db()
    return run


class RunTakenBack(Exception):
    """Another worker claimed the run since this one did (analysis/runs.py)."""


@dataclass(frozen=True)
class Matched:
    """What the engine found: pairs (left entity, left dataset, right entity,
    right dataset, score, reason); the least match probability of the person
    matches among them (None: no person matching); what was left out, and why."""

    pairs: list
    threshold: float | None = None
    note: str = ""
    # the stored model that scored the person matches, or the one trained for them
    stored: PersonModel | None = None
    trained: TrainedModel | None = None


def _pairs(
    names: list[str], *, persons: bool, stored: PersonModel | None = None
) -> Matched:
    if not names:
        return Matched([], note="no dataset may be cross-matched")
    # Ids as given repeat across datasets ("p1"): the engine sees them qualified
    # by their dataset, and each pair's side is split back into the two.
    with store.spill_folder() as spill:
        con = store.connect(names, qualified_ids=True, spill=Path(spill))
        try:
            return _matched_pairs(con, persons=persons, stored=stored)
        finally:
            con.close()
            # Splink's linker holds the connection in reference cycles: until
            # they are collected the database keeps its threads, and a child
            # forked meanwhile (a PDF laid out, reports/render/isolated.py)
            # inherits a runtime it cannot use and crashes.
            gc.collect()


def _matched_pairs(con, *, persons: bool, stored: PersonModel | None) -> Matched:
    found = ["crossmatch_pairs"]
    crossmatch(con)
    threshold, note, used, trained = None, "", None, None
    count = _person_count(con) if persons else 0
    if count >= MIN_PERSONS:
        persons_from_statements(con)
        config = LinkageConfig()
        model = stored and TrainedModel(
            stored.parameters, stored.persons, stored.fingerprint
        )
        if model and model_fits(model, count, config):
            used, linker = stored, stored_linker(con, "persons", model)
        else:
            linker, trained = train(con, "persons", config)
        link_persons(con, config=config, linker=linker)
        found.append("linkage_pairs")
        threshold = config.threshold
    elif persons:
        # Too few persons give m, u and the prior nothing to be learnt from.
        note = (
            f"no person matching: the datasets hold {count} persons, fewer than "
            f"the {MIN_PERSONS} it needs to learn from; shared identifiers only"
        )
    union = " UNION ALL ".join(
        f"SELECT left_id, right_id, score, reason FROM {table}"  # noqa: S608
        for table in found
    )
    pairs = con.execute(
        f"""
        WITH pairs AS (
            SELECT left_id, right_id, max(score) AS score,
                   string_agg(reason, '; ' ORDER BY score DESC) AS reason
            FROM ({union}) GROUP BY left_id, right_id
        )
        SELECT left_id[instr(left_id, chr(31)) + 1:],
               left_id[:instr(left_id, chr(31)) - 1],
               right_id[instr(right_id, chr(31)) + 1:],
               right_id[:instr(right_id, chr(31)) - 1],
               score, reason
        FROM pairs ORDER BY left_id, right_id
        """  # noqa: S608 - built from constant names
    ).fetchall()
    return Matched(pairs, threshold, note, used, trained)


def _person_count(con) -> int:
    return con.execute(
        "SELECT count(DISTINCT entity_id) FROM statements WHERE schema = 'Person'"
    ).fetchone()[0]


def _queued_by(run: Run):
    """The person who queued `run`, if they may still run cross-matches."""
    user = User.objects.filter(username=run.queued_by, is_active=True).first()
    try:
        permissions.require(user, "analysis.run", None)
    except (PermissionDenied, Http404):
        raise UserError(
            f"{run.queued_by}, who queued it, may no longer run cross-matches"
        ) from None
    return user


def _require_files(datasets: list[Dataset]) -> None:
    missing = [d.name for d in datasets if not store.dataset_file(d.name).exists()]
    if missing:
        raise UserError(
            f"the analysis store has no file for {', '.join(missing)}: nothing was "
            "matched, and the previous hits are kept. Restore the file from the "
            "backup, or erase the dataset"
        )


def _save_run(
    run: Run, datasets, matched: Matched, *, actor, request, progress
) -> None:
    """The run's hits replace all others, all or nothing, if the run is still this
    execution's and only for datasets not erased meanwhile."""
    with transaction.atomic():
        _serialise_hits_replacements()
        live = _lock_live(datasets)
        pairs = [p for p in matched.pairs if p[1] in live and p[3] in live]
        finished = Run.objects.filter(
            pk=run.pk, status=Run.Status.RUNNING, attempts=run.attempts
        ).update(
            status=Run.Status.DONE,
            finished_at=timezone.now(),
            datasets=len(live),
            pairs=len(pairs),
            threshold=matched.threshold,
            note=matched.note,
        )
        if finished != 1:
            raise RunTakenBack(run.pk)
        model = _person_model(run, matched, complete=len(live) == len(datasets))
        Hit.objects.exclude(run=run).delete()
        count = _save_hits(run, pairs, live, progress)
        record(
            "analysis.crossmatch_run",
            actor=actor,
            operation="combination",
            obj=run,
            request=request,
            extra={
                "datasets": len(live),
                "hits": count,
                "person_model": model and model.pk,
                "model_trained": matched.trained is not None,
            },
        )


def _person_model(run: Run, matched: Matched, *, complete: bool) -> PersonModel | None:
    """The model that scored the run, stored first if the run trained it. None
    when a dataset was erased during the run: a model learnt from its data is
    not kept, and erasing it discarded the stored one (services.erase_dataset)."""
    model = matched.stored
    if not complete or (model and not PersonModel.objects.filter(pk=model.pk).exists()):
        return None
    if matched.trained is not None:
        t = matched.trained
        model = PersonModel.objects.create(
            persons=t.persons, fingerprint=t.fingerprint, parameters=t.parameters
        )
    if model is not None:
        Run.objects.filter(pk=run.pk).update(
            model=model, model_trained=matched.trained is not None
        )
    return model


def _serialise_hits_replacements() -> None:
    """Two runs finishing at once would each delete the hits committed before it
    began and keep its own: both sets would stay. PostgreSQL takes this lock until
    the transaction ends; SQLite needs nothing (IMMEDIATE transactions already
    hold the database's write lock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [HITS_LOCK_KEY])


def _lock_live(datasets: list[Dataset]) -> dict[str, Dataset]:
    """The run's datasets still held, locked until the hits are saved, so that an
    erasure (which locks its dataset first) waits for them and then removes them,
    or has committed and they are left out. Their handling codes are read again
    here: a tightening that committed while the engine ran is kept; a later one
    waits for these locks, then recodes the hits (analysis/handling.py)."""
    codes = dict(
        Dataset.objects.select_for_update()
        .filter(pk__in=[d.pk for d in datasets], erased_at=None)
        .order_by("pk")
        .values_list("pk", "handling")
    )
    for d in datasets:
        d.handling = codes.get(d.pk, d.handling)
    return {d.name: d for d in datasets if d.pk in codes}


def _fail(run: Run, message: str) -> None:
    Run.objects.filter(
        pk=run.pk, status=Run.Status.RUNNING, attempts=run.attempts
    ).update(status=Run.Status.FAILED, failed_at=timezone.now(), error=message)


def _failure_message(error: Exception) -> str:
    if isinstance(error, AuditWriteFailed):
        return (
            "the audit log could not be written, so nothing was saved and the "
            "previous hits are kept; queue it again when the database is back"
        )
    return (
        f"an unexpected error stopped it ({type(error).__name__}); nothing was "
        "saved and the previous hits are kept. The worker's log has the details"
    )


def _save_hits(run: Run, pairs, by_name: dict[str, Dataset], progress) -> int:
    batch: list[Hit] = []
    for left, left_ds, right, right_ds, score, reason in pairs:
        batch.append(
            Hit(
                run=run,
                left_dataset=by_name[left_ds],
                left_entity=left,
                right_dataset=by_name[right_ds],
                right_entity=right,
                score=score,
                reason=reason[:255],
                handling=most_restrictive(
                    [by_name[left_ds].handling, by_name[right_ds].handling]
                ),
            )
        )
        if len(batch) >= HITS_BATCH:
            Hit.objects.bulk_create(batch)
            batch = []
        if progress:
            progress(1)
    Hit.objects.bulk_create(batch)
    return len(pairs)
