"""The demo plan with its two synthetic half-years of 2024, loaded once per test
module (it takes seconds) and rolled back at the module's end."""

import pytest
from django.db import transaction

from empact.plans.models import Plan
from empact.web.demo import load_demo


@pytest.fixture(scope="module")
def demo_plan(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo(analysis=False)  # the reports read no analysis data
        yield Plan.objects.get()
        transaction.set_rollback(True)
