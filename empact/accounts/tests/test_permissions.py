import pytest

from empact.accounts import permissions
from empact.accounts.models import Participation, RoleAssignment, User
from empact.plans.models import Action, Plan
from empact.plans.tests.factories import make_organisation, make_plan

pytestmark = pytest.mark.django_db
Role = RoleAssignment.Role


def make_user(name: str, code: str, role: str | None = None, **scope) -> User:
    user = User.objects.create_user(
        name, password="x", organisation=make_organisation(code)
    )
    if role:
        RoleAssignment.objects.create(user=user, role=role, **scope)
    return User.objects.get(pk=user.pk)  # fresh: no cached roles


@pytest.fixture
def plan():
    return make_plan()


def test_users_of_the_driving_leading_and_participating_organisations_see_the_plan(
    plan,
):
    Participation.objects.create(
        organisation=make_organisation("FR"), action=plan.actions.first()
    )
    for code in ("DE", "EUROPOL", "FR"):
        assert permissions.can(make_user(f"u-{code}", code), "plan.view", plan), code


def test_users_of_other_organisations_do_not_see_the_plan(plan):
    outsider = make_user("outsider", "BR")

    assert not permissions.can(outsider, "plan.view", plan)
    assert list(permissions.visible(outsider, Plan.objects.all())) == []
    assert list(permissions.visible(outsider, Action.objects.all())) == []


def test_a_role_in_an_oa_or_the_plan_or_support_opens_the_plan(plan):
    action = plan.actions.first()
    leader = make_user("leader", "BR", Role.ACTION_LEADER, action=action)
    co_driver = make_user("codriver", "NL", Role.CO_DRIVER, plan=plan)
    support = make_user("support", "COM", Role.SUPPORT)

    for user in (leader, co_driver, support):
        assert permissions.can(user, "plan.view", plan), user.username
        assert list(permissions.visible(user, Plan.objects.all())) == [plan]


def test_the_administrator_sees_no_plan_by_virtue_of_the_role(plan):
    admin = make_user("admin", "COM", Role.ADMINISTRATOR)
    User.objects.filter(pk=admin.pk).update(is_staff=True)
    admin = User.objects.get(pk=admin.pk)

    assert permissions.can(admin, "admin.access")
    assert not permissions.can(admin, "plan.view", plan)
    assert not permissions.can(admin, "audit.view")


def test_only_drivers_of_the_plan_manage_its_people(plan):
    other = make_plan("oap-other")
    driver = make_user("driver", "DE", Role.DRIVER, plan=plan)
    leader = make_user("leader", "IT", Role.ACTION_LEADER, action=plan.actions.first())

    assert permissions.can(driver, "plan.manage_people", plan)
    assert not permissions.can(driver, "plan.manage_people", other)
    assert not permissions.can(leader, "plan.manage_people", plan)


def test_a_deactivated_user_can_do_nothing(plan):
    driver = make_user("driver", "DE", Role.DRIVER, plan=plan)
    driver.is_active = False

    assert not permissions.can(driver, "plan.view", plan)
    assert not permissions.can(driver, "organisation.view")


def test_every_permission_action_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "permissions.md").read_text()
    documented = {
        line.split("`")[1] for line in doc.splitlines() if line.startswith("| `")
    }
    assert documented == set(permissions.RULES)


def test_an_unknown_action_is_a_programming_error_not_a_refusal():
    with pytest.raises(KeyError, match="no permission rule named 'plan.fly'"):
        permissions.can(None, "plan.fly")
