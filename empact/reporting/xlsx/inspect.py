"""Looking inside an uploaded XLSX before openpyxl parses any of it (V-6, V-7).

An XLSX is a zip of XML parts. Its central directory says how many members there
are and how big each unpacks, so a zip bomb, a 10,000-member archive, macros,
external links and DTDs can all be refused from the directory and a bounded scan,
without inflating anything past the declared sizes (zipfile never reads a member
past its declared `file_size`, so the declared sizes are the real bounds).
"""

import re
import zipfile
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings

MiB = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and encrypted .xlsx
MACRO_CONTENT_TYPE = re.compile(rb"macroEnabled", re.IGNORECASE)
DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?[A-Z]*(\d+)"')
# Parts that run code or fetch data from elsewhere.
FORBIDDEN = (
    ("xl/vbaProject.bin", "it holds macros (xl/vbaProject.bin)"),
    ("xl/externalLinks/", "it links to other files (xl/externalLinks)"),
    ("xl/connections.xml", "it holds data connections (xl/connections.xml)"),
    ("xl/activeX/", "it holds ActiveX controls (xl/activeX)"),
    ("xl/embeddings/", "it embeds other documents (xl/embeddings)"),
    ("customUI/", "it customises the ribbon with code (customUI)"),
)
ALLOWED_TOP = ("[Content_Types].xml", "_rels/", "docProps/", "docMetadata/", "xl/")
ALLOWED_TOP += ("customXml/",)
SCAN_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * MiB
    max_members: int = 200
    max_unpacked: int = 50 * MiB
    max_ratio: int = 100  # unpacked / packed, for members above ratio_floor
    ratio_floor: int = 1 * MiB
    max_rows: int = 1000


def limits_from_settings() -> Limits:
    """The limits, with any EMPACT_XLSX_* setting in their place."""
    names = {
        "max_bytes": "EMPACT_XLSX_MAX_BYTES",
        "max_members": "EMPACT_XLSX_MAX_MEMBERS",
        "max_unpacked": "EMPACT_XLSX_MAX_UNPACKED_BYTES",
        "max_ratio": "EMPACT_XLSX_MAX_RATIO",
        "max_rows": "EMPACT_XLSX_MAX_ROWS",
    }
    given = {f: getattr(settings, s) for f, s in names.items() if hasattr(settings, s)}
    return Limits(**given)


def workbook_refusal(data: bytes, *, limits: Limits) -> str | None:
    """Why `data` must not be given to openpyxl, or None when it may."""
    refusal = _file_refusal(data, limits)
    if refusal:
        return refusal
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        return "the file is not an XLSX workbook (it is not a readable zip archive)"
    with archive:
        return _members_refusal(members, limits) or _content_refusal(
            archive, members, limits
        )


def _file_refusal(data: bytes, limits: Limits) -> str | None:
    if not data:
        return "the file is empty"
    if len(data) > limits.max_bytes:
        return (
            f"the file is {len(data) / MiB:.1f} MiB; the limit is "
            f"{limits.max_bytes / MiB:.0f} MiB"
        )
    if data.startswith(OLE_MAGIC):
        return (
            "the file is an old .xls workbook or an encrypted one; "
            "save it as an .xlsx workbook without a password"
        )
    if not data.startswith(ZIP_MAGIC):
        return "the file is not an XLSX workbook (it does not start as a zip archive)"
    return None


def _members_refusal(members: list[zipfile.ZipInfo], limits: Limits) -> str | None:
    if len(members) > limits.max_members:
        return (
            f"the workbook has {len(members):,} parts; a template has about "
            f"a dozen and the limit is {limits.max_members}"
        )
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_unpacked:
        return (
            f"the workbook unpacks to {unpacked / MiB:,.0f} MiB; the limit is "
            f"{limits.max_unpacked / MiB:.0f} MiB"
        )
    for m in members:
        refusal = _member_refusal(m, limits)
        if refusal:
            return refusal
    return None


def _member_refusal(member: zipfile.ZipInfo, limits: Limits) -> str | None:
    name = member.filename
    if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/"):
        return f"the workbook has a part with an unsafe name ({name!r})"
    for prefix, why in FORBIDDEN:
        if name == prefix or name.startswith(prefix):
            return f"the workbook is refused because {why}; save it as a plain .xlsx"
    if not name.startswith(ALLOWED_TOP):
        return f"the workbook has a part an XLSX workbook does not have ({name!r})"
    ratio = member.file_size // max(member.compress_size, 1)
    if member.file_size > limits.ratio_floor and ratio > limits.max_ratio:
        return (
            f"the workbook part {name} unpacks to {ratio:,} times its packed "
            f"size (limit {limits.max_ratio}): a zip bomb?"
        )
    return None


def _content_refusal(archive, members, limits: Limits) -> str | None:
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return "the file is a zip archive but not an XLSX workbook"
    if MACRO_CONTENT_TYPE.search(archive.read("[Content_Types].xml")):
        return (
            "the workbook is macro-enabled (.xlsm); save it as a plain .xlsx workbook"
        )
    for m in members:
        if m.filename.endswith((".xml", ".rels")):
            refusal = _xml_refusal(archive, m, limits)
            if refusal:
                return refusal
    return None


def _xml_refusal(archive, member: zipfile.ZipInfo, limits: Limits) -> str | None:
    """A DTD anywhere (XXE, billion laughs), or a sheet declaring too many rows."""
    tail = b""
    first = True
    with archive.open(member) as stream:
        while chunk := stream.read(SCAN_CHUNK):
            window = tail + chunk
            if DTD.search(window):
                return (
                    f"the workbook part {member.filename} declares a DTD or "
                    "entities, which XLSX files never need"
                )
            if first and member.filename.startswith("xl/worksheets/"):
                rows = DIMENSION.search(window)
                if rows and int(rows.group(1)) > limits.max_rows:
                    return (
                        f"the sheet in {member.filename} declares "
                        f"{int(rows.group(1)):,} rows; a template has at most "
                        f"{limits.max_rows}"
                    )
            first = False
            tail = chunk[-16:]
    return None
