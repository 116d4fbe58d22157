"""The document split into its parts: front matter, strategic goals and OA blocks.

An OA block starts at a row with a "Ref.:" cell (or, broken, a "Leader:" cell
alone) and runs to the next block or "Strategic Goal" heading. Inside a block the
template's section headings are recognised wherever the converter left them: on a
line of their own, at the start of a cell, or glued to the text around them.
"""

import re
from dataclasses import dataclass, field

from empact.plans.document.rows import Row

SECTION_HEADINGS: dict[str, str] = {
    "summary": "Activity summary of the Operational Action",
    "kpis": "Key Performance Indicators (KPIs) and targets",
    "types": "Type of Operational Action",
    "activities": "Activities under the Operational Action and timing",
    "links": "Links to other Operational Action Plans (OAP)/priority",
    "jad": "Horizontal activities / Joint Action Days (JAD)",
}
_HEADING_PATTERNS: dict[str, str] = {
    "summary": r"Activity\s+summary\s+of\s+the\s+Operational\s+Action",
    "kpis": r"Key\s+Performance\s+Indicators\s+\(KPIs\)\s+and\s+target(?:s|\s+values)?",
    # Prose may say "type of operational action": only a paragraph's start counts.
    "types": r"^Type\s+of\s+(?:the\s+)?Operational\s+Action",
    "activities": r"Activities\s+under\s+the\s+Operational\s+Action\s+and\s+timing"
    r"(?:\s*\([^()]*Short\s+description[^()]*\))?",
    "links": r"Links\s+to\s+other\s+Operational\s+Action\s+Plans\s+\(OAPs?\)"
    r"\s*/\s*priorit(?:y|ies)",
    "jad": r"Horizontal\s+activities\s*/\s*Joint\s+Action\s+Days\s+\(JADs?\)",
}
_HEADING = re.compile(
    "|".join(
        rf"(?P<{key}>{pattern})\s*:?" for key, pattern in _HEADING_PATTERNS.items()
    ),
    re.IGNORECASE,
)
_GOAL = re.compile(r"^Strategic\s+Goal\s+(\d+)\s*[:.\-–]\s*(.+?)\.?$", re.IGNORECASE)
_OBJECTIVE = re.compile(r"^Objective\s*:\s*", re.IGNORECASE)
_REF = re.compile(r"^Ref\s*\.?\s*:\s*", re.IGNORECASE)
_LEADER = re.compile(r"^Leader\s*:\s*", re.IGNORECASE)
_CO_LEADER = re.compile(r"^Co-?\s*(?:Action\s+)?Leader\s*:\s*", re.IGNORECASE)
_OA_NUMBER = re.compile(r"^(?:OA\s*)?(\d+\.\d+)\.?(?:\s|$)", re.IGNORECASE)
_TITLE = re.compile(r"^Title\s*:\s*", re.IGNORECASE)


@dataclass
class Goal:
    line: int
    number: int
    title: str
    objective: str | None = None


@dataclass
class OaBlock:
    """The rows of one OA, sorted under the section heading they follow."""

    line: int
    goal: int | None
    has_ref: bool
    ref: str = ""
    leader: str | None = None
    co_leader: str | None = None
    title: str | None = None
    section: str = "summary"
    sections: dict[str, list[Row]] = field(default_factory=dict)
    heading_lines: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"OA {self.ref}" if self.ref else "the OA"

    def rows(self, section: str) -> list[Row]:
        return self.sections.get(section, [])


@dataclass
class Parts:
    front_matter: list[Row]
    goals: list[Goal]
    blocks: list[OaBlock]


def is_goal_heading(row: Row) -> bool:
    """Whether the row is a "Strategic Goal N: title" heading."""
    return len(row.texts) == 1 and bool(_GOAL.match(row.text))


def document_parts(rows: list[Row]) -> Parts:
    """The rows split into front matter, goals and OA blocks, in document order."""
    start = next(
        (i for i, row in enumerate(rows) if is_goal_heading(row) or _oa_start(row)),
        len(rows),
    )
    goals: list[Goal] = []
    blocks: list[OaBlock] = []
    current: OaBlock | None = None
    for row in rows[start:]:
        if is_goal_heading(row):
            match = _GOAL.match(row.text)
            goals.append(Goal(row.line, int(match[1]), match[2].strip()))
            current = None
        elif _oa_start(row):
            current = _new_block(row, goal=goals[-1].number if goals else None)
            blocks.append(current)
        elif current is not None:
            _add_row(current, row)
        elif goals and goals[-1].objective is None and _OBJECTIVE.match(row.text):
            goals[-1].objective = _OBJECTIVE.sub("", row.text)
    return Parts(rows[:start], goals, blocks)


def _oa_start(row: Row) -> bool:
    return any(_REF.match(cell) or _LEADER.match(cell) for cell in row.texts)


def _new_block(row: Row, *, goal: int | None) -> OaBlock:
    block = OaBlock(row.line, goal, has_ref=any(_REF.match(c) for c in row.texts))
    for cell in row.texts:
        if _REF.match(cell):
            block.ref = _oa_number(_REF.sub("", cell))
        _take_leaders(block, cell)
    return block


def _take_leaders(block: OaBlock, cell: str) -> None:
    if _LEADER.match(cell):
        block.leader = _LEADER.sub("", cell).strip()
    elif _CO_LEADER.match(cell):
        block.co_leader = _CO_LEADER.sub("", cell).strip()


def _oa_number(text: str) -> str:
    match = _OA_NUMBER.match(text.strip())
    return match[1] if match else ""


def _add_row(block: OaBlock, row: Row) -> None:
    if _continues_ref_row(block, row):
        block.ref = _oa_number(row.texts[0])
        for cell in row.texts[1:]:
            _take_leaders(block, cell)
        return
    if block.section == "summary" and any(_CO_LEADER.match(c) for c in row.texts):
        for cell in row.texts:
            _take_leaders(block, cell)
        return
    if len(row.texts) != 1:
        block.sections.setdefault(block.section, []).append(row)
        return
    for heading, text in _split_at_headings(row.text):
        if heading:
            _open_section(block, heading, line=row.line)
        if text:
            _add_text(block, row.line, text)


def _continues_ref_row(block: OaBlock, row: Row) -> bool:
    """Whether the row carries the OA number a "Ref.:" cell left for the next row."""
    return (
        block.has_ref
        and not block.ref
        and not block.sections
        and not block.heading_lines
        and bool(row.texts)
        and bool(_oa_number(row.texts[0]))
    )


def _split_at_headings(text: str) -> list[tuple[str | None, str]]:
    """The text cut at every section heading: (heading key or None, text after it)."""
    parts: list[tuple[str | None, str]] = []
    heading, position = None, 0
    for match in _HEADING.finditer(text):
        parts.append((heading, text[position : match.start()].strip()))
        heading, position = match.lastgroup, match.end()
    parts.append((heading, text[position:].strip()))
    return [(h, t) for h, t in parts if h or t]


def _open_section(block: OaBlock, heading: str, *, line: int) -> None:
    if heading in block.heading_lines and not block.problems:
        # One message per block: every later heading repeats the same mistake.
        block.problems.append(
            f'line {line}: {block.name} has a second "{SECTION_HEADINGS[heading]}" '
            f"(the first is on line {block.heading_lines[heading]}); "
            f'is a "Ref.:" row missing?'
        )
    block.heading_lines.setdefault(heading, line)
    block.section = heading


def _add_text(block: OaBlock, line: int, text: str) -> None:
    if block.section == "summary" and block.title is None and _TITLE.match(text):
        block.title = _TITLE.sub("", text).strip()
        return
    block.sections.setdefault(block.section, []).append(Row(line, (text,)))
