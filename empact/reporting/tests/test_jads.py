from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from empact.accounts.models import RoleAssignment, User
from empact.errors import UserError
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import jads
from empact.reporting.models import JADMapping, JADResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    plan = make_plan()
    driver = User.objects.create_user("driver", organisation=make_organisation("DE"))
    RoleAssignment.objects.create(user=driver, role="driver", plan=plan)
    oa_11, oa_13 = plan.actions.get(ref="1.1"), plan.actions.get(ref="1.3")
    jad = jads.plan_jad(
        plan,
        name="JAD ARKTOS",
        starts=date(2024, 9, 10),
        ends=date(2024, 9, 14),
        actions=[oa_11, oa_13],
        lead=make_organisation("PL"),
        participants=[make_organisation("FR")],
        actor=driver,
    )
    return plan, driver, oa_11, oa_13, jad


def test_a_result_counts_once_in_each_mapped_kpi_of_a_linked_oa(world):
    plan, driver, oa_11, oa_13, jad = world
    for oa in (oa_11, oa_13):
        jads.map_kpi(oa.kpis.get(letter="a"), measure="ocgs_disrupted", actor=driver)
    unlinked = plan.actions.get(ref="2.2").kpis.get(letter="a")
    jads.map_kpi(unlinked, measure="ocgs_disrupted", actor=driver)
    fr = jad.participants.get(code="FR")
    jads.record_jad_result(jad, fr, measure="ocgs_disrupted", value=3, actor=driver)
    jads.record_jad_result(jad, fr, measure="arrests", value=12, actor=driver)

    values = jads.jad_values(plan)

    assert sorted((v.kpi_id, v.year, v.half, v.value) for v in values) == sorted(
        [
            (oa_11.kpis.get(letter="a").pk, 2024, 2, Decimal(3)),
            (oa_13.kpis.get(letter="a").pk, 2024, 2, Decimal(3)),
        ]
    )


def test_recording_a_result_again_replaces_it(world):
    plan, driver, oa_11, oa_13, jad = world
    pl = jad.lead
    jads.record_jad_result(jad, pl, measure="arrests", value=5, actor=driver)
    jads.record_jad_result(jad, pl, measure="arrests", value=7, actor=driver)

    assert list(JADResult.objects.values_list("value", flat=True)) == [7]


def test_an_organisation_outside_the_jad_cannot_have_results(world):
    plan, driver, oa_11, oa_13, jad = world
    with pytest.raises(UserError, match="BR did not take part in JAD ARKTOS"):
        jads.record_jad_result(
            jad, make_organisation("BR"), measure="arrests", value=1, actor=driver
        )


def test_a_kpi_counts_one_jad_measure_only(world):
    plan, driver, oa_11, oa_13, jad = world
    kpi = oa_11.kpis.get(letter="a")
    jads.map_kpi(kpi, measure="arrests", actor=driver)
    with pytest.raises(UserError, match="already counts a JAD measure"):
        jads.map_kpi(kpi, measure="ocgs_disrupted", actor=driver)


def test_planning_checks_every_problem_and_who_may(world):
    plan, driver, oa_11, oa_13, jad = world
    other = make_plan("oap-other")
    with pytest.raises(UserError) as error:
        jads.plan_jad(
            plan,
            name="Bad",
            starts=date(2024, 9, 10),
            ends=date(2024, 9, 1),
            actions=[other.actions.first()],
            lead=jad.lead,
            participants=[],
            actor=driver,
        )
    assert error.value.problems == [
        "OA 1.1 is not in this plan",
        "the JAD ends (2024-09-01) before it starts (2024-09-10)",
    ]
    outsider = User.objects.create_user("x", organisation=make_organisation("BR"))
    with pytest.raises(Http404):
        jads.plan_jad(
            plan,
            name="X",
            starts=date(2024, 1, 1),
            ends=date(2024, 1, 2),
            actions=[oa_11],
            lead=jad.lead,
            participants=[],
            actor=outsider,
        )


def test_jad_results_count_once_in_the_dashboard_attainment(world):
    from empact.reporting import dashboards

    plan, driver, oa_11, oa_13, jad = world
    kpi = oa_11.kpis.get(letter="a")
    jads.map_kpi(kpi, measure="ocgs_disrupted", actor=driver)
    jads.record_jad_result(
        jad, jad.lead, measure="ocgs_disrupted", value=4, actor=driver
    )
    jads.record_jad_result(
        jad,
        jad.participants.get(code="FR"),
        measure="ocgs_disrupted",
        value=3,
        actor=driver,
    )

    page = dashboards.action_dashboard(
        plan.slug, "1.1", actor=driver, today=date(2024, 12, 31)
    )

    row = next(r for r in page.kpis if r.kpi.pk == kpi.pk)
    year_2024 = row.attainment.years[0]
    assert (year_2024.label, year_2024.accepted, year_2024.accepted_count) == (
        "2024",
        Decimal(7),
        2,
    )
    assert row.attainment.period.accepted == Decimal(7)
    plan_page = dashboards.plan_dashboard(
        plan.slug, actor=driver, today=date(2024, 12, 31)
    )
    same = next(
        r
        for s in plan_page.goals
        for a in s.actions
        for r in a.kpis
        if r.kpi.pk == kpi.pk
    )
    assert same.attainment.period.accepted == Decimal(7)


def test_a_participant_records_only_their_own_organisations_results(world):
    plan, driver, oa_11, oa_13, jad = world
    fr = jad.participants.get(code="FR")
    officer = User.objects.create_user("officer", organisation=fr)
    RoleAssignment.objects.create(user=officer, role="participant", action=oa_13)

    jads.record_jad_result(jad, fr, measure="arrests", value=2, actor=officer)
    with pytest.raises(PermissionDenied, match="jad.coordinate"):
        jads.record_jad_result(jad, jad.lead, measure="arrests", value=2, actor=officer)

    assert list(JADResult.objects.values_list("organisation__code", "value")) == [
        ("FR", 2)
    ]


def test_support_plans_and_maps_and_a_leader_maps_only_their_own_oas_kpis(world):
    plan, driver, oa_11, oa_13, jad = world
    support = User.objects.create_user("support", organisation=make_organisation("EU"))
    RoleAssignment.objects.create(user=support, role="support")
    leader = User.objects.create_user("leader", organisation=make_organisation("IT"))
    RoleAssignment.objects.create(user=leader, role="action_leader", action=oa_11)

    jads.map_kpi(oa_13.kpis.get(letter="a"), measure="arrests", actor=support)
    jads.map_kpi(oa_11.kpis.get(letter="a"), measure="arrests", actor=leader)
    with pytest.raises(PermissionDenied, match="jad.link"):
        jads.map_kpi(
            plan.actions.get(ref="2.2").kpis.get(letter="a"),
            measure="arrests",
            actor=leader,
        )
    assert JADMapping.objects.count() == 2


@pytest.mark.parametrize(
    ("measure", "kind", "value", "problem"),
    [
        (
            "bribes",
            "",
            1,
            "'bribes' is not a JAD measure; use one of: arrests, ocgs_disrupted, "
            "seizures, migrants_detected, false_documents",
        ),
        (
            "seizures",
            " ",
            1,
            "seizures: say what was seized, e.g. cash, vehicles, boats",
        ),
        ("arrests", "cash", 1, "arrests: only seizures have a kind ('cash')"),
        ("arrests", "", -1, "arrests: -1 is negative"),
    ],
)
def test_a_result_is_checked_before_it_is_saved(world, measure, kind, value, problem):
    plan, driver, oa_11, oa_13, jad = world
    with pytest.raises(UserError) as error:
        jads.record_jad_result(
            jad, jad.lead, measure=measure, seizure_kind=kind, value=value, actor=driver
        )
    assert error.value.problems == [problem]
    assert not JADResult.objects.exists()
