"""The shipped default plan is the importer's output on the seed, but for marked
hand corrections, and it is what the Council document says."""

import difflib
import re
from pathlib import Path

import pytest

from empact.plans.defaults import DEFAULT_PLAN_FILE
from empact.plans.document import plan_from_document
from empact.plans.lint import lint_plan
from empact.plans.planfile import dump_plan_yaml, normalise_plan, read_plan_file
from empact.plans.services import import_plan

SEED = Path(__file__).parent / "data" / "oap-2024-2025-migrant-smuggling.txt"
MARK = "# corrected by hand:"


@pytest.fixture(scope="module")
def generated() -> str:
    return dump_plan_yaml(plan_from_document(SEED.read_text(encoding="utf-8")))


def test_the_default_plan_equals_the_importer_output_but_for_marked_corrections(
    generated,
):
    shipped = DEFAULT_PLAN_FILE.read_text(encoding="utf-8").splitlines()
    matcher = difflib.SequenceMatcher(
        a=generated.splitlines(), b=shipped, autojunk=False
    )
    hunks = [
        shipped[j1:j2] for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]

    unmarked = [hunk for hunk in hunks if not any(MARK in line for line in hunk)]
    assert unmarked == []
    assert len(hunks) == 1  # OA 2.9 activity 2: "Q1-Q4 202/25"


def test_every_hand_correction_says_why():
    for line in DEFAULT_PLAN_FILE.read_text(encoding="utf-8").splitlines():
        if MARK in line:
            assert len(line.split(MARK, 1)[1].strip()) > 20, line


def test_every_kpi_that_states_a_number_has_it_parsed_with_a_stated_scope():
    plan = normalise_plan(read_plan_file(DEFAULT_PLAN_FILE))
    kpis = [(a["ref"], k) for a in plan["actions"] for k in a["kpis"]]
    numbered = [
        (ref, k)
        for ref, k in kpis
        if re.search(r"\d|\bone\b|\bfive\b|\bfifteen\b", k["target"]["as_written"])
    ]

    assert len(kpis) == 102  # counted in the document, OA by OA
    assert [(ref, k["letter"]) for ref, k in kpis if k["target"]["value"] is None] == [
        ("1.1", "b"),
        ("1.1", "c"),
        ("1.1", "d"),
        ("1.1", "e"),
    ]
    assert all(k["target"]["value"] is not None for _, k in numbered)
    yearly = [
        (ref, k["letter"])
        for ref, k in numbered
        if re.search(r"year", k["target"]["as_written"], re.I)
    ]
    assert all(
        k["target"]["scope"] == "per_year"
        for ref, k in numbered
        if (ref, k["letter"]) in yearly
    )
    assert len(yearly) >= 20


@pytest.mark.django_db
def test_the_default_plan_imports_with_26_actions_in_order():
    from empact.organisations.services import load_organisations

    load_organisations()
    plan = import_plan(read_plan_file(DEFAULT_PLAN_FILE), by="test").plan

    refs = list(plan.actions.values_list("ref", flat=True))
    assert len(refs) == 26
    assert refs[:3] == ["1.1", "1.2", "2.1"] and refs[-1] == "8.3"
    assert plan.driver.code == "DE" and plan.goals.count() == 8
    leaders = dict(plan.actions.values_list("ref", "leader__code"))
    assert (leaders["2.10"], leaders["4.1"], leaders["6.2"]) == ("CY", "UK", "EU-LISA")


def test_lint_reports_what_the_issue_names_on_the_default_plan():
    from empact.organisations.services import CATALOGUE_PATH, read_catalogue

    codes = {e["code"] for e in read_catalogue(CATALOGUE_PATH)}
    plan = normalise_plan(read_plan_file(DEFAULT_PLAN_FILE))
    findings = [str(f) for f in lint_plan(plan, organisation_codes=codes)]

    assert (
        "warning: OA 1.1 KPI b: no measurable target: 'Number of the updates "
        "provided during the Migrant Smuggling EMPACT meetings' states no number to "
        "attain" in findings
    )
    assert (
        "warning: OA 2.5 KPI a: target '(4)' does not say whether it is per year "
        "or for the whole plan period" in findings
    )
    assert any(
        f.startswith("warning: OA 2.9 activity 2: timing 'Q1-Q4 202/25' does not parse")
        for f in findings
    )
    assert any(
        f.startswith(
            "warning: OA 6.1: the summary speaks of trafficking in human beings"
        )
        for f in findings
    )
    assert not any(f.startswith("error") for f in findings)


@pytest.mark.django_db
def test_the_default_plan_round_trips_through_yaml_export_unchanged():
    from empact.organisations.services import load_organisations
    from empact.plans.export import plan_as_dict
    from empact.plans.planfile import parse_plan_text

    load_organisations()
    plan = import_plan(read_plan_file(DEFAULT_PLAN_FILE), by="test").plan
    exported = dump_plan_yaml(plan_as_dict(plan))

    result = import_plan(parse_plan_text(exported), by="test")

    assert result.changes == []
    assert dump_plan_yaml(plan_as_dict(plan)) == exported
