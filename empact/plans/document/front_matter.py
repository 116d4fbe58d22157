"""The plan's own fields from the document's front matter: title, date, driver, aim,
and the short titles of the overview table."""

import re
import unicodedata

from empact.organisations.codes import organisation_code
from empact.plans.document.rows import Row

MONTHS = {
    name: number
    for number, name in enumerate(
        "january february march april may june july august september october "
        "november december".split(),
        start=1,
    )
}
MARKINGS = (
    "LIMITE",
    "PUBLIC",
    "RESTREINT UE/EU RESTRICTED",
    "CONFIDENTIEL UE/EU CONFIDENTIAL",
    "SECRET UE/EU SECRET",
)
_SUBJECT = re.compile(r"^Subject\s*:\s*", re.IGNORECASE)
_PERIOD = re.compile(r"(\d{4})\s*[-–]\s*(\d{4})")
_DATE = re.compile(r"^[A-Z][a-z]+,\s+(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})$")
_COUNCIL_DOCUMENT = re.compile(r"^\d{3,5}(?:/\d+)?/\d{2}(?:\s+(?:REV|COR|ADD)\s*\d+)*$")
_DRIVER = re.compile(
    r"responsibility\s+of\s+(?:the\s+)?(.+?)\s+driver\b", re.IGNORECASE
)
_CO_DRIVERS = re.compile(r"co-?drivers?\b", re.IGNORECASE)
_CONNECTIVES = re.compile(r"^(?:[,;]|and|with|assisted|supported|by|the|\s)+", re.I)
_AIM = re.compile(r"aim\s+of\s+this\s+priority\s+is\s*:?\s*", re.IGNORECASE)
_QUOTED = re.compile(r"[“\"«](.+?)[”\"»]")
_OA_REF = re.compile(r"^(?:OA\s*)?(\d+\.\d+)\.?$", re.IGNORECASE)


def paragraphs(rows: list[Row]) -> list[Row]:
    """The rows that are one paragraph (a single non-empty cell)."""
    return [row for row in rows if len(row.texts) == 1]


def subject_of(rows: list[Row]) -> str | None:
    """The text after "Subject:", the plan's title."""
    for row in rows:
        if row.texts and _SUBJECT.match(row.texts[0]):
            return " ".join([_SUBJECT.sub("", row.texts[0]), *row.texts[1:]]).strip()
    return None


def period_of(title: str) -> str | None:
    """The plan period named in the title, "2024-2025"."""
    match = _PERIOD.search(title)
    return f"{match[1]}-{match[2]}" if match else None


def priority_of(title: str) -> str:
    """The priority: the title after its colon ("…2024-2025: Migrant smuggling")."""
    return title.split(":", 1)[1].strip() if ":" in title else title


def plan_id(period: str, priority: str) -> str:
    """The plan's id: "oap-2024-2025-migrant-smuggling"."""
    ascii_text = unicodedata.normalize("NFKD", priority).encode("ascii", "ignore")
    words = re.findall(r"[a-z0-9]+", ascii_text.decode().lower())
    return "-".join(["oap", period, *words])


def date_of(rows: list[Row]) -> str | None:
    """The ISO date of the "Brussels, 3 November 2023" line."""
    for row in paragraphs(rows):
        match = _DATE.match(row.text)
        if match and match[2].lower() in MONTHS:
            day, month, year = int(match[1]), MONTHS[match[2].lower()], int(match[3])
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def council_document_of(rows: list[Row]) -> str | None:
    """The Council document number, "14541/23": the first line that is only one."""
    return next(
        (row.text for row in paragraphs(rows) if _COUNCIL_DOCUMENT.match(row.text)),
        None,
    )


def marking_of(rows: list[Row]) -> str:
    """The handling marking on a line of its own ("LIMITE"), or ""."""
    return next((row.text for row in paragraphs(rows) if row.text in MARKINGS), "")


def drivers_of(rows: list[Row]) -> tuple[str | None, list[str]]:
    """The driver and co-drivers of "…under the responsibility of the DE driver…"."""
    for row in paragraphs(rows):
        match = _DRIVER.search(row.text)
        if not match:
            continue
        sentence = row.text[match.end() :].split(". ")[0].rstrip(".")
        return code_of(match[1]), [code_of(name) for name in _co_driver_names(sentence)]
    return None, []


def _co_driver_names(sentence: str) -> list[str]:
    """The names of "and the FR and ES co-drivers" or "with co-drivers FR, ES"."""
    match = _CO_DRIVERS.search(sentence)
    if not match:
        return []
    before = _CONNECTIVES.sub("", sentence[: match.start()]).strip()
    names = before or sentence[match.end() :].strip(" :()")
    return [name for name in re.split(r"\s*,\s*|\s+and\s+", names) if name]


def code_of(as_written: str) -> str:
    """The organisation's code, else the name upper-cased for the linter to report."""
    return organisation_code(as_written) or as_written.strip().upper()


def aim_of(rows: list[Row]) -> str | None:
    """The quoted aim sentence: The aim of this priority is “to fight against…”."""
    for row in paragraphs(rows):
        match = _AIM.search(row.text)
        if match:
            rest = row.text[match.end() :]
            quoted = _QUOTED.search(rest)
            return quoted[1].strip() if quoted else rest.strip().rstrip(".")
    return None


def short_titles_of(rows: list[Row]) -> dict[str, str]:
    """OA ref -> short title, from the overview tables (No | OA | AL | Short title)."""
    short_titles: dict[str, str] = {}
    columns: tuple[int, int] | None = None
    for row in rows:
        header = [cell.strip().lower() for cell in row.cells]
        if "oa" in header and "short title" in header:
            columns = header.index("oa"), header.index("short title")
        elif columns and len(row.texts) == 1:
            columns = None
        elif columns and len(row.cells) > max(columns):
            match = _OA_REF.match(row.cells[columns[0]].strip())
            if match:
                short_titles[match[1]] = row.cells[columns[1]].strip()
    return short_titles
