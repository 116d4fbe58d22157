"""KPI targets of an OAP: "Number of OCGs identified/dismantled – 20 per year" as data.

The OAP template puts a KPI and its target on one line, and plans write the target
in many ways: "– 20 per year", "(1,000)", "(10.000/year)", "(Target: 9 in 2024 and
9 in 2025)", "At least EUR 50,000", "target 4.5/6", "(one permanent Helpdesk,
4 Action-Weeks)". `split_kpi` finds where the target is written and `parse_target`
reads it.

Where the target is: the longest end of the line made only of target words
(figures, "at least", "target", "per year", "in 2024", brackets holding a figure,
punctuation). A figure glued to a name ("EU SOCTA 2021", "OA 1.8", "WB6", "Reflex
2024/25") is never a target. When a line gives two or more bare bracketed figures
inside the text ("Action Days (2) and JADs (2) supported"), the target is the line
from its start to the last of them, each figure counting for the words before it.
"""

import html
import re
from dataclasses import dataclass, field
from decimal import Decimal

_WORDS = {
    w: n
    for n, w in enumerate(
        "one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split(),
        start=1,
    )
}
# "a"/"an" are not read as 1: "a year", "an operational activity" are not targets.
_NUMBER_WORD = r"(?<![\w-])(?:" + "|".join(_WORDS) + r")(?![\w-])"
# Not glued to a name ("WB6", "Q2") nor the tail of "4.5/6" or "2024/25".
_DIGITS = r"(?<![\w.,/])\d+(?:[.,]\d+)*(?!\w)"
_NUMBER = rf"(?:{_DIGITS}|{_NUMBER_WORD})"
_YEAR = r"(?:19|20)\d\d"
_YEAR_RANGE = rf"(?<!\d){_YEAR}\s*[/-]\s*(?:{_YEAR}|\d\d)(?!\d)"
_PER_YEAR = (
    r"\bper\s+(?:years?|annum)\b|\ba\s+year\b|\b(?:each|every)\s*/?\s*year\b"
    r"|\bannually\b|\byearly\b|/\s*years?\b|(?:(?<=\d)|(?<=\d\s))year\b"
)
_PERIOD = (
    r"\bper\s+(?:OAP|plan)\b|\bin\s+total\b|\b(?:for|during)\s+the\s+(?:OAP|plan)\b"
    r"|\b(?:for|over|during)\s+the\s+(?:whole\s+)?(?:plan\s+|OAP\s+)?period\b"
)
_MINIMUM = (
    r"\bat\s+least\b|\bminimum\b|\bmin\b\.?|\bno[t]?\s+(?:less|fewer)\s+than\b|≥|>="
)
_CUE = r"\btarget(?:s|\s+values?)?\b|\bvalues?\b"
_CURRENCY = r"\bEUR\b|\beuros?\b|€|\bUSD\b|\$|\bGBP\b|£"
_TAIL_ITEM = "|".join(
    (
        r"\([^()]*\)",
        _YEAR_RANGE,
        rf"\bin\s+{_YEAR}\b",
        r"(?<![^\W\d_])(?<![\d.,])\d+(?:[.,]\d+)*(?![^\W\d_])",
        _NUMBER_WORD,
        _PER_YEAR,
        _PERIOD,
        _MINIMUM,
        _CUE,
        _CURRENCY,
        r"\band\b|\bof\s+each\b|\beach\b|\bout\s+of\b",
        r"[\s.,:;=/%–—-]",
    )
)
# Possessive: each item is read once, so a long run of year spans or cue words
# cannot make the search backtrack exponentially.
_TAIL = re.compile(rf"(?:{_TAIL_ITEM})++$", re.IGNORECASE)
_RUN = re.compile(rf"(?:{_TAIL_ITEM})++", re.IGNORECASE)
_BRACKET = re.compile(r"\(([^()]*)\)")
_NUMBERED_BRACKET = re.compile(rf"\(\s*({_NUMBER})\s*\)", re.IGNORECASE)
_FIGURE = re.compile(_NUMBER, re.IGNORECASE)
_CUES_AT_START = re.compile(
    r"^(?:(?:target(?:s|\s+values?)?|values?|at\s+least|minimum|min\b\.?)\s*[:=]?\s*)+",
    re.IGNORECASE,
)
_BY_YEAR = re.compile(
    rf"({_NUMBER})\s+in\s+({_YEAR})\b"
    rf"|(?<![/-])(?<![/-]\s)\b({_YEAR})\s*[:=]\s*({_NUMBER})",  # not "2024-2025: 12"
    re.IGNORECASE,
)
_RATIO = re.compile(rf"({_DIGITS})\s*(?:/|\bout\s+of\b)\s*(\d+)(?![\d.,]*\d)", re.I)
_SEPARATORS = " .,:;=/–—-"


@dataclass(frozen=True)
class TargetComponent:
    value: Decimal
    label: str


@dataclass(frozen=True)
class Target:
    as_written: str
    value: Decimal | None
    scope: str | None
    kind: str
    unit: str = ""
    scale: Decimal | None = None
    minimum: bool = False
    by_year: dict[int, Decimal] = field(default_factory=dict)
    components: tuple[TargetComponent, ...] = ()


def _clean(text: str) -> str:
    # Lines come from PDF/Word conversions: markup and entities remain.
    return " ".join(re.sub(r"<[^>]*>", " ", html.unescape(text)).split())


def _to_decimal(written: str) -> Decimal | None:
    """A written figure as a number: "1,000" and "10.000" group thousands, "4.5" not."""
    if written.lower() in _WORDS:
        return Decimal(_WORDS[written.lower()])
    groups, separators = re.split(r"[.,]", written), set(re.findall(r"[.,]", written))
    if len(groups) == 1:
        return Decimal(written)
    if len(separators) == 1 and _is_grouped(groups):
        return Decimal("".join(groups))
    if len(groups) == 2:
        return Decimal(f"{groups[0]}.{groups[1]}")
    if len(separators) == 2 and _is_grouped(groups[:-1]):
        return Decimal(f"{''.join(groups[:-1])}.{groups[-1]}")
    return None


def _is_grouped(groups: list[str]) -> bool:
    head_ok = 1 <= len(groups[0]) <= 3 and not groups[0].startswith("0")
    return head_ok and all(len(g) == 3 for g in groups[1:])


def _masked(text: str) -> str:
    # Years are not targets; blank them out, keeping positions.
    pattern = rf"{_YEAR_RANGE}|\bin\s+{_YEAR}\b|\b{_YEAR}\s*[:=]|\bout\s+of\s+\d+"
    return re.sub(pattern, lambda m: " " * len(m[0]), text, flags=re.IGNORECASE)


def _figures(text: str, years: tuple[int, ...] = ()) -> list[tuple[Decimal, int]]:
    """Target figures in `text` with where each ends, leaving out years."""
    found = []
    for m in _FIGURE.finditer(_masked(text)):
        value = _to_decimal(m[0])
        if value is not None and not (
            len(m[0]) == 4 and m[0].isdigit() and int(m[0]) in years
        ):
            found.append((value, m.end()))
    return found


def _is_target_bracket(inner: str) -> bool:
    if re.match(r"\s*(?:e\.?\s?g\b|i\.?\s?e\b|such\s+as|incl|see\b|cf\b)", inner, re.I):
        return False
    body = _CUES_AT_START.sub("", inner.strip())
    starts_with_figure = re.match(_NUMBER, body, re.IGNORECASE) is not None
    return bool(_figures(inner)) and (
        starts_with_figure or bool(_TAIL.fullmatch(inner))
    )


def _component_label(segment: str) -> str:
    lead = r"^[\s,;.:–—-]*(?:and\s+)?(?:the\s+)?(?:number\s+(?:of\s+)?)?"
    return re.sub(lead, "", segment, flags=re.IGNORECASE).strip(_SEPARATORS)


def _bracket_components(text: str) -> tuple[TargetComponent, ...]:
    """'Action Days (2) and JADs (2)': each figure counts the words before it."""
    brackets = list(_NUMBERED_BRACKET.finditer(text))
    components, start = [], 0
    for bracket in brackets:
        label = _component_label(text[start : bracket.start()])
        if not re.search(r"[^\W\d_]", label):
            return ()
        components.append(TargetComponent(_to_decimal(bracket[1]), label))
        start = bracket.end()
    return tuple(components) if len(components) > 1 else ()


def _listed_components(text: str) -> tuple[TargetComponent, ...]:
    """'one permanent Helpdesk, 4 Action-Weeks': a figure and its label, listed."""
    bracketed = re.fullmatch(r"\(([^()]*)\)", text)
    body = _CUES_AT_START.sub("", (bracketed[1] if bracketed else text).strip())
    split_at = rf"\s*(?:[,;]|\band\b)\s*(?={_NUMBER})"
    components = []
    for part in re.split(split_at, body, flags=re.IGNORECASE):
        item = re.fullmatch(rf"({_NUMBER})\s+(.*\S)", part, re.IGNORECASE | re.DOTALL)
        if not item or _TAIL.fullmatch(item[2]):
            return ()
        components.append(TargetComponent(_to_decimal(item[1]), item[2].strip(" .,;:")))
    return tuple(components) if len(components) > 1 else ()


def _by_year(text: str) -> dict[int, Decimal]:
    found = {}
    for m in _BY_YEAR.finditer(text):
        figure, year = (m[1], m[2]) if m[1] else (m[4], m[3])
        found[int(year)] = _to_decimal(figure)
    return {year: value for year, value in found.items() if value is not None}


def _rating(text: str, description: str) -> tuple[Decimal, Decimal] | None:
    """(value, scale) of '4.5/6': a scale up to 10 and a rating word or a decimal."""
    words = re.search(
        r"satisf|\brat(?:e|ed|ing)\b|\bscore|\bscale\b|\bgrade",
        text + " " + description,
        re.I,
    )
    for m in _RATIO.finditer(text):
        value, scale = _to_decimal(m[1]), Decimal(m[2])
        decimal = re.search(r"[.,]", m[1]) is not None
        if (
            value is not None
            and 0 < scale <= 10
            and value <= scale
            and (words or decimal)
        ):
            return value, scale
    return None


def _currency(text: str) -> str:
    found = re.search(_CURRENCY, text, re.IGNORECASE)
    if not found:
        return ""
    symbol = found[0].upper()
    return {"€": "EUR", "EURO": "EUR", "EUROS": "EUR", "$": "USD", "£": "GBP"}.get(
        symbol, symbol
    )


def _kind(
    text: str, description: str, value: Decimal | None, rated: bool
) -> tuple[str, str]:
    """(kind, unit): what the target itself says first, then the KPI's words."""
    if re.search(r"%|\bper\s?cent", text, re.IGNORECASE):
        return "percentage", "%"
    stated = re.findall(
        rf"\((?:{_CURRENCY})\)|\bin\s+(?:{_CURRENCY})", description, re.I
    )
    currency = _currency(text) or _currency(" ".join(stated))
    if currency:
        return "money", currency
    if rated:
        return "rating", ""
    share = r"%|\bpercentage\b|\bper\s?cent|\b(?:share|proportion)\s+of\b"
    if re.search(share, description, re.IGNORECASE):
        return "percentage", "%"
    # EMPACT budgets and seizures are in euro unless the plan says otherwise.
    worth = r"\s*(?:the\s+)?(?:total\s+)?(?:value|amount|sum)\s+of\b"
    if re.match(worth, description, re.IGNORECASE):
        return "money", "EUR"
    satisfaction = re.search(r"satisf", f"{description} {text}", re.IGNORECASE)
    counted = re.match(r"\s*number\b", description, re.IGNORECASE)
    if satisfaction and not counted and value is not None and value <= 10:
        return "rating", ""
    return "count", ""


def _scope(text: str, by_year: dict[int, Decimal]) -> str | None:
    # A rate per year is what gets measured, even when a period is also named.
    if by_year or re.search(_PER_YEAR, text, re.IGNORECASE):
        return "per_year"
    if re.search(_PERIOD, text, re.IGNORECASE) or re.search(_YEAR_RANGE, text):
        return "period"
    return None


def _pick(figures: list[tuple[Decimal, int]], text: str) -> Decimal | None:
    # "(2) - 1 per year": the figure written with "per year" wins.
    per_year = re.compile(rf"\s*\)?\s*(?:each\s*)?(?:{_PER_YEAR})", re.IGNORECASE)
    for value, end in figures:
        if per_year.match(text, end):
            return value
    return figures[0][0] if figures else None


def _common(by_year: dict[int, Decimal]) -> Decimal | None:
    values = set(by_year.values())
    return values.pop() if len(values) == 1 else None


def parse_target(
    fragment: str, *, description: str = "", years: tuple[int, ...] = ()
) -> Target:
    """Parse a target fragment; `description` helps decide the kind.

    Of two figures ("(2) - 1 per year") the one written per year wins, else the
    first. "Target: 9 in 2024 and 9 in 2025" gives by_year and, when the years
    agree, their common value. Components add up to the value.
    """
    text = _clean(fragment)
    by_year = _by_year(text)
    parts = () if by_year else _bracket_components(text) or _listed_components(text)
    rating = _rating(text, description)
    if parts:
        value = sum((part.value for part in parts), Decimal(0))
    elif by_year:
        value = _common(by_year)
    else:
        value = rating[0] if rating else _pick(_figures(text, tuple(years)), text)
    kind, unit = _kind(text, description, value, rated=rating is not None)
    return Target(
        as_written=text,
        value=value,
        scope=_scope(text, by_year) if value is not None or by_year else None,
        kind=kind,
        unit=unit,
        scale=rating[1] if rating and kind == "rating" else None,
        minimum=bool(re.search(_MINIMUM, text, re.IGNORECASE)),
        by_year=by_year,
        components=parts,
    )


def _clean_line(line: str) -> str:
    return re.sub(r"^\(?[a-z]\)\s+", "", _clean(line).strip("| "))


def _tidy(description: str) -> str:
    text = description.strip().rstrip(" ,:;–—-")
    if text.endswith(".") and not re.search(r"\b(?:etc|e\.g|i\.e|al|cf)\.$", text):
        text = text[:-1].rstrip(" ,:;–—-")
    return text


def _split_inline(text: str) -> tuple[str, str] | None:
    """'Action Days (2) and JADs (2) supported': the target runs from the line start."""
    brackets = list(_NUMBERED_BRACKET.finditer(text))
    if len(brackets) < 2 or not _bracket_components(text[: brackets[-1].end()]):
        return None
    scope = re.compile(rf"(?:\s|{_PER_YEAR}|{_PERIOD})*", re.IGNORECASE)
    end = len(text[: scope.match(text, brackets[-1].end()).end()].rstrip())
    description = _BRACKET.sub(
        lambda m: "" if _NUMBERED_BRACKET.fullmatch(m[0]) else m[0], text
    )
    description = re.sub(r"\s+([.,;:])", r"\1", " ".join(description.split()))
    return _tidy(description), text[:end]


def _after_name_figure(text: str, start: int) -> int:
    # "EU SOCTA 2021 (5)": a figure right after a word and before another figure
    # is part of a name.
    name = re.compile(rf"\s*(?:{_YEAR_RANGE}|\d+(?:[.,]\d+)*)(?=\s*[(.,:;=–—-])")
    figure = name.match(text, start)
    glued = re.search(r"\w\s*$", text[:start])
    if figure and glued and _figures(text[figure.end() :]):
        return figure.end()
    return start


def _is_lone_figure(before: str, figure: str) -> bool:
    """Whether a figure alone at the end ("... participants 8") is the target."""
    # Without a cue before it, a word, a decimal, a year or a figure after an
    # acronym ("OA 18", "OA 1.8") more likely names something.
    if re.search(r"[:=–—-]\s*$", before):
        return True
    word = re.search(r"(\S+)\s*$", before)
    value = _to_decimal(figure) if figure[0].isdigit() else None
    if not word or value is None or value != value.to_integral_value():
        return False
    return not re.fullmatch(r"[A-Z][A-Z0-9]+", word[1]) and not re.fullmatch(
        _YEAR, figure
    )


def _tail_start(text: str) -> int | None:
    """Where the run of target words that ends the line begins."""
    # Runs that stop early are skipped whole, keeping long lines linear.
    position = 0
    while run := _RUN.search(text, position):
        if run.end() == len(text):
            return run.start()
        position = run.end() + 1
    return None


def _split_tail(text: str) -> tuple[str, str] | None:
    """'... dismantled. At least 1 per year.': the target words ending the line."""
    start = _tail_start(text)
    if start is None:
        return None
    for bracket in _BRACKET.finditer(text, start):
        if not _is_target_bracket(bracket[1]):
            start = bracket.end()
    start = _after_name_figure(text, start)
    start = re.compile(r"(?:[\s.,:;=/–—-]|\band\b)*", re.I).match(text, start).end()
    fragment = text[start:].rstrip(_SEPARATORS)
    if not _figures(fragment):
        return None
    lone = re.fullmatch(_NUMBER, fragment, re.IGNORECASE)
    if lone and not _is_lone_figure(text[:start], fragment):
        return None
    return _tidy(text[:start]), fragment


def _split_listed(text: str) -> tuple[str, str] | None:
    """'Number of X: at least 3 reports and 2 workshops': a list after a cue."""
    for cue in re.finditer(r"[:;–—]\s*|\s-\s+|[.,]\s+", text):
        fragment = text[cue.end() :].rstrip(_SEPARATORS)
        if _listed_components(fragment):
            return _tidy(text[: cue.start()]), fragment
    return None


def split_kpi(line: str) -> tuple[str, str]:
    """Split a KPI line into (description, target fragment as written).

    The line loses its letter ("a) "), markup and extra spaces first; the fragment
    is a piece of what remains, "" when the line states no figure.
    """
    text = _clean_line(line)
    found = _split_inline(text) or _split_tail(text) or _split_listed(text)
    return found or (_tidy(text), "")


def parse_kpi(line: str, *, years: tuple[int, ...] = ()) -> tuple[str, Target]:
    """split_kpi then parse_target: (description, Target)."""
    description, fragment = split_kpi(line)
    return description, parse_target(fragment, description=description, years=years)
