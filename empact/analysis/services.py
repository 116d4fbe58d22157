"""Every change to the analysis project: import, cross-match, release, keep, erase.

Each asks the permission module first and writes its audit entry in the same
transaction as its rows. The engine does the work on tables; this module keeps the
platform's records of it.
"""

import logging
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone

from empact.accounts import permissions
from empact.accounts.models import User
from empact.analysis import rules, store
from empact.analysis.models import Dataset, Hit, Release, Run
from empact.audit.log import AuditWriteFailed, record
from empact.engine.crossmatch import crossmatch
from empact.engine.errors import InputError, InputRejected
from empact.engine.ingest import file_sha256, ingest
from empact.engine.linkage import (
    MIN_PERSONS,
    LinkageConfig,
    link_persons,
    persons_from_statements,
)
from empact.engine.mapping import Mapping, load_mapping
from empact.engine.tables import Provenance, most_restrictive
from empact.errors import UserError
from empact.organisations.models import Organisation

HITS_BATCH = 5_000
HITS_LOCK_KEY = 0x68697473  # "hits": the advisory lock of replacing them
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Contribution:
    """What a contributor says about a file it gives to the analysis project."""

    contributor: Organisation
    handling: str
    purpose: str
    collected_on: date
    source_code: str = "X"
    info_code: int = 4
    role: str = "other"
    review_date: date | None = None
    restrictions: str = ""


def ingest_dataset(
    path: str | os.PathLike,
    given: Contribution,
    *,
    actor,
    mapping_path: str | os.PathLike | None = None,
    request=None,
) -> tuple[Dataset, bool]:
    """Import a file as one dataset, all or nothing; (dataset, created).

    The same bytes from the same contributor are one dataset: importing them again
    returns it unchanged.
    """
    permissions.require(actor, "analysis.ingest", given.contributor, request=request)
    path = Path(path)
    if not given.purpose.strip():
        raise UserError("the purpose is missing: name the case or OA reference")
    sha = _sha256(path)
    name = f"{given.contributor.code.lower()}-{sha[:16]}"
    existing = Dataset.objects.filter(name=name).first()
    if existing is not None:
        return _already_imported(existing, given)
    provenance = _provenance(given, name)
    mapping = _mapping(mapping_path)
    try:
        result = ingest(
            path, provenance=provenance, out_dir=store.root(), mapping=mapping
        )
    except InputRejected as rejected:
        raise UserError(
            f"{path.name}: {len(rejected.errors)} problem(s), nothing imported",
            [str(e) for e in rejected.errors],
        ) from None
    except InputError as error:
        raise UserError(str(error)) from None
    try:
        if result.unchanged:
            _adopt(result.path)
        with transaction.atomic():
            dataset = Dataset.objects.create(
                name=name,
                contributor=given.contributor,
                origin=path.name[:255],
                sha256=sha,
                handling=given.handling,
                restrictions=given.restrictions,
                source_code=given.source_code,
                info_code=given.info_code,
                role=given.role,
                collected_on=given.collected_on,
                review_date=provenance.review,
                purpose=given.purpose.strip(),
                entities=result.entities,
                statements=result.statements,
                imported_by=_name(actor),
            )
            record(
                "analysis.dataset_imported",
                actor=actor,
                operation="collection",
                obj=dataset,
                why=dataset.purpose,
                request=request,
                extra={"entities": result.entities, "handling": given.handling},
            )
    except IntegrityError:
        # The same bytes imported by another run meanwhile: its record won, and
        # the file is its.
        if Dataset.objects.filter(name=name).exists():
            raise UserError(f"this file was imported meanwhile as {name}") from None
        store.remove(name)
        raise
    except BaseException:
        store.remove(name)  # the file without its record would be held unaccounted
        raise
    return dataset, True


def remove_leftovers(*, now: datetime, actor_name: str = "system") -> list[str]:
    """Remove what the analysis store holds that no dataset record names and that
    has not been touched for a day: what interrupted imports left (store.py); and
    the file of an erased dataset, whatever its age (an interrupted erasure).
    Audited first, as an erasure: if the entry cannot be written, nothing goes."""
    datasets = Dataset.objects.values_list("name", "erased_at")
    live = {name for name, erased_at in datasets if erased_at is None}
    erased = {name for name, erased_at in datasets if erased_at is not None}
    found = store.leftovers(
        live, before=(now - store.LEFTOVER_AGE).timestamp(), erased=erased
    )
    if not found:
        return []
    names = [path.name for path in found]
    with transaction.atomic():
        record(
            "analysis.leftovers_removed",
            actor=None,
            actor_name=actor_name,
            operation="erasure",
            why="no dataset record names them: left by interrupted imports",
            extra={"files": names},
        )
    for path in found:
        store.discard(path)
    return names


def run_crossmatch(
    *,
    actor,
    today: date,
    persons: bool = False,
    request=None,
    progress=None,
) -> Run:
    """Cross-match every dataset the rules allow, at once, in the caller (the command
    line, the demo); the hits replace the last run's. A queued run does the same
    work in `empact worker` (analysis/runs.py).

    Shared identifiers always; with `persons`, also probable matches of persons
    (Splink), whose reason names the fields that agreed. Raises UserError when the
    run fails: the run is then marked failed, and the previous hits stay."""
    permissions.require(actor, "analysis.run", None, request=request)
    run = Run.objects.create(
        kind=Run.Kind.FULL if persons else Run.Kind.DETERMINISTIC,
        status=Run.Status.RUNNING,
        queued_by=_name(actor),
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
        matched = _pairs([d.name for d in datasets], persons=run.kind == Run.Kind.FULL)
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


def request_release(hit: Hit, *, actor, why: str, request=None) -> Release:
    """The other side of a hit asks its provider for the entity's content."""
    permissions.require(actor, "analysis.hit", hit, request=request)
    own_org = actor.organisation  # one side of the hit, or the rule had refused
    _own, _own_entity, other, other_entity = hit.side_of(own_org.pk)
    if not why.strip():
        raise UserError("a release request needs a reason: the case or OA reference")
    with transaction.atomic():
        release, created = Release.objects.get_or_create(
            dataset=other,
            entity=other_entity,
            requester=own_org,
            defaults={"requested_by": actor, "why": why.strip()},
        )
        if created:
            record(
                "analysis.release_requested",
                actor=actor,
                operation="collection",
                obj=release,
                why=release.why,
                request=request,
            )
    return release


def decide_release(
    release: Release, *, actor, grant: bool, reason: str = "", request=None
) -> Release:
    """The provider releases the entity to the requester, or refuses with a reason."""
    permissions.require(actor, "analysis.release", release, request=request)
    if not grant and not reason.strip():
        raise UserError("refusing a release needs a reason the requester will see")
    state = Release.State.RELEASED if grant else Release.State.REFUSED
    with transaction.atomic():
        changed = Release.objects.filter(
            pk=release.pk, state=Release.State.REQUESTED
        ).update(
            state=state,
            decided_by=actor,
            decided_at=timezone.now(),
            decision_reason=reason.strip(),
        )
        if not changed:
            release.refresh_from_db()
            raise UserError(
                f"this request was already {release.get_state_display().lower()}"
            )
        release.refresh_from_db()
        record(
            "analysis.release_decided",
            actor=actor,
            operation="disclosure" if grant else "alteration",
            obj=release,
            why=reason.strip(),
            request=request,
            extra={"released": grant, "to": release.requester.code},
        )
    return release


def keep_dataset(
    dataset: Dataset, *, actor, until: date, reason: str, today: date, request=None
) -> Dataset:
    """The DPO keeps a dataset past its review date, with the reason recorded."""
    permissions.require(actor, "analysis.retention", dataset, request=request)
    if not reason.strip():
        raise UserError("keeping data past its review date needs a reason")
    if until <= today:
        raise UserError(f"the new review date {until} must be after today ({today})")
    if until > today + timedelta(days=3 * 366):
        raise UserError("data may be kept for at most 3 more years at one review")
    with transaction.atomic():
        previous = dataset.review_date
        dataset.review_date = until
        dataset.kept_reason = reason.strip()
        dataset.save(update_fields=["review_date", "kept_reason"])
        record(
            "analysis.dataset_kept",
            actor=actor,
            operation="alteration",
            obj=dataset,
            why=dataset.kept_reason,
            request=request,
            extra={"from": str(previous), "until": str(until)},
        )
    return dataset


def erase_due(*, today: date, actor=None, actor_name: str = "system") -> list[Dataset]:
    """Erase every dataset past its review date (Art. 31 of the Europol Regulation
    as the model): its file, its hits and its releases; the erasure is audited."""
    due = Dataset.objects.filter(erased_at=None, review_date__lt=today)
    return [
        erase_dataset(d, actor=actor, actor_name=actor_name, why="review date passed")
        for d in due
    ]


def erase_dataset(
    dataset: Dataset, *, actor=None, actor_name: str = "", why: str, request=None
) -> Dataset:
    with transaction.atomic():
        # First, so that a run saving its hits meanwhile (_lock_live) either waits
        # for this erasure and leaves the dataset out, or has its hits erased here.
        list(Dataset.objects.select_for_update().filter(pk=dataset.pk).values("pk"))
        hits = Hit.objects.filter(left_dataset=dataset) | Hit.objects.filter(
            right_dataset=dataset
        )
        hit_count = hits.count()
        hits.delete()
        releases, _ = Release.objects.filter(dataset=dataset).delete()
        dataset.erased_at = timezone.now()
        dataset.entities = dataset.statements = 0
        dataset.save(update_fields=["erased_at", "entities", "statements"])
        record(
            "analysis.dataset_erased",
            actor=actor,
            actor_name=actor_name,
            operation="erasure",
            obj=dataset,
            why=why,
            request=request,
            extra={"hits": hit_count, "releases": releases},
        )
    # After the commit, so that a failed audit entry leaves the data in place, not
    # gone without a trace, and a kill before the commit leaves the dataset whole.
    # A kill after it leaves the file of an erased dataset: the next retention run
    # removes it (remove_leftovers).
    store.remove(dataset.name)
    return dataset


# Helpers


def _sha256(path: Path) -> str:
    try:
        return file_sha256(path)
    except InputError as error:
        raise UserError(str(error)) from None


def _already_imported(existing: Dataset, given: Contribution) -> tuple[Dataset, bool]:
    if existing.erased_at is not None:
        raise UserError(
            f"this file was imported as {existing.name} and erased on "
            f"{existing.erased_at:%d %B %Y}; it is not imported again"
        )
    if existing.handling != given.handling:
        raise UserError(
            f"this file is already imported as {existing.name} with handling code "
            f"{existing.handling}, not {given.handling}"
        )
    return existing, False


def _adopt(path: Path) -> None:
    """The same bytes, mapping and provenance published without a record: this
    import, killed before its record committed. The file is whole (published by
    one rename), so it becomes the dataset's; touched so that retention, which
    removes day-old files no record names, does not take it meanwhile."""
    try:
        os.utime(path)
    except OSError:
        raise UserError(
            f"{path.name} left the analysis store during the import; run it again"
        ) from None


def _provenance(given: Contribution, name: str) -> Provenance:
    try:
        return Provenance(
            contributor=given.contributor.code,
            dataset=name,
            collected=given.collected_on,
            handling=given.handling,
            source_code=given.source_code,
            info_code=given.info_code,
            review_date=given.review_date,
            role=given.role,
        )
    except ValueError as error:
        raise UserError(
            "the dataset's provenance is not valid", str(error).split("; ")
        ) from None


def _mapping(mapping_path) -> Mapping | None:
    if mapping_path is None:
        return None
    try:
        return load_mapping(mapping_path)
    except InputError as error:
        raise UserError(str(error)) from None
    except InputRejected as rejected:
        raise UserError(str(rejected)) from None


@dataclass(frozen=True)
class Matched:
    """What the engine found: pairs (left entity, left dataset, right entity,
    right dataset, score, reason); the least match probability of the person
    matches among them (None: no person matching); what was left out, and why."""

    pairs: list
    threshold: float | None = None
    note: str = ""


def _pairs(names: list[str], *, persons: bool) -> Matched:
    if not names:
        return Matched([], note="no dataset may be cross-matched")
    # Ids as given repeat across datasets ("p1"): the engine sees them qualified
    # by their dataset, and each pair's side is split back into the two.
    with store.spill_folder() as spill:
        con = store.connect(names, qualified_ids=True, spill=Path(spill))
        try:
            return _matched_pairs(con, persons=persons)
        finally:
            con.close()


def _matched_pairs(con, *, persons: bool) -> Matched:
    found = ["crossmatch_pairs"]
    crossmatch(con)
    threshold, note = None, ""
    count = _person_count(con) if persons else 0
    # Too few persons give m, u and the prior nothing to be learnt from: the run
    # then reports shared identifiers only, and says why.
    if persons and count < MIN_PERSONS:
        note = (
            f"no person matching: the datasets hold {count} persons, fewer than "
            f"the {MIN_PERSONS} it needs to learn from; shared identifiers only"
        )
    elif persons:
        persons_from_statements(con)
        config = LinkageConfig()
        link_persons(con, config=config)
        found.append("linkage_pairs")
        threshold = config.threshold
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
    return Matched(pairs, threshold, note)


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
        Hit.objects.exclude(run=run).delete()
        count = _save_hits(run, pairs, live, progress)
        record(
            "analysis.crossmatch_run",
            actor=actor,
            operation="combination",
            obj=run,
            request=request,
            extra={"datasets": len(live), "hits": count},
        )


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


def _name(actor) -> str:
    return actor.get_username() if actor is not None else "system"
