"""The reporting workbook: one organisation's contribution to one OA in one period,
to fill in offline and upload again.

Layout (the reader relies on it; FORMAT changes when it does):
  Instructions  how to fill it in
  KPIs          letter, indicator, target, kind, unit | value, weight, evidence
  Activities    number, activity, planned timing | status (a list), comment
  Narrative     A2: what happened in the period
  Metadata      very hidden and protected: which contribution, which version
Only the input cells are unlocked; the sheets and the workbook structure are
protected so that rows cannot be moved. Every text goes through
`spreadsheet_safe` and is stored as a string, never as a formula (V-5).
"""

from dataclasses import dataclass
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from empact.audit.export import spreadsheet_safe
from empact.organisations.models import Organisation
from empact.plans.models import KPI, Action
from empact.reporting.jads import NOT_IN_CONTRIBUTIONS
from empact.reporting.models import (
    ActivityStatus,
    Contribution,
    JADMapping,
    ReportingPeriod,
)

FORMAT = "empact-contribution-1"
FIRST_ROW = 2
KPI_HEADERS = ("KPI", "Indicator", "Target", "Kind", "Unit")
KPI_INPUTS = ("Value", "Weight", "Evidence")
KPI_COLUMNS = {"letter": "A", "value": "F", "weight": "G", "evidence": "H"}
ACTIVITY_HEADERS = ("No.", "Activity", "Planned timing")
ACTIVITY_INPUTS = ("Status", "Comment")
ACTIVITY_COLUMNS = {"number": "A", "status": "D", "comment": "E"}
NARRATIVE_CELL = "A2"
METADATA_KEYS = ("format", "plan", "oa", "organisation", "period", "version")
WEIGHTED_KINDS = (KPI.Kind.PERCENTAGE, KPI.Kind.RATING)
STATUS_LABELS = {str(label): code for code, label in ActivityStatus.Status.choices}

INPUT = Protection(locked=False)
INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class TemplateSpec:
    """A contribution not started yet: its template is blank, version 1."""

    organisation: Organisation
    action: Action
    period: ReportingPeriod
    version: int = 1


def write_template(contribution: Contribution | TemplateSpec) -> bytes:
    """The workbook for `contribution`, pre-filled with its OA and current values."""
    book = Workbook()
    _write_instructions(book.active, contribution)
    _write_kpis(book.create_sheet("KPIs"), contribution)
    _write_activities(book.create_sheet("Activities"), contribution)
    _write_narrative(book.create_sheet("Narrative"), contribution)
    _write_metadata(book.create_sheet("Metadata"), contribution)
    book.security = WorkbookProtection(lockStructure=True)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def metadata_of(contribution: Contribution | TemplateSpec) -> dict[str, str]:
    """What the Metadata sheet says, as text, key by key."""
    return {
        "format": FORMAT,
        "plan": contribution.action.plan.slug,
        "oa": contribution.action.ref,
        "organisation": contribution.organisation.code,
        "period": contribution.period.code,
        "version": str(contribution.version),
    }


def put_text(cell, value: str) -> None:
    """Write text that a spreadsheet shows and never runs; control characters
    XML cannot hold are written as escapes (\\x0b)."""
    value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m[0]):02x}", value)
    cell.value = spreadsheet_safe(value)
    cell.data_type = "s"
    if cell.value.startswith("'"):
        cell.quotePrefix = True


def _row(sheet, row: int, texts, inputs=()) -> None:
    for column, text in enumerate(texts, start=1):
        cell = sheet.cell(row=row, column=column)
        if text is not None:
            put_text(cell, str(text))
        cell.alignment = WRAP
    for column, value in enumerate(inputs, start=len(texts) + 1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str):
            put_text(cell, value)
        else:
            cell.value = value
        cell.protection = INPUT
        cell.fill = INPUT_FILL
        cell.alignment = WRAP


def _header(sheet, headers, widths) -> None:
    for column, (text, width) in enumerate(zip(headers, widths, strict=True), 1):
        cell = sheet.cell(row=1, column=column, value=text)
        cell.font = BOLD
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = f"A{FIRST_ROW}"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False


def _write_kpis(sheet, contribution) -> None:
    _header(sheet, KPI_HEADERS + KPI_INPUTS, (6, 50, 30, 12, 10, 12, 10, 50))
    current = _current_values(contribution)
    for row, kpi in enumerate(contribution.action.kpis.all(), start=FIRST_ROW):
        given = current.get(kpi.pk)
        weighted = kpi.kind in WEIGHTED_KINDS
        inputs = (
            given.value if given else None,
            (given.weight if given else None) if weighted else None,
            given.evidence if given else "",
        )
        texts = (kpi.letter, kpi.text, kpi.target_text, kpi.get_kind_display())
        _row(sheet, row, (*texts, kpi.unit), inputs)
        if not weighted:
            weight = sheet[f"{KPI_COLUMNS['weight']}{row}"]
            weight.protection = Protection(locked=True)
            weight.fill = PatternFill()


def _write_activities(sheet, contribution) -> None:
    _header(sheet, ACTIVITY_HEADERS + ACTIVITY_INPUTS, (6, 60, 20, 16, 50))
    current = _current_statuses(contribution)
    activities = list(contribution.action.activities.all())
    for row, activity in enumerate(activities, start=FIRST_ROW):
        given = current.get(activity.pk)
        status = given.get_status_display() if given else None
        comment = given.comment if given else ""
        texts = (activity.number, activity.text, activity.timing)
        _row(sheet, row, texts, (str(status) if status else None, comment))
    choices = ",".join(STATUS_LABELS)
    validation = DataValidation(
        type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True
    )
    validation.error = f"Choose one of: {choices}"
    sheet.add_data_validation(validation)
    if activities:
        column = ACTIVITY_COLUMNS["status"]
        validation.add(f"{column}{FIRST_ROW}:{column}{FIRST_ROW + len(activities) - 1}")


def _write_narrative(sheet, contribution) -> None:
    _header(sheet, ("Narrative: what happened in this period, in a few lines",), (100,))
    narrative = getattr(contribution, "narrative", "")
    _row(sheet, 2, (), (narrative,))
    sheet.row_dimensions[2].height = 200


def _write_metadata(sheet, contribution) -> None:
    for row, (key, value) in enumerate(metadata_of(contribution).items(), start=1):
        sheet.cell(row=row, column=1, value=key)
        put_text(sheet.cell(row=row, column=2), value)
    sheet.protection.sheet = True
    sheet.sheet_state = "veryHidden"


def _write_instructions(sheet, contribution) -> None:
    sheet.title = "Instructions"
    about = (
        f"OA {contribution.action.ref} {contribution.action.short_title} · "
        f"{contribution.organisation.code} · {contribution.period.code}"
    )
    lines = (
        about,
        "",
        "Fill in the yellow cells only, then upload this file on the contribution's "
        "page. Other cells are protected.",
        "KPIs: the Value is the figure achieved in this period (a number, 0 or more; "
        "a percentage between 0 and 100). Weight: for percentages and ratings, how "
        "many people or items the value stands for. Evidence: where the figure "
        "comes from. Leave Value empty for a KPI you do not report.",
        "Activities: choose a Status from the list; add a comment if useful.",
        "Narrative: a few lines on the period.",
        "Formulas, links and macros are refused: type figures and text only.",
        "The file is for this contribution only, as it was when downloaded. If the "
        "contribution changes online in the meantime, the upload is refused: "
        "download a fresh template.",
        *_jad_notes(contribution),
    )
    for row, line in enumerate(lines, start=1):
        put_text(sheet.cell(row=row, column=1), line)
        sheet.cell(row=row, column=1).alignment = Alignment(wrap_text=True)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 100
    sheet.protection.sheet = True


def _jad_notes(contribution) -> list[str]:
    """A line per KPI that counts JAD results, so they are not reported twice."""
    mapped = JADMapping.objects.filter(kpi__action=contribution.action)
    letters = mapped.order_by("kpi__letter").values_list("kpi__letter", flat=True)
    return [f"KPI {letter}: {NOT_IN_CONTRIBUTIONS}." for letter in letters]


def _current_values(contribution) -> dict:
    if not isinstance(contribution, Contribution) or contribution.pk is None:
        return {}
    return {v.kpi_id: v for v in contribution.values.all()}


def _current_statuses(contribution) -> dict:
    if not isinstance(contribution, Contribution) or contribution.pk is None:
        return {}
    return {s.activity_id: s for s in contribution.activity_statuses.all()}
