"""The dashboards: selectors (with `today` given) and pages, with data made through
the real reporting services; query counts that do not grow with the plan."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from empact.accounts.tests.helpers import sign_in
from empact.audit.models import AuditEntry
from empact.plans.tests.factories import make_plan_file
from empact.reporting import dashboards
from empact.reporting.attainment import Status, Thresholds
from empact.reporting.tests.factories_attainment import (
    make_contribution,
    make_reporting_world,
    make_user,
)

pytestmark = pytest.mark.django_db

MID_2024 = date(2024, 7, 1)  # 183 of 366 days: half of 2024's targets expected
AFTER_PLAN = date(2026, 1, 5)


@pytest.fixture
def world(db):
    """FR and IT report on OA 1.1 (accepted, and IT's 2024-H2 waits for review);
    FR's draft for OA 2.2 is not reported yet; OA 1.3 has nothing."""
    plan_file = make_plan_file("oap-ms")
    plan_file["actions"][0]["kpis"].append(
        {"letter": "c", "text": "Number of operational meetings", "target": ""}
    )
    w = make_reporting_world(plan_file=plan_file)
    make_contribution(
        w,
        "FR",
        "1.1",
        "2024-H1",
        values={"a": 12, "b": (90, 10), "c": 4},
        statuses={1: "ongoing"},
    )
    make_contribution(
        w,
        "IT",
        "1.1",
        "2024-H1",
        values={"a": 5, "b": (60, 30)},
        statuses={1: "completed"},
    )
    make_contribution(w, "IT", "1.1", "2024-H2", values={"a": 3}, state="submitted")
    make_contribution(w, "FR", "2.2", "2024-H1", values={"a": 7}, state="draft")
    return w


def kpi_rows(page) -> dict:
    return {
        f"{a.action.ref}{row.kpi.letter}": row.attainment
        for goal in page.goals
        for a in goal.actions
        for row in a.kpis
    }


def row_html(html: str, row_id: str) -> str:
    match = re.search(rf'<tr id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row {row_id}"
    return match.group(1)


def test_the_plan_dashboard_adds_up_accepted_values_of_every_organisation(world):
    page = dashboards.plan_dashboard("oap-ms", actor=world.driver, today=MID_2024)
    a = kpi_rows(page)["1.1a"]
    assert (a.years[0].accepted, a.years[0].pending) == (Decimal(17), Decimal(3))
    assert (a.years[0].target, a.years[0].expected) == (Decimal(20), Decimal(10))
    assert a.years[0].status == Status.GREEN
    assert (a.period.target, a.period.expected) == (Decimal(40), Decimal(10))


def test_a_percentage_is_the_weighted_mean_of_accepted_values(world):
    page = dashboards.plan_dashboard("oap-ms", actor=world.driver, today=MID_2024)
    b = kpi_rows(page)["1.1b"]
    assert b.years[0].accepted == Decimal("67.5")  # (90×10 + 60×30) / 40
    assert b.years[0].expected == Decimal(90)
    assert b.years[0].status == Status.AMBER  # exactly 75 % of 90
    assert b.years[1].status == Status.NONE  # 2025 has not started


def test_drafts_do_not_count_and_a_kpi_without_target_has_no_status(world):
    page = dashboards.plan_dashboard("oap-ms", actor=world.driver, today=MID_2024)
    rows = kpi_rows(page)
    assert rows["2.2a"].years[0].accepted == 0
    assert rows["2.2a"].years[0].pending_count == 0
    assert rows["2.2a"].years[0].status == Status.RED
    assert rows["1.3b"].years[0].reason == "no accepted value yet"
    c = rows["1.1c"]
    assert (c.years[0].accepted, c.years[0].status) == (Decimal(4), Status.NONE)
    assert c.period.reason == "no target"


def test_the_plan_dashboard_counts_contributions_by_period_and_state(world):
    page = dashboards.plan_dashboard("oap-ms", actor=world.driver, today=MID_2024)
    counts = {row.period.code: row.counts for row in page.periods}
    assert counts == {
        "2024-H1": {"draft": 1, "submitted": 0, "accepted": 2},
        "2024-H2": {"draft": 0, "submitted": 1, "accepted": 0},
    }
    assert page.statuses[Status.GREEN] == 1  # 1.1 a over the period


def test_thresholds_come_from_the_settings(world, settings):
    settings.EMPACT_ATTAINMENT_GREEN_PERCENT = 70
    settings.EMPACT_ATTAINMENT_AMBER_PERCENT = 10
    page = dashboards.plan_dashboard("oap-ms", actor=world.driver, today=MID_2024)
    assert page.thresholds == Thresholds(Decimal("0.7"), Decimal("0.1"))
    assert kpi_rows(page)["1.1b"].years[0].status == Status.GREEN


def test_who_reported_an_activitys_latest_status_shows_only_to_who_may_see(world):
    driver = dashboards.action_dashboard(
        "oap-ms", "1.1", actor=world.driver, today=MID_2024
    )
    first = driver.timeline[0]
    assert first.latest.status == "completed"  # IT's, changed after FR's
    assert first.may_see_reporter and not first.is_overdue
    fr = dashboards.action_dashboard(
        "oap-ms", "1.1", actor=world.officers["FR"], today=MID_2024
    )
    assert fr.timeline[0].latest.status == "completed"
    assert not fr.timeline[0].may_see_reporter
    assert {c.organisation.code for c in fr.contributions} == {"FR"}
    assert {c.organisation.code for c in driver.contributions} == {"FR", "IT"}


def test_activities_whose_quarters_are_all_past_and_not_done_are_overdue(world):
    mid = dashboards.action_dashboard(
        "oap-ms", "1.3", actor=world.driver, today=MID_2024
    )
    after = dashboards.action_dashboard(
        "oap-ms", "1.3", actor=world.driver, today=AFTER_PLAN
    )
    done = dashboards.action_dashboard(
        "oap-ms", "1.1", actor=world.driver, today=AFTER_PLAN
    )
    assert [r.is_overdue for r in mid.timeline] == [True, False]  # Q1 2024 is past
    assert [r.is_overdue for r in after.timeline] == [True, True]
    assert [r.is_overdue for r in done.timeline] == [False, True]  # 1 completed
    assert mid.overdue == 1
    assert mid.current.year == 2024 and mid.current.quarter == 3


def test_the_oa_dashboard_counts_only_that_oas_contributions(world):
    page = dashboards.action_dashboard(
        "oap-ms", "2.2", actor=world.driver, today=MID_2024
    )
    counts = {row.period.code: row.counts for row in page.periods}
    assert counts["2024-H1"] == {"draft": 1, "submitted": 0, "accepted": 0}


def test_a_nec_sees_what_organisations_of_their_country_reported_and_it_is_logged(
    world,
):
    nec = make_user("nec-fr", "FR", "nec", country="FR")
    page = dashboards.organisation_view("oap-ms", "FR", actor=nec, today=MID_2024)
    sections = {s.action.ref: s for s in page.sections}
    assert list(sections) == ["1.1", "2.2"]
    rows = {row.kpi.letter: row for row in sections["1.1"].rows}
    assert [v.value for v in rows["a"].values] == [Decimal(12)]
    assert rows["b"].accepted == Decimal(90)
    assert sections["2.2"].rows[0].accepted is None  # a draft is not accepted
    entry = AuditEntry.objects.get(action="organisation.consulted")
    assert entry.extra["contributions"] == [
        c.pk for s in page.sections for c in s.contributions
    ]
    assert entry.extra["plan"] == "oap-ms"


def test_a_nec_sees_nothing_of_another_countrys_organisation(world):
    nec = make_user("nec-fr", "FR", "nec", country="FR")
    page = dashboards.organisation_view("oap-ms", "IT", actor=nec, today=MID_2024)
    assert page.sections == [] and page.contribution_count == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda actor, slug: dashboards.plan_dashboard(
            slug, actor=actor, today=MID_2024
        ),
        lambda actor, slug: dashboards.action_dashboard(
            slug, "1.1", actor=actor, today=MID_2024
        ),
        lambda actor, slug: dashboards.organisation_view(
            slug, "FR", actor=actor, today=MID_2024
        ),
    ],
)
def test_an_outsider_gets_the_same_404_as_for_a_plan_that_does_not_exist(world, call):
    outsider = make_user("outsider", "BR")
    with pytest.raises(Http404):
        call(outsider, "oap-ms")
    with pytest.raises(Http404):
        call(world.driver, "no-such-plan")
    assert not AuditEntry.objects.filter(action="organisation.consulted").exists()


def test_an_unknown_oa_or_organisation_is_not_found(world):
    with pytest.raises(Http404):
        dashboards.action_dashboard("oap-ms", "9.9", actor=world.driver, today=MID_2024)
    with pytest.raises(Http404):
        dashboards.organisation_view("oap-ms", "XX", actor=world.driver, today=MID_2024)


# Pages ---------------------------------------------------------------------------


def test_the_plan_dashboard_page_shows_figures_and_status_in_words(client, world):
    html = (
        sign_in(client, world.driver)
        .get(reverse("dashboards:plan", args=["oap-ms"]))
        .text
    )
    row = row_html(html, "kpi-1.1-a")
    assert '17</span> <span class="muted">of 20</span>' in row
    statuses = re.findall(
        r'<span class="attainment attainment-(\w+)">.*?</span> ([\w ]+)</span>', row
    )
    assert statuses and all(
        word
        == {
            "green": "On track",
            "amber": "Behind",
            "red": "Far behind",
            "none": "No status",
        }[colour]
        for colour, word in statuses
    )
    assert '<caption id="caption-chsg-1">' in html
    assert 'aria-current="page">Dashboard</a>' in html
    assert (
        "<caption>Contributions of all organisations to Operational Action Plan "
        "2024-2025: Migrant smuggling, by period and state</caption>"
    ) in html
    assert '<th scope="col" class="num">All</th>' in html
    assert reverse("dashboards:action", args=["oap-ms", "1.1"]) in html


def test_the_oa_dashboard_page_shows_each_scope_and_the_timeline(client, world):
    url = reverse("dashboards:action", args=["oap-ms", "1.1"])
    html = sign_in(client, world.officers["FR"]).get(url).text
    assert "67.5" in row_html(html, "kpi-b-2024")
    assert "Whole period 2024-2025" in row_html(html, "kpi-a-2024-2025")
    activity = row_html(html, "activity-1")
    assert 'data-quarter="2024-Q1"><span class="bar"' in activity
    assert "Completed" in activity and ", IT" not in activity
    assert (
        "<caption>Contributions of all organisations to OA 1.1, by period and "
        "state</caption>"
    ) in html
    assert '<th scope="col" class="num">All</th>' not in html
    assert reverse("dashboards:organisation", args=["oap-ms", "FR"]) in html


def test_the_organisation_page_lists_the_values_the_actor_may_see(client, world):
    url = reverse("dashboards:organisation", args=["oap-ms", "FR"])
    html = sign_in(client, world.officers["FR"]).get(url).text
    assert "(weight 10)" in row_html(html, "kpi-1.1-b")
    assert "You may see no contribution" not in html
    other = reverse("dashboards:organisation", args=["oap-ms", "IT"])
    assert "You may see no contribution of IT" in client.get(other).text


# Query counts -----------------------------------------------------------------


def busy_world(slug: str, *, actions: int, organisations: tuple[str, ...]):
    w = make_reporting_world(slug, actions=actions, organisations=organisations)
    for action in w.plan.actions.all():
        for i, code in enumerate(organisations):
            make_contribution(
                w,
                code,
                action.ref,
                "2024-H1",
                values={"a": i + 1, "b": (80 + i, i + 1)},
                statuses={1: "ongoing", 2: "completed"},
                state=("accepted", "submitted", "draft")[i % 3],
            )
    return w


def queries_of(client, user, url) -> int:
    sign_in(client, user)
    client.get(url)  # first request: session and caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_pages_run_the_same_number_of_queries_for_a_bigger_plan(client, figure):
    small = busy_world("oap-small", actions=3, organisations=("FR", "IT"))
    big = busy_world("oap-big", actions=9, organisations=("FR", "IT", "NL", "ES", "PL"))
    counts = {}
    for name, args in [
        ("plan", []),
        ("action", ["1.1"]),
        ("organisation", ["FR"]),
    ]:
        counts[name] = [
            queries_of(
                client,
                w.driver,
                reverse(f"dashboards:{name}", args=[w.plan.slug, *args]),
            )
            for w in (small, big)
        ]
    figure(
        "dashboard queries, 3 OAs × 2 organisations vs 9 OAs × 5 organisations: "
        + ", ".join(f"{name} {a} vs {b}" for name, (a, b) in counts.items())
    )
    assert all(a == b for a, b in counts.values()), counts
    assert all(a <= 25 for a, _ in counts.values()), counts
