import json
import subprocess
import sys
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from empact.plans.defaults import DEFAULT_PLAN_FILE
from empact.plans.models import KPI
from empact.plans.planfile import dump_plan_yaml
from empact.plans.schema import PLAN_SCHEMA
from empact.plans.tests.factories import make_plan_file

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("plan", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(dump_plan_yaml(make_plan_file()))
    return path


def test_import_prints_a_summary_and_a_second_import_says_unchanged(plan_file):
    assert (
        run("import", str(plan_file)).splitlines()[-1]
        == "oap-test: version 1 (1 added)"
    )
    assert run("import", str(plan_file)).strip() == "oap-test: unchanged"


def test_diff_shows_amendments_since_adoption(plan_file, tmp_path):
    run("import", str(plan_file), "--reason", "adopted by COSI")
    data = make_plan_file()
    data["actions"][0]["short_title"] = "Renamed"
    edited = tmp_path / "edited.yaml"
    edited.write_text(dump_plan_yaml(data))
    run("import", str(edited), "--reason", "amendment 1")

    out = run("diff")

    assert out.splitlines()[0].startswith("oap-test: 1 change(s) since version 1 (")
    assert out.splitlines()[0].endswith(", adopted by COSI)")
    assert out.splitlines()[1] == "~ OA 1.1 short_title: Action 1 → Renamed"
    assert (
        run("diff", "--since", "2")
        .splitlines()[0]
        .startswith("oap-test: 0 change(s) since version 2")
    )


def test_diff_since_an_unknown_version_says_which_exist(plan_file):
    run("import", str(plan_file))
    with pytest.raises(
        CommandError, match="oap-test has no version 5; it has versions 1 to 1"
    ):
        run("diff", "--since", "5")


def test_json_export_has_the_keys_other_tools_rely_on(plan_file):
    run("import", str(plan_file))

    data = json.loads(run("export", "--format", "json"))

    assert {"priority", "period", "driver", "goals", "actions"} <= set(data)
    assert data["period"] == "2024-2025" and data["driver"] == "DE"
    goal, action = data["goals"][0], data["actions"][0]
    assert {"number", "title"} <= set(goal)
    assert {
        "ref",
        "goal",
        "leader",
        "short_title",
        "types",
        "kpis",
        "activities",
    } <= set(action)
    kpi = action["kpis"][0]
    assert kpi["letter"] == "a" and kpi["text"] == "Number of OCGs dismantled"
    assert kpi["target"]["value"] == 20 and kpi["target"]["scope"] == "per_year"
    assert kpi["target"]["kind"] == "count"
    assert action["activities"][0] == {
        "number": 1,
        "text": "Kick-off meeting",
        "timing": "Q1 2024",
        "quarters": {"2024": [1]},
    }


def test_yaml_export_reimports_unchanged(plan_file, tmp_path):
    run("import", str(plan_file))
    exported = tmp_path / "exported.yaml"
    run("export", "-o", str(exported))

    assert run("import", str(exported)).strip() == "oap-test: unchanged"
    assert yaml.safe_load(exported.read_text())["id"] == "oap-test"


def test_a_yaml_syntax_error_names_the_line(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ngoals: [\n  - a\n")

    with pytest.raises(CommandError, match=r"broken.yaml:\d+:\d+: not valid YAML"):
        run("import", str(broken))
    assert KPI.objects.count() == 0


def test_schema_is_the_committed_docs_schema():
    committed = json.loads(
        (DEFAULT_PLAN_FILE.parents[3] / "docs" / "plan.schema.json").read_text()
    )
    assert json.loads(run("schema")) == PLAN_SCHEMA == committed


def test_a_missing_verb_prints_usage_not_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "empact.cli", "plan"], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "VERB" in result.stderr


def test_an_export_is_recorded_as_a_disclosure(plan_file):
    from empact.audit.models import AuditEntry

    run("import", str(plan_file))
    run("export", "--format", "json")

    entry = AuditEntry.objects.get(action="plan.exported")
    assert (entry.operation, entry.object_repr) == (
        "disclosure",
        "Operational Action Plan 2024-2025: Migrant smuggling",
    )
    assert entry.actor.startswith("cli:") and entry.extra["format"] == "json"
    assert AuditEntry.objects.filter(action="plan.imported").count() == 1
