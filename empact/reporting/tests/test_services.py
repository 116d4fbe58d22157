"""Every allowed and every forbidden step of the reporting workflow, through the
services: contributions (edit, submit, accept, return), periods (create, open,
close, lock) and amendments (request, approve, reject).

Each case starts from the same world inside a savepoint that is rolled back, so
allowed and forbidden cases share their setup (and none sees another's changes).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from empact.accounts.models import Participation, RoleAssignment, User
from empact.errors import UserError
from empact.plans.models import KPI, Action, Activity, Plan
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import services
from empact.reporting.models import (
    AmendmentRequest,
    Contribution,
    KPIValue,
    ReportingPeriod,
    Transition,
)
from empact.reporting.services import StatusInput, ValueInput

pytestmark = pytest.mark.django_db

TODAY = date(2024, 5, 2)
DEADLINE = date(2024, 7, 15)
AFTER_DEADLINE = date(2024, 7, 16)


@dataclass
class World:
    plan: Plan
    action: Action
    period: ReportingPeriod
    kpi: KPI  # KPI a, a count
    activity: Activity  # activity 1
    officer: User  # FR, participant contact in OA 1.1
    other: User  # NL, participant contact in OA 1.1
    leader: User  # IT, action leader of OA 1.1
    driver: User  # DE, driver of the plan
    support: User  # Europol, EMPACT support


def make_world() -> World:
    plan = make_plan()
    action = plan.actions.get(ref="1.1")
    for code in ("FR", "NL"):
        Participation.objects.create(
            organisation=make_organisation(code), action=action
        )
    users = {}
    for name, code, role, scope in [
        ("officer", "FR", "participant", {"action": action}),
        ("other", "NL", "participant", {"action": action}),
        ("leader", "IT", "action_leader", {"action": action}),
        ("driver", "DE", "driver", {"plan": plan}),
        ("support", "EUROPOL", "support", {}),
    ]:
        users[name] = User.objects.create_user(
            name, organisation=make_organisation(code)
        )
        RoleAssignment.objects.create(user=users[name], role=role, **scope)
    period = services.create_period(
        plan, 2024, 1, deadline=DEADLINE, actor=users["driver"]
    )
    services.step_period(period, "open", actor=users["driver"])
    return World(
        plan=plan,
        action=action,
        period=period,
        kpi=action.kpis.get(letter="a"),
        activity=action.activities.get(number=1),
        **users,
    )


@pytest.fixture
def w(db) -> World:
    return make_world()


def fresh(w: World) -> World:
    """The world as the database has it (a rolled-back case may have changed
    the objects in memory)."""
    return World(
        **{
            **vars(w),
            "period": ReportingPeriod.objects.get(pk=w.period.pk),
            **{
                name: User.objects.get(pk=getattr(w, name).pk)
                for name in ("officer", "other", "leader", "driver", "support")
            },
        }
    )


# Steps, each a line -----------------------------------------------------------------


def draft(w: World, *, today=TODAY) -> Contribution:
    return services.start_contribution(
        w.officer.organisation, w.action, w.period, actor=w.officer, today=today
    )


def save(
    c: Contribution, w: World, *, actor=None, today=TODAY, version=None, value="12"
):
    return services.save_contribution(
        c,
        version=c.version if version is None else version,
        values={w.kpi.pk: ValueInput(value, evidence="3 OCGs in Lyon, 9 in Marseille")},
        statuses={w.activity.pk: StatusInput("completed", "held in March")},
        narrative="Two joint investigations opened.",
        actor=actor or w.officer,
        today=today,
    )


def step(c: Contribution, name: str, actor, *, reason="", today=TODAY, version=None):
    return services.take_step(
        c,
        name,
        version=c.version if version is None else version,
        actor=actor,
        today=today,
        reason=reason,
    )


def submitted(w: World) -> Contribution:
    return step(save(draft(w), w), "submit", w.officer)


def accepted(w: World) -> Contribution:
    return step(submitted(w), "accept", w.leader)


def move_period(w: World, *steps: str) -> None:
    for name in steps:
        services.step_period(w.period, name, actor=w.driver)


def locked_with_amendment(w: World) -> AmendmentRequest:
    c = accepted(w)
    move_period(w, "close", "lock")
    return services.request_amendment(
        c,
        proposed={
            "values": {str(w.kpi.pk): {"value": "14", "evidence": "2 more OCGs"}},
            "narrative": "Corrected after the JAD.",
        },
        reason="two OCGs were counted late",
        actor=w.officer,
    )


# Allowed steps: each asserts where it leads -------------------------------------------

ALLOWED: list[Callable[[World], None]] = []
FORBIDDEN: list[tuple[Callable[[World], object], type[Exception], str]] = []


def allowed(case):
    ALLOWED.append(case)
    return case


def forbidden(error: type[Exception], message: str = ""):
    def register(case):
        FORBIDDEN.append((case, error, message))
        return case

    return register


@allowed
def an_officer_starts_a_draft(w):
    c = draft(w)
    assert (c.state, c.version, c.organisation.code) == ("draft", 1, "FR")


@allowed
def an_officer_saves_a_draft(w):
    c = save(draft(w), w)
    assert c.version == 2
    assert (
        c.values.get().value == 12 and c.activity_statuses.get().status == "completed"
    )


@allowed
def an_officer_submits_a_draft(w):
    c = submitted(w)
    assert c.state == "submitted"
    assert Transition.objects.get(contribution=c).by == "officer"


@allowed
def the_leader_accepts_a_submitted_contribution(w):
    assert accepted(w).state == "accepted"


@allowed
def the_leader_returns_a_submitted_contribution_with_a_reason(w):
    c = step(submitted(w), "return", w.leader, reason="evidence for KPI a missing")
    assert (c.state, c.returned_reason) == ("draft", "evidence for KPI a missing")


@allowed
def a_returned_contribution_can_be_edited_and_submitted_again(w):
    c = step(submitted(w), "return", w.leader, reason="evidence missing")
    c = step(save(c, w, value="13"), "submit", w.officer)
    assert (c.state, c.returned_reason, c.values.get().value) == ("submitted", "", 13)


@allowed
def the_leader_reviews_after_the_period_is_closed(w):
    c = submitted(w)
    move_period(w, "close")
    assert step(c, "accept", w.leader).state == "accepted"


@allowed
def the_driver_creates_a_period_not_open_yet(w):
    period = services.create_period(
        w.plan, 2024, 2, deadline=date(2025, 1, 15), actor=w.driver
    )
    assert (period.code, period.state) == ("2024-H2", "planned")


@allowed
def support_opens_a_planned_period(w):
    period = services.create_period(
        w.plan, 2025, 1, deadline=date(2025, 7, 15), actor=w.support
    )
    services.step_period(period, "open", actor=w.support)
    assert ReportingPeriod.objects.get(pk=period.pk).state == "open"


@allowed
def the_driver_closes_an_open_period(w):
    move_period(w, "close")
    assert ReportingPeriod.objects.get(pk=w.period.pk).state == "closed"


@allowed
def support_reopens_a_closed_period(w):
    move_period(w, "close")
    services.step_period(w.period, "open", actor=w.support)
    assert ReportingPeriod.objects.get(pk=w.period.pk).state == "open"


@allowed
def the_driver_locks_a_closed_period(w):
    move_period(w, "close", "lock")
    assert ReportingPeriod.objects.get(pk=w.period.pk).state == "locked"


@allowed
def an_officer_asks_for_an_amendment_of_a_locked_contribution(w):
    amendment = locked_with_amendment(w)
    assert (amendment.state, amendment.requested_by) == ("pending", "officer")


@allowed
def the_driver_approves_an_amendment_and_its_values_apply(w):
    amendment = locked_with_amendment(w)
    services.decide_amendment(amendment, approve=True, actor=w.driver)
    c = Contribution.objects.get(pk=amendment.contribution_id)
    value = c.values.get(kpi=w.kpi)
    assert (value.value, value.evidence) == (14, "2 more OCGs")
    assert c.narrative == "Corrected after the JAD."
    assert c.transitions.last().name == "amend"
    assert c.activity_statuses.get().status == "completed"  # not in the amendment


@allowed
def the_driver_rejects_an_amendment_with_a_reason(w):
    amendment = locked_with_amendment(w)
    services.decide_amendment(
        amendment, approve=False, reason="the JAD counts them", actor=w.driver
    )
    amendment.refresh_from_db()
    assert (amendment.state, amendment.decision_reason) == (
        "rejected",
        "the JAD counts them",
    )
    assert KPIValue.objects.get(kpi=w.kpi).value == 12  # unchanged


# Forbidden steps: each raises, with its reason --------------------------------------


@forbidden(UserError, "to return a contribution, say why")
def returning_without_a_reason(w):
    step(submitted(w), "return", w.leader, reason="  ")


@forbidden(
    UserError,
    "cannot be edited: it is submitted and waits for the action leader; "
    "it can be edited again if it is returned",
)
def editing_after_submitting(w):
    save(submitted(w), w)


@forbidden(UserError, "cannot be edited: it is already accepted by the action leader")
def editing_an_accepted_contribution(w):
    save(accepted(w), w)


@forbidden(UserError, "cannot be edited: the period 2024-H1 is closed")
def editing_in_a_closed_period(w):
    c = draft(w)
    move_period(w, "close")
    save(c, w)


@forbidden(
    UserError, "cannot be edited: the deadline of 2024-H1 (15 July 2024) has passed"
)
def editing_after_the_deadline(w):
    save(draft(w), w, today=AFTER_DEADLINE)


@forbidden(
    UserError,
    "cannot be edited: the period 2024-H1 is locked by the driver; ask for an "
    "amendment instead",
)
def editing_in_a_locked_period(w):
    c = draft(w)
    move_period(w, "close", "lock")
    save(c, w)


@forbidden(UserError, "cannot be started: the period 2024-H2 is not open yet")
def starting_in_a_period_not_open_yet(w):
    period = services.create_period(
        w.plan, 2024, 2, deadline=date(2025, 1, 15), actor=w.driver
    )
    services.start_contribution(
        w.officer.organisation, w.action, period, actor=w.officer, today=TODAY
    )


@forbidden(
    UserError, "cannot be submitted: the deadline of 2024-H1 (15 July 2024) has passed"
)
def submitting_after_the_deadline(w):
    step(save(draft(w), w), "submit", w.officer, today=AFTER_DEADLINE)


@forbidden(UserError, "a submitted contribution cannot be submitted")
def submitting_twice(w):
    step(submitted(w), "submit", w.officer)


@forbidden(UserError, "a draft contribution cannot be accepted")
def accepting_a_draft(w):
    step(draft(w), "accept", w.leader)


@forbidden(UserError, "an accepted contribution cannot be returned")
def returning_an_accepted_contribution(w):
    step(accepted(w), "return", w.leader, reason="changed my mind")


@forbidden(UserError, "cannot be accepted: the period 2024-H1 is locked by the driver")
def accepting_in_a_locked_period(w):
    c = submitted(w)
    move_period(w, "close", "lock")
    step(c, "accept", w.leader)


@forbidden(Http404)
def accepting_by_someone_who_does_not_lead_the_oa(w):
    step(submitted(w), "accept", w.officer)


@forbidden(Http404)
def accepting_by_the_driver_who_does_not_review(w):
    step(submitted(w), "accept", w.driver)


@forbidden(Http404)
def submitting_another_organisations_contribution(w):
    step(save(draft(w), w), "submit", w.other)


@forbidden(Http404)
def editing_another_organisations_contribution(w):
    save(draft(w), w, actor=w.other)


@forbidden(UserError, "was changed by someone else since you opened it; reload it")
def saving_a_stale_version(w):
    c = save(draft(w), w)
    save(c, w, version=c.version - 1)


@forbidden(UserError, "was changed by someone else since you opened it; reload it")
def submitting_a_stale_version(w):
    c = save(draft(w), w)
    step(c, "submit", w.officer, version=1)


@forbidden(UserError, "was changed by someone else since you opened it; reload it")
def accepting_what_another_reviewer_returned_meanwhile(w):
    """The page and the API read the contribution as it is now (a draft again);
    the reviewer's form still names the version it was opened on."""
    c = submitted(w)
    opened = c.version
    returned = step(c, "return", w.leader, reason="evidence missing")
    step(returned, "accept", w.leader, version=opened)


@forbidden(UserError, "KPI a: 'twelve' is not a number")
def saving_a_value_that_is_not_a_number(w):
    save(draft(w), w, value="twelve")


@forbidden(UserError, "the period 2024-H1 is open: it cannot be locked")
def locking_an_open_period(w):
    move_period(w, "lock")


@forbidden(UserError, "the period 2024-H2 is planned: it cannot be closed")
def closing_a_period_not_open_yet(w):
    period = services.create_period(
        w.plan, 2024, 2, deadline=date(2025, 1, 15), actor=w.driver
    )
    services.step_period(period, "close", actor=w.driver)


@forbidden(UserError, "the period 2024-H1 is locked; nothing about it can change")
def reopening_a_locked_period(w):
    move_period(w, "close", "lock", "open")


@forbidden(PermissionDenied)
def locking_by_support_who_may_not_lock(w):
    move_period(w, "close")
    services.step_period(w.period, "lock", actor=w.support)


@forbidden(PermissionDenied)
def closing_by_a_participant(w):
    services.step_period(w.period, "close", actor=w.officer)


@forbidden(PermissionDenied)
def creating_a_period_as_a_participant(w):
    services.create_period(w.plan, 2024, 2, deadline=date(2025, 1, 1), actor=w.officer)


@forbidden(UserError, "2030 is not a year of the plan period 2024-2025")
def creating_a_period_outside_the_plan(w):
    services.create_period(w.plan, 2030, 1, deadline=date(2030, 7, 1), actor=w.driver)


@forbidden(UserError, "the period 2024-H1 exists already")
def creating_a_period_twice(w):
    services.create_period(w.plan, 2024, 1, deadline=DEADLINE, actor=w.driver)


@forbidden(UserError, "the period 2024-H1 is not locked: edit the contribution")
def asking_for_an_amendment_before_the_lock(w):
    services.request_amendment(
        submitted(w), proposed={}, reason="typo", actor=w.officer
    )


@forbidden(UserError, "say why the amendment is needed")
def asking_for_an_amendment_without_a_reason(w):
    c = accepted(w)
    move_period(w, "close", "lock")
    services.request_amendment(c, proposed={}, reason=" ", actor=w.officer)


@forbidden(UserError, "KPI a: '-4' is negative; report what was achieved, 0 or more")
def asking_for_an_amendment_with_a_value_that_could_never_be_approved(w):
    c = accepted(w)
    move_period(w, "close", "lock")
    services.request_amendment(
        c,
        proposed={"values": {str(w.kpi.pk): {"value": "-4", "evidence": ""}}},
        reason="typo",
        actor=w.officer,
    )


@forbidden(Http404)
def asking_for_an_amendment_of_another_organisations_contribution(w):
    c = accepted(w)
    move_period(w, "close", "lock")
    services.request_amendment(c, proposed={}, reason="typo", actor=w.other)


@forbidden(UserError, "to reject an amendment, say why")
def rejecting_an_amendment_without_a_reason(w):
    services.decide_amendment(locked_with_amendment(w), approve=False, actor=w.driver)


@forbidden(Http404)
def deciding_an_amendment_by_the_action_leader(w):
    services.decide_amendment(locked_with_amendment(w), approve=True, actor=w.leader)


@forbidden(UserError, "this amendment was decided by someone else in the meantime")
def deciding_an_amendment_twice(w):
    amendment = locked_with_amendment(w)
    stale = AmendmentRequest.objects.get(pk=amendment.pk)
    services.decide_amendment(amendment, approve=True, actor=w.driver)
    services.decide_amendment(stale, approve=False, reason="no", actor=w.driver)


# The tests ----------------------------------------------------------------------------


def name(case) -> str:
    return case.__name__.replace("_", " ")


def test_every_step_is_allowed_or_refused_as_the_workflow_says(w, figure):
    for case in ALLOWED:
        with transaction.atomic():
            try:
                case(fresh(w))
            except Exception as e:
                raise AssertionError(f"allowed step refused: {name(case)}") from e
            transaction.set_rollback(True)
    for case, error, message in FORBIDDEN:
        with transaction.atomic():
            with pytest.raises(error) as refused:
                case(fresh(w))
            assert message in str(refused.value), name(case)
            transaction.set_rollback(True)
    figure(
        f"workflow: {len(ALLOWED)} allowed and {len(FORBIDDEN)} forbidden steps "
        "checked through the services"
    )


def test_a_stale_version_is_refused_and_nothing_changes(w):
    c = save(draft(w), w)
    before = (c.version, c.narrative, KPIValue.objects.get(contribution=c).value)
    with pytest.raises(UserError) as refused:
        services.save_contribution(
            c,
            version=1,
            values={w.kpi.pk: ValueInput("99")},
            statuses={},
            narrative="overwritten",
            actor=w.officer,
            today=TODAY,
        )
    assert str(refused.value) == (
        "FR · OA 1.1 · 2024-H1 was changed by someone else since you opened it; "
        "reload it to see the change, then try again"
    )
    c.refresh_from_db()
    assert (c.version, c.narrative, c.values.get().value) == before


def test_every_bad_value_is_reported_at_once_and_nothing_is_saved(w):
    c = draft(w)
    kpi_b = w.action.kpis.get(letter="b")
    with pytest.raises(UserError) as refused:
        services.save_contribution(
            c,
            version=c.version,
            values={
                w.kpi.pk: ValueInput("2.5"),
                kpi_b.pk: ValueInput("120"),
            },
            statuses={w.activity.pk: StatusInput("finished")},
            narrative="kept?",
            actor=w.officer,
            today=TODAY,
        )
    assert refused.value.problems == [
        "KPI a: '2.5' is not a whole number, and this KPI counts",
        "KPI b: '120' is above 100, and this KPI is a percentage",
        "activity 1: 'finished' is not one of cancelled, completed, delayed, "
        "not_started, ongoing",
    ]
    c.refresh_from_db()
    assert (c.version, c.narrative, c.values.count()) == (1, "", 0)


def test_a_refused_return_leaves_the_contribution_submitted_with_no_transition(w):
    c = submitted(w)
    with pytest.raises(UserError):
        step(c, "return", w.leader, reason="")
    c.refresh_from_db()
    assert c.state == "submitted"
    assert list(c.transitions.values_list("name", flat=True)) == ["submit"]


def test_every_transition_is_recorded_with_who_and_why(w):
    c = step(submitted(w), "return", w.leader, reason="evidence missing")
    c = step(c, "submit", w.officer)
    c = step(c, "accept", w.leader)
    assert list(
        c.transitions.values_list("name", "from_state", "to_state", "by", "reason")
    ) == [
        ("submit", "draft", "submitted", "officer", ""),
        ("return", "submitted", "draft", "leader", "evidence missing"),
        ("submit", "draft", "submitted", "officer", ""),
        ("accept", "submitted", "accepted", "leader", ""),
    ]


def test_approving_an_amendment_keeps_the_narrative_another_one_set_meanwhile(w):
    """Regression: approving an amendment that proposes no narrative wrote back
    the narrative read before, undoing one approved in the meantime."""
    first = locked_with_amendment(w)
    c = Contribution.objects.get(pk=first.contribution_id)
    version = c.version
    second = services.request_amendment(
        c,
        proposed={"values": {str(w.kpi.pk): {"value": "15", "evidence": "one more"}}},
        reason="one more OCG",
        actor=w.officer,
    )
    assert second.contribution.narrative == "Two joint investigations opened."
    services.decide_amendment(first, approve=True, actor=w.driver)

    services.decide_amendment(second, approve=True, actor=w.driver)

    c.refresh_from_db()
    assert (c.narrative, c.values.get().value, c.version) == (
        "Corrected after the JAD.",
        15,
        version + 2,
    )


def test_a_draft_is_not_started_after_the_deadline_and_says_why(w):
    with pytest.raises(UserError, match="cannot be started: the deadline of 2024-H1"):
        draft(w, today=AFTER_DEADLINE)
    assert not Contribution.objects.filter(period=w.period).exists()


def test_a_draft_is_not_started_in_a_closed_period(w):
    services.step_period(w.period, "close", actor=w.driver)

    with pytest.raises(UserError, match="the period 2024-H1 is closed"):
        draft(w)


def test_an_existing_draft_is_returned_whatever_the_date(w):
    started = draft(w)

    assert draft(w, today=AFTER_DEADLINE) == started


def test_a_nul_character_is_refused_by_name_not_left_to_the_database(w):
    c = draft(w)
    kpi = w.action.kpis.order_by("letter").first()
    activity = w.action.activities.order_by("number").first()

    with pytest.raises(UserError) as refused:
        services.save_contribution(
            c,
            version=c.version,
            values={kpi.pk: ValueInput("3", evidence="seen\x00")},
            statuses={activity.pk: StatusInput("ongoing", comment="x\x00")},
            narrative="a\x00b",
            actor=w.officer,
            today=TODAY,
        )

    assert len(refused.value.problems) == 3
    assert all("NUL character" in p for p in refused.value.problems)
