"""The demo plan with its two synthetic half-years of 2024, loaded once per test
module (it takes seconds) and rolled back at the module's end."""

from datetime import date

import pytest
from django.db import transaction

from empact.plans.models import Plan
from empact.reports import content
from empact.web.demo import load_demo


@pytest.fixture(scope="module")
def demo_plan(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo(analysis=False)  # the reports read no analysis data
        yield Plan.objects.get()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def reports(demo_plan, django_db_blocker):
    """The demo's light report of 2024-H1, comprehensive report and fact sheet of
    2024 (and a draft fact sheet), as of 1 March 2025."""
    today = date(2025, 3, 1)
    with django_db_blocker.unblock():
        h1 = demo_plan.periods.get(year=2024, half=1)
        return {
            "light": content.light_report(demo_plan, h1, today=today),
            "comprehensive": content.comprehensive_report(
                demo_plan, year=2024, today=today
            ),
            "factsheet": content.fact_sheet(demo_plan, 2024, today=today),
            "factsheet-draft": content.fact_sheet(
                demo_plan, 2024, draft=True, today=today
            ),
        }
