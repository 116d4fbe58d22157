"""The workbook buttons of the contribution page: download, fill, upload."""

from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from empact.reporting.models import KPIValue
from empact.reporting.tests.test_pages import as_user

pytestmark = pytest.mark.django_db


def download(client, contribution) -> bytes:
    response = client.get(
        reverse("reporting:download_template", args=[contribution.pk])
    )
    assert response.status_code == 200
    assert "attachment;" in response["Content-Disposition"]
    return response.content


def upload(client, contribution, data: bytes, name="report.xlsx"):
    return client.post(
        reverse("reporting:upload_workbook", args=[contribution.pk]),
        {"workbook": SimpleUploadedFile(name, data)},
    )


def test_the_officer_downloads_fills_and_uploads_the_workbook(
    client, people, contribution
):
    as_user(client, people["officer"])
    book = openpyxl.load_workbook(BytesIO(download(client, contribution)))
    sheet = book["KPIs"]
    header = [c.value for c in sheet[1]]
    value_column = header.index("Value") + 1
    sheet.cell(row=2, column=value_column, value=12)
    filled = BytesIO()
    book.save(filled)

    response = upload(client, contribution, filled.getvalue())

    assert response.status_code == 302
    saved = KPIValue.objects.get(contribution=contribution, kpi__letter="a")
    assert saved.value == 12


def test_a_bad_workbook_is_refused_on_the_page_and_nothing_is_saved(
    client, people, contribution
):
    as_user(client, people["officer"])

    response = upload(client, contribution, b"not a workbook at all")

    assert response.status_code == 400
    assert "not an XLSX workbook" in response.content.decode()
    assert not KPIValue.objects.filter(contribution=contribution).exists()


def test_another_organisation_can_neither_download_nor_upload(
    client, people, contribution
):
    as_user(client, people["other"])

    assert (
        client.get(
            reverse("reporting:download_template", args=[contribution.pk])
        ).status_code
        == 404
    )
    assert upload(client, contribution, b"x").status_code == 404
