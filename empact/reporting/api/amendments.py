"""Amendment requests: once the driver has locked a period, a change to one of its
contributions is asked for here, and the plan's driver approves or rejects it.

The same services as the contribution page: `contribution.edit` to ask,
`amendment.decide` to decide, each refusal logged and 404 like a missing record.
"""

import datetime
from typing import Literal

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from empact.accounts import permissions
from empact.audit.log import record_consultation
from empact.errors import UserError
from empact.paging import LimitOffset
from empact.reporting import selectors, services
from empact.reporting.api.contributions import (
    SLUG,
    StatusIn,
    ValueIn,
    report_inputs,
)
from empact.reporting.api.errors import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    VersionConflict,
)
from empact.reporting.api.links import AMENDMENT, links
from empact.reporting.models import AmendmentRequest, Contribution

router = Router(tags=["amendments"])
State = AmendmentRequest.State


class AmendmentOut(Schema):
    id: int
    contribution: int = Field(..., alias="contribution_id")
    organisation: str = Field(..., alias="contribution.organisation.code")
    oa: str = Field(..., alias="contribution.action.ref")
    period: str = Field(..., alias="contribution.period.code")
    state: Literal["pending", "approved", "rejected"]
    reason: str
    requested_by: str
    requested_at: datetime.datetime
    decided_by: str
    decided_at: datetime.datetime | None
    decision_reason: str


class ProposedOut(Schema):
    """The change asked for, by KPI letter and activity number."""

    values: dict[str, ValueIn]
    statuses: dict[str, StatusIn]
    narrative: str | None


class AmendmentDetailOut(AmendmentOut):
    proposed: ProposedOut

    @staticmethod
    def resolve_proposed(amendment: AmendmentRequest) -> dict:
        return _proposed_by_letter(amendment)


class AmendmentIn(Schema):
    reason: str = Field(
        ..., max_length=10000, description="Why the change is needed (required)."
    )
    values: dict[str, ValueIn] = Field({}, description="New values, by KPI letter.")
    statuses: dict[int, StatusIn] = Field(
        {}, description="New statuses, by activity number."
    )
    narrative: str | None = Field(
        None, max_length=50000, description="A new narrative; null keeps it."
    )


class AmendmentFilter(Schema):
    plan: str | None = Field(None, max_length=100, pattern=SLUG)
    state: Literal["pending", "approved", "rejected"] | None = None
    contribution: int | None = Field(None, ge=1, le=2**63 - 1)  # a BigAutoField


class DecisionIn(Schema):
    decision: Literal["approve", "reject"]
    reason: str = Field(
        "", max_length=10000, description="Why; required to reject, not blank."
    )


@router.get("/amendments", response={200: list[AmendmentOut], **LIST_ERRORS})
@paginate(LimitOffset)
def list_amendments(request, filters: Query[AmendmentFilter]):
    """The amendment requests of the contributions the caller may see."""
    visible = permissions.visible(request.auth, Contribution.objects.all())
    found = AmendmentRequest.objects.filter(contribution__in=visible)
    if filters.plan:
        found = found.filter(contribution__action__plan__slug=filters.plan)
    if filters.state:
        found = found.filter(state=filters.state)
    if filters.contribution is not None:
        found = found.filter(contribution_id=filters.contribution)
    return found.select_related(
        "contribution__organisation", "contribution__action", "contribution__period"
    ).order_by("pk")


@router.get(
    "/amendments/{id}",
    response={200: AmendmentDetailOut, **READ_ERRORS},
    openapi_extra=links(200, **AMENDMENT),
)
def get_amendment(request, id: int):
    """One amendment request with the change it asks for; a consultation of its
    contribution, as reading the contribution page is."""
    amendment = _amendment(request, id, permission="contribution.view")
    record_consultation(amendment.contribution, actor=request.auth, request=request)
    return amendment


@router.post(
    "/contributions/{id}/amendments",
    response={201: AmendmentDetailOut, **WRITE_ERRORS},
    openapi_extra=links(201, **AMENDMENT),
)
def request_amendment(request, id: int, data: AmendmentIn):
    """Ask the driver to change a contribution of a locked period."""
    contribution = selectors.get_contribution_for(
        request.auth, id, request=request, permission="contribution.edit"
    )
    amendment = services.request_amendment(
        contribution,
        proposed=_proposed(contribution, data),
        reason=data.reason,
        actor=request.auth,
        request=request,
    )
    return Status(201, _amendment(request, amendment.pk))


@router.post(
    "/amendments/{id}/decide",
    response={200: AmendmentDetailOut, **WRITE_ERRORS},
    openapi_extra=links(200, **AMENDMENT),
)
def decide_amendment(request, id: int, data: DecisionIn):
    """The plan's driver approves (the change is applied) or rejects, saying why."""
    amendment = selectors.get_amendment_for(request.auth, id, request=request)
    try:
        services.decide_amendment(
            amendment,
            approve=data.decision == "approve",
            reason=data.reason,
            actor=request.auth,
            request=request,
        )
    except UserError as error:
        _raise_if_decided(amendment, error)
        raise
    return _amendment(request, id)


# Reads and translations -----------------------------------------------------------


def _amendment(request, pk: int, *, permission: str = "") -> AmendmentRequest:
    """Amendment `pk` with its contribution; with `permission`, Http404 unless the
    caller may `permission` the contribution (through the pages' selector, so the
    refusal is logged), the same as for an amendment that does not exist."""
    amendment = (
        AmendmentRequest.objects.select_related(
            "contribution__organisation",
            "contribution__action",
            "contribution__period",
        )
        .filter(pk=pk)
        .first()
    )
    if amendment is None:
        raise Http404("no such amendment request")
    if permission:
        amendment.contribution = selectors.get_contribution_for(
            request.auth,
            amendment.contribution_id,
            request=request,
            permission=permission,
        )
    return amendment


def _proposed_by_letter(amendment: AmendmentRequest) -> dict:
    """The stored change (by KPI and activity id) named as the API names things."""
    action = amendment.contribution.action
    letters = {str(k.pk): k.letter for k in action.kpis.all()}
    numbers = {str(a.pk): str(a.number) for a in action.activities.all()}
    proposed = amendment.proposed or {}
    return {
        "values": {
            letters.get(pk, f"#{pk}"): given
            for pk, given in proposed.get("values", {}).items()
        },
        "statuses": {
            numbers.get(pk, f"#{pk}"): given
            for pk, given in proposed.get("statuses", {}).items()
        },
        "narrative": proposed.get("narrative"),
    }


def _proposed(contribution: Contribution, data: AmendmentIn) -> dict:
    """What AmendmentRequest.proposed stores: entries by KPI and activity id."""
    values, statuses = report_inputs(contribution, data.values, data.statuses)
    proposed = {}
    if values:
        proposed["values"] = {str(pk): vars(given) for pk, given in values.items()}
    if statuses:
        proposed["statuses"] = {str(pk): vars(given) for pk, given in statuses.items()}
    if data.narrative is not None:
        proposed["narrative"] = data.narrative
    if not proposed:
        raise UserError(
            "the amendment changes nothing: give a value, a status or a narrative"
        )
    return proposed


def _raise_if_decided(amendment: AmendmentRequest, error: UserError) -> None:
    """Deciding an amendment already decided is a conflict (409), whatever else."""
    now = AmendmentRequest.objects.filter(pk=amendment.pk).values("state", "decided_by")
    now = now.first()
    if now and now["state"] != State.PENDING:
        raise VersionConflict(
            f"this amendment is already {now['state']} by {now['decided_by']}; "
            "it cannot be decided again",
            error.problems or [error.args[0]],
        ) from error
