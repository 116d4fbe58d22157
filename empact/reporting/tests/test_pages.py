"""The reporting pages: periods, the contributions to an OA in a period, and one
contribution with its workflow, each for the people who may see it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from empact.accounts.tests.helpers import sign_in
from empact.audit.models import AuditEntry
from empact.reporting import services
from empact.reporting.models import AmendmentRequest, Contribution, ReportingPeriod

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.logout()
    return sign_in(client, user)


def kpi_field(contribution, letter: str, part: str) -> str:
    kpi = contribution.action.kpis.get(letter=letter)
    return f"kpi-{kpi.pk}-{part}"


def edit_data(contribution, **fields) -> dict:
    data = {"version": contribution.version, "narrative": "Two JITs opened."}
    data[kpi_field(contribution, "a", "value")] = "12"
    data[kpi_field(contribution, "a", "evidence")] = "3 in Lyon, 9 in Marseille"
    data.update(fields)
    return data


def submit(contribution, user):
    return services.take_step(
        contribution,
        "submit",
        version=contribution.version,
        actor=user,
        today=timezone.localdate(),
    )


def without_csrf_token(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


PERIODS = reverse("reporting:periods", args=["oap-ms"])


# Periods page -------------------------------------------------------------------------


def test_anonymous_user_is_sent_to_sign_in(client, contribution):
    for url in (PERIODS, reverse("reporting:contribution", args=[contribution.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_periods_page_lists_periods_and_the_driver_can_manage_them(
    client, people, period
):
    html = as_user(client, people["driver"]).get(PERIODS).text
    row = re.search(r'<tr id="period-2024-H1">(.*?)</tr>', html, re.S).group(1)
    assert "2024-H1" in row and "Open" in row
    assert period.deadline.strftime("%Y-%m-%d") in row
    assert 'value="close"' in row and 'value="lock"' not in row
    assert "Create a period" in html
    assert '<option value="2" selected>H2' in html  # the first half-year missing
    assert 'aria-current="page">Reporting</a>' in html  # the plan's tab


def test_a_participant_sees_the_periods_without_the_forms_and_can_start(
    client, people, period
):
    html = as_user(client, people["officer"]).get(PERIODS).text
    assert "2024-H1" in html
    assert "Create a period" not in html and 'name="step"' not in html
    start = reverse("reporting:start_contribution", args=["oap-ms", "2024-H1", "1.1"])
    assert f'action="{start}"' in html
    response = client.post(start)
    created = Contribution.objects.get(organisation__code="FR", period=period)
    assert response["Location"] == reverse("reporting:contribution", args=[created.pk])
    html = client.get(PERIODS).text
    assert reverse("reporting:contribution", args=[created.pk]) in html
    assert f'action="{start}"' not in html


def test_the_periods_page_is_hidden_from_users_outside_the_plan(client, people):
    response = as_user(client, people["outsider"]).get(PERIODS)
    assert response.status_code == 404


def test_the_driver_creates_a_period_and_a_duplicate_is_refused_with_its_reason(
    client, people, period
):
    as_user(client, people["driver"])
    url = reverse("reporting:create_period", args=["oap-ms"])
    data = {"year": 2024, "half": 2, "deadline": "2025-01-15"}
    assert client.post(url, data).status_code == 302
    assert ReportingPeriod.objects.get(year=2024, half=2).state == "planned"
    response = client.post(url, {**data, "half": 1})
    assert response.status_code == 400
    assert "The period 2024-H1 exists already" in response.text


def test_locking_asks_for_confirmation_and_says_it_is_final(client, people, period):
    as_user(client, people["driver"])
    step = reverse("reporting:step_period", args=["oap-ms", "2024-H1"])
    assert client.post(step, {"step": "close"}).status_code == 302
    html = client.get(PERIODS).text
    assert "Locking is final." in html
    assert "needs an amendment approved by the driver" in html
    refused = client.post(step, {"step": "lock"})
    assert refused.status_code == 400
    assert "tick the box to confirm" in refused.text
    assert client.post(step, {"step": "lock", "confirm": "on"}).status_code == 302
    assert ReportingPeriod.objects.get(pk=period.pk).state == "locked"


def test_a_participant_may_not_change_a_period(client, people, period):
    as_user(client, people["officer"])
    step = reverse("reporting:step_period", args=["oap-ms", "2024-H1"])
    assert client.post(step, {"step": "close"}).status_code == 403
    assert ReportingPeriod.objects.get(pk=period.pk).state == "open"


# Period × OA page ---------------------------------------------------------------------


def test_the_leader_sees_every_contribution_of_the_oa_with_links_to_review(
    client, people, contribution
):
    submit(contribution, people["officer"])
    url = reverse("reporting:period_action", args=["oap-ms", "2024-H1", "1.1"])
    html = as_user(client, people["leader"]).get(url).text
    review = reverse("reporting:contribution", args=[contribution.pk]) + "#workflow"
    assert f'href="{review}"' in html
    assert "Organisation FR" in html and "Submitted" in html
    assert "Taking part, not started" in html and "Organisation NL" in html


def test_another_organisation_does_not_see_the_contribution_in_the_list(
    client, people, contribution
):
    url = reverse("reporting:period_action", args=["oap-ms", "2024-H1", "1.1"])
    html = as_user(client, people["other"]).get(url).text
    assert "Organisation FR" not in html
    assert "No contribution to OA 1.1 in 2024-H1 that you can see." in html
    assert "Start the contribution" in html  # NL's own, not started


# Contribution page --------------------------------------------------------------------


def test_the_officer_sees_an_edit_form_for_every_kpi_and_activity(
    client, people, contribution
):
    url = reverse("reporting:contribution", args=[contribution.pk])
    html = as_user(client, people["officer"]).get(url).text
    for kpi in contribution.action.kpis.all():
        assert f'name="kpi-{kpi.pk}-value"' in html
        assert f'name="kpi-{kpi.pk}-evidence"' in html
    kpi_b = contribution.action.kpis.get(letter="b")  # a percentage: weighted
    assert f'name="kpi-{kpi_b.pk}-weight"' in html
    assert f'name="{kpi_field(contribution, "a", "weight")}"' not in html  # a count
    for activity in contribution.action.activities.all():
        assert f'<select name="activity-{activity.pk}-status"' in html
    assert '<input type="hidden" name="version" value="1"' in html
    assert "Submit to the action leader" in html
    assert 'name="narrative"' in html


def test_reading_a_contribution_is_logged_as_a_consultation(
    client, people, contribution
):
    url = reverse("reporting:contribution", args=[contribution.pk])
    assert as_user(client, people["leader"]).get(url).status_code == 200
    entry = AuditEntry.objects.filter(action="contribution.consulted").latest("seq")
    assert (entry.actor, entry.object_id, entry.operation) == (
        "leader",
        str(contribution.pk),
        "consultation",
    )


def test_another_organisation_gets_the_same_404_as_for_a_missing_id(
    client, people, contribution
):
    """IDOR: guessing the id of another organisation's contribution tells nothing."""
    as_user(client, people["other"])
    hidden = client.get(reverse("reporting:contribution", args=[contribution.pk]))
    missing = client.get(reverse("reporting:contribution", args=[contribution.pk + 99]))
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf_token(hidden.text) == without_csrf_token(missing.text)
    edit = client.post(
        reverse("reporting:edit_contribution", args=[contribution.pk]),
        edit_data(contribution),
    )
    assert edit.status_code == 404
    assert not AuditEntry.objects.filter(
        action="contribution.consulted", actor="other"
    ).exists()


def test_saving_stores_the_values_and_shows_them(client, people, contribution):
    as_user(client, people["officer"])
    url = reverse("reporting:edit_contribution", args=[contribution.pk])
    response = client.post(url, edit_data(contribution))
    assert response.status_code == 302
    contribution.refresh_from_db()
    assert (contribution.version, contribution.narrative) == (2, "Two JITs opened.")
    assert contribution.values.get().evidence == "3 in Lyon, 9 in Marseille"
    html = client.get(response["Location"]).text
    assert 'value="12"' in html and "Saved." in html


def test_bad_values_are_listed_with_status_400_and_nothing_is_saved(
    client, people, contribution
):
    as_user(client, people["officer"])
    url = reverse("reporting:edit_contribution", args=[contribution.pk])
    kpi_b = kpi_field(contribution, "b", "value")
    response = client.post(url, edit_data(contribution, **{kpi_b: "120"}))
    assert response.status_code == 400
    assert "1 problem(s); nothing was saved" in response.text
    assert "KPI b: &#x27;120&#x27; is above 100, and this KPI is a percentage" in (
        response.text
    )
    assert 'value="120"' in response.text  # what was typed is kept
    assert Contribution.objects.get(pk=contribution.pk).version == 1


def test_a_stale_version_is_refused_and_the_user_is_told_to_reload(
    client, people, contribution
):
    as_user(client, people["officer"])
    url = reverse("reporting:edit_contribution", args=[contribution.pk])
    assert client.post(url, edit_data(contribution)).status_code == 302
    response = client.post(url, edit_data(contribution, narrative="overwrite"))
    assert response.status_code == 400
    assert "was changed by someone else since you opened it" in response.text
    assert "Reload the contribution" in response.text
    assert Contribution.objects.get(pk=contribution.pk).narrative == "Two JITs opened."


def test_after_submitting_the_officer_reads_why_it_cannot_be_edited(
    client, people, contribution
):
    as_user(client, people["officer"])
    step = reverse("reporting:step_contribution", args=[contribution.pk])
    response = client.post(step, {"step": "submit", "version": 1})
    assert response.status_code == 302
    html = client.get(response["Location"]).text
    assert "This contribution cannot be edited: it is submitted and waits for the " in (
        html
    )
    assert 'name="version" value="2"' not in html.split('id="workflow"')[0]
    assert "Submitted: the action leader can now accept or return it." in html


def test_the_leader_returns_with_a_reason_and_the_officer_reads_it(
    client, people, contribution
):
    submit(contribution, people["officer"])
    url = reverse("reporting:contribution", args=[contribution.pk])
    step = reverse("reporting:step_contribution", args=[contribution.pk])
    html = as_user(client, people["leader"]).get(url).text
    assert 'value="accept"' in html and 'value="return"' in html
    assert '<textarea name="reason" id="return-reason" rows="3" required' in html
    refused = client.post(step, {"step": "return", "version": 2, "reason": ""})
    assert refused.status_code == 400
    assert "cannot be returned: to return a contribution, say why" in refused.text
    done = client.post(step, {"step": "return", "version": 2, "reason": "No evidence"})
    assert done.status_code == 302
    html = as_user(client, people["officer"]).get(url).text
    assert "Returned by the action leader" in html and "No evidence" in html
    history = html.split('id="history"')[1]
    assert "leader" in history and "submitted → draft" in history


def test_the_leader_accepts(client, people, contribution):
    submit(contribution, people["officer"])
    as_user(client, people["leader"])
    step = reverse("reporting:step_contribution", args=[contribution.pk])
    assert client.post(step, {"step": "accept", "version": 2}).status_code == 302
    assert Contribution.objects.get(pk=contribution.pk).state == "accepted"


def test_in_a_locked_period_the_officer_asks_for_an_amendment_and_the_driver_decides(
    client, people, contribution, period
):
    contribution = submit(contribution, people["officer"])
    services.take_step(
        contribution,
        "accept",
        version=contribution.version,
        actor=people["leader"],
        today=timezone.localdate(),
    )
    for step in ("close", "lock"):
        services.step_period(period, step, actor=people["driver"])
    url = reverse("reporting:contribution", args=[contribution.pk])
    html = as_user(client, people["officer"]).get(url).text
    assert (
        "cannot be edited: the period 2024-H1 is locked by the driver; ask for an "
        "amendment instead." in html
    )
    assert "Ask for an amendment" in html
    amend = reverse("reporting:request_amendment", args=[contribution.pk])
    value = "amend-" + kpi_field(contribution, "a", "value")
    nothing = client.post(amend, {"amend-reason": "typo"})
    assert (
        nothing.status_code == 400 and "The amendment changes nothing" in nothing.text
    )
    assert (
        client.post(amend, {value: "14", "amend-reason": "late count"}).status_code
        == 302
    )
    amendment = AmendmentRequest.objects.get(contribution=contribution)
    assert amendment.proposed["values"] == {
        str(contribution.action.kpis.get(letter="a").pk): {
            "value": "14",
            "evidence": "",
            "weight": "1",
        }
    }

    html = as_user(client, people["driver"]).get(url).text
    decide = reverse("reporting:decide_amendment", args=[amendment.pk])
    assert f'action="{decide}"' in html and "late count" in html
    refused = client.post(decide, {"decision": "reject", "reason": ""})
    assert refused.status_code == 400
    assert "To reject an amendment, say why" in refused.text
    assert client.post(decide, {"decision": "approve"}).status_code == 302
    assert contribution.values.get().value == 14
    html = client.get(url).text
    assert "Approved by driver" in html


def test_a_driver_reads_but_does_not_edit_or_review(client, people, contribution):
    submit(contribution, people["officer"])
    url = reverse("reporting:contribution", args=[contribution.pk])
    html = as_user(client, people["driver"]).get(url).text
    assert "Submitted: it waits for the action leader's review." in html
    assert 'name="narrative"' not in html and 'value="accept"' not in html


def test_the_contribution_page_makes_as_many_queries_with_more_history(
    client, people, contribution
):
    url = reverse("reporting:contribution", args=[contribution.pk])
    as_user(client, people["driver"])
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    as_user(client, people["officer"])
    edit = reverse("reporting:edit_contribution", args=[contribution.pk])
    client.post(edit, edit_data(contribution))
    contribution.refresh_from_db()
    for _ in range(3):
        contribution = submit(contribution, people["officer"])
        contribution = services.take_step(
            contribution,
            "return",
            version=contribution.version,
            reason="again",
            actor=people["leader"],
            today=timezone.localdate(),
        )
    as_user(client, people["driver"])
    with CaptureQueriesContext(connection) as long:
        client.get(url)
    assert len(long.captured_queries) == len(short.captured_queries) <= 20
