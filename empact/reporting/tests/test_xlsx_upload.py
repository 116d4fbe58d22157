import errno
import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command
from django.http import Http404
from openpyxl import load_workbook

from empact.accounts.models import RoleAssignment, User
from empact.errors import UserError
from empact.plans.models import Action
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import services
from empact.reporting.models import (
    ActivityStatus,
    Contribution,
    KPIValue,
    ReportingPeriod,
)
from empact.reporting.services import ValueInput
from empact.reporting.xlsx import read_upload, upload_workbook, write_template

pytestmark = pytest.mark.django_db
TODAY = date(2024, 5, 2)


@dataclass
class Setup:
    contribution: Contribution
    participant: User
    other: Contribution  # the same organisation's contribution to another OA


def make_open_contribution() -> Setup:
    """IT's draft for OA 1.1 in the open period 2024-H1, and its participant."""
    plan = make_plan()
    driver = User.objects.create_user("dora", organisation=make_organisation("DE"))
    RoleAssignment.objects.create(user=driver, role="driver", plan=plan)
    # A deadline far off: starting a draft asks the real date, uploads use TODAY.
    period = services.create_period(
        plan, 2024, 1, deadline=date(2099, 12, 31), actor=driver
    )
    services.step_period(period, "open", actor=driver)
    italy = make_organisation("IT")
    participant = User.objects.create_user("marco", organisation=italy)
    actions = [Action.objects.get(plan=plan, ref=ref) for ref in ("1.1", "2.2")]
    for action in actions:
        RoleAssignment.objects.create(
            user=participant, role="participant", action=action
        )
    first, other = (
        services.start_contribution(italy, action, period, actor=participant)
        for action in actions
    )
    return Setup(first, participant, other)


class AsText(str):
    """Text typed with a leading quote: stored as a string even if it starts with =."""


def fill(data: bytes, cells: dict, *, number_formats: dict | None = None) -> bytes:
    """The workbook with `cells` ("KPIs!F2": value) written as a person would."""
    book = load_workbook(BytesIO(data))
    for place, value in cells.items():
        sheet, coordinate = place.split("!")
        book[sheet][coordinate] = value
        if isinstance(value, AsText):
            book[sheet][coordinate].data_type = "s"
    for place, number_format in (number_formats or {}).items():
        sheet, coordinate = place.split("!")
        book[sheet][coordinate].number_format = number_format
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def upload(setup: Setup, data: bytes) -> Contribution:
    return upload_workbook(
        setup.contribution, data, actor=setup.participant, today=TODAY
    )


@pytest.fixture
def setup():
    return make_open_contribution()


FILLED = {
    "KPIs!F2": 12,
    "KPIs!H2": AsText("=Case files 1-12"),
    "KPIs!F3": 87.5,
    "KPIs!G3": 40,
    "KPIs!H3": "survey of 40 participants",
    "Activities!D2": "Completed",
    "Activities!D3": "ongoing",
    "Activities!E3": "two of four meetings held",
    "Narrative!A2": "A good half-year.",
}


def test_a_filled_template_is_saved_with_every_value(setup):
    saved = upload(setup, fill(write_template(setup.contribution), FILLED))

    values = {v.kpi.letter: v for v in saved.values.all()}
    assert (values["a"].value, values["a"].evidence) == (12, "=Case files 1-12")
    assert (values["b"].value, values["b"].weight) == (Decimal("87.5"), 40)
    statuses = {s.activity.number: s for s in saved.activity_statuses.all()}
    assert statuses[1].status == "completed"
    assert (statuses[2].status, statuses[2].comment) == (
        "ongoing",
        "two of four meetings held",
    )
    assert saved.narrative == "A good half-year."
    assert saved.version == 2


def test_a_fresh_template_holds_the_saved_values_and_uploads_unchanged(setup):
    saved = upload(setup, fill(write_template(setup.contribution), FILLED))

    again = upload(setup, write_template(saved))

    assert again.version == 3
    assert {v.kpi.letter: v.value for v in again.values.all()} == {
        "a": 12,
        "b": Decimal("87.5"),
    }
    assert again.values.get(kpi__letter="a").evidence == "=Case files 1-12"
    assert again.activity_statuses.count() == 2


def test_a_percentage_typed_with_a_percent_sign_counts_as_percent(setup):
    data = fill(
        write_template(setup.contribution),
        {"KPIs!F3": 0.85},
        number_formats={"KPIs!F3": "0%"},
    )

    saved = upload(setup, data)

    assert saved.values.get(kpi__letter="b").value == Decimal("85.00")


def test_every_problem_is_listed_with_its_cell_and_nothing_is_saved(setup):
    data = fill(
        write_template(setup.contribution),
        {"KPIs!F2": "twelve", "KPIs!F3": 120, "KPIs!G3": 0},
    )

    with pytest.raises(UserError) as raised:
        upload(setup, data)

    assert raised.value.problems == [
        "KPIs!F2: KPI a: 'twelve' is not a number",
        "KPIs!F3: KPI b: '120' is above 100, and this KPI is a percentage",
    ]
    assert KPIValue.objects.count() == 0


def test_a_user_who_may_not_edit_the_contribution_is_told_it_does_not_exist(setup):
    stranger = User.objects.create_user("eve", organisation=make_organisation("FR"))
    data = fill(write_template(setup.contribution), FILLED)

    with pytest.raises(Http404):
        upload_workbook(setup.contribution, data, actor=stranger, today=TODAY)
    assert KPIValue.objects.count() == 0


def test_read_upload_returns_the_inputs_without_saving(setup):
    data = fill(write_template(setup.contribution), {"KPIs!F2": 3})

    values, statuses, narrative, version = read_upload(
        data, contribution=setup.contribution
    )

    kpi = setup.contribution.action.kpis.get(letter="a")
    assert values[kpi.pk] == ValueInput("3", "", "1")
    assert all(s.status == "" for s in statuses.values())
    assert (narrative, version) == ("", 1)
    assert KPIValue.objects.count() == ActivityStatus.objects.count() == 0


def test_the_command_writes_the_template_and_uploads_it(setup, tmp_path):
    # The command reports as of the real today: move the deadline past it.
    ReportingPeriod.objects.update(deadline=date(2099, 12, 31))
    path = tmp_path / "it.xlsx"
    args = ["--oa", "1.1", "--org", "IT", "--period", "2024-H1", "--as", "marco"]
    call_command("reporting", "template", *args, "-o", str(path), stderr=StringIO())
    path.write_bytes(fill(path.read_bytes(), {"KPIs!F2": 7}))
    out = StringIO()

    call_command("reporting", "upload", str(path), *args, stdout=out)

    assert out.getvalue().strip() == "IT · OA 1.1 · 2024-H1: saved, now version 2"
    assert setup.contribution.values.get().value == 7


@pytest.mark.parametrize("before", [None, b"the previous workbook"])
def test_a_template_write_that_fails_leaves_the_previous_file_and_no_partial(
    setup, tmp_path, monkeypatch, before
):
    """-o writes beside the file, flushes, then renames it over: a failure (here
    the disk, at the flush) leaves what was there before, or nothing, and no
    partial file beside it."""
    ReportingPeriod.objects.update(deadline=date(2099, 12, 31))
    path = tmp_path / "it.xlsx"
    if before is not None:
        path.write_bytes(before)
    args = ["--oa", "1.1", "--org", "IT", "--period", "2024-H1", "--as", "marco"]

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(
        CommandError, match=r"it\.xlsx: cannot write it \(No space left on device\)"
    ):
        call_command("reporting", "template", *args, "-o", str(path), stderr=StringIO())

    assert sorted(p.name for p in tmp_path.iterdir()) == (["it.xlsx"] if before else [])
    assert before is None or path.read_bytes() == before
    monkeypatch.undo()
    call_command("reporting", "template", *args, "-o", str(path), stderr=StringIO())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["it.xlsx"]
    assert load_workbook(path).sheetnames  # whole this time


def test_the_command_refuses_a_user_without_a_role(setup, tmp_path):
    User.objects.create_user("eve", organisation=make_organisation("FR"))
    args = ["--oa", "1.1", "--org", "IT", "--period", "2024-H1", "--as", "eve"]

    with pytest.raises(CommandError, match="may not do this"):
        call_command("reporting", "template", *args, "-o", str(tmp_path / "x.xlsx"))


def test_the_command_names_an_unknown_user(setup):
    args = ["--oa", "1.1", "--org", "IT", "--period", "2024-H1", "--as", "nobody"]

    with pytest.raises(
        CommandError, match="--as nobody: there is no active user of that name"
    ):
        call_command("reporting", "template", *args)


def test_a_refused_cell_does_not_hide_the_problems_of_the_other_cells(setup):
    """Regression: with a formula in one cell, a figure the service refuses in
    another went unmentioned until the formula was fixed and the file sent again."""
    data = fill(
        write_template(setup.contribution),
        {"KPIs!F2": -3, "KPIs!G3": 0, "KPIs!F3": 50, "Activities!E2": "=1+1"},
    )

    with pytest.raises(UserError) as raised:
        upload(setup, data)

    assert raised.value.problems == [
        "Activities!E2: formulas are not accepted ('=1+1'); type the figure or "
        "text itself",
        "KPIs!F2: KPI a: '-3' is negative; report what was achieved, 0 or more",
        "KPIs!G3: KPI b: the weight must be a number above 0",
    ]
    assert KPIValue.objects.count() == 0


def test_a_workbook_whose_columns_moved_is_refused_rather_than_misread(setup):
    """Regression: with the Value column deleted, the weight was saved as the
    value (87.5 lost, 40 saved) and nothing was said."""
    book = load_workbook(
        BytesIO(
            fill(write_template(setup.contribution), {"KPIs!F3": 87.5, "KPIs!G3": 40})
        )
    )
    book["KPIs"].delete_cols(6)
    out = BytesIO()
    book.save(out)

    with pytest.raises(UserError) as raised:
        upload(setup, out.getvalue())

    assert raised.value.problems == [
        "KPIs!F1: expected the column 'Value' here, found 'Weight'; columns must "
        "not be moved, added or removed: download a fresh template"
    ]
    assert KPIValue.objects.count() == 0
