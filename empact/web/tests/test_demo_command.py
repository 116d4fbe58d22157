from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from empact.accounts.models import User
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
        "demo: loaded 87 organisations, the default plan (26 actions), 5 demo accounts"
    )
    assert counts == (1, 26, 102, 5, 1)
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
