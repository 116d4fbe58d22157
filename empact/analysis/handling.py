"""Tightening a dataset's handling code, and every result derived from it at once.

A provider may make its data stricter to handle, never looser (DESIGN.md §6: H0 <
H1 < H2 < H3). A derived result carries the most restrictive code of its sources,
so the change reaches, in the same transaction, every hit that involves the
dataset. The rest follows by itself, because it stores no code of its own:
whether a hit's content is shown to the other side reads the dataset's code
(selectors._may_show), the cross-match report is rendered from the hits when it is
asked for, and a release names the dataset. The dataset's Parquet file keeps the
code it was imported with, as the record of that import; the platform takes codes
from the records only (crossmatching._lock_live).

Locks, for PostgreSQL (SQLite runs one write transaction at a time): the dataset
first, then its hits, in the order a cross-match run saving its hits takes them
(crossmatching.py locks the run's datasets, then replaces the hits). A run that holds
the dataset commits first, and the tightening then recodes the hits it saved; a
run that comes second waits for the tightening and codes its hits from the new
code (crossmatching._lock_live).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from empact.accounts import permissions
from empact.analysis.models import Dataset, Handling, Hit
from empact.audit.log import record
from empact.engine.tables import HANDLING_CODES, most_restrictive
from empact.errors import UserError


@dataclass(frozen=True)
class Tightened:
    dataset: Dataset
    previous: str
    code: str
    hits: int  # hits whose code changed

    @property
    def changed(self) -> bool:
        return self.previous != self.code


def tighten_handling(
    dataset: Dataset, code: str, *, actor, reason: str, request=None
) -> Tightened:
    """Make `dataset` stricter to handle (`code` above its own), with the reason
    recorded; every hit involving it takes the stricter of its two sides. The same
    code again changes nothing; a looser one is refused."""
    permissions.require(actor, "analysis.handling", dataset, request=request)
    code = _valid(code)
    if not reason.strip():
        raise UserError(
            f"{dataset.name}: tightening its handling code needs a reason: the "
            "provider's request or the case reference"
        )
    with transaction.atomic():
        held = Dataset.objects.select_for_update().get(pk=dataset.pk)
        previous = held.handling
        _check(held, code)
        if code == previous:
            return Tightened(held, previous, code, hits=0)
        held.handling = code
        held.save(update_fields=["handling"])
        hits = _recode_hits(held)
        record(
            "analysis.handling_tightened",
            actor=actor,
            operation="alteration",
            obj=held,
            why=reason.strip(),
            request=request,
            extra={"from": previous, "to": code, "hits": hits},
        )
    dataset.handling = code
    return Tightened(held, previous, code, hits)


def _valid(code: str) -> str:
    given = (code or "").strip().upper()
    if given not in Handling.values:
        raise UserError(f"handling code {code!r}: choose one of {', '.join(Handling)}")
    return given


def _check(dataset: Dataset, code: str) -> None:
    if dataset.erased_at is not None:
        raise UserError(
            f"{dataset.name} was erased on {dataset.erased_at:%d %B %Y}; "
            "its handling code no longer applies to anything"
        )
    if HANDLING_CODES.index(code) < HANDLING_CODES.index(dataset.handling):
        raise UserError(
            f"{dataset.name}: its handling code is {dataset.handling}, and a code "
            f"may only be tightened; {code} would loosen it"
        )


def _hits_of(dataset: Dataset):
    return Hit.objects.filter(Q(left_dataset=dataset) | Q(right_dataset=dataset))


def _recode_hits(dataset: Dataset) -> int:
    """Each hit of `dataset` takes the strictest code of its two sides, as they
    stand now; returns how many changed."""
    changed = 0
    for other in HANDLING_CODES:
        new = most_restrictive([dataset.handling, other])
        changed += (
            _hits_of(dataset)
            .filter(
                Q(left_dataset=dataset, right_dataset__handling=other)
                | Q(right_dataset=dataset, left_dataset__handling=other)
            )
            .exclude(handling=new)
            .update(handling=new)
        )
    return changed
