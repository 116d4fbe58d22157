"""`empact report light|comprehensive|factsheet`: a report of the plan, to a file.

The command line has no signed-in user, so `--as USERNAME` names the person on
whose behalf it acts; the permission module then decides exactly as for the
Reports page (the plan's drivers and EMPACT support), and the export is logged
as that person's disclosure. Exit status 1 with one line for anything refused.
"""

import logging
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from tqdm import tqdm

from empact.commandline import acting_user, add_as_argument, chosen_plan
from empact.errors import UserError
from empact.files import write_whole
from empact.reports import exports
from empact.reports.markings import LIMITE
from empact.reports.render import FORMATS

STEPS = 3  # reading, writing, recording (exports.produce_report)


class Command(BaseCommand):
    help = "Produce one of the plan's reports as HTML, PDF, DOCX or XLSX."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True, metavar="REPORT")
        p = sub.add_parser("light", help="light progress report of one period")
        p.add_argument("--period", required=True, help="e.g. 2024-H1")
        _common(p)
        p = sub.add_parser(
            "comprehensive",
            help="comprehensive results report of a year, or of the whole plan "
            "period without --year",
        )
        p.add_argument("--year", type=int, help="e.g. 2024 (default: the plan period)")
        _common(p)
        p = sub.add_parser("factsheet", help="annual fact sheet of one year")
        p.add_argument("--year", type=int, required=True, help="e.g. 2024")
        _common(p)

    def handle(self, *args, kind, output, as_user, plan, **options):
        try:
            export = self._produce(
                kind, acting_user(as_user), chosen_plan(plan), options
            )
            write_whole(output, export.data)
        except UserError as e:
            raise CommandError(str(e)) from None
        except (Http404, PermissionDenied):
            raise CommandError(
                f"--as {as_user} may not produce the plan's reports (the plan's "
                "drivers and EMPACT support may)"
            ) from None
        draft = " DRAFT" if export.report.draft else ""
        self.stdout.write(
            f"{export.report.title} {export.report.scope}{draft} "
            f"({options['format'].upper()}, {len(export.data):,} bytes) → {output}"
        )

    def _produce(self, kind, actor, plan, options) -> exports.Export:
        # On a terminal only (tqdm's disable=None): a log keeps one clean line.
        quiet = True if options["verbosity"] < 1 else None
        with tqdm(total=STEPS, file=sys.stderr, unit="step", disable=quiet) as bar:
            started = []

            def step(what: str) -> None:
                if started:
                    bar.update(1)
                started.append(what)
                bar.set_description(what)

            with _pages_to(bar):
                export = exports.produce_report(
                    plan,
                    kind,
                    fmt=options["format"],
                    marking=options["marking"],
                    draft=options["draft"],
                    period=options.get("period"),
                    year=options.get("year"),
                    actor=actor,
                    progress=step,
                )
            bar.update(1)
        return export


def _common(p) -> None:
    p.add_argument(
        "--format", choices=FORMATS, default="pdf", help="default: %(default)s"
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    p.add_argument(
        "--marking",
        default=LIMITE.code,
        help="limite (default), or restreint-ue where an accreditation is recorded",
    )
    p.add_argument(
        "--draft",
        action="store_true",
        help="count submitted values too; every page is marked DRAFT",
    )
    p.add_argument("--plan", help="plan id (needed when there are several)")
    add_as_argument(p)


class _PageHandler(logging.Handler):
    """WeasyPrint logs each page it lays out; the bar shows how far it got."""

    def __init__(self, bar):
        super().__init__(logging.INFO)
        self.bar = bar

    def emit(self, record):
        self.bar.set_postfix_str(record.getMessage().partition(" - ")[2], refresh=True)


class _pages_to:
    def __init__(self, bar):
        self.handler = _PageHandler(bar)
        self.logger = logging.getLogger("weasyprint.progress")

    def __enter__(self):
        self.saved = (self.logger.level, self.logger.propagate)
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.INFO)
        self.logger.propagate = False  # to the bar only, not to the console log

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.saved[0])
        self.logger.propagate = self.saved[1]
