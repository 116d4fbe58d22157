"""The demo: the default plan and clearly marked demo accounts, for `make run`.

Loading is idempotent: on a database that already has them nothing changes, so
later parts of the platform can add to one demo.
"""

from dataclasses import dataclass

from django.db import transaction

from empact.accounts.models import User
from empact.organisations.models import Organisation
from empact.organisations.services import load_organisations
from empact.plans.defaults import DEFAULT_PLAN_FILE
from empact.plans.models import Plan
from empact.plans.planfile import read_plan_file
from empact.plans.services import import_plan

# Demo only: these passwords are printed on the console and in the README.
DEMO_PASSWORD = "demo-empact-2024"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    organisation: str
    description: str
    is_superuser: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("admin", "COM", "administrator (Django admin)", is_superuser=True),
    DemoAccount("driver.de", "DE", "plan Driver, Germany"),
    DemoAccount("leader.it", "IT", "Action Leader of OA 2.4, Italy"),
    DemoAccount("analyst.europol", "EUROPOL", "analyst, Europol"),
    DemoAccount("officer.fr", "FR", "participant contact, France"),
)


def load_demo() -> list[str]:
    """Organisations, the default plan and the demo accounts, where missing."""
    done = []
    summary = load_organisations()
    if summary.created:
        done.append(f"{summary.created} organisations")
    if not Plan.objects.exists():
        result = import_plan(
            read_plan_file(DEFAULT_PLAN_FILE),
            by="empact demo",
            reason="Plan as adopted (default plan shipped with empact)",
            source=DEFAULT_PLAN_FILE.name,
        )
        done.append(f"the default plan ({result.plan.actions.count()} actions)")
    created = _create_demo_accounts()
    if created:
        done.append(f"{created} demo accounts")
    return done


@transaction.atomic
def _create_demo_accounts() -> int:
    created = 0
    for account in DEMO_ACCOUNTS:
        if User.objects.filter(username=account.username).exists():
            continue
        user = User(
            username=account.username,
            first_name="Demo",
            last_name=account.description,
            organisation=Organisation.objects.get(code=account.organisation),
            is_staff=account.is_superuser,
            is_superuser=account.is_superuser,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        created += 1
    return created
