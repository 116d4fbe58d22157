"""The cross-match report of one contributor: where its data met another's.

It says exactly what the contributor's hits page says (empact.analysis.selectors
.own_hits, so hit/no-hit holds here too): its own entities that hit, the shared
identifiers or agreeing fields, whom to ask, and the other side's content only
where its handling code allows or its provider released it. Nothing about data
that did not hit. Every export is audited as a disclosure before it is handed out.
"""

import io
from dataclasses import dataclass
from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from empact.analysis import selectors
from empact.analysis.models import Run
from empact.audit.log import record
from empact.engine.tables import most_restrictive
from empact.errors import UserError
from empact.organisations.models import Organisation
from empact.reports.markings import Marking, marking_for
from empact.reports.render import html as report_html
from empact.reports.render.pdf import pdf_from_html
from empact.reports.render.xlsx import NUMBER, Column, Sheet, write_workbook
from empact.reports.text import without_controls

FORMATS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class CrossmatchReport:
    organisation: Organisation
    hits: list  # of selectors.OwnHit
    run: Run | None
    generated_at: datetime

    @property
    def own_entities(self) -> int:
        return len({(h.own_dataset.pk, h.own_entity) for h in self.hits})

    @property
    def contributors_to_ask(self) -> list[str]:
        return sorted({h.ask.code for h in self.hits})

    @property
    def handling(self) -> str | None:
        """The report's handling code: the strictest of the hits it shows (each
        already the stricter of its two sides); None when it shows no data."""
        if not self.hits:
            return None
        return most_restrictive(h.handling for h in self.hits)


@dataclass(frozen=True)
class CrossmatchExport:
    data: bytes
    filename: str
    content_type: str


def produce_crossmatch_report(
    actor, organisation: Organisation, *, fmt: str, marking: str, request=None
) -> CrossmatchExport:
    """The organisation's cross-match report in `fmt` (html, pdf, xlsx)."""
    if fmt not in FORMATS:
        raise UserError(f"format {fmt!r}: choose one of {', '.join(FORMATS)}")
    chosen = marking_for(marking)
    report = crossmatch_report(actor, organisation, request=request)
    hits = report.hits
    data = RENDERERS[fmt](report, chosen)
    filename = f"crossmatch-{organisation.code}-{report.generated_at:%Y%m%d}.{fmt}"
    record(
        "report.crossmatch_exported",
        actor=actor,
        operation="disclosure",
        obj=organisation,
        request=request,
        extra={
            "format": fmt,
            "marking": chosen.code,
            "handling": report.handling,
            "hits": len(hits),
            "contents": sum(1 for h in hits if h.content is not None),
        },
    )
    return CrossmatchExport(data, filename, FORMATS[fmt])


def crossmatch_report(
    actor, organisation: Organisation, *, request=None
) -> CrossmatchReport:
    """What the report says, read from the hits as they stand (nothing is kept)."""
    return CrossmatchReport(
        organisation=organisation,
        hits=selectors.own_hits(actor, organisation, request=request),
        # Each run that saves its hits replaces all others', so the hits that
        # stand are those of the run that saved last, whenever it was queued.
        run=Run.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .first(),
        generated_at=timezone.now(),
    )


def crossmatch_html(report: CrossmatchReport, marking: Marking) -> str:
    context = {
        "report": report,
        "marking": marking,
        "stylesheet": mark_safe(report_html._stylesheet()),  # our own file
    }
    return render_to_string("reports/crossmatch.html", context)


def _html(report: CrossmatchReport, marking: Marking) -> bytes:
    return crossmatch_html(report, marking).encode("utf-8")


def _pdf(report: CrossmatchReport, marking: Marking) -> bytes:
    return pdf_from_html(crossmatch_html(report, marking))


def _xlsx(report: CrossmatchReport, marking: Marking) -> bytes:
    rows = tuple(
        (
            h.own_caption,
            h.own_dataset.origin,
            h.reason,
            h.score,
            h.ask.code,
            h.handling,
            h.other_handling,
            "; ".join(f"{p}: {v}" for _s, p, v in h.content)
            if h.content is not None
            else "",
            h.withheld_because,
        )
        for h in report.hits
    )
    sheet = Sheet(
        "Hits",
        (
            Column("Your entity", 30),
            Column("Your file", 24),
            Column("Shared", 36),
            Column("Score", 8, NUMBER),
            Column("Ask", 10),
            Column("Handling", 10),
            Column("Their handling", 10),
            Column("Their entity", 50),
            Column("Withheld because", 36),
        ),
        tuple(tuple(_clean(v) for v in row) for row in rows),
    )
    buffer = io.BytesIO()
    title = f"Cross-match report of {report.organisation.code}"
    if report.handling:
        title += f", handling code {report.handling}"
    write_workbook([sheet], marking=marking.label, title=title, file=buffer)
    return buffer.getvalue()


def _clean(value):
    return without_controls(value) if isinstance(value, str) else value


RENDERERS = {"html": _html, "pdf": _pdf, "xlsx": _xlsx}
