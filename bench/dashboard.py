"""S6: the plan dashboard with 2 years × 26 OAs × 40 organisations of accepted data.

In process, through the real middleware (session, second factor, permissions):
median and p95 latency, CPU per request and SQL queries per request of the plan
dashboard, against floors measured in the same run: a hello-world view behind the
same middleware, and the page's aggregate query run alone as raw SQL. The query
count is compared at 1× and 10× the data.

The page's figures are cached until the next audited change
(empact/reporting/dashboard_cache.py): in process, the page is timed both with
its figures computed on every request (the cache emptied before each) and from
the cache; the query counts are those of a computing request.

Over HTTP (bench/http_load.py): the same page and the hello view served by
gunicorn on loopback, under a closed-loop load of 16 connections for 20 seconds
(BENCH_HTTP_SECONDS changes it): median and p95 latency, requests a second and
server CPU per request, with the same signed-in session as the in-process leg;
then the page again while an audited change is written every second, so that
every server process computes the figures anew once a second.

Benchmark data is bulk-inserted (it is fixture data for timing, not a demo), so it
bypasses the services on purpose.
"""

import http.client
import os
import random
import statistics
import threading
import time
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from bench import http_load
from bench.database import bench_database, database_url
from empact.accounts.models import Participation, RoleAssignment, User
from empact.accounts.tests.helpers import sign_in
from empact.audit.log import record
from empact.organisations.models import Organisation
from empact.organisations.services import load_organisations
from empact.plans.defaults import DEFAULT_PLAN_FILE
from empact.plans.planfile import read_plan_file
from empact.plans.services import import_plan
from empact.reporting import dashboards
from empact.reporting.models import Contribution, KPIValue, ReportingPeriod

REQUESTS = 60
ORGANISATIONS = 40
CONNECTIONS = 16
HELLO = "/bench-hello/"

# The aggregate written by hand, without the page's plan filter and casts: the
# floor of the first measurements (BENCHMARKS.md), still printed for comparison.
HAND_WRITTEN_AGGREGATE = (
    "SELECT v.kpi_id, p.year, p.half, c.state, SUM(v.value), "
    "SUM(v.value * v.weight), SUM(v.weight), COUNT(*) "
    "FROM reporting_kpivalue v "
    "JOIN reporting_contribution c ON c.id = v.contribution_id "
    "JOIN reporting_reportingperiod p ON p.id = c.period_id "
    "WHERE c.state IN ('submitted', 'accepted') "
    "GROUP BY v.kpi_id, p.year, p.half, c.state"
)


def run() -> None:
    with bench_database(shared=True):
        with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
            client, url, raw = _measure()
            _measure_http(client, url, raw)


def _measure():
    """The in-process leg; returns the signed-in client, the page's address and
    the raw aggregate's timings, for the HTTP leg."""
    plan, driver = _world()
    client = sign_in(Client(), driver)
    url = f"/plans/{plan.slug}/dashboard/"
    organisations = list(Organisation.objects.order_by("code")[:ORGANISATIONS])
    _fill(plan, organisations[: ORGANISATIONS // 10])
    queries_small = _queries(client, url)
    _fill(plan, organisations[ORGANISATIONS // 10 :])  # 10× the data in all
    _analyze()
    queries_full = _queries(client, url)
    page = _timings(client, url, computed=True)
    cached = _timings(client, url)
    hello_t = _timings(client, HELLO)
    raw = _raw_timings(*_page_aggregate(plan))
    hand = _raw_timings(HAND_WRITTEN_AGGREGATE)
    rows = KPIValue.objects.count()
    backend = connection.vendor == "postgresql"
    print(
        f"dashboard ({connection.vendor}): 2 years × 26 OAs × {ORGANISATIONS} "
        f"organisations = {Contribution.objects.count():,} contributions, "
        f"{rows:,} KPI values; {REQUESTS} requests each"
        + ("; cpu includes the database backend's" if backend else "")
    )
    for name, t in (
        ("hello view, same middleware (floor)", hello_t),
        ("the page's aggregate alone, raw (floor)", raw),
        ("hand-written aggregate (earlier floor)", hand),
        ("plan dashboard, figures computed", page),
        ("plan dashboard, figures from the cache", cached),
    ):
        print(
            f"  {name:<40} median {t['median'] * 1000:7.1f} ms  "
            f"p95 {t['p95'] * 1000:7.1f} ms  cpu {t['cpu'] * 1000:7.1f} ms"
        )
    floor = hello_t["median"] + raw["median"]
    cpu_floor = hello_t["cpu"] + raw["cpu"]
    earlier = hello_t["median"] + hand["median"]
    print(
        f"  dashboard / (hello + aggregate) = {page['median'] / floor:.2f} × "
        f"(goal ≤ 3 ×); in CPU time {page['cpu'] / cpu_floor:.2f} ×; "
        f"against the earlier floor {page['median'] / earlier:.2f} ×; "
        f"from the cache {cached['median'] / floor:.2f} ×"
    )
    print(
        f"  SQL queries per request: {queries_small} at 1×, {queries_full} at 10× "
        "the data (goal: equal)"
    )
    return client, url, raw


def _measure_http(client, url, raw) -> None:
    seconds = float(os.getenv("BENCH_HTTP_SECONDS", "20"))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    headers = {"Cookie": f"{cookie.key}={cookie.value}"}
    print(
        f"  HTTP: gunicorn, {http_load.WORKERS} sync workers, {CONNECTIONS} "
        f"connections, {seconds:g} s each, loopback, {os.cpu_count()} cores "
        "shared by server and client"
    )
    with http_load.gunicorn(database_url()) as server:
        _check_signed_in(server, url, headers)
        found = {}
        for name, address, changes in (
            ("hello view (floor)", HELLO, False),
            ("plan dashboard", url, False),
            ("plan dashboard, a change every second", url, True),
        ):
            load_average = os.getloadavg()[0]
            with _changing(every=1.0 if changes else None):
                found[name] = http_load.load(
                    server,
                    address,
                    headers=headers,
                    connections=CONNECTIONS,
                    seconds=seconds,
                    database_pids=_database_pids,
                )
            _print_http(name, found[name], load_average)
    page, hello = found["plan dashboard"], found["hello view (floor)"]
    floor = hello.server_cpu_per_request + raw["cpu"]
    print(
        "  server cpu per request: dashboard / hello = "
        f"{page.server_cpu_per_request / hello.server_cpu_per_request:.1f} × "
        "(goal ≤ 20 ×); dashboard / (hello + aggregate) = "
        f"{page.server_cpu_per_request / floor:.1f} ×"
    )
    verdict = "met" if page.p95 <= 0.3 else "NOT met"
    print(
        f"  HTTP p95 of the dashboard at {CONNECTIONS} connections: "
        f"{page.p95 * 1000:.0f} ms (goal ≤ 300 ms: {verdict})"
    )


@contextmanager
def _changing(*, every: float | None):
    """While the load runs, an audited change every `every` seconds (None: none),
    so that each server process renders the figures anew that often."""
    if every is None:
        yield
        return
    stop = threading.Event()

    def change():
        try:
            while not stop.wait(every):
                record(
                    "bench.changed",
                    actor=None,
                    actor_name="bench",
                    operation="alteration",
                )
        finally:
            connection.close()

    thread = threading.Thread(target=change)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _print_http(name: str, r: http_load.LoadResult, load_average: float) -> None:
    database = (
        f" (database {r.database_cpu / r.requests * 1000:.1f})"
        if r.database_cpu
        else ""
    )
    print(
        f"  {name:<40} median {r.median * 1000:7.1f} ms  "
        f"p95 {r.p95 * 1000:7.1f} ms  {r.per_second:6.1f} req/s  "
        f"server cpu {r.server_cpu_per_request * 1000:5.1f} ms/req{database}  "
        f"client cpu {r.client_cpu / r.seconds:.0%}  failures {r.failures}  "
        f"load average {load_average:.1f}"
    )


def _check_signed_in(server, url, headers) -> None:
    """The load must measure the page, not a redirect to the sign-in page."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("GET", url, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200 or b'id="standing"' not in body:
        raise RuntimeError(f"GET {url} over HTTP gave {response.status}, not the page")


def _database_pids() -> list[int]:
    """The PostgreSQL backends serving the benchmark database, but ours: their
    CPU is part of what a request costs. (They are on this machine.)"""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


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


def _analyze() -> None:
    """PostgreSQL's autovacuum analyzes a table soon after a bulk insert; the
    benchmark measures right away, so it does so itself, or the planner would
    plan for the empty tables it last saw. (SQLite never analyzes on its own.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _kpis(actions, action_id):
    return next(a for a in actions if a.pk == action_id).kpis.all()


def _queries(client, url) -> int:
    """The queries of a request that computes the figures (not from the cache)."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _timings(client, url, *, computed: bool = False) -> dict:
    """`computed`: every request computes the figures (the cache emptied first,
    outside the timing)."""

    def get():
        assert client.get(url).status_code == 200

    if computed:
        return _repeated(get, before=cache.clear)

    return _repeated(get)


def _page_aggregate(plan) -> tuple[str, tuple]:
    """The SQL of the page's own aggregate query, as the ORM writes it."""
    rows = dashboards.reported_rows(dashboards.plan_values(plan.pk))
    return rows.query.sql_with_params()


def _raw_timings(sql: str, params=()) -> dict:
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return _repeated(run)


def _repeated(fn, before=None) -> dict:
    """Wall and CPU time of REQUESTS calls of `fn`. On PostgreSQL the CPU time
    adds the database backend's, read from /proc; its clock ticks are 10 ms, so
    that part is averaged over the calls rather than taken per call."""
    walls, cpus = [], []
    backend = _backend_cpu()
    for _ in range(REQUESTS):
        if before:
            before()
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    summary = _summary(walls, cpus)
    summary["cpu"] += (_backend_cpu() - backend) / REQUESTS
    return summary


def _backend_cpu() -> float:
    if connection.vendor != "postgresql":
        return 0.0
    connection.ensure_connection()
    return http_load.cpu_seconds([connection.connection.info.backend_pid])


def _summary(walls, cpus) -> dict:
    walls.sort()
    return {
        "median": statistics.median(walls),
        "p95": walls[int(len(walls) * 0.95) - 1],
        "cpu": statistics.median(cpus),
    }
