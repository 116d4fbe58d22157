"""The cross-match report: hit/no-hit holds in HTML, PDF and XLSX, user text is
safe, and every export is recorded as a disclosure."""

import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from empact.accounts.models import RoleAssignment, User
from empact.analysis import crossmatching, services
from empact.audit.models import AuditEntry
from empact.errors import UserError
from empact.organisations.models import Organisation
from empact.plans.tests.factories import make_organisation
from empact.reports.crossmatch import produce_crossmatch_report

HOSTILE = '<script>alert(1)</script> =HYPERLINK("http://x") ' + "W" * 300


@pytest.fixture
def world(db, settings, tmp_path):
    settings.EMPACT_ANALYSIS_DIR = tmp_path / "store"
    europol = make_organisation("EUROPOL", kind=Organisation.Kind.EU_AGENCY)
    analyst = User.objects.create_user("analyst", organisation=europol)
    RoleAssignment.objects.create(user=analyst, role="analyst")
    people = {}
    for code, handling, name in (
        ("DE", "H0", HOSTILE),
        ("NL", "H2", "Secret Petrow"),
        ("FR", "H0", "Unrelated Person"),
    ):
        org = make_organisation(code)
        people[code] = User.objects.create_user(f"nec.{code}", organisation=org)
        RoleAssignment.objects.create(user=people[code], role="nec", country=code)
        phone = "+33 6 00 00 00 01" if code == "FR" else "+49 151 12345678"
        path = tmp_path / f"{code}.jsonl"
        entity = {"id": f"{code}-1", "schema": "Person"}
        entity["properties"] = {"name": [name], "phone": [phone]}
        path.write_text(json.dumps(entity) + "\n")
        given = services.Contribution(
            contributor=org,
            handling=handling,
            purpose="OA 1.1",
            collected_on=date.today(),
        )
        services.ingest_dataset(path, given, actor=analyst)
    crossmatching.run_crossmatch(actor=analyst, today=date.today())
    return people


def produce(people, code, fmt):
    user = people[code]
    return produce_crossmatch_report(user, user.organisation, fmt=fmt, marking="limite")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def xlsx_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return "\n".join(
        str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value
    )


@pytest.mark.parametrize("fmt", ["html", "pdf", "xlsx"])
def test_the_report_names_whom_to_ask_and_withholds_h2_content(world, fmt):
    export = produce(world, "DE", fmt)
    text = {
        "html": lambda d: d.decode(),
        "pdf": pdf_text,
        "xlsx": xlsx_text,
    }[fmt](export.data)

    assert "NL" in text
    assert "phone:+4915112345678" in text
    assert "Secret Petrow" not in text
    assert "Unrelated Person" not in text
    assert "LIMITE" in text


@pytest.mark.parametrize("fmt", ["html", "pdf", "xlsx"])
def test_the_other_side_sees_h0_content_safely(world, fmt):
    export = produce(world, "NL", fmt)

    if fmt == "html":
        text = export.data.decode()
        assert "<script>" not in text
        assert "&lt;script&gt;" in text
    elif fmt == "pdf":
        assert "alert(1)" in pdf_text(export.data)
    else:
        book = load_workbook(io.BytesIO(export.data))
        cells = [c.value for row in book["Hits"].iter_rows() for c in row]
        entity = next(v for v in cells if isinstance(v, str) and "HYPERLINK" in v)
        assert not entity.startswith("=")


def test_a_contributor_without_hits_gets_a_report_saying_only_that(world):
    text = produce(world, "FR", "html").data.decode()

    assert "No entity of FR matched" in text
    assert "Petrow" not in text
    assert "phone:" not in text


def test_each_export_is_a_disclosure_in_the_audit_log(world):
    produce(world, "DE", "pdf")

    entry = AuditEntry.objects.get(action="report.crossmatch_exported")
    assert entry.operation == "disclosure"
    assert entry.extra["format"] == "pdf"


def test_a_classification_without_accreditation_is_refused(world):
    user = world["DE"]
    with pytest.raises(UserError, match="no accreditation"):
        produce_crossmatch_report(
            user, user.organisation, fmt="pdf", marking="restreint-ue"
        )
    assert not AuditEntry.objects.filter(action="report.crossmatch_exported").exists()


def test_the_report_names_the_run_whose_hits_stand(world):
    """Two workers may finish runs out of the order they were queued in: the
    hits that stand are those of the run that saved last, and so is the run."""
    from django.utils import timezone

    from empact.analysis import runs
    from empact.analysis.models import Hit
    from empact.reports.crossmatch import crossmatch_report

    analyst = User.objects.get(username="analyst")
    queued = [runs.queue_crossmatch(actor=analyst) for _ in range(2)]
    older, newer = (runs.claim_next_run(now=timezone.now()) for _ in range(2))
    assert [older, newer] == queued
    crossmatching.execute_run(newer, today=date.today())
    crossmatching.execute_run(older, today=date.today())  # the slower one, saved last

    user = world["DE"]
    report = crossmatch_report(user, user.organisation)
    assert report.hits and {hit.run_id for hit in Hit.objects.all()} == {older.pk}
    assert report.run == older
