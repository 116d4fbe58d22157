"""make_* for the dashboards: people with roles, periods and contributions, all made
through the real services (the driver opens periods, a participant contact saves
and submits, the action leader accepts)."""

from dataclasses import dataclass
from datetime import date

from empact.accounts.models import Participation, RoleAssignment, User
from empact.plans.models import Plan
from empact.plans.tests.factories import make_organisation, make_plan, make_plan_from
from empact.reporting import services
from empact.reporting.models import Contribution, ReportingPeriod
from empact.reporting.services import StatusInput, ValueInput

Role = RoleAssignment.Role


@dataclass
class ReportingWorld:
    plan: Plan
    driver: User  # DE, driver of the plan
    leader: User  # EUROPOL, action leader of every OA
    officers: dict[str, User]  # organisation code → its participant contact in every OA
    periods: dict[str, ReportingPeriod]  # "2024-H1" → open period


def make_reporting_world(
    slug: str = "oap-test",
    *,
    actions: int = 3,
    organisations: tuple[str, ...] = ("FR", "IT"),
    periods: tuple[tuple[int, int], ...] = ((2024, 1), (2024, 2)),
    plan_file: dict | None = None,
) -> ReportingWorld:
    """A plan whose `organisations` take part in every OA, with open periods."""
    plan = make_plan_from(plan_file) if plan_file else make_plan(slug, actions=actions)
    driver = make_user(f"{plan.slug}-driver", "DE", Role.DRIVER, plan=plan)
    leader = make_user(f"{plan.slug}-leader", "EUROPOL")
    for action in plan.actions.all():
        RoleAssignment.objects.create(
            user=leader, role=Role.ACTION_LEADER, action=action
        )
    officers = {
        code: make_officer(plan, code, username=f"{plan.slug}-{code}")
        for code in organisations
    }
    made = {}
    for year, half in periods:
        period = services.create_period(
            plan, year, half, deadline=date(year + 1, 12, 31), actor=driver
        )
        services.step_period(period, "open", actor=driver)
        made[period.code] = period
    return ReportingWorld(plan, driver, leader, officers, made)


def make_user(username: str, code: str, role: str = "", **scope) -> User:
    """A user of organisation `code`, with `role` (scoped by plan=, action= or
    country=) when one is given."""
    user = User.objects.create_user(username, organisation=make_organisation(code))
    if role:
        RoleAssignment.objects.create(user=user, role=role, **scope)
    return user


def make_officer(plan: Plan, code: str, *, username: str = "") -> User:
    """Organisation `code` takes part in every OA of `plan`; its contact reports."""
    organisation = make_organisation(code)
    user = make_user(username or f"{plan.slug}-{code}", code)
    for action in plan.actions.all():
        Participation.objects.get_or_create(organisation=organisation, action=action)
        RoleAssignment.objects.create(user=user, role=Role.PARTICIPANT, action=action)
    return user


def make_contribution(
    world: ReportingWorld,
    code: str,
    ref: str,
    period: str,
    *,
    values: dict | None = None,
    statuses: dict | None = None,
    state: str = "accepted",
) -> Contribution:
    """The contribution of `code` to OA `ref` for `period` ("2024-H1"), walked to
    `state`. values: {letter: value or (value, weight)}; statuses: {number: status}.
    """
    officer = world.officers[code]
    action = world.plan.actions.get(ref=ref)
    reporting_period = world.periods[period]
    today = reporting_period.starts
    contribution = services.start_contribution(
        officer.organisation, action, reporting_period, actor=officer, today=today
    )
    kpis = {k.letter: k.pk for k in action.kpis.all()}
    activities = {a.number: a.pk for a in action.activities.all()}
    contribution = services.save_contribution(
        contribution,
        version=contribution.version,
        values={
            kpis[letter]: _value_input(given)
            for letter, given in (values or {}).items()
        },
        statuses={
            activities[number]: StatusInput(status)
            for number, status in (statuses or {}).items()
        },
        narrative="",
        actor=officer,
        today=today,
    )
    for step, actor in (("submit", officer), ("accept", world.leader)):
        if state == Contribution.State.DRAFT or contribution.state == state:
            break
        contribution = services.take_step(
            contribution, step, version=contribution.version, actor=actor, today=today
        )
    return contribution


def _value_input(given) -> ValueInput:
    value, weight = given if isinstance(given, tuple) else (given, 1)
    return ValueInput(str(value), weight=str(weight))
