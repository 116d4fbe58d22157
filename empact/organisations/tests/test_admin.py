"""An organisation changed in the admin is audited like any other change."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from empact.accounts.models import User
from empact.accounts.tests.helpers import sign_in
from empact.audit.models import AuditEntry
from empact.plans.tests.factories import make_organisation

pytestmark = pytest.mark.django_db


def test_a_change_in_the_admin_is_audited(client):
    organisation = make_organisation("DE")
    root = User.objects.create_superuser("root", organisation=organisation)
    url = reverse("admin:organisations_organisation_change", args=[organisation.pk])
    form = {k: v for k, v in model_to_dict(organisation).items() if v is not None}
    form["name"] = "Bundeskriminalamt"

    response = sign_in(client, root).post(url, form)

    assert response.status_code == 302, response.content[:2000]
    entry = AuditEntry.objects.get(action="organisation.changed")
    assert (entry.actor, entry.operation) == ("root", "alteration")
    assert entry.extra == {"fields": ["name"], "via": "admin"}
