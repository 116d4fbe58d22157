"""One door to every format: `render(report, fmt, marking=...)` → bytes.

Each format lives in render/<fmt>.py and exposes `render(report, *, marking) ->
bytes`, where `report` is one of empact.reports.content's reports and `marking`
an empact.reports.markings.Marking whose `label` goes on every page. The modules
are imported when first asked for, so producing HTML never loads WeasyPrint,
python-docx or openpyxl.
"""

from importlib import import_module
from typing import Literal

from empact.reports.markings import Marking

Format = Literal["html", "pdf", "docx", "xlsx"]
FORMATS: tuple[str, ...] = ("html", "pdf", "docx", "xlsx")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render(report, fmt: Format, *, marking: Marking) -> bytes:
    """`report` written in `fmt`; ValueError for a format that does not exist."""
    if fmt not in FORMATS:
        raise ValueError(f"no report format {fmt!r}; one of {', '.join(FORMATS)}")
    module = import_module(f"empact.reports.render.{fmt}")
    return module.render(report, marking=marking)
