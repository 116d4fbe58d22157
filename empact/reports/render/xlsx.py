"""A report's data annex as an XLSX workbook: one sheet per kind of data, the
figures as numbers, the marking on the first row of every sheet and in the
printed header.

Every text cell is user text or built from it, so every one goes through
`without_controls` (XML cannot hold most controls) and `spreadsheet_safe` (V-5):
no text can start a formula, and a defused one keeps its quote prefix. openpyxl
turns only text starting with "=" into a formula, which `spreadsheet_safe` has
already prefixed, so plain text can be appended as it is, fast; cells that need a
style (headers, quoted text, percentages, dates) are `WriteOnlyCell`s.
The rows are built first (`sheets`), so the benchmark can write the very same
rows with csv and xlsxwriter.
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from empact.audit.export import spreadsheet_safe
from empact.reports.content import (
    ActionSection,
    ComprehensiveReport,
    FactSheet,
    GoalSection,
    JADRow,
    Report,
)
from empact.reports.markings import Marking
from empact.reports.text import without_controls

TEXT, NUMBER, PERCENT, DATE, FLAG = "text", "number", "percent", "date", "flag"
MAX_CELL = 32_767  # Excel refuses to open a workbook with a longer text
_CUT = " … [cut: longer than a spreadsheet cell holds]"
FORMATS = {NUMBER: "#,##0.##", PERCENT: "0%", DATE: "yyyy-mm-dd"}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_HEADER_BORDER = Border(bottom=Side(style="thin"))
_WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    kind: str = TEXT


@dataclass(frozen=True)
class Sheet:
    name: str  # at most 31 characters, none of []:*?/\
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]


def render(report: Report, *, marking: Marking) -> bytes:
    """The report's data annex as XLSX bytes."""
    buffer = io.BytesIO()
    label = f"DRAFT — {marking.label}" if report.draft else marking.label
    write_workbook(sheets(report), marking=label, title=_title(report), file=buffer)
    return buffer.getvalue()


def sheets(report: Report) -> list[Sheet]:
    """The annex's sheets, cells as raw values (text, Decimal, int, date, bool)."""
    found = [_about(report)]
    if isinstance(report, FactSheet):
        found += [_headlines(report), _goals(report.goals), _countries(report)]
        return found
    actions = [(goal, action) for goal in report.goals for action in goal.actions]
    jads = report.jads if isinstance(report, ComprehensiveReport) else _jads(actions)
    found += [
        _goals(report.goals),
        _kpis(actions, light=report.kind == "light", draft=report.draft),
        _activities(actions),
        _narratives(actions),
        _findings(actions),
        _jad_results(jads),
    ]
    return found


def write_workbook(sheets: Iterable[Sheet], *, marking: str, title: str, file) -> None:
    book = Workbook(write_only=True)
    marking = _text(marking)
    for sheet in sheets:
        _write_sheet(book.create_sheet(sheet.name), sheet, marking, _text(title))
    book.save(file)


def _write_sheet(ws, sheet: Sheet, marking: str, title: str) -> None:
    last = get_column_letter(len(sheet.columns))
    for i, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{last}{len(sheet.rows) + 2}"
    ws.print_title_rows = "1:2"
    ws.oddHeader.center.text = marking.replace("&", "&&")
    ws.oddFooter.left.text = title.replace("&", "&&")
    ws.oddFooter.right.text = "Page &P of &N"
    first = WriteOnlyCell(ws, f"{marking} — {title}" if marking else title)
    first.font = _HEADER_FONT
    ws.append([first])
    ws.append([_header(ws, column.title) for column in sheet.columns])
    kinds = [column.kind for column in sheet.columns]
    for row in sheet.rows:
        ws.append(
            [_cell(ws, value, kind) for value, kind in zip(row, kinds, strict=True)]
        )


def _header(ws, title: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, _text(title))
    cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _HEADER_BORDER
    return cell


def _cell(ws, value, kind: str):
    if value is None or isinstance(value, bool | int | float | Decimal):
        if kind in (PERCENT, NUMBER) and value is not None:
            cell = WriteOnlyCell(ws, value)
            cell.number_format = FORMATS[kind]
            return cell
        return value
    if isinstance(value, date | datetime):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = FORMATS[DATE]
        return cell
    text = _text(str(value))
    if not text.startswith("'") and "\n" not in text:
        return text  # cannot be a formula: see the module doc
    cell = WriteOnlyCell(ws, text)
    cell.data_type = "s"
    cell.quotePrefix = text.startswith("'")
    if "\n" in text:
        cell.alignment = _WRAP
    return cell


def _text(value: str) -> str:
    """User text as a cell can hold it: controls out, formulas defused, cut to
    Excel's limit."""
    text = spreadsheet_safe(without_controls(value))
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - len(_CUT)] + _CUT
    return text


def _title(report: Report) -> str:
    return f"{report.title} {report.scope} — {report.plan.title}"


# The sheets ---------------------------------------------------------------------


def _about(report: Report) -> Sheet:
    plan = report.plan
    rows = [
        ("Report", report.title),
        ("Plan", plan.title),
        ("Priority", plan.priority),
        ("Council document", plan.council_document),
        ("Scope", report.scope_label),
        ("Figures as of", report.as_of),
        ("Produced (UTC)", report.generated_at.replace(tzinfo=None)),
        ("Draft", report.draft),
        (
            "Values counted",
            "accepted and submitted (pending) values"
            if report.draft
            else "accepted values only",
        ),
    ]
    return Sheet("About", (Column("Item", 22), Column("Value", 80)), tuple(rows))


def _goals(goals: Sequence) -> Sheet:
    columns = (
        Column("Goal", 6, NUMBER),
        Column("Strategic goal", 50),
        Column("On track", 10, NUMBER),
        Column("Behind", 10, NUMBER),
        Column("Far behind", 10, NUMBER),
        Column("No status", 10, NUMBER),
        Column("KPIs", 8, NUMBER),
    )
    rows = tuple(
        (
            g.number,
            g.title,
            g.statuses.green,
            g.statuses.amber,
            g.statuses.red,
            g.statuses.none,
            g.statuses.total,
        )
        for g in goals
    )
    return Sheet("Goals", columns, rows)


def _kpis(actions, *, light: bool, draft: bool) -> Sheet:
    optional = {"Pending": draft, "This period": light}
    columns = [
        Column("Goal", 6, NUMBER),
        Column("OA", 7),
        Column("KPI", 8),
        Column("KPI text", 50),
        Column("Kind", 11),
        Column("Unit", 10),
        Column("Target as planned", 28),
        Column("Scope", 10),
        Column("Target", 11, NUMBER),
        Column("Expected by then", 11, NUMBER),
        Column("Accepted", 11, NUMBER),
        Column("Pending", 11, NUMBER),
        Column("This period", 11, NUMBER),
        Column("Counted", 11, NUMBER),
        Column("Share of expected", 11, PERCENT),
        Column("Share of target", 11, PERCENT),
        Column("Status", 10),
        Column("Status label", 13),
        Column("Why no status", 30),
    ]
    keep = [optional.get(c.title, True) for c in columns]
    rows = []
    for goal, action in actions:
        for k in action.kpis:
            row = (
                goal.number,
                action.ref,
                k.ref,
                k.text,
                k.kind,
                k.unit,
                k.target_text,
                k.scope,
                k.target,
                k.expected,
                k.accepted,
                k.pending,
                k.this_period,
                k.value,
                k.share_of_expected,
                k.share_of_target,
                k.status,
                k.status_label,
                k.reason,
            )
            rows.append(tuple(v for v, kept in zip(row, keep, strict=True) if kept))
    kept_columns = tuple(c for c, kept in zip(columns, keep, strict=True) if kept)
    return Sheet("KPIs", kept_columns, tuple(rows))


def _activities(actions) -> Sheet:
    columns = (
        Column("Goal", 6, NUMBER),
        Column("OA", 7),
        Column("Activity", 8, NUMBER),
        Column("Activity text", 50),
        Column("Timing", 16),
        Column("Status", 12),
        Column("Status label", 14),
        Column("Overdue", 9, FLAG),
        Column("Reported by", 30),
        Column("Comments", 50),
    )
    rows = tuple(
        (
            goal.number,
            action.ref,
            a.number,
            a.text,
            a.timing,
            a.status,
            a.status_label,
            a.is_overdue,
            "; ".join(f"{code}: {label}" for code, label in a.reports),
            "\n".join(a.comments),
        )
        for goal, action in actions
        for a in action.activities
    )
    return Sheet("Activities", columns, rows)


def _narratives(actions) -> Sheet:
    columns = (
        Column("Goal", 6, NUMBER),
        Column("OA", 7),
        Column("Organisation", 12),
        Column("Organisation name", 30),
        Column("Period", 9),
        Column("Leader", 8, FLAG),
        Column("Pending", 8, FLAG),
        Column("Narrative", 100),
    )
    rows = tuple(
        (
            goal.number,
            action.ref,
            n.organisation,
            n.organisation_name,
            n.period,
            n.is_leader,
            n.is_pending,
            n.text,
        )
        for goal, action in actions
        for n in action.narratives
    )
    return Sheet("Narratives", columns, rows)


def _findings(actions: list[tuple[GoalSection, ActionSection]]) -> Sheet:
    """Issues and risks, highlights, and what was not achieved, per OA."""
    columns = (
        Column("Goal", 6, NUMBER),
        Column("OA", 7),
        Column("Finding", 14),
        Column("Text", 100),
    )
    rows = []
    for goal, action in actions:
        rows += [(goal.number, action.ref, "highlight", t) for t in action.highlights]
        rows += [
            (goal.number, action.ref, "not achieved", t) for t in action.not_achieved
        ]
        rows += [(goal.number, action.ref, i.kind, i.text) for i in action.issues]
    return Sheet("Findings", columns, tuple(rows))


def _jads(actions) -> tuple[JADRow, ...]:
    """The JADs of the OAs, each once (one JAD serves several OAs)."""
    seen = {}
    for _goal, action in actions:
        for jad in action.jads:
            seen.setdefault((jad.name, jad.starts, jad.lead), jad)
    return tuple(seen.values())


def _jad_results(jads: Sequence[JADRow]) -> Sheet:
    columns = (
        Column("Joint Action Day", 30),
        Column("Starts", 11, DATE),
        Column("Ends", 11, DATE),
        Column("Lead", 10),
        Column("Participants", 12, NUMBER),
        Column("OAs", 16),
        Column("Measure", 24),
        Column("Seizure kind", 18),
        Column("Total", 10, NUMBER),
    )
    rows = []
    for jad in jads:
        common = (jad.name, jad.starts, jad.ends, jad.lead, jad.participants)
        oas = ", ".join(jad.oas)
        results = jad.results or (("", "", None),)
        rows += [(*common, oas, m, kind, total) for m, kind, total in results]
    return Sheet("JAD results", columns, tuple(rows))


def _headlines(report: FactSheet) -> Sheet:
    columns = (
        Column("Figure", 36),
        Column(report.scope, 12, NUMBER),
        Column("Sources", 60),
        Column("Note", 60),
    )
    rows = tuple(
        (h.label, h.value, "; ".join(h.sources), h.note) for h in report.headlines
    )
    return Sheet("Headlines", columns, rows)


def _countries(report: FactSheet) -> Sheet:
    columns = (
        Column("Code", 10),
        Column("Country or organisation", 34),
        Column("Organisations", 14, NUMBER),
        Column("OAs taken part in", 16, NUMBER),
        Column("OAs led or co-led", 16, NUMBER),
        Column("Contributions", 14, NUMBER),
    )
    rows = tuple(
        (c.code, c.name, c.organisations, c.actions, c.leads, c.contributions)
        for c in report.countries
    )
    return Sheet("Countries", columns, rows)
