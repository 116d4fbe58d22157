"""What the platform's commands share: the person a command acts for, and the plan.

A command has no signed-in user, so `--as USERNAME` names the person on whose
behalf it acts; the permission module then decides exactly as for a page.
"""

from empact.errors import UserError


def add_as_argument(parser) -> None:
    parser.add_argument(
        "--as",
        dest="as_user",
        required=True,
        metavar="USERNAME",
        help="the user on whose behalf the command acts; their roles decide",
    )


def acting_user(username: str):
    from empact.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise UserError(f"--as {username}: there is no active user of that name")
    return user


def chosen_plan(slug: str | None):
    """The plan named by --plan, or the only plan there is."""
    from empact.plans.models import Plan

    plans = Plan.objects.filter(slug=slug) if slug else Plan.objects.all()
    found = list(plans[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise UserError(f"--plan {slug}: no such plan" if slug else "there is no plan")
    raise UserError("there are several plans: name one with --plan")
