"""Joint Action Days: read a plan's JADs with their totals and one JAD with its
results per organisation, and record one's own organisation's results.

Reads go through the JAD pages' selectors (jad.view: whoever sees the plan; the
consultation is logged); recording goes through jads.record_jad_result, which asks
jad.report. Measures are named as in JADMeasure; seizures carry a kind.
"""

import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Field, Path, Router, Schema
from ninja.pagination import paginate

from empact.errors import UserError
from empact.paging import LimitOffset
from empact.reporting import jad_selectors, jads
from empact.reporting.api.contributions import SLUG
from empact.reporting.api.errors import (
    READ_ERRORS,
    WRITE_ERRORS,
    Problem,
    Refused,
)
from empact.reporting.api.links import links, to
from empact.reporting.jad_selectors import Totals
from empact.reporting.models import JADMeasure, JointActionDay

router = Router(tags=["joint action days"])
Measure = Literal[tuple(JADMeasure.values)]
# JADResult.value is a PositiveIntegerField: the largest value every database holds.
MAX_VALUE = 2_147_483_647


class TotalsOut(Schema):
    measures: dict[str, int] = Field(
        ..., description="Totals by measure; seizures are counted by kind instead."
    )
    seizures: dict[str, int] = Field(..., description="Seizures by kind.")

    @staticmethod
    def of(totals: Totals) -> dict:
        return {"measures": totals.plain, "seizures": totals.seizures}


class JADOut(Schema):
    id: int
    plan: str = Field(..., alias="plan.slug")
    name: str
    starts: datetime.date
    ends: datetime.date
    lead: str = Field(..., alias="lead.code")
    oas: list[str]
    participants: list[str]

    @staticmethod
    def resolve_oas(jad: JointActionDay) -> list[str]:
        return [a.ref for a in jad.actions.all()]

    @staticmethod
    def resolve_participants(jad: JointActionDay) -> list[str]:
        return [o.code for o in jad.participants.all()]


class JADRowOut(JADOut):
    totals: TotalsOut


class OrganisationResultsOut(Schema):
    organisation: str
    totals: TotalsOut
    may_record: bool = Field(
        ..., description="Whether the caller may record this organisation's results."
    )


class JADDetailOut(JADOut):
    totals: TotalsOut
    results: list[OrganisationResultsOut] = Field(..., alias="by_organisation")


class ResultIn(Schema):
    measure: Measure
    seizure_kind: str = Field(
        "",
        max_length=jads.KIND_MAX,
        description="For seizures only: what was seized (cash, vehicles, ...).",
    )
    value: int = Field(..., ge=0, le=MAX_VALUE)


class ResultOut(Schema):
    measure: str
    seizure_kind: str
    value: int


class OwnResultsOut(Schema):
    jad: int
    organisation: str
    results: list[ResultOut]


@router.get("/plans/{slug}/jads", response={200: list[JADRowOut], **READ_ERRORS})
@paginate(LimitOffset)
def list_jads(request, slug: str = Path(..., max_length=100, pattern=SLUG)):
    """The plan's JADs, each with what its results add up to."""
    page = jad_selectors.jads_page(slug, actor=request.auth, request=request)
    return [_with_totals(row.jad, row.totals) for row in page.rows]


@router.get(
    "/jads/{id}",
    response={200: JADDetailOut, **READ_ERRORS},
    openapi_extra=links(200, record=to("record_jad_result", "$response.body#/id")),
)
def get_jad(request, id: int):
    """One JAD with its totals and each participating organisation's results."""
    jad = jad_selectors.get_jad_for(request.auth, id, request=request)
    page = jad_selectors.jad_page(jad, actor=request.auth, request=request)
    out = _with_totals(jad, page.totals)
    out.by_organisation = [
        {
            "organisation": row.organisation.code,
            "totals": TotalsOut.of(row.totals),
            "may_record": row.may_record,
        }
        for row in page.results
    ]
    return out


@router.post(
    "/jads/{id}/results",
    response={200: OwnResultsOut, **WRITE_ERRORS, 403: Problem},
    openapi_extra=links(200, read=to("get_jad", "$response.body#/jad")),
)
def record_jad_result(request, id: int, data: ResultIn):
    """Record one result of the caller's own organisation; recording a measure
    (a seizure kind) again replaces its value."""
    jad = jad_selectors.get_jad_for(request.auth, id, request=request)
    organisation = request.auth.organisation
    if organisation is None:
        raise UserError(f"{request.auth} belongs to no organisation")
    try:
        jads.record_jad_result(
            jad,
            organisation,
            measure=data.measure,
            seizure_kind=data.seizure_kind,
            value=data.value,
            actor=request.auth,
            request=request,
        )
    except PermissionDenied as refusal:
        action = refusal.args[0] if refusal.args else ""
        raise Refused(
            f"{organisation.code}'s result in {jad} was not recorded",
            [jad_selectors.REFUSALS.get(action, "your roles do not allow it")],
        ) from refusal
    return {
        "jad": jad.pk,
        "organisation": organisation.code,
        "results": jad_selectors.results_of(jad, organisation),
    }


def _with_totals(jad: JointActionDay, totals: Totals) -> JointActionDay:
    jad.totals = TotalsOut.of(totals)
    return jad
