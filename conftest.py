import os

import pytest
from hypothesis import settings as hypothesis_settings

# CI draws the same examples on every run, so a failure reproduces and a printed
# figure is stable; HYPOTHESIS_PROFILE=nightly searches afresh each time.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.register_profile("nightly", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session", autouse=True)
def analysis_store(request, tmp_path_factory):
    """The analysis store of every test is a temporary folder, never var/."""
    if not request.config.pluginmanager.hasplugin("django"):
        return None  # the engine's tests run with -p no:django
    from django.conf import settings

    settings.EMPACT_ANALYSIS_DIR = tmp_path_factory.mktemp("analysis-store")
    return settings.EMPACT_ANALYSIS_DIR


@pytest.fixture
def member(db):
    """A user of a participating organisation (healthchecks' Alice)."""
    from empact.accounts.models import User
    from empact.plans.tests.factories import make_organisation

    return User.objects.create_user(
        "alice", password="alice-password", organisation=make_organisation("DE")
    )


@pytest.fixture
def member_client(client, member):
    from empact.accounts.tests.helpers import sign_in

    return sign_in(client, member)


@pytest.fixture
def figure(capsys):
    """Print a test's figure on the terminal even though output is captured, so
    that `make test` shows it (e.g. `authz matrix: ... 0 leaks`)."""

    def show(line: str) -> None:
        with capsys.disabled():
            print(f"\n{line.strip()}")

    return show


# Fixtures through which a test reaches the database (pytest-django's own;
# django_db_blocker is in every test's closure, so it tells nothing).
_DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "django_db_setup",
        "live_server",
    }
)


def _reaches_the_database(item) -> bool:
    if item.get_closest_marker("rendering") is not None:
        return False  # layout, the same whichever database gave the content
    return (
        item.get_closest_marker("django_db") is not None
        or item.get_closest_marker("postgres") is not None
        or not _DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items):
    """With EMPACT_DATABASE_TESTS_ONLY (the PostgreSQL leg of `make test`), run only
    the tests that reach the database: the others (the engine, parsers, pure
    functions, and the layout of reports, marked `rendering`, whose content
    queries test_content and the demo's tests run on each database) give the same
    result whatever the database, and the SQLite leg runs them already."""
    if os.environ.get("EMPACT_DATABASE_TESTS_ONLY", "").lower() not in ("1", "true"):
        return
    kept = [item for item in items if _reaches_the_database(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
