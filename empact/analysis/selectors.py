"""Reads of the analysis project, each through the permission module and audited.

Hit/no-hit: a contributor sees only hits of its own entities. For each it learns
that another contributor holds a matching entity, which contributor to ask, and
which of its own identifiers matched; the other entity's content only when its
handling code allows (H0, H1) or its provider has released it (H2, H3). A no-hit
shows nothing at all: no count of others' data, no names, no dates.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.http import Http404

from empact.accounts import permissions
from empact.analysis import rules, store
from empact.analysis.models import Dataset, Hit, Release, Run
from empact.audit.log import record
from empact.errors import UserError
from empact.organisations.models import Organisation

RETENTION_NOTICE_DAYS = 30


@dataclass(frozen=True)
class OwnHit:
    hit_id: int
    own_dataset: Dataset
    own_entity: str
    own_caption: str
    ask: Organisation
    reason: str
    score: float
    other_handling: str
    handling: str  # the hit's own: the stricter of the two sides (DESIGN §6)
    content: list[tuple[str, str, str]] | None
    release: Release | None

    @property
    def withheld_because(self) -> str:
        if self.content is not None:
            return ""
        if self.release is None:
            return f"{self.other_handling}: ask {self.ask.code} to release it"
        if self.release.state == Release.State.REFUSED:
            return f"refused by {self.ask.code}: {self.release.decision_reason}"
        return f"release requested from {self.ask.code}"


def own_hits(actor, organisation: Organisation, *, request=None) -> list[OwnHit]:
    """The hits of `organisation`'s entities, as that organisation may see them."""
    permissions.require(actor, "analysis.hits", organisation, request=request)
    hits = list(
        Hit.objects.filter(
            Q(left_dataset__contributor=organisation)
            | Q(right_dataset__contributor=organisation)
        )
        .exclude(
            left_dataset__contributor=organisation,
            right_dataset__contributor=organisation,
        )
        .select_related("left_dataset__contributor", "right_dataset__contributor")
    )
    sides = [(h, *h.side_of(organisation.pk)) for h in hits]
    captions = _captions(sides)
    releases = _releases(organisation, sides)
    shown = {
        (other.name, other_e)
        for _h, _own, _own_e, other, other_e in sides
        if _may_show(other, other_e, releases)
    }
    contents = _contents(shown)
    result = [
        _own_hit(h, own, own_e, other, other_e, captions, releases, contents)
        for h, own, own_e, other, other_e in sides
    ]
    record(
        "analysis.hits_viewed",
        actor=actor,
        operation="consultation",
        obj=organisation,
        request=request,
        extra={
            "hits": len(result),
            "contents_shown": sum(1 for r in result if r.content is not None),
        },
    )
    return result


def own_hit(actor, hit_id: int, *, request=None) -> Hit:
    """One hit of the actor's organisation, or 404 as for a hit that does not exist."""
    hit = (
        Hit.objects.filter(pk=hit_id)
        .select_related("left_dataset__contributor", "right_dataset__contributor")
        .first()
    )
    if hit is None:
        raise Http404("not found")
    permissions.require(actor, "analysis.hit", hit, request=request)
    return hit


def release_for(actor, release_id: int, *, request=None) -> Release:
    release = (
        Release.objects.filter(pk=release_id)
        .select_related("dataset__contributor", "requester")
        .first()
    )
    if release is None:
        raise Http404("not found")
    permissions.require(actor, "analysis.release", release, request=request)
    return release


def releases_to_decide(
    actor, organisation: Organisation, *, request=None
) -> list[Release]:
    """Requests other contributors made for this organisation's entities."""
    permissions.require(actor, "analysis.hits", organisation, request=request)
    return list(
        Release.objects.filter(dataset__contributor=organisation)
        .select_related("requester", "requested_by", "dataset")
        .order_by("state", "-requested_at")
    )


def entity_content(
    actor, dataset: Dataset, entity_id: str, *, why: str, request=None
) -> list[tuple[str, str, str]]:
    """An analyst opens personal data: only with a stated reason, always audited."""
    permissions.require(actor, "analysis.open", dataset, request=request)
    if not why.strip():
        raise UserError("opening personal data needs a reason: a case or OA reference")
    if dataset.is_erased:
        raise UserError(f"{dataset} was erased on {dataset.erased_at:%d %B %Y}")
    rows = store.entity_statements(dataset.name, entity_id)
    record(
        "analysis.entity_opened",
        actor=actor,
        operation="consultation",
        obj=dataset,
        why=why.strip(),
        request=request,
        extra={"entity": entity_id[:64], "statements": len(rows)},
    )
    return rows


def datasets(actor) -> list[Dataset]:
    permissions.require(actor, "analysis.view")
    return list(Dataset.objects.select_related("contributor"))


def runs(actor) -> list[Run]:
    permissions.require(actor, "analysis.view")
    return list(Run.objects.select_related("model").defer("model__parameters")[:50])


def all_hits(actor, *, limit: int = 500) -> list[Hit]:
    permissions.require(actor, "analysis.view")
    return list(
        Hit.objects.select_related(
            "left_dataset__contributor", "right_dataset__contributor"
        )[:limit]
    )


def retention_due(actor, *, today: date) -> list[Dataset]:
    """Datasets whose review date falls within the notice period, or has passed."""
    permissions.require(actor, "analysis.retention")
    return list(
        Dataset.objects.filter(
            erased_at=None,
            review_date__lte=today + timedelta(days=RETENTION_NOTICE_DAYS),
        )
        .select_related("contributor")
        .order_by("review_date")
    )


def _own_hit(
    hit, own, own_entity, other, other_entity, captions, releases, contents
) -> OwnHit:
    shown = (other.name, other_entity) in contents
    return OwnHit(
        hit_id=hit.pk,
        own_dataset=own,
        own_entity=own_entity,
        own_caption=captions.get((own.name, own_entity), own_entity[:12]),
        ask=other.contributor,
        reason=hit.reason,
        score=hit.score,
        other_handling=other.handling,
        handling=hit.handling,
        content=contents[other.name, other_entity] if shown else None,
        release=releases.get((other.pk, other_entity)),
    )


def _may_show(other: Dataset, entity: str, releases) -> bool:
    """H0/H1 content is shown to the other side; H2/H3 only once released."""
    if not rules.needs_release(other.handling):
        return True
    release = releases.get((other.pk, entity))
    return release is not None and release.state == Release.State.RELEASED


def _contents(shown: set[tuple[str, str]]) -> dict[tuple[str, str], list]:
    """The statements of the entities to show, one query per dataset."""
    wanted: dict[str, list[str]] = {}
    for name, entity in shown:
        wanted.setdefault(name, []).append(entity)
    found = {}
    for name, entities in wanted.items():
        rows = store.entities_statements(name, entities)
        found.update({(name, e): rows.get(e, []) for e in entities})
    return found


def _captions(sides) -> dict[tuple[str, str], str]:
    wanted: dict[str, list[str]] = {}
    for _hit, own, own_entity, _other, _other_entity in sides:
        wanted.setdefault(own.name, []).append(own_entity)
    return {
        (name, entity): caption
        for name, entities in wanted.items()
        for entity, caption in store.entity_captions(name, entities).items()
    }


def _releases(organisation, sides) -> dict[tuple[int, str], Release]:
    keys = {(other.pk, other_entity) for _h, _o, _oe, other, other_entity in sides}
    found = Release.objects.filter(
        requester=organisation, dataset_id__in={k[0] for k in keys}
    )
    return {
        (r.dataset_id, r.entity): r for r in found if (r.dataset_id, r.entity) in keys
    }
