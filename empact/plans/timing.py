"""Activity timing cells of an OAP, such as "Q1-Q4 2024/25", as quarters per year.

The OAP template leaves the Timing cell free text. Plans write quarters, ranges and
lists of quarters followed by the year(s) they apply to: "Q1, Q4 2024/25" means Q1
and Q4 of both 2024 and 2025. A year written as a span ("2024/25", "2024-25",
"2024/2025", "2024-2026") means every year of the span. "Q3 2024 - Q2 2025" runs
across years. Anything the reader cannot place with confidence comes back with
ok=False and a `problem` the plan linter can show as is.
"""

import html
import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"(?P<quarter>\bQ\s*-?\s*(?P<q>\d+))"
    r"|(?P<half>\bH(?P<h>\d)\b)"
    r"|(?P<year>(?<!\w)(?P<y1>\d+)(?:\s*[/-]\s*(?P<y2>\d+))?(?!\w))"
    r"|(?P<dash>[-–—]|\bto\b|\buntil\b)"
    r"|(?P<word>\w+)",
    re.IGNORECASE,
)
_EXAMPLE = 'write e.g. "Q1-Q4 2024/25"'


@dataclass(frozen=True)
class Timing:
    as_written: str
    quarters: dict[int, tuple[int, ...]]
    ok: bool
    problem: str = ""


@dataclass
class _Reader:
    """Reads timing tokens left to right; quarters wait in `pending` for their year."""

    years: tuple[int, ...]
    found: dict[int, set[int]] = field(default_factory=dict)
    pending: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    previous: str = ""
    dash: bool = False
    # The single quarter of a single year just read, where "Q3 2024 - Q2 2025" starts.
    point: tuple[int, int] | None = None
    span_from: tuple[int, int] | None = None

    def read(self, token: re.Match) -> None:
        kind = token.lastgroup
        if kind == "quarter":
            digits = token["q"]
            self.quarter(int(digits) if len(digits) < 3 else 0, token[0])
        elif kind == "half":
            self.half(int(token["h"]), token[0])
        elif kind == "year":
            self.year(token["y1"], token["y2"], token[0])
        elif kind == "dash":
            self.dash = self.previous in ("quarter", "year")
            return
        self.dash = False
        self.previous = kind

    def quarter(self, number: int, written: str) -> None:
        if not 1 <= number <= 4:
            self.problems.append(
                f'quarter "{written}" does not exist; quarters are Q1-Q4'
            )
        elif self.dash and self.previous == "quarter" and self.pending:
            self.quarter_range(self.pending[-1], number)
        elif self.dash and self.previous == "year" and self.point:
            self.span_from, self.pending = self.point, [number]
        else:
            self.pending.append(number)
        self.dash = False

    def quarter_range(self, first: int, last: int) -> None:
        if last < first:
            self.problems.append(
                f'"Q{first}-Q{last}" runs backwards; write "Q{last}-Q{first}"'
            )
        self.pending.extend(range(first + 1, last + 1))

    def half(self, number: int, written: str) -> None:
        if number not in (1, 2):
            self.problems.append(
                f'half-year "{written}" does not exist; write H1 or H2'
            )
        else:
            self.pending.extend((1, 2) if number == 1 else (3, 4))

    def year(self, first: str, last: str | None, written: str) -> None:
        years = self.year_span(first, last, written)
        if years and self.span_from:
            self.fill_span(years, written)
        elif years and self.pending:
            for year in years:
                self.found.setdefault(year, set()).update(self.pending)
        elif years and not self.problems:
            self.problems.append(
                f'year "{written}" has no quarter before it; {_EXAMPLE}'
            )
        single = years and len(years) == 1 and len(self.pending) == 1
        self.point = (years[0], self.pending[0]) if single else None
        self.pending, self.span_from, self.dash = [], None, False

    def year_span(self, first: str, last: str | None, written: str) -> list[int]:
        start = self.checked_year(first)
        if start is None:
            return []
        if last is None:
            return [start]
        end = self.checked_year(str(start)[:2] + last if len(last) == 2 else last)
        if end is None:
            return []
        if end <= start:
            self.problems.append(f'years "{written}" run backwards or repeat')
            return []
        return [
            start,
            *[y for y in range(start + 1, end) if self.checked_year(str(y))],
            end,
        ]

    def checked_year(self, written: str) -> int | None:
        is_year = len(written) == 4
        if is_year and (not self.years or int(written) in self.years):
            return int(written)
        if self.years:
            period = f"{min(self.years)}-{max(self.years)}"
            self.problems.append(
                f'year "{written}" is not a year of the plan period {period}'
            )
        else:
            self.problems.append(f'year "{written}" is not a four-digit year')
        return None

    def fill_span(self, years: list[int], written: str) -> None:
        (start_year, start_q), end = self.span_from, (years[0], self.pending[0])
        if len(years) > 1 or end < (start_year, start_q):
            self.problems.append(
                f'the span ending "Q{end[1]} {written}" is unclear; {_EXAMPLE}'
            )
            return
        for year in range(start_year, end[0] + 1):
            first = start_q if year == start_year else 1
            last = end[1] if year == end[0] else 4
            self.found.setdefault(year, set()).update(range(first, last + 1))


def _clean(text: str) -> str:
    # Cells come from PDF/Word conversions: markup, entities and table pipes remain.
    text = re.sub(r"<[^>]*>|\|", " ", html.unescape(text))
    return " ".join(text.split())


def parse_timing(text: str, *, years: tuple[int, ...]) -> Timing:
    """Read a Timing cell into quarters per year; ok=False and a problem if unsure."""
    written = _clean(text)
    tokens = list(_TOKEN.finditer(written))
    if not any(t.lastgroup in ("quarter", "half") for t in tokens):
        return Timing(
            written, {}, False, f'no quarter found in "{written}"; {_EXAMPLE}'
        )
    reader = _Reader(years=tuple(years))
    for token in tokens:
        reader.read(token)
    if reader.pending:
        quarters = _quarters_text(tuple(reader.pending))
        reader.problems.append(f"{quarters} has no year after it; {_EXAMPLE}")
    if reader.problems:
        return Timing(written, {}, False, "; ".join(reader.problems))
    quarters = {year: tuple(sorted(qs)) for year, qs in sorted(reader.found.items())}
    return Timing(written, quarters, True)


def _quarters_text(quarters: tuple[int, ...]) -> str:
    runs: list[list[int]] = []
    for q in sorted(set(quarters)):
        if runs and q == runs[-1][-1] + 1:
            runs[-1].append(q)
        else:
            runs.append([q])
    return ", ".join(f"Q{r[0]}-Q{r[-1]}" if len(r) > 1 else f"Q{r[0]}" for r in runs)


def _years_text(years: list[int]) -> str:
    if len(years) == 1:
        return str(years[0])
    if len(years) == 2:
        return f"{years[0]}/{str(years[1])[2:]}"
    return f"{years[0]}-{years[-1]}"


def format_quarters(quarters: dict[int, tuple[int, ...]]) -> str:
    """Quarters per year as the plans write them, e.g. "Q1-Q4 2024/25, Q2 2026"."""
    groups: list[tuple[tuple[int, ...], list[int]]] = []
    for year, qs in sorted(
        (y, tuple(sorted(set(q)))) for y, q in quarters.items() if q
    ):
        same_as_last = groups and groups[-1][0] == qs and groups[-1][1][-1] == year - 1
        if same_as_last and str(groups[-1][1][0])[:2] == str(year)[:2]:
            groups[-1][1].append(year)
        else:
            groups.append((qs, [year]))
    return ", ".join(f"{_quarters_text(qs)} {_years_text(ys)}" for qs, ys in groups)
