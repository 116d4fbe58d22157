"""Reading the audit log. Reading it is itself a consultation, and is logged first."""

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from empact.audit.log import record
from empact.audit.models import AuditEntry
from empact.errors import UserError

PAGE_SIZE = 100
EXACT_FIELDS = (
    "actor",
    "organisation",
    "operation",
    "object_type",
    "object_id",
    "outcome",
)


@dataclass(frozen=True)
class LogFilter:
    """What an auditor searches for; empty means any. Dates are UTC days."""

    actor: str = ""
    organisation: str = ""
    action: str = ""  # a prefix: "plan." finds plan.imported and plan.exported
    operation: str = ""
    object_type: str = ""
    object_id: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_dict(self) -> dict:
        """The filter as it is written into the audit entry of a search or export."""
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in asdict(self).items()
            if value
        }


CHANGES = (
    AuditEntry.Operation.COLLECTION,
    AuditEntry.Operation.ALTERATION,
    AuditEntry.Operation.ERASURE,
)


def last_change() -> str:
    """A name for the state of the data: the chain hash of the latest entry that
    records a change. Every change of data is audited in the transaction that
    makes it, so a new change means a new name. Entries are appended in commit
    order (the append lock is held to the end of the transaction), so read this
    before the data it names. The hash, not the number, names it: a database
    restored from a backup reuses numbers, never hashes; "" before any change."""
    # One query per operation, each answered from the (operation, seq) index; a
    # single query over all three would walk back through every consultation.
    latest = [
        AuditEntry.objects.filter(operation=operation)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
        for operation in CHANGES
    ]
    return max((entry for entry in latest if entry), default=(0, ""))[1]


def entries_matching(log_filter: LogFilter) -> QuerySet[AuditEntry]:
    """The entries `log_filter` selects, unordered."""
    f = log_filter
    entries = AuditEntry.objects.all()
    for name in EXACT_FIELDS:
        if getattr(f, name):
            entries = entries.filter(**{name: getattr(f, name)})
    if f.action:
        entries = entries.filter(action__startswith=f.action)
    if f.date_from:
        entries = entries.filter(at__gte=_utc_midnight(f.date_from))
    if f.date_to and f.date_to < date.max:
        entries = entries.filter(at__lt=_utc_midnight(f.date_to + timedelta(days=1)))
    return entries


def log_page(log_filter: LogFilter, *, number: int, actor, request) -> Page:
    """Page `number` of the matching entries, newest first, after logging the search.

    Raises UserError for a page beyond the last, AuditWriteFailed when the search
    cannot be logged (then nothing may be shown).
    """
    paginator = Paginator(entries_matching(log_filter).order_by("-seq"), PAGE_SIZE)
    if number > paginator.num_pages:
        raise UserError(
            f"There is no page {number}: this search has {paginator.num_pages} "
            f"page{'s' if paginator.num_pages != 1 else ''}."
        )
    page = paginator.page(number)
    page.object_list = list(page.object_list)  # what is shown: the log before this
    record(
        "audit.consulted",
        actor=actor,
        operation=AuditEntry.Operation.CONSULTATION,
        object_type=AuditEntry._meta.label_lower,
        request=request,
        extra={"filter": log_filter.as_dict(), "page": number},
    )
    return page


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
