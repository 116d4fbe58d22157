"""The Joint Action Day pages: the plan's JADs and planning one, one JAD with its
results and KPI mapping, and one organisation's results; for those who may, and
refusals (with the reason) for those who may not."""

from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from empact.accounts.tests.helpers import sign_in
from empact.audit.models import AuditEntry
from empact.organisations.models import Organisation
from empact.reporting import jads
from empact.reporting.jads import NOT_IN_CONTRIBUTIONS
from empact.reporting.models import JADMapping, JADResult, JointActionDay

pytestmark = pytest.mark.django_db

LIST = reverse("jads:list", args=["oap-ms"])
CREATE = reverse("jads:create", args=["oap-ms"])


def as_user(client, user):
    client.logout()
    return sign_in(client, user)


def row_of(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</tr>", start)]


def org(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


@pytest.fixture
def jad(plan, people):
    """JAD ARKTOS on OA 1.1, led by FR, with NL and DE taking part."""
    return jads.plan_jad(
        plan,
        name="JAD ARKTOS",
        starts=date(2024, 9, 10),
        ends=date(2024, 9, 14),
        actions=[plan.actions.get(ref="1.1")],
        lead=org("FR"),
        participants=[org("NL"), org("DE")],
        actor=people["driver"],
    )


def results_url(jad, code: str) -> str:
    return reverse("jads:results", args=[jad.pk, code])


def plan_data(plan, **fields) -> dict:
    data = {
        "name": "JAD DANUBE",
        "starts": "2024-10-01",
        "ends": "2024-10-03",
        "actions": [plan.actions.get(ref="1.1").pk],
        "lead": org("NL").pk,
        "participants": "fr, DE",
    }
    data.update(fields)
    return data


def entries(action: str):
    return AuditEntry.objects.filter(action=action).order_by("seq")


# Planning -----------------------------------------------------------------------------


def test_the_driver_plans_a_jad_through_the_page_and_it_is_audited(
    client, plan, people
):
    as_user(client, people["driver"])

    response = client.post(CREATE, plan_data(plan))

    made = JointActionDay.objects.get(name="JAD DANUBE")
    assert response.status_code == 302
    assert response["Location"] == reverse("jads:detail", args=[made.pk])
    assert sorted(made.participants.values_list("code", flat=True)) == [
        "DE",
        "FR",
        "NL",
    ]
    assert (made.lead.code, list(made.actions.values_list("ref", flat=True))) == (
        "NL",
        ["1.1"],
    )
    entry = entries("jointactionday.created").get()
    assert (entry.actor, entry.object_id, entry.extra["participants"]) == (
        "driver",
        str(made.pk),
        ["DE", "FR", "NL"],
    )


def test_the_list_shows_each_jad_with_its_oas_lead_participants_and_totals(
    client, plan, people, jad
):
    driver = people["driver"]
    for code, arrests in (("FR", 4), ("NL", 3)):
        jads.record_jad_result(
            jad, org(code), measure="arrests", value=arrests, actor=driver
        )
    jads.record_jad_result(
        jad, org("FR"), measure="seizures", seizure_kind="Cash", value=2, actor=driver
    )
    as_user(client, people["officer"])

    html = client.get(LIST).text

    row = row_of(html, 'id="jad-')
    assert "JAD ARKTOS" in row and ">1.1</a>" in row
    assert '<span class="code" title="Organisation FR">FR</span>' in row
    assert '<span class="muted">(3)</span>' in row  # FR, NL and DE take part
    assert '<td class="num">7</td>' in row  # arrests of FR and NL
    assert '<td class="num">2</td>' in row  # seizures
    assert 'aria-current="page">Joint Action Days</a>' in html
    assert entries("jointactionday.consulted").get().extra == {"jads": [jad.pk]}
    assert "Plan a Joint Action Day" not in html  # a participant contact does not plan


def test_bad_planning_input_is_refused_with_every_problem_and_nothing_saved(
    client, plan, people
):
    as_user(client, people["driver"])

    response = client.post(
        CREATE,
        plan_data(plan, ends="2024-09-01", participants="FR XX QQ"),
    )
    assert response.status_code == 400
    assert "No organisation has the code QQ, XX" in response.text

    response = client.post(CREATE, plan_data(plan, ends="2024-09-01", actions=[]))
    assert response.status_code == 400
    assert (
        "Last day: The JAD ends (2024-09-01) before it starts (2024-10-01)."
        in response.text
    )
    assert (
        "Operational actions: Link the JAD to at least one operational action."
        in response.text
    )
    assert not JointActionDay.objects.exists()


def test_a_leader_plans_a_jad_only_on_an_oa_they_lead(client, plan, people):
    as_user(client, people["leader"])  # leads OA 1.1
    other_oa = plan.actions.get(ref="2.2").pk

    refused = client.post(CREATE, plan_data(plan, actions=[other_oa]))
    assert refused.status_code == 400
    assert "you lead none of the OAs chosen (2.2)" in refused.text
    assert not JointActionDay.objects.exists()

    both = [other_oa, plan.actions.get(ref="1.1").pk]
    assert client.post(CREATE, plan_data(plan, actions=both)).status_code == 302
    assert JointActionDay.objects.get().actions.count() == 2


def test_a_participant_contact_may_not_plan_a_jad_and_is_told_why(client, plan, people):
    as_user(client, people["officer"])

    response = client.post(CREATE, plan_data(plan))

    assert response.status_code == 403
    assert "leaders of its operational actions plan Joint Action Days" in response.text
    assert not JointActionDay.objects.exists()
    refusal = entries("permission.denied").last()
    assert (refusal.actor, refusal.extra) == ("officer", {"permission": "jad.manage"})


def test_an_outsider_sees_no_jad_page_at_all(client, plan, people, jad):
    as_user(client, people["outsider"])
    pages = [
        LIST,
        reverse("jads:detail", args=[jad.pk]),
        results_url(jad, "FR"),
    ]
    for url in pages:
        assert client.get(url).status_code == 404, url
    assert client.post(CREATE, plan_data(plan)).status_code == 404
    mapping = reverse("jads:map_kpi", args=[jad.pk])
    assert client.post(mapping, {"kpi": 1, "measure": "arrests"}).status_code == 404
    assert client.post(results_url(jad, "FR"), {"arrests": 9}).status_code == 404
    assert not JADResult.objects.exists() and not JADMapping.objects.exists()


# One JAD ------------------------------------------------------------------------------


def test_the_jad_page_shows_results_per_organisation_and_is_audited(
    client, plan, people, jad
):
    driver = people["driver"]
    jads.record_jad_result(jad, org("NL"), measure="arrests", value=5, actor=driver)
    for kind, value in (("boats", 2), ("cash", 3)):
        jads.record_jad_result(
            jad,
            org("NL"),
            measure="seizures",
            seizure_kind=kind,
            value=value,
            actor=driver,
        )
    as_user(client, people["other"])  # NL's participant contact

    html = client.get(reverse("jads:detail", args=[jad.pk])).text

    nl = html[
        html.index('id="org-NL"') : html.index("</tr>", html.index('id="org-NL"'))
    ]
    assert '<td class="num">5</td>' in nl and "2 boats; 3 cash" in nl
    assert results_url(jad, "NL") in nl  # NL records its own results
    fr = html[
        html.index('id="org-FR"') : html.index("</tr>", html.index('id="org-FR"'))
    ]
    assert results_url(jad, "FR") not in fr  # not another organisation's
    assert "(lead)" in fr
    entry = entries("jointactionday.consulted").get()
    assert (entry.actor, entry.object_id) == ("other", str(jad.pk))


def test_the_jad_page_costs_the_same_queries_with_more_results(
    client, plan, people, jad, figure
):
    url = reverse("jads:detail", args=[jad.pk])
    as_user(client, people["leader"])
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    for code in ("FR", "NL", "DE"):
        for measure in ("arrests", "ocgs_disrupted", "migrants_detected"):
            jads.record_jad_result(
                jad, org(code), measure=measure, value=1, actor=people["driver"]
            )
    with CaptureQueriesContext(connection) as long:
        client.get(url)
    figure(
        f"JAD page: {len(short.captured_queries)} queries with no result, "
        f"{len(long.captured_queries)} with 9"
    )
    assert len(long.captured_queries) == len(short.captured_queries) <= 25


# Recording results --------------------------------------------------------------------


def test_a_participant_contact_records_their_organisations_results(
    client, plan, people, jad
):
    as_user(client, people["officer"])  # FR, participant contact in OA 1.1
    assert client.get(results_url(jad, "FR")).status_code == 200
    consulted = entries("jadresult.consulted").get()
    assert (consulted.actor, consulted.extra) == ("officer", {"organisation": "FR"})

    response = client.post(
        results_url(jad, "FR"),
        {
            "arrests": "3",
            "false_documents": "0",
            "seizure-0-kind": " Cash ",
            "seizure-0-count": "2",
            "seizure-1-kind": "boats",
            "seizure-1-count": "1",
        },
    )

    assert response.status_code == 302
    saved = JADResult.objects.filter(organisation__code="FR")
    assert sorted(saved.values_list("measure", "seizure_kind", "value")) == [
        ("arrests", "", 3),
        ("false_documents", "", 0),
        ("seizures", "boats", 1),
        ("seizures", "cash", 2),
    ]
    recorded = entries("jadresult.recorded")
    assert recorded.count() == 4
    assert {e.actor for e in recorded} == {"officer"}


def test_typing_a_figure_again_replaces_it_and_an_empty_box_keeps_it(
    client, plan, people, jad
):
    as_user(client, people["officer"])
    client.post(results_url(jad, "FR"), {"arrests": "3", "ocgs_disrupted": "1"})

    page = client.get(results_url(jad, "FR")).text
    assert 'name="arrests" value="3"' in page  # the form shows what is recorded
    client.post(results_url(jad, "FR"), {"arrests": "5"})

    saved = dict(
        JADResult.objects.filter(organisation__code="FR").values_list(
            "measure", "value"
        )
    )
    assert saved == {"arrests": 5, "ocgs_disrupted": 1}
    last = entries("jadresult.recorded").last()
    assert last.extra == {"value": 5, "previous": 3}


def test_a_participant_contact_may_not_record_another_organisations_results(
    client, plan, people, jad
):
    as_user(client, people["officer"])

    shown = client.get(results_url(jad, "NL"))
    sent = client.post(results_url(jad, "NL"), {"arrests": "9"})

    for response in (shown, sent):
        assert response.status_code == 403
        assert "record another organisation" in response.text
        assert 'name="arrests"' not in response.text
    assert not JADResult.objects.exists()
    assert entries("permission.denied").last().extra == {"permission": "jad.coordinate"}


def test_the_leader_of_a_linked_oa_records_any_participants_results(
    client, plan, people, jad
):
    as_user(client, people["leader"])  # IT, which does not take part itself

    response = client.post(results_url(jad, "DE"), {"migrants_detected": "40"})

    assert response.status_code == 302
    assert JADResult.objects.get().organisation.code == "DE"


def test_an_organisation_outside_the_jad_has_no_results_page(client, plan, people, jad):
    as_user(client, people["driver"])
    assert client.get(results_url(jad, "BR")).status_code == 404


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {"arrests": "-1"},
            "Arrests: Ensure this value is greater than or equal to 0.",
        ),
        ({"arrests": "many"}, "Arrests: Enter a whole number."),
        ({"seizure-0-count": "2"}, "Seizure 1: what was seized: Say what was"),
        (
            {"seizure-0-kind": "cash"},
            "Seizure 1: how many: Give how many were seized.",
        ),
        (
            {
                "seizure-0-kind": "cash",
                "seizure-0-count": "1",
                "seizure-1-kind": "CASH",
                "seizure-1-count": "2",
            },
            "seizures of cash: given twice",
        ),
    ],
)
def test_bad_results_are_refused_with_the_reason_and_nothing_is_saved(
    client, plan, people, jad, data, problem
):
    as_user(client, people["officer"])

    response = client.post(results_url(jad, "FR"), {"false_documents": "4", **data})

    assert response.status_code == 400
    assert problem in response.text
    assert 'name="false_documents" value="4"' in response.text  # kept to correct
    assert not JADResult.objects.exists()  # the good figure is not saved either


def test_an_empty_results_form_is_refused(client, plan, people, jad):
    as_user(client, people["officer"])

    response = client.post(results_url(jad, "FR"), {"arrests": ""})

    assert response.status_code == 400
    assert "no figure was given: type at least one" in response.text


# The KPI mapping ----------------------------------------------------------------------


def mapping_url(jad) -> str:
    return reverse("jads:map_kpi", args=[jad.pk])


def test_the_leader_declares_what_a_kpi_counts_and_it_is_audited(
    client, plan, people, jad
):
    kpi = plan.actions.get(ref="1.1").kpis.get(letter="a")
    as_user(client, people["leader"])
    page = client.get(reverse("jads:detail", args=[jad.pk])).text
    assert f'<option value="{kpi.pk}"' in page

    response = client.post(mapping_url(jad), {"kpi": kpi.pk, "measure": "arrests"})

    assert response.status_code == 302
    assert JADMapping.objects.get(kpi=kpi).measure == "arrests"
    entry = entries("jadmapping.created").get()
    assert (entry.actor, entry.extra) == (
        "leader",
        {"measure": "arrests", "seizure_kind": ""},
    )
    page = client.get(reverse("jads:detail", args=[jad.pk])).text
    assert "<strong>Arrests</strong>" in page
    assert f'<option value="{kpi.pk}"' not in page  # mapped: no longer offered


@pytest.mark.parametrize(
    ("letter", "fields", "problem"),
    [
        ("b", {"measure": "arrests"}, "only a count KPI can add them"),
        ("a", {"measure": "seizures"}, "seizures: say what was seized"),
        ("a", {"measure": "bribes"}, "Select a valid choice. bribes is not one"),
        ("a", {"measure": "arrests", "seizure_kind": "cash"}, "only seizures have"),
    ],
)
def test_a_bad_mapping_is_refused_with_the_reason(
    client, plan, people, jad, letter, fields, problem
):
    kpi = plan.actions.get(ref="1.1").kpis.get(letter=letter)
    as_user(client, people["driver"])

    response = client.post(mapping_url(jad), {"kpi": kpi.pk, **fields})

    assert response.status_code == 400
    assert problem in response.text
    assert not JADMapping.objects.exists()


def test_a_kpi_is_mapped_once(client, plan, people, jad):
    kpi = plan.actions.get(ref="1.1").kpis.get(letter="a")
    as_user(client, people["driver"])
    client.post(mapping_url(jad), {"kpi": kpi.pk, "measure": "arrests"})

    again = client.post(mapping_url(jad), {"kpi": kpi.pk, "measure": "ocgs_disrupted"})

    assert again.status_code == 400
    assert "OA 1.1 KPI a already counts a JAD measure" in again.text
    assert JADMapping.objects.get().measure == "arrests"


def test_a_participant_contact_may_not_declare_a_mapping_and_is_told_why(
    client, plan, people, jad
):
    kpi = plan.actions.get(ref="1.1").kpis.get(letter="a")
    as_user(client, people["officer"])
    page = client.get(reverse("jads:detail", args=[jad.pk])).text
    assert "Declare what a KPI counts" not in page

    response = client.post(mapping_url(jad), {"kpi": kpi.pk, "measure": "arrests"})

    assert response.status_code == 403
    assert "declare the KPI mapping here" in response.text
    assert not JADMapping.objects.exists()


# JAD results are not typed into contributions -----------------------------------------


def test_the_contribution_form_and_workbook_say_which_kpis_count_jad_results(
    client, plan, people, jad, contribution
):
    kpi_a = plan.actions.get(ref="1.1").kpis.get(letter="a")
    jads.map_kpi(kpi_a, measure="arrests", actor=people["driver"])
    as_user(client, people["officer"])

    html = client.get(reverse("reporting:contribution", args=[contribution.pk])).text
    book = client.get(reverse("reporting:download_template", args=[contribution.pk]))

    assert html.count(NOT_IN_CONTRIBUTIONS) == 1  # KPI a only
    kpi_row = html[html.index(kpi_a.text) :]
    assert kpi_row.index(NOT_IN_CONTRIBUTIONS) < kpi_row.index("</tr>")
    lines = [c.value for c in load_workbook(BytesIO(book.content))["Instructions"]["A"]]
    assert f"KPI a: {NOT_IN_CONTRIBUTIONS}." in lines
    assert not any(str(line).startswith("KPI b:") for line in lines)
