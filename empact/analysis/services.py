"""Every change to the analysis project: import, release, keep, erase (cross-match
runs: analysis/crossmatching.py).

Each asks the permission module first and writes its audit entry in the same
transaction as its rows. The engine does the work on tables; this module keeps the
platform's records of it.
"""

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from empact.accounts import permissions
from empact.analysis import store
from empact.analysis.models import Dataset, Hit, PersonModel, Release
from empact.audit.log import record
from empact.engine.errors import InputError, InputRejected
from empact.engine.ingest import file_sha256, ingest
from empact.engine.mapping import Mapping, load_mapping
from empact.engine.tables import Provenance
from empact.errors import UserError
from empact.organisations.models import Organisation


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
                imported_by=actor_name(actor),
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
        # Person models learnt from every dataset held, this one too.
        models, _ = PersonModel.objects.all().delete()
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
            extra={"hits": hit_count, "releases": releases, "person_models": models},
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


def actor_name(actor) -> str:
    """Who a record names: the person acting, or "system" (a scheduled job)."""
    return actor.get_username() if actor is not None else "system"
