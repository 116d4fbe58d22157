"""What the reports count: accepted values of locked periods in a final, pending
ones too in a draft, and Joint Action Day results once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from empact.accounts.models import Participation, RoleAssignment, User
from empact.errors import UserError
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import jads, services
from empact.reports import content
from empact.reports.tests.factories import report_value

pytestmark = pytest.mark.django_db
# Open for reports whatever the real date (a start is refused after it).
DEADLINE = timezone.localdate() + timedelta(days=30)
TODAY = date(2025, 3, 1)


@pytest.fixture
def world(db):
    """OA 1.1: FR reports 12 in the locked 2024-H1 and 5 in the closed 2024-H2
    (accepted), NL 3 in 2024-H2 (submitted, not accepted)."""
    plan = make_plan("oap-ms")
    action = plan.actions.get(ref="1.1")
    people = {}
    for code in ("FR", "NL"):
        org = make_organisation(code)
        Participation.objects.create(organisation=org, action=action)
        people[code] = _user(code.lower(), org, "participant", action=action)
    driver = _user("driver", make_organisation("DE"), "driver", plan=plan)
    leader = _user("leader", make_organisation("IT"), "action_leader", action=action)
    h1, h2 = (
        services.create_period(plan, 2024, half, deadline=DEADLINE, actor=driver)
        for half in (1, 2)
    )
    services.step_period(h1, "open", actor=driver)
    fr, nl = people["FR"], people["NL"]
    accept = ("submit", "accept")
    report_value(
        fr.organisation, action, h1, value="12", actor=fr, leader=leader,
        steps=accept, narrative="H1 went to plan",
    )  # fmt: skip
    for step in ("close", "lock"):
        services.step_period(h1, step, actor=driver)
    services.step_period(h2, "open", actor=driver)
    report_value(
        fr.organisation, action, h2, value="5", actor=fr, leader=leader, steps=accept
    )
    report_value(
        nl.organisation, action, h2, value="3", actor=nl, leader=leader,
        steps=("submit",), narrative="NL: awaiting the court's figures",
    )  # fmt: skip
    services.step_period(h2, "close", actor=driver)
    return {"plan": plan, "action": action, "driver": driver, "h1": h1, "h2": h2}


def _user(name, organisation, role, **scope):
    user = User.objects.create_user(name, organisation=organisation)
    RoleAssignment.objects.create(user=user, role=role, **scope)
    return user


def _kpi_a(report):
    action = next(a for g in report.goals for a in g.actions if a.ref == "1.1")
    return action, action.kpis[0]


def test_a_final_counts_only_the_locked_periods_and_names_the_others(world):
    report = content.comprehensive_report(world["plan"], year=2024, today=TODAY)
    action, kpi = _kpi_a(report)

    assert (kpi.accepted, kpi.pending, kpi.value) == (12, None, 12)
    assert (kpi.scope, kpi.target) == ("2024", 20)
    assert report.periods_counted == ("2024-H1",)
    assert report.periods_left_out == ("2024-H2",)
    assert [n.text for n in action.narratives] == ["H1 went to plan"]


def test_a_draft_counts_every_period_and_shows_what_is_pending(world):
    report = content.comprehensive_report(
        world["plan"], year=2024, draft=True, today=TODAY
    )
    action, kpi = _kpi_a(report)

    assert (kpi.accepted, kpi.pending, kpi.value) == (17, 3, 20)
    assert kpi.status == "green"  # 20 of the 20 expected by the end of 2024
    assert report.periods_left_out == ()
    assert ("NL", True) in [(n.organisation, n.is_pending) for n in action.narratives]
    assert action.pending_contributions == 1


def test_the_light_report_of_a_period_shows_the_period_alone_and_to_date(world):
    report = content.light_report(world["plan"], world["h2"], draft=True, today=TODAY)
    _, kpi = _kpi_a(report)

    assert kpi.this_period == 8  # FR 5 accepted + NL 3 pending
    assert kpi.value == 20  # the year to date
    assert report.scope == "2024-H2" and report.draft
    assert report.as_of == date(2024, 12, 31)


def test_a_final_light_report_of_a_period_not_locked_is_refused(world):
    with pytest.raises(UserError, match="2024-H2 is closed, not locked"):
        content.light_report(world["plan"], world["h2"], today=TODAY)


def test_a_jad_result_counts_once_through_its_kpi_and_once_if_no_kpi_counts_it(
    world,
):
    plan, driver, action = world["plan"], world["driver"], world["action"]
    other = plan.actions.get(ref="2.2")  # also "Number of OCGs dismantled"
    fr = make_organisation("FR")
    kpi = action.kpis.get(letter="a")
    jads.map_kpi(kpi, measure="ocgs_disrupted", actor=driver)
    for name, actions, value in (("Mapped", [action], 4), ("Unmapped", [other], 2)):
        jad = jads.plan_jad(
            plan, name=name, starts=date(2024, 3, 5), ends=date(2024, 3, 6),
            actions=actions, lead=fr, participants=[], actor=driver,
        )  # fmt: skip
        jads.record_jad_result(
            jad, fr, measure="ocgs_disrupted", value=value, actor=driver
        )

    sheet = content.fact_sheet(plan, 2024, today=TODAY)
    _, row = _kpi_a(content.comprehensive_report(plan, year=2024, today=TODAY))
    ocgs = next(h for h in sheet.headlines if h.key == "ocgs")
    recorded = next(h for h in sheet.headlines if h.key == "jads")

    assert row.accepted == 16  # 12 reported + 4 from the mapped JAD
    assert ocgs.value == Decimal(18)  # OA 1.1's 16, and the unmapped JAD's 2
    assert ocgs.sources == ("OA 1.1 a", "JAD results not counted by a KPI")
    assert (recorded.value, recorded.sources) == (2, ("JAD records",))


def test_the_number_of_queries_does_not_grow_with_the_data(world, figure):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            content.comprehensive_report(world["plan"], draft=True, today=TODAY)
        return len(captured)

    before = queries()
    other = world["plan"].actions.get(ref="2.2")
    reporter = _user("be", make_organisation("BE"), "participant", action=other)
    Participation.objects.create(organisation=reporter.organisation, action=other)
    leader = _user("leader2", make_organisation("IT"), "action_leader", action=other)
    services.step_period(world["h2"], "open", actor=world["driver"])
    report_value(
        reporter.organisation, other, world["h2"], value="7", actor=reporter,
        leader=leader, steps=("submit", "accept"), narrative="more data",
    )  # fmt: skip

    assert queries() == before
    figure(f"reports content: {before} queries, the same with more contributions")
