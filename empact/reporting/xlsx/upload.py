"""Reading a filled-in reporting workbook back, and saving it through the service.

Order: permission and workflow (so nobody learns about a file they may not
upload), then `workbook_refusal` on the raw bytes, then openpyxl (read-only,
formulas as written), then every cell. Problems name sheet and cell; all are
listed at once and nothing is saved unless there are none (V-14: the save is the
service's single transaction).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from empact.accounts import permissions
from empact.audit.export import spreadsheet_safe
from empact.errors import UserError
from empact.reporting import services, workflow
from empact.reporting.models import Contribution
from empact.reporting.services import StatusInput, ValueInput
from empact.reporting.xlsx.inspect import Limits, limits_from_settings, workbook_refusal
from empact.reporting.xlsx.template import (
    ACTIVITY_COLUMNS,
    ACTIVITY_HEADERS,
    ACTIVITY_INPUTS,
    FIRST_ROW,
    KPI_COLUMNS,
    KPI_HEADERS,
    KPI_INPUTS,
    METADATA_KEYS,
    STATUS_LABELS,
    WEIGHTED_KINDS,
    metadata_of,
)

METADATA_LABELS = {"oa": "OA", "version": "version"}
SHEETS = ("KPIs", "Activities", "Narrative", "Metadata")
EXTRA_ROWS = 50  # rows past the template's that must stay empty
# =cmd|' /C calc'!A0, @SUM(1)*cmd|'/c calc'!A0 and their kin
DDE = re.compile(r"^\s*[=+\-@].*\w\|\s*'.*'\s*!", re.DOTALL)
_STATUS_BY_TEXT = {k.casefold(): v for k, v in STATUS_LABELS.items()}
_STATUS_BY_TEXT |= {v.casefold(): v for v in STATUS_LABELS.values()}


def upload_workbook(
    contribution: Contribution, data: bytes, *, actor, today: date, request=None
) -> Contribution:
    """Save a filled-in template as `contribution`'s values, statuses and narrative.

    Raises UserError listing every problem with its sheet and cell (nothing saved),
    Http404 when `actor` may not edit the contribution.
    """
    permissions.require(actor, "contribution.edit", contribution, request=request)
    refusal = workflow.edit_refusal(services.situation(contribution, today=today))
    if refusal:
        raise UserError(f"{contribution} cannot be edited: {refusal}")
    values, statuses, narrative, version = read_upload(data, contribution=contribution)
    try:
        return services.save_contribution(
            contribution,
            version=version,
            values=values,
            statuses=statuses,
            narrative=narrative,
            actor=actor,
            today=today,
            request=request,
        )
    except UserError as e:
        raise UserError(e.args[0], _locate(e.problems, contribution)) from None


def read_upload(data: bytes, *, contribution: Contribution, limits: Limits = None):
    """(values, statuses, narrative, version) from a filled-in template.

    Raises UserError naming every problem (sheet!cell: what and why).
    """
    limits = limits or limits_from_settings()
    refusal = workbook_refusal(data, limits=limits)
    if refusal:
        raise UserError(f"upload refused: {refusal}")
    try:
        book = load_workbook(
            BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception as e:  # openpyxl raises anything from KeyError to lxml errors
        raise UserError(
            f"upload refused: the workbook cannot be read ({type(e).__name__}); "
            "download a fresh template"
        ) from None
    try:
        return _read_book(book, contribution)
    finally:
        book.close()


def _read_book(book, contribution):
    missing = [name for name in SHEETS if name not in book.sheetnames]
    if missing:
        raise UserError(
            "upload refused: this is not the reporting template",
            [f"the sheet {name!r} is missing" for name in missing],
        )
    problems = _metadata_problems(book["Metadata"], contribution)
    if problems:
        raise UserError(
            "upload refused: the workbook is not for this contribution as it is now",
            problems,
        )
    reader = _Reader()
    # A sheet whose columns moved is not read: its cells would land in the
    # wrong fields (a deleted Value column puts the weight in its place).
    values, statuses = {}, {}
    if reader.has_columns(book["KPIs"], KPI_HEADERS + KPI_INPUTS):
        values = reader.kpis(book["KPIs"], list(contribution.action.kpis.all()))
    if reader.has_columns(book["Activities"], ACTIVITY_HEADERS + ACTIVITY_INPUTS):
        statuses = reader.activities(
            book["Activities"], list(contribution.action.activities.all())
        )
    narrative = reader.text(_cells(book["Narrative"], 2, 2, 1, 1)[0][0])  # A2
    if reader.problems:
        # Also what the service would refuse, so that one upload lists every
        # problem (a refused cell was read as empty: it is not named twice).
        more = services.input_problems(contribution, values=values, statuses=statuses)
        problems = reader.problems + _locate(more, contribution)
        raise UserError(
            f"upload refused: {len(problems)} problem(s); nothing was saved", problems
        )
    return values, statuses, narrative, contribution.version


def _metadata_problems(sheet, contribution) -> list[str]:
    rows = _cells(sheet, 1, len(METADATA_KEYS), 1, 2)
    found = {str(key.value): value for key, value in rows}
    expected = metadata_of(contribution)
    problems = []
    for key in METADATA_KEYS:
        cell = found.get(key, _Cell(f"Metadata ({key})"))
        given = "" if cell.is_empty else str(cell.value)
        if given != expected[key]:
            mismatch = _metadata_mismatch(key, given, expected[key])
            problems.append(f"{cell.where}: {mismatch}")
    return problems


def _metadata_mismatch(key: str, given: str, expected: str) -> str:
    if key == "version" and given.isdigit() and int(given) < int(expected):
        return (
            f"the workbook was made from version {given} of the contribution, "
            f"which has changed since (now version {expected}); download a fresh "
            "template and copy your figures into it"
        )
    if key == "format":
        return f"{given!r} is not this platform's template format; download a fresh one"
    label = METADATA_LABELS.get(key, key)
    return f"the workbook is for {label} {given or '(nothing)'}, not {label} {expected}"


@dataclass(frozen=True)
class _Cell:
    where: str  # "KPIs!F3"
    value: object = None
    data_type: str = "n"
    number_format: str = "General"

    @property
    def is_empty(self) -> bool:
        return self.value is None or self.value == ""


def _cells(sheet, min_row, max_row, min_col, max_col) -> list[list[_Cell]]:
    """A range as rows of cells, each knowing its place, empty ones too."""
    rows = [
        [
            _Cell(f"{sheet.title}!{get_column_letter(c)}{r}")
            for c in range(min_col, max_col + 1)
        ]
        for r in range(min_row, max_row + 1)
    ]
    for cells in sheet.iter_rows(
        min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col
    ):
        for cell in cells:
            if hasattr(cell, "coordinate"):
                r, c = cell.row - min_row, cell.column - min_col
                rows[r][c] = _Cell(
                    rows[r][c].where, cell.value, cell.data_type, cell.number_format
                )
    return rows


class _Reader:
    """Reads cells into inputs, keeping a problem per bad cell."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def has_columns(self, sheet, headers) -> bool:
        """Whether row 1 holds the template's headers; else a problem naming the
        first column that differs."""
        row = _cells(sheet, 1, 1, 1, len(headers))[0]
        for cell, expected in zip(row, headers, strict=True):
            given = "" if cell.is_empty else str(cell.value).strip()
            if given != expected:
                self.problems.append(
                    f"{cell.where}: expected the column {expected!r} here, found "
                    f"{given or 'nothing'!r}; columns must not be moved, added or "
                    "removed: download a fresh template"
                )
                return False
        return True

    def kpis(self, sheet, kpis) -> dict[int, ValueInput]:
        values = {}
        rows = _cells(sheet, FIRST_ROW, FIRST_ROW + len(kpis) + EXTRA_ROWS, 1, 8)
        for kpi, row in zip(kpis, rows, strict=False):
            if not self._is_key(row[0], kpi.letter, f"KPI {kpi.letter}"):
                values[kpi.pk] = ValueInput("")
                continue
            value = self.number(row[5], percent=kpi.kind == "percentage")
            weight = self.number(row[6]) if kpi.kind in WEIGHTED_KINDS else ""
            values[kpi.pk] = ValueInput(value, self.text(row[7]), weight or "1")
        self._no_more(rows[len(kpis) :], "the OA has {n} KPIs", len(kpis))
        return values

    def activities(self, sheet, activities) -> dict[int, StatusInput]:
        statuses = {}
        rows = _cells(sheet, FIRST_ROW, FIRST_ROW + len(activities) + EXTRA_ROWS, 1, 5)
        for activity, row in zip(activities, rows, strict=False):
            label = f"activity {activity.number}"
            if not self._is_key(row[0], str(activity.number), label):
                statuses[activity.pk] = StatusInput("")
                continue
            statuses[activity.pk] = StatusInput(self.status(row[3]), self.text(row[4]))
        self._no_more(
            rows[len(activities) :], "the OA has {n} activities", len(activities)
        )
        return statuses

    def _is_key(self, cell: _Cell, expected: str, label: str) -> bool:
        given = "" if cell.is_empty else str(cell.value).strip()
        if given == expected:
            return True
        self.problems.append(
            f"{cell.where}: expected {label} here, found {given or 'nothing'!r}; rows "
            "must not be moved, added or removed: download a fresh template"
        )
        return False

    def _no_more(self, rows, why: str, n: int) -> None:
        for row in rows:
            for cell in row:
                if not cell.is_empty:
                    self.problems.append(
                        f"{cell.where}: unexpected entry; "
                        f"{why.format(n=n)}, add nothing below them"
                    )
                    return

    def _refused(self, cell) -> bool:
        if cell.data_type == "f":
            self.problems.append(
                f"{cell.where}: formulas are not accepted "
                f"({str(cell.value)[:40]!r}); type the figure or text itself"
            )
            return True
        if isinstance(cell.value, str) and DDE.match(cell.value):
            self.problems.append(
                f"{cell.where}: {cell.value[:40]!r} looks "
                "like a command to run (DDE), which is refused"
            )
            return True
        return False

    def number(self, cell, *, percent: bool = False) -> str:
        """The cell's figure as text for the service to check ("" when empty)."""
        if cell.is_empty or self._refused(cell):
            return ""
        value = cell.value
        if isinstance(value, bool) or isinstance(value, date | datetime | time):
            self.problems.append(f"{cell.where}: {str(value)!r} is not a number")
            return ""
        if isinstance(value, int | float):
            number = Decimal(repr(value)) if isinstance(value, float) else value
            if percent and "%" in (cell.number_format or ""):
                number = Decimal(number) * 100  # 85% typed in Excel is stored 0.85
            return str(number)
        return str(value)

    def text(self, cell) -> str:
        if cell.is_empty or self._refused(cell):
            return ""
        value = cell.value
        if isinstance(value, datetime | date):
            return value.isoformat()
        text = str(value)
        if text.startswith("'") and spreadsheet_safe(text[1:]) == text:
            text = text[1:]  # undo the quote `spreadsheet_safe` wrote
        return text

    def status(self, cell) -> str:
        text = self.text(cell).strip()
        if not text:
            return ""
        code = _STATUS_BY_TEXT.get(" ".join(text.split()).casefold())
        if code is None:
            self.problems.append(
                f"{cell.where}: {text!r} is not a status; choose "
                f"one of {', '.join(STATUS_LABELS)}"
            )
            return ""
        return code


def _locate(problems: list[str], contribution: Contribution) -> list[str]:
    """The service's problems ("KPI b: …") with the cell they come from."""
    places = {}
    for row, kpi in enumerate(contribution.action.kpis.all(), start=FIRST_ROW):
        places[f"KPI {kpi.letter}: the weight"] = f"KPIs!{KPI_COLUMNS['weight']}{row}"
        places[f"KPI {kpi.letter}:"] = f"KPIs!{KPI_COLUMNS['value']}{row}"
    activities = contribution.action.activities.all()
    for row, activity in enumerate(activities, start=FIRST_ROW):
        column = ACTIVITY_COLUMNS["status"]
        places[f"activity {activity.number}:"] = f"Activities!{column}{row}"
    located = []
    for problem in problems:
        prefix = next((p for p in places if problem.startswith(p)), None)
        located.append(f"{places[prefix]}: {problem}" if prefix else problem)
    return located
