"""The workflow table and its refusals, as pure functions (no database)."""

from datetime import date

import pytest

from empact.reporting import workflow
from empact.reporting.workflow import Situation, edit_refusal, step_refusal

TODAY = date(2024, 5, 2)


def situation(
    state="draft", period_state="open", deadline=date(2024, 7, 15), today=TODAY
) -> Situation:
    return Situation(
        state=state,
        period="2024-H1",
        period_state=period_state,
        deadline=deadline,
        today=today,
    )


@pytest.mark.parametrize(
    "step, state, to",
    [
        ("submit", "draft", "submitted"),
        ("accept", "submitted", "accepted"),
        ("return", "submitted", "draft"),
    ],
)
def test_allowed_steps_lead_where_the_table_says(step, state, to):
    assert step_refusal(step, situation(state), reason="missing evidence") is None
    assert workflow.TRANSITIONS[step, state] == to


@pytest.mark.parametrize(
    "step, state, refusal",
    [
        ("submit", "submitted", "a submitted contribution cannot be submitted"),
        ("submit", "accepted", "an accepted contribution cannot be submitted"),
        ("accept", "draft", "a draft contribution cannot be accepted"),
        ("accept", "accepted", "an accepted contribution cannot be accepted"),
        ("return", "draft", "a draft contribution cannot be returned"),
        ("return", "accepted", "an accepted contribution cannot be returned"),
    ],
)
def test_steps_from_the_wrong_state_are_refused_with_the_states_named(
    step, state, refusal
):
    assert step_refusal(step, situation(state), reason="x") == refusal


def test_returning_needs_a_reason():
    assert (
        step_refusal("return", situation("submitted"), reason="  ")
        == "to return a contribution, say why"
    )


@pytest.mark.parametrize(
    "kwargs, refusal",
    [
        ({"period_state": "planned"}, "the period 2024-H1 is not open yet"),
        ({"period_state": "closed"}, "the period 2024-H1 is closed"),
        (
            {"period_state": "locked"},
            "the period 2024-H1 is locked by the driver; ask for an amendment instead",
        ),
        (
            {"today": date(2024, 7, 16)},
            "the deadline of 2024-H1 (15 July 2024) has passed",
        ),
        ({"state": "accepted"}, "it is already accepted by the action leader"),
        (
            {"state": "submitted"},
            "it is submitted and waits for the action leader; it "
            "can be edited again if it is returned",
        ),
    ],
)
def test_every_refusal_to_edit_says_why(kwargs, refusal):
    assert edit_refusal(situation(**kwargs)) == refusal


def test_a_draft_in_an_open_period_before_the_deadline_can_be_edited():
    assert edit_refusal(situation(today=date(2024, 7, 15))) is None


def test_submitting_follows_the_edit_rules_and_review_stops_at_the_lock():
    assert (
        step_refusal("submit", situation(period_state="closed"))
        == "the period 2024-H1 is closed"
    )
    assert step_refusal("accept", situation("submitted", period_state="closed")) is None
    assert (
        step_refusal("accept", situation("submitted", period_state="locked"))
        == "the period 2024-H1 is locked by the driver"
    )


@pytest.mark.parametrize(
    "step, state, allowed",
    [
        ("open", "planned", True),
        ("close", "open", True),
        ("lock", "closed", True),
        ("open", "closed", True),
        ("lock", "open", False),
        ("close", "planned", False),
        ("open", "locked", False),
        ("close", "locked", False),
    ],
)
def test_period_steps(step, state, allowed):
    refusal = workflow.period_step_refusal(step, period="2024-H1", state=state)
    assert (refusal is None) is allowed
    if state == "locked":
        assert refusal == "the period 2024-H1 is locked; nothing about it can change"
