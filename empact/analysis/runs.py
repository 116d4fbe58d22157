"""The queue of cross-match runs, and the worker that empties it (`empact worker`).

An analyst queues a run (queue_crossmatch); a worker claims the oldest queued run
and executes it (crossmatching.execute_run, the same code as a run from the command
line). Claiming needs no broker: it is a conditional update that succeeds for one
worker only, ``filter(pk=..., status=QUEUED).update(status=RUNNING) == 1``, so any
number of workers may poll the same table. On PostgreSQL the candidate is picked
with ``SELECT ... FOR UPDATE SKIP LOCKED``, so that workers polling at the same
moment pick different runs instead of contending for one; SQLite has a single
writer at a time anyway.

A run still running EMPACT_WORKER_STALE_MINUTES after it was claimed was left by a
worker that stopped (killed, out of memory, machine restarted): it is claimed again,
up to MAX_ATTEMPTS claims in all, then failed, so that a run which brings its worker
down cannot do so forever. Had the first worker only been slow, it finds on saving
that the run is no longer its own, and saves nothing (crossmatching.execute_run).
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from empact.accounts import permissions
from empact.analysis import crossmatching
from empact.analysis.models import Run
from empact.audit.log import record

MAX_ATTEMPTS = 3
logger = logging.getLogger(__name__)


def queue_crossmatch(
    *, actor, persons: bool = False, retrain: bool = False, request=None
) -> Run:
    """Queue a cross-match of every dataset the rules allow, for `empact worker`;
    with `persons`, probable person matches too (with `retrain`, by a person model
    trained afresh). Its hits replace the last run's."""
    permissions.require(actor, "analysis.run", None, request=request)
    with transaction.atomic():
        run = Run.objects.create(
            kind=Run.Kind.FULL if persons else Run.Kind.DETERMINISTIC,
            retrain=persons and retrain,
            queued_by=actor.get_username(),
        )
        record(
            "analysis.crossmatch_queued",
            actor=actor,
            operation="combination",
            obj=run,
            request=request,
            extra={"kind": run.kind, "retrain": run.retrain},
        )
    return run


def claim_next_run(*, now: datetime) -> Run | None:
    """Claim the oldest queued run, or one a stopped worker left; None if no run
    is waiting, or every waiting one is being claimed by another worker."""
    stale = now - timedelta(minutes=settings.EMPACT_WORKER_STALE_MINUTES)
    waiting = Run.objects.filter(
        Q(status=Run.Status.QUEUED) | Q(status=Run.Status.RUNNING, claimed_at__lt=stale)
    ).order_by("queued_at", "pk")
    # Looked at first without a transaction: on SQLite each transaction takes the
    # write lock, which an idle worker's polls need not take.
    while waiting.exists():
        with transaction.atomic():
            candidates = waiting
            if connection.features.has_select_for_update_skip_locked:
                candidates = waiting.select_for_update(skip_locked=True)
            run = candidates.first()
            if run is None:
                return None
            if _claim(run, now=now):
                run.refresh_from_db()
                return run
    return None


def work(
    *,
    stop: threading.Event,
    poll: float,
    once: bool = False,
    report: Callable[[Run], None] | None = None,
) -> int:
    """Claim and execute runs until `stop` is set, looking again every `poll`
    seconds while none is waiting; with `once`, stop when none is. Each run ends
    before `stop` is looked at. Returns how many runs were executed."""
    executed = 0
    while not stop.is_set():
        _drop_broken_connection()
        try:
            run = claim_next_run(now=timezone.now())
        except DatabaseError:
            if once:
                raise
            logger.exception("could not claim a run; trying again in %s s", poll)
            run = None
        if run is None:
            if once:
                break
            stop.wait(poll)
            continue
        run = crossmatching.execute_run(run, today=timezone.localdate())
        executed += 1
        if report is not None:
            report(run)
    return executed


def _drop_broken_connection() -> None:
    """Let a database connection that broke (a restart of the database) or outlived
    CONN_MAX_AGE be opened anew, as Django does between requests; never inside a
    caller's transaction (a test's), whose connection this would close."""
    if not connection.in_atomic_block:
        close_old_connections()


def _claim(run: Run, *, now: datetime) -> bool:
    if run.status == Run.Status.RUNNING:
        logger.warning("run %s: claimed at %s, taken back", run.pk, run.claimed_at)
        if run.attempts >= MAX_ATTEMPTS:
            _give_up(run, now=now)
            return False
    claimed = Run.objects.filter(
        pk=run.pk, status=run.status, attempts=run.attempts
    ).update(status=Run.Status.RUNNING, claimed_at=now, attempts=F("attempts") + 1)
    return claimed == 1  # 0: another worker claimed it first


def _give_up(run: Run, *, now: datetime) -> None:
    Run.objects.filter(pk=run.pk, status=run.status, attempts=run.attempts).update(
        status=Run.Status.FAILED,
        failed_at=now,
        error=(
            f"claimed {run.attempts} times, and each time its worker stopped before "
            "it finished (or it takes longer than EMPACT_WORKER_STALE_MINUTES, "
            f"{settings.EMPACT_WORKER_STALE_MINUTES}); the previous hits are kept"
        ),
    )
