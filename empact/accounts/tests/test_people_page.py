import pytest
from django.urls import reverse

from empact.accounts.models import Participation, RoleAssignment, User
from empact.accounts.tests.helpers import sign_in
from empact.plans.tests.factories import make_organisation, make_plan

pytestmark = pytest.mark.django_db
Role = RoleAssignment.Role


@pytest.fixture
def plan():
    return make_plan()


@pytest.fixture
def driver_client(client, plan):
    driver = User.objects.create_user(
        "driver", password="x", organisation=make_organisation("DE")
    )
    RoleAssignment.objects.create(user=driver, role=Role.DRIVER, plan=plan)
    return sign_in(client, driver)


def test_the_driver_adds_and_removes_a_participating_organisation(driver_client, plan):
    fr = make_organisation("FR")
    action = plan.actions.get(ref="2.2")
    url = reverse("accounts:add_participation", args=[plan.slug])

    response = driver_client.post(
        url,
        {
            "organisation": fr.pk,
            "action": action.pk,
            "role": "participant",
            "since": "2024-01-15",
        },
    )

    assert response.status_code == 302
    participation = Participation.objects.get(organisation=fr, action=action)
    assert str(participation.since) == "2024-01-15"
    page = driver_client.get(reverse("accounts:people", args=[plan.slug]))
    assert "FR</span> Participant, since 15 Jan 2024" in page.content.decode()

    driver_client.post(
        reverse("accounts:remove_participation", args=[plan.slug, participation.pk])
    )
    assert not Participation.objects.filter(pk=participation.pk).exists()


def test_adding_the_same_participation_twice_says_so_and_saves_nothing(
    driver_client, plan
):
    fr = make_organisation("FR")
    action = plan.actions.get(ref="2.2")
    data = {"organisation": fr.pk, "action": action.pk, "role": "participant"}
    url = reverse("accounts:add_participation", args=[plan.slug])
    driver_client.post(url, data)

    response = driver_client.post(url, data)

    assert response.status_code == 400
    assert "FR already takes part in OA 2.2" in response.content.decode()
    assert Participation.objects.filter(action=action).count() == 1


def test_the_driver_gives_and_takes_back_a_role_in_an_oa(driver_client, plan):
    officer = User.objects.create_user(
        "officer", password="x", organisation=make_organisation("FR")
    )
    action = plan.actions.get(ref="1.1")

    driver_client.post(
        reverse("accounts:assign_role", args=[plan.slug]),
        {"user": officer.pk, "role": "participant", "action": action.pk},
    )

    assignment = RoleAssignment.objects.get(user=officer)
    assert (assignment.role, assignment.action, assignment.granted_by) == (
        "participant",
        action,
        "driver",
    )
    driver_client.post(reverse("accounts:revoke_role", args=[plan.slug, assignment.pk]))
    assert not RoleAssignment.objects.filter(user=officer).exists()


def test_an_action_role_without_its_oa_is_refused_with_a_reason(driver_client, plan):
    officer = User.objects.create_user("officer", password="x")

    response = driver_client.post(
        reverse("accounts:assign_role", args=[plan.slug]),
        {"user": officer.pk, "role": "action_leader"},
    )

    assert response.status_code == 400
    assert (
        "Choose the operational action this role is for." in response.content.decode()
    )
    assert not RoleAssignment.objects.filter(user=officer).exists()


def test_changes_to_people_are_written_to_the_audit_log(driver_client, plan):
    from empact.audit.models import AuditEntry

    fr = make_organisation("FR")
    driver_client.post(
        reverse("accounts:add_participation", args=[plan.slug]),
        {
            "organisation": fr.pk,
            "action": plan.actions.first().pk,
            "role": "participant",
        },
    )

    entry = AuditEntry.objects.filter(action="participation.added").get()
    assert (entry.actor, entry.organisation, entry.operation) == (
        "driver",
        "DE",
        "alteration",
    )
