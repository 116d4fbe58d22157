"""The Council's OAP document text turned into a plan file's data.

`plan_from_document` reads the text of an Operational Action Plan written on the
Council's OAP template (as the converter leaves it: markdown-like pipe tables with
HTML in their cells) and returns the mapping a plan file holds. It works in three
steps: `rows` normalises the text into logical lines with their line numbers,
`blocks` splits them into front matter, strategic goals and OA blocks with their
template sections, and `actions` reads each OA block.
"""

from empact.errors import UserError
from empact.plans.document import front_matter as fm
from empact.plans.document.actions import action_of
from empact.plans.document.blocks import Goal, OaBlock, Parts, document_parts
from empact.plans.document.rows import Row, rows_from_text
from empact.plans.planfile import period_years
from empact.plans.schema import FORMAT_VERSION

__all__ = ["DocumentError", "plan_from_document"]


class DocumentError(UserError):
    """The text is not an OAP, or one of its OA blocks is broken."""


def plan_from_document(text: str, *, source: str = "") -> dict:
    """The plan-file mapping of an OAP document's text.

    Raises DocumentError listing every problem, each with its line number.
    """
    rows = rows_from_text(text)
    parts = document_parts(rows)
    problems: list[str] = []
    plan = _plan_fields(parts.front_matter, problems, last_line=_last_line(text))
    years = period_years(plan["period"]) if plan["period"] else ()
    plan["goals"] = _goals(parts.goals, problems)
    plan["actions"] = _actions(parts, problems, years=years)
    if not parts.goals:
        problems.append(f'lines 1-{_last_line(text)}: no "Strategic Goal N: …" heading')
    if not parts.blocks:
        problems.append(f'lines 1-{_last_line(text)}: no OA ("Ref.: OA n.n")')
    if problems:
        raise DocumentError(
            f"{source or 'the document'}: not an OAP that can be imported; "
            f"{len(problems)} problem(s)",
            problems,
        )
    return plan


def _last_line(text: str) -> int:
    return max(1, len(text.splitlines()))


def _plan_fields(rows: list[Row], problems: list[str], *, last_line: int) -> dict:
    where = f"lines 1-{rows[-1].line if rows else last_line}"
    title = fm.subject_of(rows) or ""
    period = fm.period_of(title) or ""
    priority = fm.priority_of(title)
    driver, co_drivers = fm.drivers_of(rows)
    plan = {
        "format": FORMAT_VERSION,
        "id": fm.plan_id(period, priority) if period else "",
        "priority": priority,
        "title": title,
        "period": period,
        "council_document": fm.council_document_of(rows) or "",
        "date": fm.date_of(rows),
        "marking": fm.marking_of(rows),
        "driver": driver or "",
        "co_drivers": co_drivers,
        "aim": fm.aim_of(rows) or "",
    }
    if not title:
        problems.append(
            f'{where}: no "Subject: Operational Action Plan YYYY-YYYY: …" line'
        )
    elif not period:
        problems.append(
            f'{where}: the subject "{title}" names no period such as 2024-2025'
        )
    missing = {
        "council_document": 'Council document number such as "14541/23"',
        "date": 'date line such as "Brussels, 3 November 2023"',
        "driver": 'driver ("under the responsibility of the XX driver")',
        "aim": 'aim ("The aim of this priority is “…”")',
    }
    problems += [
        f"{where}: no {what}" for key, what in missing.items() if not plan[key]
    ]
    return plan


def _goals(goals: list[Goal], problems: list[str]) -> list[dict]:
    seen: dict[int, int] = {}
    for goal in goals:
        if goal.number in seen:
            problems.append(
                f"line {goal.line}: Strategic Goal {goal.number} appears twice "
                f"(also on line {seen[goal.number]})"
            )
        seen.setdefault(goal.number, goal.line)
        if goal.objective is None:
            problems.append(
                f'line {goal.line}: Strategic Goal {goal.number} has no "Objective:"'
            )
    return [
        {"number": goal.number, "title": goal.title, "objective": goal.objective or ""}
        for goal in goals
    ]


def _actions(
    parts: Parts, problems: list[str], *, years: tuple[int, ...]
) -> list[dict]:
    short_titles = fm.short_titles_of(parts.front_matter)
    actions = []
    seen: dict[str, int] = {}
    for block in parts.blocks:
        action, block_problems = action_of(
            block, short_titles=short_titles, years=years
        )
        problems += block_problems + _repeated(block, seen)
        actions.append(action)
    return actions


def _repeated(block: OaBlock, seen: dict[str, int]) -> list[str]:
    if not block.ref:
        return []
    if block.ref in seen:
        first = seen[block.ref]
        return [
            f"line {block.line}: OA {block.ref} appears twice (also on line {first})"
        ]
    seen[block.ref] = block.line
    return []
