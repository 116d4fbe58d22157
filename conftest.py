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
