import io
import os
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import docx
import pytest

from empact.reports import content
from empact.reports.markings import LIMITE, RESTREINT_UE
from empact.reports.render import render
from empact.reports.render.word import TABLE_STYLE
from empact.reports.tests.hostile import (
    HOSTILE,
    LONG_WORD,
    cleaned,
    hostile_light_report,
)

# The module-scoped demo needs the test database set up for this module.
pytestmark = [pytest.mark.django_db, pytest.mark.rendering]
TODAY = date(2025, 3, 1)
WATERMARK = "EmpactDraftWatermark"


@pytest.fixture(scope="module")
def documents(reports):
    """Each report rendered once, read back by python-docx."""
    return {
        name: docx.Document(io.BytesIO(render(report, "docx", marking=LIMITE)))
        for name, report in reports.items()
    }


def _styles(document) -> set[str]:
    return {p.style.name for p in document.paragraphs}


def _headings(document, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def _cells(document) -> list[str]:
    return [c.text for t in document.tables for row in t.rows for c in row.cells]


def _header_xml(document) -> str:
    return document.sections[0].header._element.xml


@pytest.mark.parametrize("name", ["light", "comprehensive", "factsheet"])
def test_report_reads_back_in_word_styles_with_marking_and_page_numbers(
    documents, name
):
    document = documents[name]
    assert {"Title", "Heading 1", "Caption"} <= _styles(document)
    assert document.tables
    assert {t.style.name for t in document.tables} == {TABLE_STYLE}
    assert document.inline_shapes  # the charts, as pictures
    assert document.sections[0].header.paragraphs[0].text == "LIMITE"
    footer = document.sections[0].footer._element.xml
    assert " PAGE " in footer and " NUMPAGES " in footer
    assert round(document.sections[0].page_width.cm, 1) == 21.0  # A4


@pytest.mark.parametrize("name", ["light", "comprehensive"])
def test_long_report_has_a_heading_per_goal_and_oa_and_the_kpi_figures(
    reports, documents, name
):
    report, document = reports[name], documents[name]
    oa_headings = _headings(document, 2)
    refs = [a.ref for g in report.goals for a in g.actions]
    assert len(refs) == 26
    assert [h.split()[1] for h in oa_headings] == refs
    assert len([h for h in _headings(document, 1) if "Strategic goal" in h]) == len(
        report.goals
    )
    cells = set(_cells(document))
    kpis = [k for g in report.goals for a in g.actions for k in a.kpis]
    figures = {content.written(k.accepted) for k in kpis if k.accepted is not None}
    assert figures and figures <= cells
    assert {f"{k.letter}) {k.text}" for k in kpis} <= cells
    assert any("Update this field" in p.text for p in document.paragraphs)  # TOC


def test_fact_sheet_lists_each_headline_with_its_value(reports, documents):
    cells = _cells(documents["factsheet"])
    for headline in reports["factsheet"].headlines:
        assert headline.label in cells
        assert content.written(headline.value) in cells
    assert len(documents["factsheet"].inline_shapes) == 2  # goals, countries
    for country in reports["factsheet"].countries:
        assert f"{country.name} ({country.code})" in cells


def test_draft_carries_the_mark_and_watermark_on_every_page_and_final_does_not(
    documents,
):
    draft, final = documents["factsheet-draft"], documents["factsheet"]
    assert draft.sections[0].header.paragraphs[0].text == "DRAFT — LIMITE"
    assert WATERMARK in _header_xml(draft)
    assert "DRAFT" in draft.sections[0].footer.paragraphs[-1].text
    assert draft.paragraphs[3].text.startswith("DRAFT.")
    assert "DRAFT" not in _header_xml(final)
    assert WATERMARK not in _header_xml(final)
    assert not any("DRAFT" in p.text for p in final.paragraphs)


def test_chosen_marking_is_printed_in_header_and_footer(reports):
    data = render(reports["factsheet"], "docx", marking=RESTREINT_UE)
    section = docx.Document(io.BytesIO(data)).sections[0]
    assert section.header.paragraphs[0].text == "RESTREINT UE/EU RESTRICTED"
    assert section.footer.paragraphs[-1].text == "RESTREINT UE/EU RESTRICTED"


def test_hostile_user_text_is_plain_text_in_the_document(reports, figure):
    report = hostile_light_report(reports["light"])
    data = render(report, "docx", marking=LIMITE)
    document = docx.Document(io.BytesIO(data))
    body = "\n".join(p.text for p in document.paragraphs) + "\n".join(_cells(document))
    for text in HOSTILE:
        assert cleaned(text).replace("\t", "") in body.replace("\t", "")
    assert LONG_WORD in body
    xml = document.element.xml
    assert "<script>" not in xml and "&lt;script&gt;" in xml
    assert "\x00" not in body and "\x1b" not in body and "\u202e" not in body
    instructions = [
        e.text.strip() for e in document.element.iter(docx_tag("instrText"))
    ]
    assert [i.split()[0] for i in instructions] == ["TOC"]  # only the document's own
    figure(f"docx T-13: {len(HOSTILE)} hostile strings, 0 fields from user text")


def test_a_report_without_goals_still_renders(reports):
    empty = replace(reports["light"], goals=(), summary=None)
    document = docx.Document(io.BytesIO(render(empty, "docx", marking=LIMITE)))
    assert document.paragraphs[0].text == "Light progress report"


def docx_tag(name: str) -> str:
    from docx.oxml.ns import qn

    return qn(f"w:{name}")


@pytest.mark.skipif(
    shutil.which("libreoffice") is None,
    reason="LibreOffice is not installed (scripts/install-system-deps installs it)",
)
def test_libreoffice_opens_the_docx_and_the_xlsx_annex(reports, tmp_path, figure):
    report = reports["comprehensive"]
    for fmt in ("docx", "xlsx"):
        (tmp_path / f"report.{fmt}").write_bytes(render(report, fmt, marking=LIMITE))
    pages = {}
    for fmt in ("docx", "xlsx"):
        out = tmp_path / fmt
        subprocess.run(
            ["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(out),
             str(tmp_path / f"report.{fmt}")],
            check=True, capture_output=True, timeout=240,
            env={**os.environ, "HOME": str(tmp_path)},
        )  # fmt: skip
        text = subprocess.run(
            ["pdftotext", str(out / "report.pdf"), "-"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        pages[fmt] = text.count("\f")
        assert "LIMITE" in text
        assert "2.4" in text
    figure(
        f"LibreOffice opened the comprehensive report: DOCX {pages['docx']} pages, "
        f"XLSX annex {pages['xlsx']} pages"
    )
    assert pages["docx"] > 5
