"""The demo's Joint Action Days: planned, reported and mapped through the real
services, marked synthetic, and counted once in the dashboards."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from empact.accounts.models import User
from empact.accounts.tests.helpers import sign_in
from empact.audit.models import AuditEntry
from empact.reporting import jads
from empact.reporting.models import JADMapping, JADResult, JointActionDay

pytestmark = pytest.mark.django_db


@pytest.mark.slow  # loads the whole demo (~12 s of CPU); test_demo_command runs it too
def test_the_demo_has_three_synthetic_jads_with_results_and_a_mapping(
    settings, client, figure
):
    settings.DEMO_MODE = True
    call_command("demo", stdout=StringIO())

    found = list(JointActionDay.objects.order_by("starts"))
    assert [j.name for j in found] == [
        "[SYNTHETIC DEMO DATA] JAD NORTH SEA",
        "[SYNTHETIC DEMO DATA] JAD MARE NOSTRUM",
        "[SYNTHETIC DEMO DATA] JAD DANUBE GATE",
    ]
    for jad in found:
        reported = set(jad.results.values_list("organisation_id", flat=True))
        assert reported == set(jad.participants.values_list("pk", flat=True))
    results = JADResult.objects.count()
    recorded = AuditEntry.objects.filter(action="jadresult.recorded")
    assert recorded.count() == results
    assert not recorded.filter(actor="driver.de").exists()  # each its own reporter
    assert JADMapping.objects.count() == 8
    values = jads.jad_values(found[0].plan)
    figure(
        f"demo JADs: {len(found)} JADs, {results} results, "
        f"{len(values)} result × KPI additions"
    )
    assert values and {(v.year, v.half) for v in values} == {(2024, 1), (2024, 2)}

    # The demo's action leader of OA 2.4 is left KPI b to map.
    sign_in(client, User.objects.get(username="leader.it"))
    html = client.get(reverse("jads:detail", args=[found[1].pk])).text
    assert "Declare what a KPI counts" in html
    assert f'<option value="{kpi_b(found[1]).pk}"' in html


def kpi_b(jad):
    return jad.actions.get(ref="2.4").kpis.get(letter="b")
