from empact.plans.lint import ERROR, WARNING, lint_plan
from empact.plans.planfile import normalise_plan
from empact.plans.tests.factories import make_plan_file

CODES = {"DE", "EUROPOL"}


def lint(data: dict) -> list[str]:
    return [str(f) for f in lint_plan(normalise_plan(data), organisation_codes=CODES)]


def test_a_clean_plan_has_no_findings():
    assert lint(make_plan_file()) == []


def test_a_kpi_without_a_number_has_no_measurable_target():
    data = make_plan_file()
    data["actions"][0]["kpis"][0] = {
        "letter": "a",
        "text": "Number of updates at EMPACT meetings",
    }

    assert lint(data) == [
        "warning: OA 1.1 KPI a: no measurable target: 'Number of updates at EMPACT "
        "meetings' states no number to attain"
    ]


def test_a_target_without_scope_is_reported():
    data = make_plan_file()
    data["actions"][1]["kpis"][0]["target"] = "(4)"

    assert lint(data) == [
        "warning: OA 2.2 KPI a: target '(4)' does not say whether it is per year or "
        "for the whole plan period"
    ]


def test_an_unparseable_timing_is_an_error_unless_quarters_are_given_by_hand():
    data = make_plan_file()
    data["actions"][0]["activities"][1]["timing"] = "Q1-Q4 202/25"
    findings = lint(data)
    assert len(findings) == 1
    assert findings[0].startswith(
        "error: OA 1.1 activity 2: timing 'Q1-Q4 202/25' does not parse"
    )

    data["actions"][0]["activities"][1]["quarters"] = {"2024": [1, 2, 3, 4]}
    findings = lint(data)
    assert findings[0].startswith("warning: OA 1.1 activity 2: timing 'Q1-Q4 202/25'")
    assert findings[0].endswith("the quarters given by hand are used")


def test_an_oa_about_another_crime_area_is_reported():
    data = make_plan_file()
    data["actions"][2]["summary"] = (
        "Develop multidisciplinary training activities "
        "related to trafficking in human beings."
    )

    assert lint(data) == [
        "warning: OA 1.3: the summary speaks of trafficking in human beings, not of "
        "the plan's priority (Migrant smuggling); is this OA in the right plan?"
    ]


def test_an_oa_naming_its_own_priority_beside_another_is_fine():
    data = make_plan_file()
    data["actions"][2]["summary"] = "Links between migrant smuggling and THB."

    assert lint(data) == []


def test_duplicate_refs_and_unknown_leaders_are_errors_listed_first():
    data = make_plan_file()
    data["actions"][1]["ref"] = "1.1"
    data["actions"][2]["leader"] = "ATLANTIS"
    data["actions"][0]["kpis"][0]["target"] = "(4)"

    findings = lint_plan(normalise_plan(data), organisation_codes=CODES)

    assert [f.severity for f in findings] == [ERROR, ERROR, WARNING]
    assert str(findings[0]) == "error: plan: actions: ref '1.1' appears 2 times"
    assert str(findings[1]) == (
        "error: plan: actions[2] (OA 1.3).leader: 'ATLANTIS' "
        "is not a known organisation code"
    )
