"""Two people acting on one contribution at the same moment (T-16).

Real concurrent connections: threads released together by a barrier, each with its
own database connection. PostgreSQL is the authoritative leg (select_for_update and
row locks are real there); the in-memory SQLite test database has one connection.
"""

import threading
from datetime import date

import pytest
from django.db import connection

from empact.accounts.models import RoleAssignment, User
from empact.errors import UserError
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import services
from empact.reporting.models import Contribution, ReportingPeriod, Transition

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs real concurrent connections: run with "
        "DATABASE_URL=postgres://...",
    ),
]
TODAY = date(2024, 5, 2)
TRIALS = 30


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


def test_two_reviewers_at_once_never_lose_an_update(figure):
    plan, action, fr, officer, leaders, driver = people()
    period = ReportingPeriod.objects.create(
        plan=plan, year=2024, half=1, deadline=date(2030, 1, 1), state="open"
    )
    lost = illegal = 0
    for _ in range(TRIALS):
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
        assert all("changed by someone else" in str(e) for e in losers)
        contribution.delete()
    figure(
        f"concurrency (reviewer ∥ reviewer): {TRIALS} trials, {lost} lost "
        f"updates, {illegal} illegal states"
    )
    assert (lost, illegal) == (0, 0)


def test_closing_a_period_while_someone_submits_never_lets_a_late_submission_in(
    figure,
):
    """If both succeed, the submission was committed before the closing (audit order);
    otherwise the submission is refused because the period is closed."""
    from empact.audit.models import AuditEntry

    plan, action, fr, officer, leaders, driver = people()
    period = ReportingPeriod.objects.create(
        plan=plan, year=2024, half=1, deadline=date(2030, 1, 1), state="open"
    )
    late = 0
    for _ in range(TRIALS):
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
        else:
            assert "the period 2024-H1 is closed" in str(results[0])
        contribution.delete()
    figure(f"concurrency (submit ∥ close): {TRIALS} trials, {late} late submissions")
    assert late == 0
