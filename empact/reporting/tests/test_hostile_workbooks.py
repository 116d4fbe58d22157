"""T-12 and T-10: hostile or malformed workbooks, each refused with its reason and
nothing saved. Every file is generated here; no binary fixtures."""

import re
import struct
import time
import zipfile
from datetime import datetime
from io import BytesIO

import pytest

from empact.errors import UserError
from empact.reporting import services
from empact.reporting.models import ActivityStatus, KPIValue
from empact.reporting.services import ValueInput
from empact.reporting.tests.test_xlsx_upload import (
    TODAY,
    AsText,
    fill,
    make_open_contribution,
    upload,
)
from empact.reporting.xlsx import write_template

pytestmark = pytest.mark.django_db
GiB = 1024**3
XXE_FILE = (
    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<si><t>&xxe;</t></si></sst>"
)
XXE_HTTP = XXE_FILE.replace(b"file:///etc/passwd", b"http://169.254.169.254/")
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">'
        % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<si><t>&lol9;</t></si></sst>"
)


def rezip(data: bytes, replace: dict | None = None, add: dict | None = None) -> bytes:
    """The workbook with members replaced (None removes) and added; openpyxl
    writes no sharedStrings.xml, so replacing it adds one, as Excel would have."""
    replace, out = replace or {}, BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            new = replace.get(info.filename, src.read(info.filename))
            if new is not None:
                dst.writestr(info.filename, new, zipfile.ZIP_DEFLATED)
        missing = {n: c for n, c in replace.items() if n not in src.namelist()}
        for name, content in ({**missing, **(add or {})}).items():
            dst.writestr(name, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return archive.read(name)


def declared_bomb(data: bytes) -> bytes:
    """A member whose headers declare 2 GiB unpacked, as a nested bomb's would."""
    data = rezip(data, add={"xl/media/zeros.bin": b"\0" * 1000})
    at = data.rindex(b"PK\x01\x02")  # the last central directory entry: the bomb
    return data[: at + 24] + struct.pack("<I", 2 * GiB) + data[at + 28 :]


def many_members(data: bytes) -> bytes:
    return rezip(data, add={f"xl/media/image{i}.png": b"" for i in range(10_000)})


def million_rows(data: bytes) -> bytes:
    sheet = member(data, "xl/worksheets/sheet2.xml")
    sheet = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:H1048576"', sheet)
    return rezip(data, {"xl/worksheets/sheet2.xml": sheet})


def macro_content_type(data: bytes) -> bytes:
    types = member(data, "[Content_Types].xml").replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
    )
    return rezip(data, {"[Content_Types].xml": types})


def without_sheet(data: bytes) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(BytesIO(data))
    del book["Activities"]
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def stale(setup, data: bytes) -> bytes:
    kpi = setup.contribution.action.kpis.get(letter="a")
    services.save_contribution(
        setup.contribution,
        version=1,
        values={kpi.pk: ValueInput("1")},
        statuses={},
        narrative="",
        actor=setup.participant,
        today=TODAY,
    )
    setup.contribution.refresh_from_db()
    return fill(data, {"KPIs!F2": 2})


# (name, make(setup, template) -> bytes, the problem or message expected)
CASES = [
    (
        "text in a number cell",
        lambda s, t: fill(t, {"KPIs!F2": "twelve"}),
        "KPIs!F2: KPI a: 'twelve' is not a number",
    ),
    (
        "negative",
        lambda s, t: fill(t, {"KPIs!F2": -3}),
        "KPIs!F2: KPI a: '-3' is negative; report what was achieved, 0 or more",
    ),
    (
        "over 100%",
        lambda s, t: fill(t, {"KPIs!F3": 120}),
        "KPIs!F3: KPI b: '120' is above 100, and this KPI is a percentage",
    ),
    (
        "a fraction of a count",
        lambda s, t: fill(t, {"KPIs!F2": 2.5}),
        "KPIs!F2: KPI a: '2.5' is not a whole number, and this KPI counts",
    ),
    (
        "a zero weight",
        lambda s, t: fill(t, {"KPIs!F3": 50, "KPIs!G3": 0}),
        "KPIs!G3: KPI b: the weight must be a number above 0",
    ),
    (
        "a date in a number cell",
        lambda s, t: fill(t, {"KPIs!F2": datetime(2024, 3, 1)}),
        "KPIs!F2: '2024-03-01 00:00:00' is not a number",
    ),
    (
        "unknown status",
        lambda s, t: fill(t, {"Activities!D2": "Finished"}),
        "Activities!D2: 'Finished' is not a status; choose one of Not started, "
        "Ongoing, Completed, Delayed, Cancelled",
    ),
    (
        "moved rows",
        lambda s, t: fill(t, {"KPIs!A2": "b", "KPIs!A3": "a"}),
        "KPIs!A2: expected KPI a here, found 'b'; rows must not be moved, added or "
        "removed: download a fresh template",
    ),
    (
        "an added row",
        lambda s, t: fill(t, {"KPIs!A4": "c", "KPIs!F4": 5}),
        "KPIs!A4: unexpected entry; the OA has 2 KPIs, add nothing below them",
    ),
    (
        "missing sheet",
        lambda s, t: without_sheet(t),
        "the sheet 'Activities' is missing",
    ),
    (
        "edited metadata",
        lambda s, t: fill(t, {"Metadata!B4": "FR"}),
        "Metadata!B4: the workbook is for organisation FR, not organisation IT",
    ),
    (
        "another OA's workbook",
        lambda s, t: write_template(s.other),
        "Metadata!B3: the workbook is for OA 2.2, not OA 1.1",
    ),
    (
        "stale version",
        stale,
        "Metadata!B6: the workbook was made from version 1 of the contribution, "
        "which has changed since (now version 2); download a fresh template and "
        "copy your figures into it",
    ),
    (
        "formula cell",
        lambda s, t: fill(t, {"KPIs!F2": "=SUM(4,8)"}),
        "KPIs!F2: formulas are not accepted ('=SUM(4,8)'); type the figure or "
        "text itself",
    ),
    (
        "DDE formula",
        lambda s, t: fill(t, {"KPIs!H2": "=cmd|' /C calc'!A0"}),
        "KPIs!H2: formulas are not accepted (\"=cmd|' /C calc'!A0\"); type the "
        "figure or text itself",
    ),
    (
        "DDE as text",
        lambda s, t: fill(t, {"Activities!E2": AsText("@SUM(1)*cmd|' /C calc'!A0")}),
        "Activities!E2: \"@SUM(1)*cmd|' /C calc'!A0\" looks like a command to run "
        "(DDE), which is refused",
    ),
    (
        "macro member",
        lambda s, t: rezip(t, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}),
        "upload refused: the workbook is refused because it holds macros "
        "(xl/vbaProject.bin); save it as a plain .xlsx",
    ),
    (
        ".xlsm content type",
        lambda s, t: macro_content_type(t),
        "upload refused: the workbook is macro-enabled (.xlsm); save it as a plain "
        ".xlsx workbook",
    ),
    (
        "external link",
        lambda s, t: rezip(t, add={"xl/externalLinks/externalLink1.xml": b"<x/>"}),
        "upload refused: the workbook is refused because it links to other files "
        "(xl/externalLinks); save it as a plain .xlsx",
    ),
    (
        "data connection",
        lambda s, t: rezip(t, add={"xl/connections.xml": b"<x/>"}),
        "upload refused: the workbook is refused because it holds data connections "
        "(xl/connections.xml); save it as a plain .xlsx",
    ),
    (
        "XXE file entity",
        lambda s, t: rezip(t, {"xl/sharedStrings.xml": XXE_FILE}),
        "upload refused: the workbook part xl/sharedStrings.xml declares a DTD or "
        "entities, which XLSX files never need",
    ),
    (
        "XXE http entity in a sheet",
        lambda s, t: rezip(t, {"xl/worksheets/sheet2.xml": XXE_HTTP}),
        "upload refused: the workbook part xl/worksheets/sheet2.xml declares a DTD "
        "or entities, which XLSX files never need",
    ),
    (
        "billion laughs",
        lambda s, t: rezip(t, {"xl/sharedStrings.xml": LAUGHS}),
        "upload refused: the workbook part xl/sharedStrings.xml declares a DTD or "
        "entities, which XLSX files never need",
    ),
    (
        "zip bomb declared 2 GiB",
        lambda s, t: declared_bomb(t),
        "upload refused: the workbook unpacks to 2,048 MiB; the limit is 50 MiB",
    ),
    (
        "zip bomb by ratio",
        lambda s, t: rezip(t, add={"xl/media/zeros.bin": b"\0" * (20 * 1024**2)}),
        "upload refused: the workbook part xl/media/zeros.bin unpacks to 1,028 "
        "times its packed size (limit 100): a zip bomb?",
    ),
    (
        "10k-member zip",
        lambda s, t: many_members(t),
        "upload refused: the workbook has 10,013 parts; a template has about a "
        "dozen and the limit is 200",
    ),
    (
        "1M-row sheet declared",
        lambda s, t: million_rows(t),
        "upload refused: the sheet in xl/worksheets/sheet2.xml declares 1,048,576 "
        "rows; a template has at most 1000",
    ),
    (
        "a member outside the workbook",
        lambda s, t: rezip(t, add={"../../etc/cron.d/x": b"x"}),
        "upload refused: the workbook has a part with an unsafe name "
        "('../../etc/cron.d/x')",
    ),
    (
        "a zip that is not a workbook",
        lambda s, t: rezip(t, {"xl/workbook.xml": None}),
        "upload refused: the file is a zip archive but not an XLSX workbook",
    ),
    (
        "not a zip at all",
        lambda s, t: b"KPI,value\na,12\n",
        "upload refused: the file is not an XLSX workbook (it does not start as a "
        "zip archive)",
    ),
    (
        "a truncated zip",
        lambda s, t: t[: len(t) // 2],
        "upload refused: the file is not an XLSX workbook (it is not a readable "
        "zip archive)",
    ),
    (
        "an old .xls",
        lambda s, t: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
        "upload refused: the file is an old .xls workbook or an encrypted one; "
        "save it as an .xlsx workbook without a password",
    ),
    (
        "over the size limit",
        lambda s, t: b"PK\x03\x04" + b"\0" * (6 * 1024**2),
        "upload refused: the file is 6.0 MiB; the limit is 5 MiB",
    ),
    ("empty file", lambda s, t: b"", "upload refused: the file is empty"),
]


def messages(error: UserError) -> list[str]:
    return [error.args[0], *error.problems]


def saved_rows() -> int:
    return KPIValue.objects.count() + ActivityStatus.objects.count()


@pytest.mark.parametrize(
    ("make", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_hostile_or_malformed_workbook_is_refused_and_nothing_saved(make, expected):
    setup = make_open_contribution()
    data = make(setup, write_template(setup.contribution))
    version = setup.contribution.version

    with pytest.raises(UserError) as raised:
        upload(setup, data)

    assert expected in messages(raised.value)
    assert saved_rows() == (1 if make is stale else 0)
    setup.contribution.refresh_from_db()
    assert setup.contribution.version == version


def test_every_hostile_workbook_is_refused_quickly(figure):
    setup = make_open_contribution()
    template = write_template(setup.contribution)
    made = [
        (name, make(setup, template)) for name, make, _ in CASES if make is not stale
    ]
    rejected, slowest = 0, 0.0
    before = saved_rows()
    for _name, data in made:
        started = time.perf_counter()
        with pytest.raises(UserError) as raised:
            upload(setup, data)
        slowest = max(slowest, time.perf_counter() - started)
        rejected += bool(messages(raised.value))

    saved = saved_rows() - before
    figure(
        f"xlsx: {len(made)} hostile or malformed workbooks, {rejected} rejected "
        f"with a reason, {saved} rows saved, max wall time {slowest:.2f} s"
    )
    assert (rejected, saved) == (len(made), 0)
    assert slowest < 5
