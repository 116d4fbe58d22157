"""A NUL character (%00) in a page address names nothing: 404, never a server
error (PostgreSQL refuses NUL in any string it is asked to compare)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import StringConverter

from empact.accounts.tests.helpers import sign_in
from empact.reporting.tests.factories_attainment import make_reporting_world

pytestmark = pytest.mark.django_db

ADDRESSES = [
    "/plans/oap-test/oa/1.1%00/",
    "/plans/oap-test/dashboard/oa/1.1%00/",
    "/plans/oap-test/dashboard/organisation/FR%00/",
    "/plans/oap-test/reporting/2024-H1/oa/1.1%00/",
    "/plans/oap-test/reporting/2024-H1/oa/1.1%00/start/",
    "/jads/1/results/FR%00/",
    "/organisations/FR%00/",
]


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.pattern.converters


def test_no_page_address_takes_plain_str():
    plain = [
        route
        for route, converters in _patterns(get_resolver())
        # the API's schema refuses NUL itself; the admin's own user-password route
        # looks an integer key up, which NUL is not
        if not route.startswith(("api/", "admin/"))
        and any(type(c) is StringConverter for c in converters.values())
    ]
    assert plain == []


@pytest.mark.parametrize("address", ADDRESSES)
def test_an_address_with_nul_is_not_found(client, address):
    world = make_reporting_world()
    response = sign_in(client, world.driver).get(address)
    assert response.status_code == 404
