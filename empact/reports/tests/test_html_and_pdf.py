"""Each report of the demo plan as HTML and as PDF: what the pages hold, the
marking and page numbers on every page, the DRAFT watermark on every page of a
draft and on none of a final, and hostile user text rendered safely (T-13)."""

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from empact.reports.markings import LIMITE, marking_for
from empact.reports.render import render
from empact.reports.templatetags.report_format import figure as written
from empact.reports.tests.hostile import LONG_WORD, hostile_light_report

pytestmark = [pytest.mark.django_db, pytest.mark.rendering]
TODAY = date(2025, 3, 1)


@pytest.fixture(scope="module")
def pdfs(reports):
    """Each report laid out once: its pages' text."""
    return {
        name: _pages(render(r, "pdf", marking=LIMITE)) for name, r in reports.items()
    }


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages
    ]


def _kpi_figures(kpi) -> str:
    """Target, expected and accepted, as a KPI row writes them side by side."""
    return " ".join(written(v) for v in (kpi.target, kpi.expected, kpi.accepted))


def _sections(text: str, refs: list[str]) -> dict[str, str]:
    """The text of each OA's section, from its heading to the next one."""
    starts = [(text.index(f"OA {ref} — "), ref) for ref in refs]
    bounds = [*(s for s, _ in starts[1:]), len(text)]
    return {ref: text[s:end] for (s, ref), end in zip(starts, bounds, strict=True)}


@pytest.mark.parametrize("name", ["light", "comprehensive"])
def test_the_pdf_holds_every_oa_with_its_kpi_figures(name, reports, pdfs, figure):
    report = reports[name]
    actions = [a for g in report.goals for a in g.actions]
    text = " ".join(pdfs[name])

    sections = _sections(text, [a.ref for a in actions])
    missing = [
        (a.ref, k.letter)
        for a in actions
        for k in a.kpis
        if _kpi_figures(k) not in sections[a.ref]
    ]

    assert len(actions) == 26
    assert missing == []
    assert f"Contributions counted: {report.summary.contributions}" in text
    figure(
        f"{name} PDF: {len(pdfs[name])} pages, 26 OAs, "
        f"{sum(len(a.kpis) for a in actions)} KPI rows found with their figures"
    )


def test_the_light_report_has_the_activities_narratives_and_issues(reports, pdfs):
    action = next(
        a for g in reports["light"].goals for a in g.actions if a.ref == "2.4"
    )
    text = _sections(" ".join(pdfs["light"]), ["2.4", "2.5"])["2.4"]

    assert "Activities of OA 2.4" in text
    assert action.narratives[0].is_leader
    assert "Italy (IT), leading" in text
    assert "Issues and risks" in text
    for issue in action.issues:
        assert " ".join(issue.text.split()) in text


def test_the_comprehensive_report_has_highlights_and_what_was_not_achieved(
    reports, pdfs
):
    text = " ".join(pdfs["comprehensive"])
    report = reports["comprehensive"]
    lines = [
        line
        for g in report.goals
        for a in g.actions
        for line in (*a.highlights, *a.not_achieved)
    ]

    assert lines
    assert [line for line in lines if line not in text] == []
    assert "2024-H2" in report.periods_left_out  # closed, not locked


def test_the_fact_sheet_fits_two_pages_with_its_headlines_and_charts(reports, pdfs):
    pages = pdfs["factsheet"]
    text = " ".join(pages)
    sheet = reports["factsheet"]

    assert len(pages) <= 2
    assert [h.key for h in sheet.headlines] == [
        "arrests",
        "ocgs",
        "investigations",
        "hvts",
        "jads",
        "seizures",
        "documents",
    ]
    for headline in sheet.headlines:
        assert f"{written(headline.value)} {headline.label}" in text
    assert "KPI attainment by strategic goal" in text
    assert "Participation by country" in text


def test_the_contents_give_the_page_of_each_oa(pdfs):
    pages = pdfs["light"]
    entry = re.search(r"OA 2\.4 Central MED Route \.+ ?(\d+)", pages[0])

    assert entry, pages[0][:500]
    assert "OA 2.4 — Central MED Route" in pages[int(entry[1]) - 1]


def test_every_page_carries_the_marking_and_its_number(pdfs):
    for name, pages in pdfs.items():
        for number, text in enumerate(pages, start=1):
            assert text.count("LIMITE") >= 2, (name, number)  # header and footer
            assert f"Page {number} of {len(pages)}" in text, (name, number)


def test_a_draft_is_marked_on_every_page_and_a_final_on_none(pdfs, figure):
    draft, final = pdfs["factsheet-draft"], pdfs["factsheet"]
    finals = pdfs["light"] + pdfs["comprehensive"] + final

    # Twice on each page: in the running header and as the watermark.
    assert all(page.count("DRAFT") >= 2 for page in draft)
    assert [page for page in finals if "DRAFT" in page] == []
    figure(f"DRAFT on {len(draft)}/{len(draft)} draft pages, 0/{len(finals)} final")


def test_an_accredited_classification_is_printed_on_every_page(reports, settings):
    settings.EMPACT_EUCI_ACCREDITATION = "SAA decision 2026/17"
    marking = marking_for("restreint-ue")

    pages = _pages(render(reports["factsheet"], "pdf", marking=marking))

    assert all(p.count("RESTREINT UE/EU RESTRICTED") >= 2 for p in pages)


def test_html_holds_the_same_report(reports):
    html = render(reports["light"], "html", marking=LIMITE).decode()

    assert html.startswith("<!DOCTYPE html>")
    assert 'class="marking">LIMITE</p>' in html
    for action in (a for g in reports["light"].goals for a in g.actions):
        assert f'id="oa-{action.ref.replace(".", "")}"' in html
    assert "DRAFT" not in html
    assert "http://" not in html and "https://" not in html  # nothing to fetch


def test_hostile_user_text_is_escaped_in_html_and_wraps_in_pdf(reports, figure):
    report = hostile_light_report(reports["light"])

    html = render(report, "html", marking=LIMITE).decode()
    pages = _pages(render(report, "pdf", marking=LIMITE))
    text = "".join(pages)

    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)" in html
    assert "{{7*7}}" in html and "\x00" not in html and "\u202e" not in html
    assert LONG_WORD in html
    assert '=HYPERLINK("http://x","y")' in text
    # The 300-letter word is broken across lines (it would overflow the page
    # otherwise), and nothing of it is cut.
    assert max(len(run) for run in re.findall("W+", text)) < len(LONG_WORD)
    assert LONG_WORD in text.replace(" ", "")
    figure(f"T-13 HTML/PDF: hostile strings escaped, {len(pages)} PDF pages")
