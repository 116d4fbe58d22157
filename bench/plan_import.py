"""Plan file and document import against their floors.

Floors: reading the YAML file alone (yaml.safe_load), and regex-splitting the
document into lines. A test database is created for the run and dropped after.
"""

import re

from django.db import connection

from bench.database import bench_database
from bench.timing import best_of
from empact.organisations.services import load_organisations
from empact.plans.defaults import DEFAULT_PLAN_FILE
from empact.plans.document import plan_from_document
from empact.plans.export import plan_as_dict
from empact.plans.models import Plan
from empact.plans.planfile import dump_plan_yaml, parse_plan_text, read_plan_file
from empact.plans.services import import_plan

SEED = (
    DEFAULT_PLAN_FILE.parents[1]
    / "tests"
    / "data"
    / "oap-2024-2025-migrant-smuggling.txt"
)


def run() -> None:
    with bench_database():
        _measure()


def _measure() -> None:
    load_organisations()
    text = DEFAULT_PLAN_FILE.read_text(encoding="utf-8")
    document = SEED.read_text(encoding="utf-8")

    floor_yaml = best_of(lambda: parse_plan_text(text))
    floor_lines = best_of(lambda: re.split(r"\n", document))
    from_document = best_of(lambda: plan_from_document(document))
    first = best_of(lambda: _fresh_import(), repeat=3)
    again = best_of(lambda: import_plan(read_plan_file(DEFAULT_PLAN_FILE), by="bench"))
    plan = Plan.objects.get()
    export = best_of(lambda: dump_plan_yaml(plan_as_dict(plan)))

    rows = [
        ("read plan YAML (floor)", floor_yaml, 1.0),
        ("plan from-document (26 OAs)", from_document, from_document / floor_yaml),
        ("plan import, new plan", first, first / floor_yaml),
        ("plan import, unchanged", again, again / floor_yaml),
        ("plan export to YAML", export, export / floor_yaml),
    ]
    print(
        f"plan_import ({connection.vendor}); split document into lines: "
        f"{floor_lines * 1000:.2f} ms"
    )
    for name, seconds, ratio in rows:
        print(f"  {name:<30} {seconds * 1000:8.1f} ms   {ratio:5.1f} × floor")


def _fresh_import() -> None:
    Plan.objects.all().delete()
    import_plan(read_plan_file(DEFAULT_PLAN_FILE), by="bench")
