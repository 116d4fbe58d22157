"""One OA block turned into the `actions[]` entry of a plan file."""

import re

from empact.plans.document.blocks import SECTION_HEADINGS, OaBlock
from empact.plans.document.front_matter import code_of
from empact.plans.document.rows import Row
from empact.plans.planfile import quarters_as_dict, target_as_dict
from empact.plans.targets import parse_kpi
from empact.plans.timing import parse_timing

TYPE_NAMES = {
    1: r"operational",
    2: r"data\s+collection|data\s+exchange",
    3: r"strategic",
    4: r"knowledge|training",
    5: r"prevention",
}
REQUIRED_SECTIONS = ("kpis", "types", "activities")
_TYPE_NUMBER = re.compile(r"\b([1-5])\s*[-–.)]\s*[A-Za-z]")
_KPI_LETTER = re.compile(r"^\(?([a-z])\)\s*")
_ACTIVITY_NUMBER = re.compile(r"^(\d{1,2})\s*\)\s*")
_ACTIVITY_HEADER = ("activity", "timing")
_QUOTES = "\"'“”‘’«»"
_MIN_SUMMARY_WORDS = 8


def action_of(
    block: OaBlock, *, short_titles: dict[str, str], years: tuple[int, ...]
) -> tuple[dict, list[str]]:
    """The plan-file mapping of one OA, and the problems that make it unusable."""
    problems = [*block.problems, *_missing_parts(block)]
    title, summary_start = _title_and_rest(
        block.title or "", short_titles.get(block.ref, "")
    )
    kpis = kpis_of(block.rows("kpis"), years=years)
    activities = activities_of(block.rows("activities"), years=years)
    types = types_of(_joined(block.rows("types"), " "))
    problems += _empty_sections(block, kpis=kpis, activities=activities, types=types)
    leader = block.leader or ""
    action = {
        "ref": block.ref,
        "goal": block.goal,
        "leader": code_of(leader) if leader else "",
        "leader_as_written": leader,
        "co_leader": code_of(block.co_leader) if block.co_leader else None,
        "title": title,
        "short_title": short_titles.get(block.ref) or title,
        "summary": "\n\n".join(
            filter(None, [summary_start, _joined(block.rows("summary"))])
        ),
        "types": types,
        "kpis": kpis,
        "activities": activities,
        "links": _joined(block.rows("links")),
        "jad": _joined(block.rows("jad")),
    }
    return action, problems


def _joined(rows: list[Row], separator: str = "\n\n") -> str:
    return separator.join(row.text for row in rows)


def _title_and_rest(title: str, short_title: str) -> tuple[str, str]:
    """The title, and any summary text glued after it ("Title: East Med Conduct…").

    Only split when the title starts with the OA's short title and what follows
    reads as prose; a long title is otherwise kept whole.
    """
    title = title.strip().strip(_QUOTES).strip()
    if not short_title or not title.lower().startswith(short_title.lower()):
        return title, ""
    rest = title[len(short_title) :]
    if not rest[:1].isspace() or len(rest.split()) < _MIN_SUMMARY_WORDS:
        return title, ""
    return title[: len(short_title)], rest.strip()


def _missing_parts(block: OaBlock) -> list[str]:
    where = f"line {block.line}"
    problems = []
    if not block.has_ref:
        problems.append(
            f'{where}: "Leader: {block.leader}" starts an OA with no "Ref.:"'
        )
    elif not block.ref:
        problems.append(f'{where}: "Ref.:" has no OA number such as "OA 2.1"')
    if not block.leader:
        problems.append(f'{where}: {block.name} has no "Leader:"')
    if block.goal is None:
        problems.append(
            f'{where}: {block.name} comes before any "Strategic Goal" heading'
        )
    problems += [
        f'{where}: {block.name} has no "{SECTION_HEADINGS[section]}"'
        for section in REQUIRED_SECTIONS
        if section not in block.heading_lines
    ]
    return problems


def _empty_sections(block: OaBlock, **found: list) -> list[str]:
    what = {
        "kpis": "no KPIs (a), b), …)",
        "activities": "no activities (1), 2), …)",
        "types": "no type (1-Operational … 5-Prevention)",
    }
    return [
        f"line {block.heading_lines[section]}: {block.name} has {what[section]} "
        f'under "{SECTION_HEADINGS[section]}"'
        for section, items in found.items()
        if section in block.heading_lines and not items
    ]


def types_of(text: str) -> list[int]:
    """The OA types: numbers of "1-Operational, 2-Data…", else the names alone."""
    numbers = {int(n) for n in _TYPE_NUMBER.findall(text)}
    if not numbers:
        numbers = {
            number
            for number, name in TYPE_NAMES.items()
            if re.search(rf"\b(?:{name})\b", text, re.IGNORECASE)
        }
    return sorted(numbers)


def lettered_items(text: str) -> list[tuple[str | None, str]]:
    """The "a) … b) …" items of a text, cut only at the next letter in sequence."""
    match = _KPI_LETTER.match(text)
    if not match:
        return [(None, text)]
    items, letter, start = [], match[1], match.end()
    while True:
        following = chr(ord(letter) + 1)
        cut = re.compile(rf"\s\(?{following}\)\s").search(text, start)
        if not cut:
            return [*items, (letter, text[start:].strip())]
        items.append((letter, text[start : cut.start()].strip()))
        letter, start = following, cut.end()


def kpi_texts(rows: list[Row]) -> dict[str, str]:
    """Letter -> KPI text. A KPI list given twice (HTML table and plain rows) counts
    once: the first text of each letter wins, with the lines that continue it."""
    texts: dict[str, str] = {}
    current: str | None = None
    for row in rows:
        for letter, text in lettered_items(row.text):
            if letter is None:
                if current:
                    texts[current] = f"{texts[current]} {text}"
            elif letter in texts:
                current = None
            else:
                texts[letter], current = text, letter
    return texts


def kpis_of(rows: list[Row], *, years: tuple[int, ...]) -> list[dict]:
    """The `kpis` of an OA: letter, description, parsed target, aggregation rule."""
    kpis = []
    for letter, line in kpi_texts(rows).items():
        description, target = parse_kpi(line, years=years)
        kpis.append(
            {
                "letter": letter,
                "text": description,
                "target": target_as_dict(target),
                "aggregation": "sum"
                if target.kind in ("count", "money")
                else "weighted_mean",
            }
        )
    return kpis


def activity_items(rows: list[Row]) -> list[tuple[int, str, str]]:
    """(number, text, timing as written) of every activity, each once: a list given
    twice (HTML table and plain rows) counts once, as for KPIs."""
    items: dict[int, tuple[str, str]] = {}
    current: int | None = None
    for row in rows:
        texts = row.texts
        if tuple(t.lower() for t in texts) == _ACTIVITY_HEADER:
            continue
        text, timing = (
            " ".join(texts[:-1]) or texts[0],
            texts[-1] if len(texts) > 1 else "",
        )
        match = _ACTIVITY_NUMBER.match(text)
        if not match and not timing:  # a line continuing the activity above
            if current is not None:
                items[current] = (f"{items[current][0]} {text}", items[current][1])
            continue
        number = int(match[1]) if match else max(items, default=0) + 1
        text = text[match.end() :].strip() if match else text
        if number in items or (text, timing) in items.values():
            current = None
        else:
            items[number], current = (text, timing), number
    return [(number, text, timing) for number, (text, timing) in items.items()]


def activities_of(rows: list[Row], *, years: tuple[int, ...]) -> list[dict]:
    """The `activities` of an OA: number, text, timing as written and its quarters."""
    return [
        {
            "number": number,
            "text": text,
            "timing": timing,
            "quarters": quarters_as_dict(parse_timing(timing, years=years)),
        }
        for number, text, timing in activity_items(rows)
    ]
