"""`empact worker`: execute the queued cross-match runs (empact/analysis/runs.py).

Run one or more beside the web server: each claims queued runs from the database,
so no broker is needed. SIGTERM lets the run in progress finish, then stops.
"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from empact.analysis import runs
from empact.analysis.models import Run


class Command(BaseCommand):
    help = (
        "Execute the queued cross-match runs, one at a time, looking for new ones "
        "every few seconds; several workers may run at once. SIGTERM lets the run "
        "in progress finish, then stops. A run that fails is marked failed with "
        "its reason (shown on the runs page); the exit status is 0 all the same."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="execute the runs waiting now, then exit (for tests and cron)",
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=2.0,
            metavar="SECONDS",
            help="how long to wait before looking again at an empty queue (default: 2)",
        )

    def handle(self, *args, once, poll, **options):
        if poll <= 0:
            raise CommandError(f"--poll {poll}: give a number of seconds above 0")
        if not once:
            self.stdout.write("worker: waiting for queued cross-match runs")
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            executed = runs.work(stop=stop, poll=poll, once=once, report=self._report)
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write(f"worker stopped: {executed} run(s) executed")

    def _report(self, run: Run) -> None:
        if run.status == Run.Status.DONE:
            said = f"done: {run.pairs} hits across {run.datasets} datasets"
        elif run.status == Run.Status.FAILED:
            said = f"failed: {run.error}"
        else:
            said = "taken back by another worker meanwhile; nothing saved"
        self.stdout.write(f"run {run.pk} (queued by {run.queued_by}) {said}")
