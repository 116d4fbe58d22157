import pytest


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
