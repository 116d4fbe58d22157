"""Engine tests run without Django (`pytest -p no:django empact/engine/tests`).

Django's fixtures are refused here, so that a test which would pass only inside
the Django suite cannot slip in.
"""

import pytest

# The fixtures a test would ask for; pytest-django's own autouse plumbing
# (django_db_blocker and the like) is in every test's closure and says nothing.
DJANGO_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "client",
    "async_client",
    "mailoutbox",
    "admin_client",
    "admin_user",
    "rf",
    "settings",
    "live_server",
    "django_user_model",
    "django_assert_num_queries",
    "member",
    "member_client",
}


@pytest.fixture(scope="session", autouse=True)
def analysis_store():
    """Overrides the root conftest's fixture of this name, which points Django's
    settings at a temporary folder: the engine has no settings, and its tests must
    run with `-p no:django`."""
    return None


def pytest_collection_modifyitems(items):
    for item in items:
        if "empact/engine/tests" not in str(item.path).replace("\\", "/"):
            continue
        used = DJANGO_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if used:
            raise pytest.UsageError(
                f"{item.nodeid} uses Django fixture(s) {sorted(used)}; "
                "engine tests run without Django"
            )
