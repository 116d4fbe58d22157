"""S6: the plan dashboard with 2 years × 26 OAs × 40 organisations of accepted data.

In process, through the real middleware (session, second factor, permissions):
median and p95 latency, CPU per request and SQL queries per request of the plan
dashboard, against floors measured in the same run: a hello-world view behind the
same middleware, and the page's aggregate query run alone as raw SQL. The query
count is compared at 1× and 3× the data. Benchmark data is bulk-inserted (it is
fixture data for timing, not a demo), so it bypasses the services on purpose.
"""

import random
import statistics
import time
from datetime import date
from decimal import Decimal

from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path

from bench.database import bench_database
from empact.accounts.models import Participation, RoleAssignment, User
from empact.accounts.tests.helpers import sign_in
from empact.organisations.models import Organisation
from empact.organisations.services import load_organisations
from empact.plans.defaults import DEFAULT_PLAN_FILE
from empact.plans.planfile import read_plan_file
from empact.plans.services import import_plan
from empact.reporting.models import Contribution, KPIValue, ReportingPeriod

REQUESTS = 60
ORGANISATIONS = 40


def hello(request):
    return HttpResponse("hello")


urlpatterns = [path("bench-hello/", hello), path("", include("empact.urls"))]


def run() -> None:
    with bench_database():
        with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
            _measure()


def _measure() -> None:
    plan, driver = _world()
    client = sign_in(Client(), driver)
    url = f"/plans/{plan.slug}/dashboard/"
    organisations = list(Organisation.objects.order_by("code")[:ORGANISATIONS])
    _fill(plan, organisations[: ORGANISATIONS // 10])
    queries_small = _queries(client, url)
    _fill(plan, organisations[ORGANISATIONS // 10 :])  # 10× the data in all
    queries_full = _queries(client, url)
    page = _timings(client, url)
    hello_t = _timings(client, "/bench-hello/")
    raw = _raw_aggregate_timings()
    rows = KPIValue.objects.count()
    print(
        f"dashboard ({connection.vendor}): 2 years × 26 OAs × {ORGANISATIONS} "
        f"organisations = {Contribution.objects.count():,} contributions, "
        f"{rows:,} KPI values; {REQUESTS} requests each"
    )
    for name, t in (
        ("hello view, same middleware (floor)", hello_t),
        ("aggregate query alone, raw SQL (floor)", raw),
        ("plan dashboard", page),
    ):
        print(
            f"  {name:<40} median {t['median'] * 1000:7.1f} ms  "
            f"p95 {t['p95'] * 1000:7.1f} ms  cpu {t['cpu'] * 1000:7.1f} ms"
        )
    floor = hello_t["median"] + raw["median"]
    print(
        f"  dashboard / (hello + aggregate) = {page['median'] / floor:.1f} × "
        "(goal ≤ 3 ×)"
    )
    print(
        f"  SQL queries per request: {queries_small} at 1×, {queries_full} at 10× "
        "the data (goal: equal)"
    )


def _world():
    load_organisations()
    plan = import_plan(read_plan_file(DEFAULT_PLAN_FILE), by="bench").plan
    driver = User.objects.create_user(
        "driver", organisation=Organisation.objects.get(code="DE")
    )
    RoleAssignment.objects.create(user=driver, role="driver", plan=plan)
    return plan, User.objects.get(pk=driver.pk)


def _fill(plan, organisations: list[Organisation]) -> None:
    """Accepted contributions of `organisations` to every OA in four half-years."""
    rng = random.Random(6)
    actions = list(plan.actions.prefetch_related("kpis"))
    periods = list(ReportingPeriod.objects.filter(plan=plan)) or [
        ReportingPeriod.objects.create(
            plan=plan,
            year=2024 + i // 2,
            half=1 + i % 2,
            state="locked",
            deadline=date(2030, 1, 1),
        )
        for i in range(4)
    ]
    Participation.objects.bulk_create(
        [
            Participation(organisation=o, action=a)
            for o in organisations
            for a in actions
        ],
        ignore_conflicts=True,
    )
    contributions = Contribution.objects.bulk_create(
        [
            Contribution(organisation=o, action=a, period=p, state="accepted")
            for p in periods
            for a in actions
            for o in organisations
        ]
    )
    KPIValue.objects.bulk_create(
        [
            KPIValue(
                contribution=c,
                kpi=k,
                value=Decimal(rng.randint(0, 50)),
                weight=Decimal(rng.randint(1, 20)),
            )
            for c in contributions
            for k in _kpis(actions, c.action_id)
        ],
        batch_size=5000,
    )


def _kpis(actions, action_id):
    return next(a for a in actions if a.pk == action_id).kpis.all()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _timings(client, url) -> dict:
    walls, cpus = [], []
    for _ in range(REQUESTS):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        assert response.status_code == 200
    return _summary(walls, cpus)


def _raw_aggregate_timings() -> dict:
    sql = (
        "SELECT v.kpi_id, p.year, p.half, c.state, SUM(v.value), "
        "SUM(v.value * v.weight), SUM(v.weight), COUNT(*) "
        "FROM reporting_kpivalue v "
        "JOIN reporting_contribution c ON c.id = v.contribution_id "
        "JOIN reporting_reportingperiod p ON p.id = c.period_id "
        "WHERE c.state IN ('submitted', 'accepted') "
        "GROUP BY v.kpi_id, p.year, p.half, c.state"
    )
    walls, cpus = [], []
    for _ in range(REQUESTS):
        wall, cpu = time.perf_counter(), time.process_time()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return _summary(walls, cpus)


def _summary(walls, cpus) -> dict:
    walls.sort()
    return {
        "median": statistics.median(walls),
        "p95": walls[int(len(walls) * 0.95) - 1],
        "cpu": statistics.median(cpus),
    }
