"""S5: the three reports in each format, on the demo data, against floors measured
in the same run.

Floors: for PDF, the HTML render of the same report alone (Django templates and
SVG charts) and WeasyPrint on a trivial one-page document (its fixed cost); the
cost per page is what the PDF takes beyond both, divided by its pages after the
first. For XLSX, `csv.writer` of the same rows, and xlsxwriter in
constant_memory mode writing the same rows (the goal: ≤ 2 × xlsxwriter). DOCX is
compared with the HTML render. Goals (issue 5): ≤ 0.15 s per PDF page beyond
the fixed cost, fact sheet ≤ 2 s, comprehensive report for all 26 OAs ≤ 15 s.

Times are the best of a few runs (wall clock, the least disturbed by other load
on these shared machines), with the CPU time of that run beside it: when the
machine is busier than its cores, the CPU time is the fairer figure, and the
load average is printed so the reader can tell.
"""

import csv
import io
import os
import subprocess
import tempfile
import time
from datetime import date

import xlsxwriter

from bench.database import bench_database
from empact.plans.models import Plan
from empact.reports import content
from empact.reports.markings import LIMITE
from empact.reports.render import docx, html, pdf, xlsx
from empact.web.demo import load_demo

TODAY = date(2025, 3, 1)
TRIVIAL = "<!doctype html><html><body><p>One page.</p></body></html>"
GOALS_S = {"factsheet": 2.0, "comprehensive": 15.0}
PER_PAGE_GOAL_S = 0.15
MIN_PAGES = 10  # to tell a cost per page
# WeasyPrint's own cost per page, on a long document of plain tables and text in
# its default style (machine-independent reading of the per-page goal: P-R-1).
PLAIN = (
    "<!doctype html><html><body>"
    + "".join(
        f"<h2>Section {s}</h2><p>{'Plain running text of a report section. ' * 12}</p>"
        "<table><tr>"
        + "".join(f"<th>Column {c}</th>" for c in range(8))
        + "</tr>"
        + "".join(
            "<tr>"
            + "".join(f"<td>cell {r}.{c} {r * c}</td>" for c in range(8))
            + "</tr>"
            for r in range(14)
        )
        + "</table>"
        for s in range(60)
    )
    + "</body></html>"
)


def run() -> None:
    with bench_database():
        load_demo(analysis=False)  # the reports read no analysis data
        _measure(Plan.objects.get())


def _measure(plan: Plan) -> None:
    h1 = plan.periods.get(year=2024, half=1)
    builders = {
        "light": lambda: content.light_report(plan, h1, today=TODAY),
        "comprehensive": lambda: content.comprehensive_report(
            plan, year=2024, today=TODAY
        ),
        "factsheet": lambda: content.fact_sheet(plan, 2024, today=TODAY),
    }
    trivial = _timed(lambda: pdf.pdf_from_html(TRIVIAL), repeat=5)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        "reports (S5), demo data: 26 OAs, 2024-H1 and 2024-H2; WeasyPrint on a "
        f"trivial page (floor): {trivial[0]:.3f} s wall, {trivial[1]:.3f} s cpu; "
        f"load average {load} on {os.cpu_count()} cores"
    )
    plain_pages = _pages(pdf.pdf_from_html(PLAIN))
    plain_t = _timed(lambda: pdf.pdf_from_html(PLAIN), repeat=2)
    plain = (plain_t[1] - trivial[1]) / (plain_pages - 1)
    print(
        f"  WeasyPrint's own cost on a plain long document ({plain_pages} pages of "
        f"tables and paragraphs, no stylesheet of ours): {plain:.3f} s/page cpu "
        "(the P-R-1 level on this machine)"
    )
    print(f"  {'report':<14}{'step':<30}{'wall s':>8}{'cpu s':>8}  {'figures'}")
    for name, build in builders.items():
        built = _timed(build, repeat=3)
        report = build()
        _row(name, "content (database reads)", built)
        _pdf_rows(name, report, trivial, plain)
        _row(
            name,
            "docx",
            _timed(lambda r=report: docx.render(r, marking=LIMITE), repeat=3),
        )
        _xlsx_rows(name, report)


def _pdf_rows(name: str, report, fixed: tuple[float, float], plain: float) -> None:
    html_t = _timed(lambda: html.document(report, marking=LIMITE), repeat=3)
    _row(name, "html alone (floor)", html_t)
    data = pdf.render(report, marking=LIMITE)
    pdf_t = _timed(lambda: pdf.render(report, marking=LIMITE), repeat=2)
    pages = _pages(data)
    per_page = [(pdf_t[i] - html_t[i] - fixed[i]) / max(pages - 1, 1) for i in (0, 1)]
    notes = [f"{pages} pages"]
    if pages >= MIN_PAGES:  # fewer pages: the first page's charts would dominate
        notes[0] += (
            f"; beyond the fixed cost {per_page[0]:.3f} s/page wall, "
            f"{per_page[1]:.3f} s/page cpu (goal ≤ {PER_PAGE_GOAL_S}: "
            f"{_verdict(per_page, PER_PAGE_GOAL_S)}), "
            f"{per_page[1] / plain:.2f} × the plain document's"
        )
    if name in GOALS_S:
        notes.append(f"goal ≤ {GOALS_S[name]:g} s: {_verdict(pdf_t, GOALS_S[name])}")
    _row(name, "pdf", pdf_t, "; ".join(notes))


def _verdict(timing, goal: float) -> str:
    wall, cpu = timing[0] <= goal, timing[1] <= goal
    if wall:
        return "met"
    return "met on cpu time only" if cpu else "NOT met"


def _xlsx_rows(name: str, report) -> None:
    sheets = xlsx.sheets(report)
    cells = sum(len(s.rows) * len(s.columns) for s in sheets)
    csv_t = _timed(lambda: _csv(sheets), repeat=5)
    xw_t = _timed(lambda: _xlsxwriter(sheets), repeat=5)
    ours = _timed(lambda: xlsx.render(report, marking=LIMITE), repeat=5)
    _row(name, "xlsx: csv.writer (floor)", csv_t, f"{cells:,} cells")
    _row(name, "xlsx: xlsxwriter constant_mem", xw_t)
    ratio = ours[0] / xw_t[0]
    _row(
        name,
        "xlsx",
        ours,
        f"{ratio:.1f} × xlsxwriter (goal ≤ 2 ×: {'met' if ratio <= 2 else 'NOT met'}),"
        f" {ours[0] / csv_t[0]:.0f} × csv",
    )


def _csv(sheets) -> None:
    for sheet in sheets:
        writer = csv.writer(io.StringIO())
        writer.writerow([c.title for c in sheet.columns])
        writer.writerows(sheet.rows)


def _xlsxwriter(sheets) -> None:
    """The same rows with xlsxwriter's fastest writer: a header format, a frozen
    header, column widths, numbers as numbers (Decimal as float)."""
    with tempfile.TemporaryFile() as file:
        book = xlsxwriter.Workbook(
            file, {"constant_memory": True, "strings_to_formulas": False}
        )
        bold = book.add_format({"bold": True, "bg_color": "#D9D9D9"})
        for sheet in sheets:
            ws = book.add_worksheet(sheet.name)
            ws.freeze_panes(2, 0)
            for i, column in enumerate(sheet.columns):
                ws.set_column(i, i, column.width)
            ws.write_row(0, 0, ["LIMITE"], bold)
            ws.write_row(1, 0, [c.title for c in sheet.columns], bold)
            for r, row in enumerate(sheet.rows, start=2):
                ws.write_row(r, 0, [_plain(v) for v in row])
        book.close()


def _plain(value):
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, date):
        return value
    return float(value)


def _pages(data: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        info = subprocess.run(
            ["pdfinfo", file.name], capture_output=True, text=True, check=True
        ).stdout
    return int(
        next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1]
    )


def _timed(fn, *, repeat: int) -> tuple[float, float]:
    """(wall, cpu) seconds of the fastest of `repeat` runs. CPU counts the child
    processes too: each PDF is laid out in one (render/isolated.py)."""
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), _cpu()
        fn()
        best = min(best, (time.perf_counter() - wall, _cpu() - cpu))
    return best


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    spent = os.times()
    return spent.user + spent.system + spent.children_user + spent.children_system


def _row(name: str, step: str, timing: tuple[float, float], note: str = "") -> None:
    print(f"  {name:<14}{step:<30}{timing[0]:8.3f}{timing[1]:8.3f}  {note}")
