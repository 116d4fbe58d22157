import pytest
from django.db import connection
from django.urls import reverse

from empact.accounts.models import User
from empact.accounts.tests.helpers import sign_in
from empact.plans.tests.factories import make_organisation, make_plan

pytestmark = pytest.mark.django_db


def break_audit_log() -> None:
    """Make every audit insert fail in the database itself (rolled back after the
    test with its transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION audit_refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER audit_refuse BEFORE INSERT ON audit_auditentry "
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER audit_refuse BEFORE INSERT ON audit_auditentry "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )


def test_a_refusal_that_cannot_be_logged_answers_503_and_shows_nothing(client):
    plan = make_plan()
    outsider = User.objects.create_user(
        "outsider", password="x", organisation=make_organisation("BR")
    )
    sign_in(client, outsider)
    break_audit_log()

    response = client.get(reverse("plans:overview", args=[plan.slug]))

    assert response.status_code == 503
    page = response.content.decode()
    assert "This access cannot be logged, so it is refused" in page
    assert plan.title not in page
