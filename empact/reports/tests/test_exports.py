"""Producing reports through the service, the command and the page: who may,
what is refused and why, and the disclosure in the audit log."""

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from empact.accounts.models import Participation, RoleAssignment, User
from empact.accounts.tests.helpers import sign_in
from empact.audit.models import AuditEntry
from empact.errors import UserError
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import services
from empact.reports.exports import produce_report

pytestmark = pytest.mark.django_db
# Open for reports whatever the real date (a start is refused after it).
DEADLINE = timezone.localdate() + timedelta(days=30)
TODAY = date(2024, 7, 20)
NARRATIVE = 'Kick-off held in Rome <b>with</b> =HYPERLINK("http://x","y")'


@pytest.fixture
def world(db):
    """OA 1.1 with an IT action leader and FR taking part: FR's contribution to
    the locked 2024-H1 accepted, and 2024-H2 open."""
    plan = make_plan("oap-ms")
    action = plan.actions.get(ref="1.1")
    fr = make_organisation("FR")
    Participation.objects.create(organisation=fr, action=action)
    people = {}
    for name, org, role, scope in [
        ("driver", "DE", "driver", {"plan": plan}),
        ("support", "EUROPOL", "support", {}),
        ("leader", "IT", "action_leader", {"action": action}),
        ("officer", "FR", "participant", {"action": action}),
        ("nec", "FR", "nec", {"country": "FR"}),
        ("outsider", "BR", None, {}),
    ]:
        people[name] = User.objects.create_user(
            name, organisation=make_organisation(org)
        )
        if role:
            RoleAssignment.objects.create(user=people[name], role=role, **scope)
    driver = people["driver"]
    h1 = services.create_period(plan, 2024, 1, deadline=DEADLINE, actor=driver)
    services.step_period(h1, "open", actor=driver)
    contribution = services.start_contribution(fr, action, h1, actor=people["officer"])
    kpi = action.kpis.order_by("letter").first()
    contribution = services.save_contribution(
        contribution,
        version=contribution.version,
        values={kpi.pk: services.ValueInput("12", "case files")},
        statuses={},
        narrative=NARRATIVE,
        actor=people["officer"],
        today=TODAY,
    )
    for step, who in (("submit", "officer"), ("accept", "leader")):
        contribution = services.take_step(
            contribution,
            step,
            actor=people[who],
            version=contribution.version,
            today=TODAY,
        )
    services.step_period(h1, "close", actor=driver)
    services.step_period(h1, "lock", actor=driver)
    h2 = services.create_period(plan, 2024, 2, deadline=DEADLINE, actor=driver)
    services.step_period(h2, "open", actor=driver)
    return {"plan": plan, "people": people}


def _produce(world, who="driver", **choice):
    given = {"fmt": "html", "marking": "limite", "period": "2024-H1"}
    given.update(choice)
    kind = given.pop("kind", "light")
    return produce_report(
        world["plan"], kind, actor=world["people"][who], today=TODAY, **given
    )


def test_the_driver_gets_the_report_and_it_is_logged_as_a_disclosure(world):
    export = _produce(world)

    entry = AuditEntry.objects.order_by("-seq").first()
    html = export.data.decode()
    assert export.filename == "oap-ms-light-2024-H1.html"
    assert "Kick-off held in Rome &lt;b&gt;with&lt;/b&gt;" in html
    assert (entry.action, entry.operation, entry.actor) == (
        "report.exported",
        "disclosure",
        "driver",
    )
    assert entry.object_type == "plans.plan"
    assert entry.extra["report"] == "light" and entry.extra["scope"] == "2024-H1"
    assert entry.extra["format"] == "html" and entry.extra["marking"] == "LIMITE"
    assert entry.extra["draft"] is False
    assert entry.extra["bytes"] == len(export.data)
    assert entry.extra["periods_counted"] == ["2024-H1"]


def test_empact_support_may_produce_every_report(world):
    for kind, choice in [
        ("light", {}),
        ("comprehensive", {"year": 2024}),
        ("comprehensive", {}),
        ("factsheet", {"year": 2024}),
    ]:
        export = _produce(world, "support", kind=kind, **choice)
        assert export.data.startswith(b"<!DOCTYPE html>")
    exported = AuditEntry.objects.filter(action="report.exported", actor="support")
    assert exported.count() == 4


@pytest.mark.parametrize("who", ["leader", "officer", "nec"])
def test_people_who_see_part_of_the_plan_are_refused_and_the_refusal_logged(world, who):
    with pytest.raises(PermissionDenied):
        _produce(world, who)

    refusal = AuditEntry.objects.order_by("-seq").first()
    assert (refusal.action, refusal.outcome) == ("permission.denied", "denied")
    assert refusal.extra == {"permission": "report.produce"}
    assert not AuditEntry.objects.filter(action="report.exported").exists()


def test_an_outsider_does_not_learn_that_the_plan_exists(world):
    with pytest.raises(Http404):
        _produce(world, "outsider")


def test_a_classification_is_refused_without_an_accreditation(world, settings):
    settings.EMPACT_EUCI_ACCREDITATION = ""

    with pytest.raises(UserError, match="no accreditation recorded"):
        _produce(world, marking="restreint-ue")
    assert not AuditEntry.objects.filter(action="report.exported").exists()


def test_with_an_accreditation_the_classification_is_printed_and_logged(
    world, settings
):
    settings.EMPACT_EUCI_ACCREDITATION = "SAA decision 2026/17"

    export = _produce(world, marking="restreint-ue")

    entry = AuditEntry.objects.get(action="report.exported")
    assert 'class="marking">RESTREINT UE/EU RESTRICTED</p>' in export.data.decode()
    assert entry.extra["marking"] == "RESTREINT UE/EU RESTRICTED"
    assert entry.extra["accreditation"] == "SAA decision 2026/17"


def test_a_final_report_of_an_unlocked_period_is_refused_a_draft_is_not(world):
    with pytest.raises(UserError, match="2024-H2 is open, not locked"):
        _produce(world, period="2024-H2")

    draft = _produce(world, period="2024-H2", draft=True)

    assert draft.filename == "oap-ms-light-2024-H2-draft.html"
    assert "DRAFT" in draft.data.decode()


def test_a_period_or_year_the_plan_does_not_have_is_named(world):
    with pytest.raises(UserError, match="its periods: 2024-H1, 2024-H2"):
        _produce(world, period="2023-H1")
    with pytest.raises(UserError, match="runs from 2024 to 2025"):
        _produce(world, kind="factsheet", year=2031)


def test_the_command_writes_the_report_for_the_user_named(world, tmp_path):
    out = io.StringIO()
    target = tmp_path / "factsheet.pdf"

    call_command(
        "report", "factsheet", "--year", "2024", "-o", str(target),
        "--as", "driver", stdout=out,
    )  # fmt: skip

    assert target.read_bytes().startswith(b"%PDF-")
    assert out.getvalue().startswith("Annual fact sheet 2024 (PDF, ")
    entry = AuditEntry.objects.get(action="report.exported")
    assert (entry.actor, entry.extra["format"]) == ("driver", "pdf")


def test_the_command_refuses_in_one_line(world, tmp_path):
    target = tmp_path / "r.html"
    base = ["report", "light", "-o", str(target), "--format", "html"]

    with pytest.raises(CommandError, match="--as leader may not produce"):
        call_command(*base, "--period", "2024-H1", "--as", "leader")
    with pytest.raises(CommandError, match="2024-H2 is open, not locked"):
        call_command(*base, "--period", "2024-H2", "--as", "driver")
    with pytest.raises(CommandError, match="--as nobody: there is no active user"):
        call_command(*base, "--period", "2024-H1", "--as", "nobody")
    assert not target.exists()
    nowhere = ["-o", str(tmp_path / "missing" / "r.html"), "--as", "driver"]
    with pytest.raises(CommandError, match=r"r\.html: cannot write there \(No such"):
        call_command(*base, "--period", "2024-H1", *nowhere)


def test_the_page_offers_the_choices_and_downloads_the_report(world, client):
    sign_in(client, world["people"]["driver"])
    url = reverse("reports:produce", args=["oap-ms"])

    page = client.get(reverse("reports:page", args=["oap-ms"]))
    response = client.post(
        url,
        {"kind": "comprehensive", "year": "2024", "format": "pdf", "marking": "limite"},
    )

    assert page.status_code == 200
    assert '<option value="2024-H1">2024-H1 (locked by the driver)</option>' in (
        page.text
    )
    assert '<option value="restreint-ue">' not in page.text
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="oap-ms-comprehensive-2024.pdf"'
    )
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    entry = AuditEntry.objects.get(action="report.exported")
    assert entry.request_id  # the page's request is named in the entry


def test_the_page_says_what_is_wrong_with_a_choice(world, client):
    sign_in(client, world["people"]["support"])
    url = reverse("reports:produce", args=["oap-ms"])

    no_period = client.post(
        url, {"kind": "light", "format": "html", "marking": "limite"}
    )
    classified = client.post(
        url,
        {"kind": "factsheet", "year": "2024", "format": "html"}
        | {"marking": "restreint-ue"},
    )

    assert no_period.status_code == 400
    assert "A light report is for one reporting period, e.g. 2024-H1" in no_period.text
    assert classified.status_code == 400
    assert "Select a valid choice. restreint-ue is not one of" in classified.text
    assert not AuditEntry.objects.filter(action="report.exported").exists()


def test_a_pdf_stopped_at_its_limit_is_a_message_on_the_page(
    world, client, settings, monkeypatch
):
    """V-8: the child laying out the PDF is stopped; the page says why, with no
    trace, and nothing is handed out or logged as a disclosure."""

    def runaway(text, fetcher):
        while True:
            pass

    settings.EMPACT_PDF_SECONDS = 1
    monkeypatch.setattr("empact.reports.render.pdf._lay_out", runaway)
    sign_in(client, world["people"]["driver"])

    response = client.post(
        reverse("reports:produce", args=["oap-ms"]),
        {"kind": "comprehensive", "year": "2024", "format": "pdf", "marking": "limite"},
    )

    assert response.status_code == 400
    assert "took more than 1 s of CPU time and was stopped" in response.text
    assert "Traceback" not in response.text
    assert not AuditEntry.objects.filter(action="report.exported").exists()
