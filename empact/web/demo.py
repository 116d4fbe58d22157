"""The demo: the default plan, demo accounts for every role, and synthetic
participation, for `make run`.

Loading is idempotent: on a database that already has them nothing changes, so
later parts of the platform can add to one demo. Participation in the OAs is
synthetic (the Council sets it out in a separate document, 14540/23).
"""

from dataclasses import dataclass

from django.db import transaction

from empact.accounts.models import Participation, RoleAssignment, User
from empact.audit.log import record
from empact.organisations.models import Organisation
from empact.organisations.services import load_organisations
from empact.plans.defaults import DEFAULT_PLAN_FILE
from empact.plans.models import Action, Plan
from empact.plans.planfile import read_plan_file
from empact.plans.services import import_plan
from empact.web.demo_analysis import load_demo_analysis
from empact.web.demo_reporting import load_demo_reporting

# Demo only: these passwords are printed on the console and in the README.
DEMO_PASSWORD = "demo-empact-2024"
Role = RoleAssignment.Role


@dataclass(frozen=True)
class DemoAccount:
    username: str
    organisation: str
    description: str
    role: str
    scope: str = ""  # an OA ref, a country code, "plan", or nothing


DEMO_ACCOUNTS = (
    DemoAccount("admin", "COM", "administrator (Django admin)", Role.ADMINISTRATOR),
    DemoAccount("driver.de", "DE", "plan Driver, Germany", Role.DRIVER, "plan"),
    DemoAccount("codriver.nl", "NL", "co-driver, Netherlands", Role.CO_DRIVER, "plan"),
    DemoAccount(
        "leader.it", "IT", "Action Leader of OA 2.4, Italy", Role.ACTION_LEADER, "2.4"
    ),
    DemoAccount(
        "coleader.es", "ES", "co-leader of OA 2.4, Spain", Role.CO_LEADER, "2.4"
    ),
    DemoAccount(
        "officer.fr",
        "FR",
        "participant contact in OA 2.4, France",
        Role.PARTICIPANT,
        "2.4",
    ),
    DemoAccount("nec.pl", "PL", "National EMPACT Coordinator, Poland", Role.NEC, "PL"),
    DemoAccount("support.europol", "EUROPOL", "EMPACT support, Europol", Role.SUPPORT),
    DemoAccount("analyst.europol", "EUROPOL", "analyst, Europol", Role.ANALYST),
    DemoAccount(
        "dpo.europol",
        "EUROPOL",
        "auditor / data protection officer, Europol",
        Role.AUDITOR,
    ),
)
# Synthetic participants of each OA beside its leader (cycled, so every OA has some).
DEMO_PARTICIPANTS = (
    "FR",
    "ES",
    "EL",
    "NL",
    "BE",
    "AT",
    "PL",
    "PT",
    "MT",
    "RO",
    "BG",
    "HR",
    "SE",
    "EUROPOL",
    "FRONTEX",
)


def load_demo(*, analysis: bool = True) -> list[str]:
    """Organisations, the default plan, participation, the demo accounts, demo
    reporting and (unless `analysis` is False) demo analysis data, where missing."""
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
    plan = Plan.objects.order_by("pk").first()
    added = _add_demo_participation(plan)
    if added:
        done.append(f"{added} synthetic participations")
    created = _create_demo_accounts(plan)
    if created:
        done.append(f"{created} demo accounts")
    driver = User.objects.get(username="driver.de")
    made = load_demo_reporting(plan, driver=driver, password=DEMO_PASSWORD)
    if made:
        done.append(f"{made} synthetic contributions in 2024-H1 and 2024-H2")
    analyst = User.objects.get(username="analyst.europol")
    if analysis and load_demo_analysis(analyst=analyst):
        done.append("6 synthetic analysis datasets, cross-matched")
    return done


@transaction.atomic
def _add_demo_participation(plan: Plan) -> int:
    if Participation.objects.filter(action__plan=plan).exists():
        return 0
    orgs = {
        o.code: o.pk for o in Organisation.objects.filter(code__in=DEMO_PARTICIPANTS)
    }
    roles: dict[tuple[int, int], str] = {}
    for i, action in enumerate(plan.actions.order_by("position")):
        for k in range(4):
            code = DEMO_PARTICIPANTS[(i * 3 + k) % len(DEMO_PARTICIPANTS)]
            roles[action.pk, orgs[code]] = Participation.Role.PARTICIPANT
        roles[action.pk, action.leader_id] = Participation.Role.LEADER
    # OA 2.4 gets the co-leader and participant its demo accounts speak for.
    oa_24 = plan.actions.get(ref="2.4").pk
    roles[oa_24, orgs["ES"]] = Participation.Role.CO_LEADER
    roles[oa_24, orgs["FR"]] = Participation.Role.PARTICIPANT
    Participation.objects.bulk_create(
        Participation(action_id=a, organisation_id=o, role=role)
        for (a, o), role in roles.items()
    )
    return len(roles)


@transaction.atomic
def _create_demo_accounts(plan: Plan) -> int:
    created = 0
    for account in DEMO_ACCOUNTS:
        if User.objects.filter(username=account.username).exists():
            continue
        is_admin = account.role == Role.ADMINISTRATOR
        user = User(
            username=account.username,
            first_name="Demo",
            last_name=account.description,
            organisation=Organisation.objects.get(code=account.organisation),
            is_staff=is_admin,
            is_superuser=is_admin,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        role = RoleAssignment.objects.create(
            user=user,
            role=account.role,
            granted_by="empact demo",
            **_scope(account, plan),
        )
        for obj, action in ((user, "user.created"), (role, "roleassignment.created")):
            record(
                action,
                actor=None,
                actor_name="empact demo",
                operation="alteration",
                obj=obj,
                extra={"demo": True},
            )
        created += 1
    return created


def _scope(account: DemoAccount, plan: Plan) -> dict:
    if account.scope == "plan":
        return {"plan": plan}
    if account.role in RoleAssignment.ACTION_ROLES:
        return {"action": Action.objects.get(plan=plan, ref=account.scope)}
    if account.role == Role.NEC:
        return {"country": account.scope}
    return {}
