"""T-15: the API fuzzed from its own served schema (schemathesis), in process.

The schema is read from /api/openapi.json through the WSGI application, as a
client would read it. For each kind of caller's token, every operation gets
generated requests that fit the schema (positive) and requests that do not
(negative), with the path pointing at real records half of the time so that the
services are reached, not only the 404. Each case runs in a savepoint that is
rolled back, so the cases do not depend on one another.
"""

from contextlib import contextmanager
from datetime import date

import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from empact.reporting import jads
from empact.reporting.models import AmendmentRequest

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
CALLERS = ("IT", "leader", "driver")  # an organisation, the OA's leader, the driver
EXAMPLES = 5  # per operation, mode and caller: about 30 s in all


def test_the_api_keeps_to_its_schema_under_generated_requests(world, figure):
    records = _records(world)
    with _in_process():
        app = get_wsgi_application()
        schema = schemathesis.openapi.from_wsgi(
            "/api/openapi.json", app, headers=_auth(world, "IT")
        )
        operations = [result.ok() for result in schema.get_all_operations()]
        cases, failures = 0, []
        for caller in CALLERS:
            for operation in operations:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    ran, failed = _fuzz(operation, mode, _auth(world, caller), records)
                    cases += ran
                    failures += [(caller, operation.label, f) for f in failed]
    figure(
        f"api fuzz: {len(operations)} operations × {len(CALLERS)} callers, "
        f"{cases} cases, {len(failures)} failures "
        f"({len(CHECKS)} checks: {', '.join(c.__name__ for c in CHECKS)})"
    )
    assert cases >= len(operations) * len(CALLERS) * 2
    assert failures == [], _summary(failures)


def _summary(failures) -> str:
    """One line per failing caller, operation and check, then the first in full."""
    lines = sorted(
        {
            f"{caller} {label}: {line.strip()}"
            for caller, label, text in failures
            for line in text.splitlines()
            if line.startswith("- ")
        }
    )
    return "\n".join([*lines, "", failures[0][2]])


def _fuzz(operation, mode, auth, records) -> tuple[int, list[str]]:
    ran, failed = 0, []
    strategy = st.one_of(
        operation.as_strategy(generation_mode=mode),
        operation.as_strategy(
            generation_mode=mode, path_parameters=_real_path(operation, records)
        ),
    )

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        nonlocal ran
        ran += 1
        with transaction.atomic():
            try:
                response = case.call(headers=auth)
                case.validate_response(response, checks=CHECKS, headers=auth)
            # Check failures come as a BaseExceptionGroup; each is reported, none
            # stops the run.
            except (Exception, BaseExceptionGroup) as error:
                failed.append(f"{case.method} {case.formatted_path}: {error}"[:2000])
            transaction.set_rollback(True)

    run()
    return ran, failed


def _real_path(operation, records) -> dict:
    """The path parameters of `operation` pointing at records of the world."""
    path = operation.path
    found = {}
    if "{slug}" in path:
        found["slug"] = "oap-test"
    if "{id}" in path:
        kind = path.split("/")[2]  # /api/<kind>/{id}...
        found["id"] = records.get(kind, records["contributions"])
    return found


def _records(world) -> dict:
    """IT's contribution, an amendment request of it, and a JAD that IT leads."""
    amendment = AmendmentRequest.objects.create(
        contribution=world["IT"],
        proposed={"narrative": "Corrected."},
        reason="a typo",
        requested_by="leader.it",
    )
    jad = jads.plan_jad(
        world["plan"],
        name="JAD ARKTOS",
        starts=date(2024, 9, 10),
        ends=date(2024, 9, 14),
        actions=[world["action"]],
        lead=world["people"]["IT"].organisation,
        participants=[world["people"]["FR"].organisation],
        actor=world["people"]["driver"],
    )
    return {"contributions": world["IT"].pk, "amendments": amendment.pk, "jads": jad.pk}


def _auth(world, caller) -> dict:
    return {"Authorization": f"Bearer {world['tokens'][caller]}"}


@contextmanager
def _in_process():
    """Requests through the WSGI handler share the test's transaction, as Django's
    test client does: the handler must not close the connection after each."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)
