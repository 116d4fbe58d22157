import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from empact.plans.models import KPI, Activity
from empact.plans.services import import_plan
from empact.plans.tests.factories import (
    make_organisation,
    make_plan,
    make_plan_file,
    make_plan_from,
)

pytestmark = pytest.mark.django_db


def row_html(html: str, row_id: str) -> str:
    match = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row {row_id}"
    return match.group(1)


def planned_quarters(html: str, row_id: str) -> list[str]:
    """The data-quarter of every filled timeline cell in one activity row."""
    return re.findall(
        r'<td class="q q-on[^"]*" data-quarter="([^"]+)"', row_html(html, row_id)
    )


@pytest.fixture
def plan(db):
    return make_plan("oap-ms")


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("plans:home", {}),
        ("plans:overview", {"slug": "oap-ms"}),
        ("plans:action", {"slug": "oap-ms", "ref": "1.1"}),
        ("plans:versions", {"slug": "oap-ms"}),
    ],
)
def test_anonymous_user_is_sent_to_sign_in(client, plan, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_sign_in_page_shows_the_form_and_lands_on_the_plan_in_demo_mode(
    client, member, plan, settings
):
    settings.DEMO_MODE = True  # no second factor in demo mode
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'type="password"' in page.text

    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "alice-password"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("plans:overview", args=["oap-ms"])


def test_home_with_one_plan_goes_to_its_overview(member_client, plan):
    response = member_client.get(reverse("plans:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:overview", args=["oap-ms"])


def test_home_lists_every_plan_with_period_and_driver(member_client, plan):
    make_plan("oap-drugs")
    response = member_client.get(reverse("plans:home"))
    assert response.status_code == 200
    assert reverse("plans:overview", args=["oap-ms"]) in response.text
    assert reverse("plans:overview", args=["oap-drugs"]) in response.text
    assert "2024-2025" in response.text
    assert "Organisation DE" in response.text


def test_home_without_plans_says_how_to_load_one(member_client):
    response = member_client.get(reverse("plans:home"))
    assert response.status_code == 200
    assert "No plan has been loaded yet" in response.text


def test_overview_shows_plan_header_goals_and_every_action(member_client):
    data = make_plan_file("oap-ms")
    data["goals"][0]["objective"] = "Map the networks."
    data["council_document"] = "14541/23"
    data["aim"] = "To fight criminal networks involved in migrant smuggling."
    make_plan_from(data)

    response = member_client.get(reverse("plans:overview", args=["oap-ms"]))

    html = response.text
    assert response.status_code == 200
    assert '<span class="marking-badge">LIMITE</span>' in html
    assert "14541/23" in html and "2024-2025" in html
    assert (
        '<span class="code">DE</span> <span class="org-name">Organisation DE</span>'
        in html
    )
    assert "To fight criminal networks" in html
    assert "CHSG 1</span> – Criminal intelligence picture" in html
    assert "CHSG 2</span> – Investigations and judicial response" in html
    assert "<summary>Objective</summary>" in html and "Map the networks." in html
    for ref in ("1.1", "2.2", "1.3"):
        assert reverse("plans:action", args=["oap-ms", ref]) in html
    assert reverse("organisations:detail", args=["EUROPOL"]) in html
    assert (
        '<span class="code">EUROPOL</span> <span class="org-name">Europol</span>'
        in html
    )
    assert "Data collection/data exchange" in html
    # KPI and activity counts: two of each per action.
    assert html.count('<td class="num">2</td>') == 6


def test_overview_query_count_does_not_grow_with_the_number_of_actions(member_client):
    make_plan("small", actions=3)
    make_plan("large", actions=9)
    counts = {}
    for slug in ("small", "large"):
        with CaptureQueriesContext(connection) as queries:
            response = member_client.get(reverse("plans:overview", args=[slug]))
        assert response.status_code == 200
        counts[slug] = len(queries)
    assert response.text.count("/plans/large/oa/") == 9
    assert counts["small"] == counts["large"]
    # session, user, second factor, plan, roles; then the page itself: 4
    assert counts["large"] <= 9


def test_overview_of_an_unknown_plan_is_404(member_client, plan):
    response = member_client.get(reverse("plans:overview", args=["no-such-plan"]))
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_action_page_shows_leaders_types_summary_and_kpi_targets(member_client, plan):
    action = plan.actions.get(ref="1.1")
    action.title = "Intelligence picture on migrant smuggling"
    action.co_leader = make_organisation("IT", name="Italy")
    action.links, action.jad = "EMPACT THB", "When needed."
    action.save()
    # Targets as the parser stores them, set directly so this page test does not
    # depend on how the parser reads any one wording.
    KPI.objects.create(
        action=action,
        letter="c",
        text="Number of arrests",
        target_value=5,
        target_minimum=True,
        target_text="At least 5.",
        aggregation=KPI.Aggregation.SUM,
    )
    KPI.objects.create(
        action=action,
        letter="d",
        text="Operations",
        target_by_year={"2024": 9, "2025": 9},
        target_scope=KPI.Scope.PER_YEAR,
        target_text="Target: 9 in 2024 and 9 in 2025",
        aggregation=KPI.Aggregation.SUM,
    )
    KPI.objects.create(
        action=action,
        letter="e",
        text="Helpdesk and weeks",
        target_components=[
            {"value": 1, "label": "permanent Helpdesk"},
            {"value": 4, "label": "Action-Weeks"},
        ],
        target_text="one permanent Helpdesk, 4 Action-Weeks",
        aggregation=KPI.Aggregation.SUM,
    )
    KPI.objects.create(
        action=action,
        letter="f",
        text="Money seized",
        kind=KPI.Kind.MONEY,
        target_value=50000,
        unit="EUR",
        target_scope=KPI.Scope.PERIOD,
        target_text="EUR 50,000",
        aggregation=KPI.Aggregation.SUM,
    )
    KPI.objects.create(
        action=action,
        letter="g",
        text="Awareness raised",
        target_text="",
        aggregation=KPI.Aggregation.SUM,
    )

    response = member_client.get(reverse("plans:action", args=["oap-ms", "1.1"]))

    html = response.text
    assert response.status_code == 200
    assert "OA 1.1</span> Action 1" in html
    assert "Intelligence picture on migrant smuggling" in html
    assert (
        '<span class="code">EUROPOL</span> <span class="org-name">Europol</span>'
        in html
    )
    assert '<span class="code">IT</span> <span class="org-name">Italy</span>' in html
    assert "Operational" in html and "Detect and disrupt migrant smuggling" in html
    assert "EMPACT THB" in html and "When needed." in html

    kpi_a = row_html(html, "kpi-a")
    assert "20 per year" in kpi_a and "<strong>20</strong>" in kpi_a
    assert '<td class="nowrap">per year</td>' in kpi_a and "Count" in kpi_a
    assert "no measurable target" not in kpi_a
    kpi_b = row_html(html, "kpi-b")
    assert "<strong>90%</strong>" in kpi_b and "Percentage" in kpi_b
    kpi_c = row_html(html, "kpi-c")
    assert '<span class="at-least">at least</span>&nbsp;<strong>5</strong>' in kpi_c
    assert '<td class="nowrap">not stated</td>' in kpi_c
    kpi_d = row_html(html, "kpi-d")
    assert "2024:</span> 9" in kpi_d and "2025:</span> 9" in kpi_d
    kpi_e = row_html(html, "kpi-e")
    assert "<strong>1</strong> permanent Helpdesk" in kpi_e
    assert "<strong>4</strong> Action-Weeks" in kpi_e
    kpi_f = row_html(html, "kpi-f")
    assert (
        "<strong>EUR 50,000</strong>" in kpi_f
        and '<td class="nowrap">whole period</td>' in kpi_f
    )
    assert "Money" in kpi_f
    kpi_g = row_html(html, "kpi-g")
    assert "no measurable target" in kpi_g


def test_action_timeline_fills_the_planned_quarters_only(member_client, plan):
    response = member_client.get(reverse("plans:action", args=["oap-ms", "1.1"]))

    html = response.text
    for year in (2024, 2025):
        for quarter in (1, 2, 3, 4):
            assert f'Q{quarter}<span class="visually-hidden"> {year}</span>' in html
    assert planned_quarters(html, "activity-1") == ["2024-Q1"]
    assert planned_quarters(html, "activity-2") == [
        f"{y}-Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)
    ]
    assert row_html(html, "activity-1").count('visually-hidden">planned<') == 1
    assert "Q1-Q4 2024/25" in row_html(html, "activity-2")


def test_activity_with_unparsed_timing_says_so(member_client, plan):
    action = plan.actions.get(ref="1.1")
    Activity.objects.create(action=action, number=3, text="Study", timing="When needed")

    response = member_client.get(reverse("plans:action", args=["oap-ms", "1.1"]))

    row = row_html(response.text, "activity-3")
    assert "timing not parsed: When needed" in row
    assert planned_quarters(response.text, "activity-3") == []


def test_action_page_links_previous_and_next_actions(member_client, plan):
    html = member_client.get(reverse("plans:action", args=["oap-ms", "2.2"])).text
    assert (
        f'href="{reverse("plans:action", args=["oap-ms", "1.1"])}" rel="prev"' in html
    )
    assert (
        f'href="{reverse("plans:action", args=["oap-ms", "1.3"])}" rel="next"' in html
    )

    first = member_client.get(reverse("plans:action", args=["oap-ms", "1.1"])).text
    assert 'rel="prev"' not in first and 'rel="next"' in first


@pytest.mark.parametrize("slug, ref", [("oap-ms", "9.9"), ("no-such-plan", "1.1")])
def test_unknown_action_or_plan_is_404(member_client, plan, slug, ref):
    response = member_client.get(reverse("plans:action", args=[slug, ref]))
    assert response.status_code == 404


def test_versions_page_lists_each_version_with_its_changes(member_client, plan):
    data = make_plan_file("oap-ms")
    data["actions"][0]["kpis"][0]["target"] = "25 per year"
    data["actions"][0]["activities"].append(
        {"number": 3, "text": "Workshop", "timing": "Q2 2025"}
    )
    import_plan(data, by="support", reason="Target corrected.", source="rev1.yaml")

    response = member_client.get(reverse("plans:versions", args=["oap-ms"]))

    html = response.text
    assert response.status_code == 200
    v1 = html[html.index('id="version-1"') :]
    assert "as adopted" in v1 and "factory" in v1 and "test plan" in v1
    v2 = html[html.index('id="version-2"') : html.index('id="version-1"')]
    assert "support" in v2 and "Target corrected." in v2 and "rev1.yaml" in v2
    assert "OA 1.1 KPI a" in v2
    assert '<del class="value">' in v2 and "20 per year" in v2 and "25 per year" in v2
    assert '<span class="change change-added">added</span>' in v2
    assert "OA 1.1 activity 3" in v2


def test_versions_page_without_versions_says_so(member_client, plan):
    plan.versions.all().delete()
    response = member_client.get(reverse("plans:versions", args=["oap-ms"]))
    assert response.status_code == 200
    assert "No version recorded yet" in response.text


def test_demo_banner_shows_on_every_page_in_demo_mode(member_client, plan, settings):
    settings.DEMO_MODE = True
    for url in (
        reverse("plans:overview", args=["oap-ms"]),
        reverse("plans:action", args=["oap-ms", "1.1"]),
        reverse("plans:versions", args=["oap-ms"]),
    ):
        assert "DEMO — not for operational data" in member_client.get(url).text


def test_administrators_see_the_admin_link_and_others_do_not(
    member_client, member, plan
):
    from empact.accounts.models import RoleAssignment

    url = reverse("plans:overview", args=["oap-ms"])
    member.is_staff = True
    member.save()
    assert reverse("admin:index") not in member_client.get(url).text
    RoleAssignment.objects.create(user=member, role="administrator")
    assert reverse("admin:index") in member_client.get(url).text


def test_leader_link_goes_to_an_organisation_page(member_client, plan):
    url = reverse("organisations:detail", args=["EUROPOL"])
    assert member_client.get(url).status_code == 200
