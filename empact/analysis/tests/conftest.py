"""Three contributors (DE, NL, and a strategic-only partner XK), an analyst, a DPO,
and a helper that writes followthemoney JSON lines."""

import json
from datetime import date

import pytest

from empact.accounts.models import RoleAssignment, User
from empact.analysis import services
from empact.organisations.models import Organisation
from empact.plans.tests.factories import make_organisation, make_plan


@pytest.fixture(autouse=True)
def analysis_dir(settings, tmp_path):
    settings.EMPACT_ANALYSIS_DIR = tmp_path / "analysis"
    return settings.EMPACT_ANALYSIS_DIR


@pytest.fixture
def orgs(db):
    return {
        "DE": make_organisation("DE"),
        "NL": make_organisation("NL"),
        "XK": make_organisation(
            "XK",
            kind=Organisation.Kind.THIRD_COUNTRY,
            europol_status=Organisation.EuropolStatus.STRATEGIC,
        ),
        "EUROPOL": make_organisation("EUROPOL", kind=Organisation.Kind.EU_AGENCY),
    }


@pytest.fixture
def people(orgs):
    action = make_plan("oap-an").actions.get(ref="1.1")
    found = {}
    for name, code, role, scope in [
        ("analyst", "EUROPOL", "analyst", {}),
        ("dpo", "EUROPOL", "auditor", {}),
        ("de_officer", "DE", "participant", {"action": action}),
        ("nl_officer", "NL", "participant", {"action": action}),
        ("xk_officer", "XK", "participant", {"action": action}),
        ("de_norole", "DE", None, {}),
    ]:
        found[name] = User.objects.create_user(name, organisation=orgs[code])
        if role:
            RoleAssignment.objects.create(user=found[name], role=role, **scope)
    return found


def person(entity_id, name, **properties):
    props = {"name": [name], **{k: [v] for k, v in properties.items()}}
    return {"id": entity_id, "schema": "Person", "properties": props}


@pytest.fixture
def jsonl(tmp_path):
    def write(filename, entities):
        path = tmp_path / filename
        path.write_text("".join(json.dumps(e) + "\n" for e in entities))
        return path

    return write


@pytest.fixture
def ingest(people, orgs):
    def run(path, code, handling="H0", **fields):
        given = services.Contribution(
            contributor=orgs[code],
            handling=handling,
            purpose=fields.pop("purpose", "OA 1.1 / case 2024-17"),
            collected_on=fields.pop("collected_on", date(2026, 1, 10)),
            **fields,
        )
        return services.ingest_dataset(path, given, actor=people["analyst"])[0]

    return run
