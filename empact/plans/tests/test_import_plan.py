import copy

import pytest

from empact.errors import UserError
from empact.plans.export import plan_as_dict
from empact.plans.models import KPI, Action, Activity, Plan, PlanVersion
from empact.plans.services import import_plan
from empact.plans.tests.factories import make_plan, make_plan_file, make_plan_from

pytestmark = pytest.mark.django_db


def reimport(data: dict, reason: str = "amendment"):
    return import_plan(data, by="tester", reason=reason)


def test_import_creates_the_plan_with_parsed_targets_and_quarters():
    plan = make_plan(actions=3)

    assert [a.ref for a in plan.actions.all()] == ["1.1", "2.2", "1.3"]
    kpi = KPI.objects.get(action__ref="2.2", letter="a")
    assert (kpi.target_value, kpi.target_scope, kpi.kind) == (20, "per_year", "count")
    assert kpi.aggregation == "sum"
    rate = KPI.objects.get(action__ref="2.2", letter="b")
    assert (rate.kind, rate.unit, rate.aggregation) == (
        "percentage",
        "%",
        "weighted_mean",
    )
    activity = Activity.objects.get(action__ref="1.1", number=2)
    assert activity.quarters == {"2024": [1, 2, 3, 4], "2025": [1, 2, 3, 4]}


def test_the_first_import_is_version_1_as_adopted():
    plan = make_plan()

    version = plan.versions.get()
    assert (version.number, version.created_by, version.reason) == (
        1,
        "factory",
        "test plan",
    )
    assert version.changes == [
        {"change": "added", "what": "plan", "field": "", "old": None, "new": None}
    ]


def test_importing_the_same_file_twice_changes_nothing():
    make_plan()
    rows = (Action.objects.count(), KPI.objects.count(), Activity.objects.count())

    result = reimport(make_plan_file())

    assert result.changes == []
    assert result.version is None
    assert result.summary() == "oap-test: unchanged"
    assert (
        Action.objects.count(),
        KPI.objects.count(),
        Activity.objects.count(),
    ) == rows
    assert PlanVersion.objects.count() == 1


def test_an_edited_target_updates_the_kpi_in_place_and_reports_only_that():
    make_plan()
    kpi_ids = dict(KPI.objects.values_list("action__ref", "id").filter(letter="a"))
    data = make_plan_file()
    data["actions"][1]["kpis"][0]["target"] = "25 per year"

    result = reimport(data, reason="COSI amendment")

    assert [str(c) for c in result.changes] == [
        "~ OA 2.2 KPI a target.as_written: 20 per year → 25 per year",
        "~ OA 2.2 KPI a target.value: 20 → 25",
    ]
    assert (
        dict(KPI.objects.values_list("action__ref", "id").filter(letter="a")) == kpi_ids
    )
    assert KPI.objects.get(action__ref="2.2", letter="a").target_value == 25
    assert result.version.number == 2
    assert result.version.reason == "COSI amendment"


def test_added_and_removed_items_are_reported_and_applied():
    make_plan()
    data = make_plan_file()
    data["actions"][0]["kpis"].append(
        {"letter": "c", "text": "Number of JADs", "target": "At least 1 per year"}
    )
    del data["actions"][2]

    result = reimport(data)

    assert sorted(str(c) for c in result.changes) == [
        "+ OA 1.1 KPI c added",
        "- OA 1.3 removed",
    ]
    assert not Action.objects.filter(ref="1.3").exists()
    assert KPI.objects.get(action__ref="1.1", letter="c").target_minimum is True


def test_a_round_trip_through_export_leaves_the_database_unchanged():
    plan = make_plan()
    exported = plan_as_dict(plan)

    result = reimport(copy.deepcopy(exported))

    assert result.changes == []
    assert plan_as_dict(Plan.objects.get()) == exported


def test_a_malformed_file_reports_every_problem_with_its_location_and_saves_nothing():
    data = make_plan_file()
    data["actions"][1]["kpis"][0]["target"] = {"value": "about a dozen"}
    data["actions"][2]["activities"][0]["number"] = "first"
    del data["goals"][0]["title"]

    with pytest.raises(UserError) as error:
        make_plan_from(data)

    assert error.value.problems == [
        "actions[1].kpis[0].target: {'value': 'about a dozen'} is not a target; write "
        'it as text (e.g. "20 per year") or as a mapping with value, scope, kind',
        "actions[2].activities[0].number: 'first' is not a whole number",
        "goals[0]: 'title' is missing",
    ]
    assert Plan.objects.count() == 0


def test_unknown_leaders_duplicate_refs_and_missing_goals_are_refused():
    data = make_plan_file()
    data["actions"][0]["leader"] = "ATLANTIS"
    data["actions"][1]["ref"] = "1.1"
    data["actions"][2]["goal"] = 7

    with pytest.raises(UserError) as error:
        make_plan_from(data)

    assert error.value.problems == [
        "actions: ref '1.1' appears 2 times",
        "actions[0] (OA 1.1).leader: 'ATLANTIS' is not a known organisation code",
        "actions[2] (OA 1.3).goal: there is no strategic goal 7",
    ]
    assert Plan.objects.count() == 0


def test_a_failed_update_leaves_the_previous_version_whole():
    make_plan()
    data = make_plan_file()
    data["actions"][0]["short_title"] = "Renamed"
    data["actions"][2]["kpis"][0]["target"] = {"as_written": "huge", "value": 10**15}

    with pytest.raises(UserError, match="cannot hold"):
        reimport(data)

    assert Action.objects.get(ref="1.1").short_title == "Action 1"
    assert PlanVersion.objects.count() == 1
