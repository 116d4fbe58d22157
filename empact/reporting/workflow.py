"""The reporting workflow as a table, and why a step is refused (pure: no ORM).

    draft ──submit──▶ submitted ──accept──▶ accepted
      ▲                   │
      └─────return────────┘   (with a reason)

Contributions are edited only while they are drafts and their period is open and
before its deadline. Leaders review while the period is open or closed. Once the
driver locks the period, a change is an amendment request the driver decides.
A refusal always says why, never a bare "locked".
"""

from dataclasses import dataclass
from datetime import date

DRAFT, SUBMITTED, ACCEPTED = "draft", "submitted", "accepted"
PLANNED, OPEN, CLOSED, LOCKED = "planned", "open", "closed", "locked"

# (step, from state) -> to state
TRANSITIONS: dict[tuple[str, str], str] = {
    ("submit", DRAFT): SUBMITTED,
    ("accept", SUBMITTED): ACCEPTED,
    ("return", SUBMITTED): DRAFT,
}
STEPS_NEEDING_A_REASON = {"return", "reject_amendment"}
# Period steps: (step, from state) -> to state
PERIOD_STEPS: dict[tuple[str, str], str] = {
    ("open", PLANNED): OPEN,
    ("open", CLOSED): OPEN,
    ("close", OPEN): CLOSED,
    ("lock", CLOSED): LOCKED,
}


@dataclass(frozen=True)
class Situation:
    """What a decision about one contribution depends on."""

    state: str
    period: str  # period code, e.g. "2024-H1"
    period_state: str
    deadline: date
    today: date


def edit_refusal(s: Situation) -> str | None:
    """Why the contribution's values, statuses and narrative cannot be edited now."""
    if s.period_state == LOCKED:
        return (
            f"the period {s.period} is locked by the driver; ask for an "
            "amendment instead"
        )
    if s.period_state == PLANNED:
        return f"the period {s.period} is not open yet"
    if s.period_state == CLOSED:
        return f"the period {s.period} is closed"
    if s.today > s.deadline:
        return f"the deadline of {s.period} ({s.deadline:%d %B %Y}) has passed"
    if s.state == ACCEPTED:
        return "it is already accepted by the action leader"
    if s.state == SUBMITTED:
        return (
            "it is submitted and waits for the action leader; it can be "
            "edited again if it is returned"
        )
    return None


def step_refusal(step: str, s: Situation, *, reason: str = "") -> str | None:
    """Why `step` (submit, accept, return) cannot be taken now; None if it can."""
    if (step, s.state) not in TRANSITIONS:
        return _wrong_state(step, s.state)
    if step in STEPS_NEEDING_A_REASON and not reason.strip():
        return f"to {step} a contribution, say why"
    if step == "submit":
        return edit_refusal(s)
    if s.period_state == LOCKED:
        return f"the period {s.period} is locked by the driver"
    return None


def period_step_refusal(step: str, *, period: str, state: str) -> str | None:
    """Why a period cannot be opened, closed or locked now."""
    if (step, state) in PERIOD_STEPS:
        return None
    if state == LOCKED:
        return f"the period {period} is locked; nothing about it can change"
    return f"the period {period} is {state}: it cannot be {past_tense(step)}"


def _wrong_state(step: str, state: str) -> str:
    article = "an" if state[0] in "aeiou" else "a"
    return f"{article} {state} contribution cannot be {past_tense(step)}"


def past_tense(step: str) -> str:
    return {
        "submit": "submitted",
        "accept": "accepted",
        "return": "returned",
        "open": "opened",
        "close": "closed",
        "lock": "locked",
    }.get(step, step)
