"""Reading a plan's history: which version stood at a date, what changed since."""

from datetime import date, datetime, time

from django.utils import timezone

from empact.errors import UserError
from empact.plans.changes import Change, diff_plans
from empact.plans.export import plan_as_dict
from empact.plans.models import Plan, PlanVersion


def version_at(plan: Plan, since: int | date | None) -> PlanVersion:
    """Version `since` (a number), the version in force on a date, or version 1."""
    if since is None:
        since = 1
    if isinstance(since, int):
        version = plan.versions.filter(number=since).first()
        if version is None:
            raise UserError(
                f"{plan.slug} has no version {since}; it has versions "
                f"1 to {plan.versions.count()}"
            )
        return version
    end_of_day = timezone.make_aware(datetime.combine(since, time.max))
    version = (
        plan.versions.filter(created_at__lte=end_of_day).order_by("-number").first()
    )
    if version is None:
        raise UserError(f"{plan.slug} did not exist yet on {since:%Y-%m-%d}")
    return version


def changes_since(plan: Plan, version: PlanVersion) -> list[Change]:
    """What differs between the plan as it stood at `version` and the plan now."""
    return diff_plans(version.snapshot, plan_as_dict(plan))
