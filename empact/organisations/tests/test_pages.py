import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from empact.organisations.models import Organisation
from empact.plans.tests.factories import make_organisation, make_plan

pytestmark = pytest.mark.django_db


def section_html(html: str, kind: str) -> str:
    match = re.search(
        rf'<section class="org-kind" aria-labelledby="{kind}">(.*?)</section>',
        html,
        re.S,
    )
    assert match, f"no section {kind}"
    return match.group(1)


def row_html(html: str, code: str) -> str:
    match = re.search(rf'<tr id="org-{code}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {code}"
    return match.group(1)


@pytest.fixture
def organisations(db):
    make_plan("oap-ms")
    make_organisation("IT", name="Italy")
    make_organisation("EU-LISA", name="eu-LISA", kind=Organisation.Kind.EU_AGENCY)
    make_organisation(
        "RS",
        name="Serbia",
        kind=Organisation.Kind.THIRD_COUNTRY,
        europol_status=Organisation.EuropolStatus.OPERATIONAL,
    )
    make_organisation("MA", name="Morocco", kind=Organisation.Kind.THIRD_COUNTRY)
    make_organisation(
        "INTERPOL", name="Interpol", kind=Organisation.Kind.INTERNATIONAL, country=""
    )


@pytest.mark.parametrize(
    "name, args", [("organisations:list", []), ("organisations:detail", ["DE"])]
)
def test_anonymous_user_is_sent_to_sign_in(client, organisations, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_list_groups_organisations_by_kind_in_order(member_client, organisations):
    html = member_client.get(reverse("organisations:list")).text

    headings = re.findall(r'<h2 id="[a-z_]+" tabindex="-1">([^<]+)</h2>', html)
    assert headings == [
        "Member States",
        "EU agencies and bodies",
        "Third countries",
        "International organisations",
    ]
    assert 'id="org-IT"' in section_html(html, "member_state")
    assert 'id="org-EU-LISA"' in section_html(html, "eu_agency")
    assert 'id="org-RS"' in section_html(html, "third_country")
    assert 'id="org-INTERPOL"' in section_html(html, "international")


def test_list_shows_europol_status_for_third_countries(member_client, organisations):
    html = member_client.get(reverse("organisations:list")).text

    assert "Operational agreement" in row_html(html, "RS")
    assert "none recorded" in row_html(html, "MA")
    assert "Europol cooperation" not in section_html(html, "member_state")


def test_list_links_the_actions_each_organisation_leads(member_client, organisations):
    html = member_client.get(reverse("organisations:list")).text

    europol = row_html(html, "EUROPOL")
    for ref in ("1.1", "2.2", "1.3"):
        assert reverse("plans:action", args=["oap-ms", ref]) in europol
    assert "/plans/" not in row_html(html, "IT")
    assert reverse("organisations:detail", args=["EU-LISA"]) in html


def test_list_query_count_does_not_grow_with_organisations(
    member_client, organisations
):
    with CaptureQueriesContext(connection) as few:
        member_client.get(reverse("organisations:list"))
    for n in range(10):
        make_organisation(
            f"X{n}", name=f"Country {n}", kind=Organisation.Kind.THIRD_COUNTRY
        )
    make_plan("oap-drugs", actions=6)
    with CaptureQueriesContext(connection) as many:
        response = member_client.get(reverse("organisations:list"))
    assert 'id="org-X9"' in response.text
    assert len(many) == len(few)


def test_detail_shows_an_organisation_and_what_it_leads(member_client, organisations):
    response = member_client.get(reverse("organisations:detail", args=["EUROPOL"]))

    html = response.text
    assert response.status_code == 200
    assert "<h1>Europol" in html and "EU agency or body" in html
    assert reverse("plans:action", args=["oap-ms", "2.2"]) in html


def test_detail_of_a_hyphenated_code(member_client, organisations):
    response = member_client.get(reverse("organisations:detail", args=["EU-LISA"]))
    assert response.status_code == 200
    assert "eu-LISA" in response.text


def test_detail_shows_the_plans_an_organisation_drives(member_client, organisations):
    html = member_client.get(reverse("organisations:detail", args=["DE"])).text
    assert "Drives" in html and reverse("plans:overview", args=["oap-ms"]) in html


def test_unknown_organisation_is_404(member_client, organisations):
    response = member_client.get(reverse("organisations:detail", args=["XX"]))
    assert response.status_code == 404
