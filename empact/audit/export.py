"""The audit log as CSV and XLSX, safe to open in a spreadsheet.

Every text cell goes through `export_text`: control characters are written as
escapes (so a user name holding a line break cannot forge a line, T-26), then
`spreadsheet_safe` defuses formulas (V-5). Numbers stay numbers.
"""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.db.models import Max
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from empact.audit.chain import ENTRY_FIELDS, utc_timestamp
from empact.audit.log import record
from empact.audit.models import AuditEntry
from empact.audit.selectors import LogFilter, entries_matching
from empact.errors import UserError

COLUMNS = (*ENTRY_FIELDS, "hash")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX_MAX_ROWS = 1_048_575  # Excel's limit, less the header row
FORMULA_STARTS = ("=", "+", "-", "@")
UNSAFE_FIRST = (*FORMULA_STARTS, "\t", "\r", "\n", "\0")

# Every character that could end a line (str.splitlines knows them all) or drive a
# terminal: C0 and C1 controls, DEL, the Unicode line and paragraph separators.
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]
_ESCAPES = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in _CONTROLS}
_ESCAPES |= {ord("\\"): "\\\\", ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def spreadsheet_safe(value):
    """`value`, with a ``'`` in front if it is text a spreadsheet could run as a
    formula: starting with = + - @, a tab, CR, LF or NUL, also after leading spaces.
    Anything that is not a string is returned as it is."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(UNSAFE_FIRST) or value.lstrip().startswith(FORMULA_STARTS):
        return "'" + value
    return value


def escape_controls(text: str) -> str:
    r"""`text` on one line: controls as \n, \r, \t, \x1b or \u2028, and \ as \\."""
    return text.translate(_ESCAPES)


def export_text(value: str) -> str:
    return spreadsheet_safe(escape_controls(value))


def export_value(value):
    """One cell: integers as integers, everything else as safe text."""
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return utc_timestamp(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return export_text(str(value))


@dataclass(frozen=True)
class LogExport:
    fmt: str
    filename: str
    content_type: str
    about: dict
    log_filter: LogFilter

    def rows(self, chunk_size: int = 2000) -> Iterator[tuple]:
        """The exported entries in seq order, as cells, read chunk by chunk."""
        entries = entries_matching(self.log_filter).filter(
            seq__lte=self.about["up_to_seq"]
        )
        last = 0
        while True:
            chunk = list(
                entries.filter(seq__gt=last)
                .order_by("seq")
                .values_list(*COLUMNS)[:chunk_size]
            )
            for row in chunk:
                yield tuple(export_value(v) for v in row)
            if len(chunk) < chunk_size:
                return
            last = chunk[-1][0]


def export_log(log_filter: LogFilter, *, fmt: str, actor, request) -> LogExport:
    """Disclose the entries `log_filter` selects, as of now; the disclosure is
    logged first (AuditWriteFailed: nothing may be sent)."""
    entries = entries_matching(log_filter)
    up_to_seq = AuditEntry.objects.aggregate(head=Max("seq"))["head"] or 0
    count = entries.filter(seq__lte=up_to_seq).count()
    if fmt == "xlsx" and count > XLSX_MAX_ROWS:
        raise UserError(
            f"{count:,} entries do not fit in one XLSX sheet: narrow the search "
            "or export CSV."
        )
    now = timezone.now()
    about = {
        "filter": log_filter.as_dict(),
        "format": fmt,
        "entries": count,
        "up_to_seq": up_to_seq,
    }
    entry = record(
        "audit.exported",
        actor=actor,
        operation=AuditEntry.Operation.DISCLOSURE,
        object_type=AuditEntry._meta.label_lower,
        request=request,
        extra=about,
    )
    about |= {"exported_at": utc_timestamp(now), "by": entry.actor, "seq": entry.seq}
    filename = f"audit-log-{now:%Y%m%dT%H%M%SZ}.{fmt}"
    return LogExport(fmt, filename, FORMATS[fmt], about, log_filter)


class _Echo:
    def write(self, line: str) -> str:
        return line


def csv_lines(export: LogExport) -> Iterator[str]:
    """The export as CSV (RFC 4180), one line per entry, header first."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(COLUMNS)
    for row in export.rows():
        yield writer.writerow(row)


def write_xlsx(export: LogExport, file: IO[bytes]) -> None:
    """The export as an XLSX workbook: the entries, and a sheet saying what it is."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("audit log")
    sheet.freeze_panes = "A2"
    sheet.append(COLUMNS)
    for row in export.rows():
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    about = book.create_sheet("about")
    for key, value in export.about.items():
        about.append([key, export_value(value)])
    book.save(file)


def _xlsx_cell(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text says
        cell.quotePrefix = value.startswith("'")
    return cell
