"""The plan dashboard's figures come from the cache until the data changes: every
audited change shows at once, and nothing of one user reaches another."""

from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from empact.accounts.tests.helpers import sign_in
from empact.audit.log import record
from empact.audit.selectors import last_change
from empact.reporting import services
from empact.reporting.models import Contribution
from empact.reporting.tests.factories_attainment import (
    make_contribution,
    make_reporting_world,
)
from empact.reporting.tests.test_dashboards import row_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    cache.clear()
    w = make_reporting_world()
    make_contribution(w, "FR", "1.1", "2024-H1", values={"a": 12})
    make_contribution(w, "IT", "1.1", "2024-H1", values={"a": 5}, state="submitted")
    return w


def dashboard(client, user) -> tuple[str, int]:
    """The page's HTML and the number of queries it took."""
    signed_in = sign_in(client, user)
    with CaptureQueriesContext(connection) as queries:
        html = signed_in.get(reverse("dashboards:plan", args=["oap-test"])).text
    return html, len(queries)


def test_a_second_visit_is_served_from_the_cache(client, world):
    first, first_queries = dashboard(client, world.driver)
    second, second_queries = dashboard(client, world.driver)
    assert row_html(first, "kpi-1.1-a") == row_html(second, "kpi-1.1-a")
    # the figures' own reads (plan tree, aggregates, JADs, periods) are skipped
    assert second_queries <= first_queries - 4, (first_queries, second_queries)


def test_each_audited_change_shows_at_once(client, world):
    before, _ = dashboard(client, world.driver)
    assert "12</span>" in row_html(before, "kpi-1.1-a")

    submitted = Contribution.objects.get(organisation__code="IT", state="submitted")
    services.take_step(
        submitted,
        "accept",
        version=submitted.version,
        actor=world.leader,
        today=date(2024, 7, 1),
    )
    after, _ = dashboard(client, world.driver)
    assert "17</span>" in row_html(after, "kpi-1.1-a")


def test_a_consultation_does_not_throw_the_figures_away(world):
    name = last_change()
    record("plan.consulted", actor=world.driver, operation="consultation")
    assert last_change() == name
    record("plan.imported", actor=world.driver, operation="alteration")
    assert last_change() not in ("", name)


def test_what_one_user_may_do_is_not_shown_to_the_next(client, world):
    """The driver's page has the Reports tab; a participant's, served the same
    cached figures, has not."""
    driver_page, _ = dashboard(client, world.driver)
    client.logout()
    officer_page, _ = dashboard(client, world.officers["FR"])
    assert ">Reports</a>" in driver_page
    assert ">Reports</a>" not in officer_page
    assert row_html(driver_page, "kpi-1.1-a") == row_html(officer_page, "kpi-1.1-a")
