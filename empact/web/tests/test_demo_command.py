from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from empact.accounts import permissions
from empact.accounts.models import RoleAssignment, User
from empact.plans.models import KPI, Action, Plan, PlanVersion

pytestmark = pytest.mark.django_db


def demo(*args) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_loads_the_default_plan_and_accounts_then_is_a_no_op(settings):
    settings.DEMO_MODE = True

    first = demo()
    counts = (
        Plan.objects.count(),
        Action.objects.count(),
        KPI.objects.count(),
        User.objects.count(),
        PlanVersion.objects.count(),
    )
    second = demo()

    assert first.startswith(
        "demo: loaded 87 organisations, the default plan (26 actions), "
    )
    assert first.endswith("synthetic participations, 10 demo accounts\n")
    assert counts == (1, 26, 102, 10, 1)
    assert second.strip() == "demo: already loaded, nothing to do"
    assert (
        Plan.objects.count(),
        Action.objects.count(),
        KPI.objects.count(),
        User.objects.count(),
        PlanVersion.objects.count(),
    ) == counts


def test_demo_prints_the_url_and_logins(settings):
    settings.DEMO_MODE = True

    out = demo("--print-logins")

    assert "http://127.0.0.1:8000/" in out
    assert "driver.de" in out and "demo-empact-2024" in out
    user = User.objects.get(username="driver.de")
    assert user.check_password("demo-empact-2024") and user.organisation.code == "DE"


def test_demo_refuses_outside_demo_mode(settings):
    settings.DEMO_MODE = False

    with pytest.raises(CommandError, match="set EMPACT_DEMO=true"):
        demo()
    assert not User.objects.exists()


def test_every_role_has_a_demo_account_and_the_plan_reaches_its_readers(settings):
    settings.DEMO_MODE = True
    demo()
    plan = Plan.objects.get()

    roles = set(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == set(RoleAssignment.Role.values)
    readers = {
        u.username for u in User.objects.all() if permissions.can(u, "plan.view", plan)
    }
    assert readers == {
        "driver.de",
        "codriver.nl",
        "leader.it",
        "coleader.es",
        "officer.fr",
        "nec.pl",
        "support.europol",
        "analyst.europol",
        "dpo.europol",
    }
