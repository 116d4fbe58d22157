"""Two people acting on one contribution at the same moment (T-16): reviewer
accept ∥ reviewer return, submitter edit ∥ reviewer accept, submit ∥ period close,
and two amendment decisions, 100 trials each (200 with -m slow).

Real concurrent connections: threads released together by a barrier, each with its
own database connection. PostgreSQL is the authoritative leg (select_for_update and
row locks are real there); the in-memory SQLite test database has one connection.
The SQLite leg runs this module again in a child process of its own on a file
database in IMMEDIATE transaction mode, the production SQLite setting (see
test_concurrency_sqlite.py, which sets EMPACT_CONCURRENCY_SQLITE_FILE).
Every outcome is either the call's result or a UserError that says why; anything
else (a deadlock, "database is locked", an IntegrityError) counts as unhandled.
"""

import os
import threading
from datetime import date

import pytest
from django.conf import settings
from django.db import connection

from empact.accounts.models import RoleAssignment, User
from empact.errors import UserError
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import services
from empact.reporting.models import (
    AmendmentRequest,
    Contribution,
    ReportingPeriod,
    Transition,
)
from empact.reporting.services import StatusInput, ValueInput

# Set only in the SQLite leg's child process: the test database is this file.
SQLITE_FILE = os.environ.get("EMPACT_CONCURRENCY_SQLITE_FILE")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" and not SQLITE_FILE,
        reason="needs real concurrent connections: run with "
        "DATABASE_URL=postgres://... (the SQLite leg is test_concurrency_sqlite.py)",
    ),
]
TODAY = date(2024, 5, 2)
# T-16 asks for 200 trials of each scenario. That takes about two minutes on
# PostgreSQL (an unloaded 2-core machine; far longer when it is shared), so the
# default run takes 100 and the full count is marked slow. The SQLite leg's
# parent chooses its own count.
TRIALS = [100, pytest.param(200, marks=pytest.mark.slow)]
if SQLITE_FILE:
    TRIALS = [int(os.environ["EMPACT_CONCURRENCY_TRIALS"])]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The SQLite leg's test database is a file (pytest-django's hook), so that
    each thread has a connection of its own; the transaction mode stays the
    production one, IMMEDIATE (empact.settings.database_from_url)."""
    if SQLITE_FILE:
        database = settings.DATABASES["default"]
        assert database["ENGINE"] == "django.db.backends.sqlite3"
        assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        database.setdefault("TEST", {})["NAME"] = SQLITE_FILE


def people():
    plan = make_plan()
    action = plan.actions.get(ref="1.1")
    fr, it = make_organisation("FR"), make_organisation("IT")
    officer = User.objects.create_user("officer", organisation=fr)
    leaders = [User.objects.create_user(f"leader{i}", organisation=it) for i in (1, 2)]
    driver = User.objects.create_user("driver", organisation=make_organisation("DE"))
    RoleAssignment.objects.create(user=officer, role="participant", action=action)
    for leader in leaders:
        RoleAssignment.objects.create(user=leader, role="action_leader", action=action)
    RoleAssignment.objects.create(user=driver, role="driver", plan=plan)
    return plan, action, fr, officer, leaders, driver


def co_driver(plan) -> User:
    user = User.objects.create_user("codriver", organisation=make_organisation("ES"))
    RoleAssignment.objects.create(user=user, role="co_driver", plan=plan)
    return user


def unhandled(results) -> int:
    """Outcomes that are neither a result nor a refusal that says why."""
    return sum(
        isinstance(r, Exception) and not isinstance(r, UserError) for r in results
    )


def race(*calls) -> list:
    """Run the calls at the same moment; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as e:  # the outcome is what the test inspects
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def fresh(user):
    return User.objects.get(pk=user.pk)  # no cached roles shared between threads


@pytest.mark.parametrize("trials", TRIALS)
def test_two_reviewers_at_once_never_lose_an_update(trials, figure):
    plan, action, fr, officer, leaders, driver = people()
    period = ReportingPeriod.objects.create(
        plan=plan, year=2024, half=1, deadline=date(2030, 1, 1), state="open"
    )
    lost = illegal = errors = 0
    for _ in range(trials):
        contribution = services.start_contribution(fr, action, period, actor=officer)
        contribution = services.take_step(
            contribution,
            "submit",
            actor=officer,
            version=contribution.version,
            today=TODAY,
        )
        results = race(
            lambda c=contribution: services.take_step(
                Contribution.objects.get(pk=c.pk),
                "accept",
                version=c.version,
                actor=fresh(leaders[0]),
                today=TODAY,
            ),
            lambda c=contribution: services.take_step(
                Contribution.objects.get(pk=c.pk),
                "return",
                version=c.version,
                reason="evidence missing",
                actor=fresh(leaders[1]),
                today=TODAY,
            ),
        )
        errors += unhandled(results)
        winners = [r for r in results if isinstance(r, Contribution)]
        losers = [r for r in results if isinstance(r, UserError)]
        final = Contribution.objects.get(pk=contribution.pk)
        reviews = (
            Transition.objects.filter(contribution=contribution)
            .exclude(name="submit")
            .count()
        )
        lost += len(winners) != 1 or len(losers) != 1 or reviews != 1
        illegal += final.state not in ("accepted", "draft")
        assert all("changed by someone else" in str(e) for e in losers), losers
        contribution.delete()
    figure(
        f"concurrency (reviewer accept ∥ reviewer return): {trials} trials, {lost} "
        f"lost updates, {illegal} illegal states, {errors} unhandled errors"
    )
    assert (lost, illegal, errors) == (0, 0, 0)


@pytest.mark.parametrize("trials", TRIALS)
def test_closing_a_period_while_someone_submits_never_lets_a_late_submission_in(
    trials, figure
):
    """If both succeed, the submission was committed before the closing (audit order);
    otherwise the submission is refused because the period is closed."""
    from empact.audit.models import AuditEntry

    plan, action, fr, officer, leaders, driver = people()
    period = ReportingPeriod.objects.create(
        plan=plan, year=2024, half=1, deadline=date(2030, 1, 1), state="open"
    )
    late = errors = 0
    for _ in range(trials):
        ReportingPeriod.objects.filter(pk=period.pk).update(state="open")
        contribution = services.start_contribution(fr, action, period, actor=officer)
        results = race(
            lambda c=contribution: services.take_step(
                Contribution.objects.get(pk=c.pk),
                "submit",
                version=c.version,
                actor=fresh(officer),
                today=TODAY,
            ),
            lambda: services.step_period(
                ReportingPeriod.objects.get(pk=period.pk), "close", actor=fresh(driver)
            ),
        )
        errors += unhandled(results)
        assert not isinstance(results[1], Exception), results[1]
        if isinstance(results[0], Contribution):
            submitted = (
                AuditEntry.objects.filter(
                    action="contribution.submitted", object_id=str(contribution.pk)
                )
                .latest("seq")
                .seq
            )
            closed = AuditEntry.objects.filter(action="period.closed").latest("seq").seq
            late += submitted > closed
        elif isinstance(results[0], UserError):
            assert "the period 2024-H1 is closed" in str(results[0])
        contribution.delete()
    figure(
        f"concurrency (submit ∥ driver closes the period): {trials} trials, {late} "
        f"late submissions, {errors} unhandled errors"
    )
    assert (late, errors) == (0, 0)


@pytest.mark.parametrize("trials", TRIALS)
def test_a_participant_saving_while_the_leader_accepts_never_changes_accepted_values(
    trials, figure
):
    """The participant saves from a form opened before the contribution was
    submitted; the leader accepts what was submitted. The accept always stands
    and the accepted values are the submitted ones, whoever comes first."""
    plan, action, fr, officer, leaders, driver = people()
    period = ReportingPeriod.objects.create(
        plan=plan, year=2024, half=1, deadline=date(2030, 1, 1), state="open"
    )
    kpi = action.kpis.get(letter="a")
    activity = action.activities.get(number=1)
    lost = illegal = errors = 0
    for trial in range(trials):
        draft = services.start_contribution(fr, action, period, actor=officer)
        draft = save(draft, kpi, activity, officer, value=str(trial))
        form_opened = Contribution.objects.get(pk=draft.pk)  # before submitting
        submitted = services.take_step(
            draft, "submit", version=draft.version, actor=officer, today=TODAY
        )
        results = race(
            lambda c=form_opened: save(
                c, kpi, activity, fresh(officer), value="999", version=c.version
            ),
            lambda c=submitted: services.take_step(
                Contribution.objects.get(pk=c.pk),
                "accept",
                version=c.version,
                actor=fresh(leaders[0]),
                today=TODAY,
            ),
        )
        errors += unhandled(results)
        final = Contribution.objects.get(pk=draft.pk)
        values = list(final.values.values_list("value", flat=True))
        lost += not isinstance(results[1], Contribution) or values != [trial]
        lost += final.version != submitted.version + 1
        illegal += final.state != "accepted" or isinstance(results[0], Contribution)
        if isinstance(results[0], UserError):
            assert any(
                why in str(results[0])
                for why in ("changed by someone else", "waits for the action leader")
            ), results[0]
        draft.delete()
    figure(
        f"concurrency (submitter edit ∥ reviewer accept): {trials} trials, {lost} "
        f"lost updates, {illegal} illegal states, {errors} unhandled errors"
    )
    assert (lost, illegal, errors) == (0, 0, 0)


@pytest.mark.parametrize("trials", TRIALS)
def test_two_drivers_deciding_amendments_at_once_never_lose_an_update(trials, figure):
    """Each trial races twice on one accepted contribution of a locked period:
    the driver and the co-driver approve the same amendment (one approval
    stands, applied once), then two different amendments, one changing KPI a
    and the narrative, the other KPI b (both apply, neither undoes the other)."""
    plan, action, fr, officer, leaders, driver = people()
    drivers = (driver, co_driver(plan))
    period = ReportingPeriod.objects.create(
        plan=plan, year=2024, half=1, deadline=date(2030, 1, 1), state="open"
    )
    kpi_a, kpi_b = action.kpis.order_by("letter")
    c = services.start_contribution(fr, action, period, actor=officer)
    c = save(c, kpi_a, action.activities.first(), officer, value="1")
    c = services.take_step(c, "submit", version=c.version, actor=officer, today=TODAY)
    c = services.take_step(
        c, "accept", version=c.version, actor=leaders[0], today=TODAY
    )
    ReportingPeriod.objects.filter(pk=period.pk).update(state="locked")
    lost = illegal = errors = 0
    for trial in range(trials):
        same = amend(c, officer, {kpi_a: str(trial)})
        results = race(*(decide(same, d) for d in drivers))
        errors += unhandled(results)
        approved = [r for r in results if isinstance(r, AmendmentRequest)]
        amended = Transition.objects.filter(contribution=c, name="amend").count()
        lost += len(approved) != 1 or amended != 3 * trial + 1
        if len(approved) != len(results):
            assert "decided by someone else" in str(
                next(r for r in results if isinstance(r, UserError))
            )
        first = amend(c, officer, {kpi_a: str(trial + 1)}, narrative=f"n{trial}")
        second = amend(c, officer, {kpi_b: str(trial % 100)})
        version = Contribution.objects.get(pk=c.pk).version
        results = race(decide(first, drivers[0]), decide(second, drivers[1]))
        errors += unhandled(results)
        final = Contribution.objects.get(pk=c.pk)
        values = dict(final.values.values_list("kpi_id", "value"))
        lost += values != {kpi_a.pk: trial + 1, kpi_b.pk: trial % 100}
        lost += (final.narrative, final.version) != (f"n{trial}", version + 2)
        states = set(AmendmentRequest.objects.values_list("state", flat=True))
        illegal += final.state != "accepted" or not states <= {"approved"}
    figure(
        f"concurrency (amendment decision ∥ amendment decision): {trials} trials "
        f"x 2 races, {lost} lost updates, {illegal} illegal states, {errors} "
        "unhandled errors"
    )
    assert (lost, illegal, errors) == (0, 0, 0)


def save(contribution, kpi, activity, actor, *, value: str, version=None):
    return services.save_contribution(
        contribution,
        version=contribution.version if version is None else version,
        values={kpi.pk: ValueInput(value, "case files")},
        statuses={activity.pk: StatusInput("ongoing")},
        narrative="as reported",
        actor=actor,
        today=TODAY,
    )


def amend(contribution, actor, values: dict, **more) -> AmendmentRequest:
    proposed = {
        "values": {
            str(k.pk): {"value": v, "evidence": "late"} for k, v in values.items()
        },
        **more,
    }
    return services.request_amendment(
        contribution, proposed=proposed, reason="late figures", actor=actor
    )


def decide(amendment: AmendmentRequest, actor):
    return lambda: services.decide_amendment(
        AmendmentRequest.objects.get(pk=amendment.pk), approve=True, actor=fresh(actor)
    )
