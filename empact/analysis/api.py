"""Hit/no-hit for national systems: the caller's organisation's hits, asking for a
release, and deciding requests for its own entities.

The same selectors and services as the pages, so the same rules hold: only hits of
the caller's own organisation; H2/H3 content only after release; a hit or request
of another organisation is 404, the same as one that does not exist.
"""

from typing import Literal

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from empact.analysis import selectors, services
from empact.analysis.selectors import OwnHit
from empact.paging import LimitOffset
from empact.reporting.api.errors import READ_ERRORS, WRITE_ERRORS

router = Router(tags=["analysis: hit/no-hit"])


class StatementOut(Schema):
    schema_: str = Field(..., alias="schema")
    prop: str
    value: str


class HitOut(Schema):
    id: int
    own_entity: str
    own_caption: str
    own_dataset: str = Field(..., description="The file your organisation gave.")
    ask: str = Field(..., description="The organisation that holds the other side.")
    reason: str = Field(..., description="The identifiers or fields that matched.")
    score: float
    handling: str = Field(
        ...,
        description="The hit's handling code: the stricter of the two sides' codes.",
    )
    other_handling: str
    content: list[StatementOut] | None = Field(
        ..., description="The other side's content, when its handling code allows."
    )
    withheld_because: str

    @staticmethod
    def of(hit: OwnHit) -> dict:
        content = None
        if hit.content is not None:
            content = [{"schema": s, "prop": p, "value": v} for s, p, v in hit.content]
        return {
            "id": hit.hit_id,
            "own_entity": hit.own_entity,
            "own_caption": hit.own_caption,
            "own_dataset": hit.own_dataset.origin,
            "ask": hit.ask.code,
            "reason": hit.reason,
            "score": hit.score,
            "handling": hit.handling,
            "other_handling": hit.other_handling,
            "content": content,
            "withheld_because": hit.withheld_because,
        }


class ReleaseIn(Schema):
    why: str = Field(..., min_length=1, max_length=500)


class DecisionIn(Schema):
    grant: bool
    reason: str = Field("", max_length=1000)


class ReleaseOut(Schema):
    id: int
    requester: str = Field(..., alias="requester.code")
    entity: str
    state: Literal["requested", "released", "refused"]
    why: str
    decision_reason: str


@router.get(
    "/analysis/hits", response={200: list[HitOut], **READ_ERRORS}, by_alias=True
)
@paginate(LimitOffset)
def list_hits(request):
    """Hits of the caller's organisation's entities (hit/no-hit)."""
    hits = selectors.own_hits(request.user, request.user.organisation, request=request)
    return [HitOut.of(h) for h in hits]


@router.post("/analysis/hits/{id}/release", response={200: ReleaseOut, **WRITE_ERRORS})
def request_release(request, id: int, data: ReleaseIn):
    """Ask the provider of the other side of a hit to release its content."""
    hit = selectors.own_hit(request.user, id, request=request)
    return services.request_release(
        hit, actor=request.user, why=data.why, request=request
    )


@router.get("/analysis/releases", response={200: list[ReleaseOut], **READ_ERRORS})
@paginate(LimitOffset)
def list_releases(request):
    """Requests other contributors made for the caller's organisation's entities."""
    return selectors.releases_to_decide(
        request.user, request.user.organisation, request=request
    )


@router.post(
    "/analysis/releases/{id}/decision",
    response={200: ReleaseOut, **WRITE_ERRORS},
)
def decide_release(request, id: int, data: DecisionIn):
    """Release the entity to the requester, or refuse with a reason."""
    release = selectors.release_for(request.user, id, request=request)
    return services.decide_release(
        release,
        actor=request.user,
        grant=data.grant,
        reason=data.reason,
        request=request,
    )
