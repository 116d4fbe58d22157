"""Producing a report for someone: the one door the command line and the pages use.

`produce_report` checks `report.produce` before anything is read (a report
discloses every OA's figures and narratives), builds the content, renders it,
and records the export as a disclosure in the audit log before the bytes are
returned: if the entry cannot be written, nothing is handed out (fail closed).
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.http import Http404

from empact.accounts import permissions
from empact.audit.log import record
from empact.audit.models import AuditEntry
from empact.errors import UserError
from empact.plans.models import Plan
from empact.reporting import selectors
from empact.reports import content, markings
from empact.reports.render import CONTENT_TYPES, FORMATS, render

KINDS = (content.LIGHT, content.COMPREHENSIVE, content.FACT_SHEET)


@dataclass(frozen=True)
class Export:
    data: bytes
    filename: str
    content_type: str
    report: content.Report


def produce_report(
    plan: Plan,
    kind: str,
    *,
    fmt: str,
    marking: str,
    draft: bool = False,
    period: str | None = None,
    year: int | None = None,
    actor,
    request=None,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Export:
    """The report `kind` of `plan` in `fmt`, marked `marking`, for `actor`.

    `period` ("2024-H1") is the light report's; `year` the fact sheet's and,
    optionally, the comprehensive report's (none: the whole plan period).
    Raises PermissionDenied (or Http404 for a plan the actor may not see) and
    UserError for a choice that cannot be produced, naming the reason."""
    step = progress or (lambda _what: None)
    permissions.require(actor, "plan.view", plan, request=request)
    permissions.require(actor, "report.produce", plan, request=request)
    chosen = _check_choice(kind, fmt, marking)
    step("reading the plan's reporting")
    report = _content(plan, kind, period, year, draft, today, actor, request)
    step(f"writing {fmt.upper()}")
    data = render(report, fmt, marking=chosen)
    step("recording the disclosure")
    record(
        "report.exported",
        actor=actor,
        operation=AuditEntry.Operation.DISCLOSURE,
        obj=plan,
        request=request,
        why="report.produce",
        extra={
            "report": kind,
            "scope": report.scope,
            "format": fmt,
            "marking": chosen.label,
            "accreditation": chosen.accreditation,
            "draft": draft,
            "periods_counted": list(report.periods_counted),
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    return Export(data, filename_for(report, fmt), CONTENT_TYPES[fmt], report)


def filename_for(report: content.Report, fmt: str) -> str:
    draft = "-draft" if report.draft else ""
    return f"{report.plan.slug}-{report.kind}-{report.scope}{draft}.{fmt}"


def _check_choice(kind: str, fmt: str, marking: str) -> markings.Marking:
    if kind not in KINDS:
        raise UserError(f"report {kind!r}: no such report; one of {', '.join(KINDS)}")
    if fmt not in FORMATS:
        raise UserError(f"format {fmt!r}: no such format; one of {', '.join(FORMATS)}")
    return markings.marking_for(marking)


def _content(plan, kind, period, year, draft, today, actor, request):
    if kind == content.LIGHT:
        if not period:
            raise UserError("a light report is for one reporting period, e.g. 2024-H1")
        found = _period(plan, period, actor=actor, request=request)
        return content.light_report(plan, found, draft=draft, today=today)
    if kind == content.COMPREHENSIVE:
        return content.comprehensive_report(plan, year=year, draft=draft, today=today)
    if year is None:
        raise UserError("a fact sheet is for one year of the plan, e.g. 2024")
    return content.fact_sheet(plan, year, draft=draft, today=today)


def _period(plan, code: str, *, actor, request):
    try:
        return selectors.get_period_for(plan.slug, code, actor=actor, request=request)
    except Http404:
        known = ", ".join(p.code for p in plan.periods.all()) or "none yet"
        raise UserError(
            f"period {code!r}: the plan {plan.slug} has no such reporting period "
            f"(write it as 2024-H1; its periods: {known})"
        ) from None
