from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from empact.accounts import permissions
from empact.accounts.models import RoleAssignment, User
from empact.analysis.models import Dataset, Hit
from empact.audit.verify import verify
from empact.plans.models import KPI, Action, Plan, PlanVersion
from empact.reporting.models import Contribution, ReportingPeriod

pytestmark = pytest.mark.django_db


def demo(*args) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple:
    return (
        Plan.objects.count(),
        Action.objects.count(),
        KPI.objects.count(),
        PlanVersion.objects.count(),
        Contribution.objects.count(),
        ReportingPeriod.objects.count(),
    )


def test_demo_loads_everything_once_then_is_a_no_op(settings):
    settings.DEMO_MODE = True

    first = demo("--print-logins")
    loaded = counts()
    second = demo()

    assert first.startswith(
        "demo: loaded 87 organisations, the default plan (26 "
        "actions), 126 synthetic participations, 10 demo "
        "accounts, 252 synthetic contributions in 2024-H1 and "
        "2024-H2"
    )
    assert "http://127.0.0.1:8000/" in first and "demo-empact-2024" in first
    assert loaded == (1, 26, 102, 1, 252, 2)
    assert "6 synthetic analysis datasets, cross-matched" in first
    assert Dataset.objects.filter(purpose__startswith="[SYNTHETIC").count() == 6
    assert Hit.objects.exists()
    # probable person matches too, not only shared identifiers
    assert Hit.objects.filter(reason__contains="name: ").exists()
    assert second.strip() == "demo: already loaded, nothing to do"
    assert counts() == loaded
    assert verify().ok


def test_the_demo_has_every_role_and_two_reported_half_years(settings):
    settings.DEMO_MODE = True
    demo()
    plan = Plan.objects.get()

    roles = set(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == set(RoleAssignment.Role.values)
    demo_logins = {
        "driver.de",
        "codriver.nl",
        "leader.it",
        "coleader.es",
        "officer.fr",
        "nec.pl",
        "support.europol",
        "analyst.europol",
        "dpo.europol",
        "admin",
    }
    readers = {
        u.username
        for u in User.objects.filter(username__in=demo_logins)
        if permissions.can(u, "plan.view", plan)
    }
    assert readers == demo_logins - {"admin"}
    h1, h2 = ReportingPeriod.objects.order_by("half")
    assert (h1.code, h1.state, h2.code, h2.state) == (
        "2024-H1",
        "locked",
        "2024-H2",
        "closed",
    )
    assert set(h1.contributions.values_list("state", flat=True)) == {"accepted"}
    assert set(h2.contributions.values_list("state", flat=True)) == {
        "accepted",
        "submitted",
        "draft",
    }
    assert all(
        c.narrative.startswith("[SYNTHETIC DEMO DATA]")
        for c in Contribution.objects.all()
    )


def test_demo_refuses_outside_demo_mode(settings):
    settings.DEMO_MODE = False

    with pytest.raises(CommandError, match="set EMPACT_DEMO=true"):
        demo()
    assert not User.objects.exists()
