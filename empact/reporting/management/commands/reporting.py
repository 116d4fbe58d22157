"""`empact reporting template|upload`: the Excel round trip from the command line.

The command line has no signed-in user, so `--as USERNAME` names the person on
whose behalf it acts; the permission module then decides exactly as for a page
(a participant contact of the organisation for the OA, for example).
"""

import re
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone

from empact.commandline import acting_user, add_as_argument, chosen_plan
from empact.errors import UserError
from empact.files import write_whole
from empact.organisations.models import Organisation
from empact.plans.models import Action
from empact.reporting import services, xlsx
from empact.reporting.models import Contribution, ReportingPeriod

PERIOD_CODE = re.compile(r"(\d{4})-H([12])")


class Command(BaseCommand):
    help = "Reporting in Excel: write a contribution's template, upload a filled one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        p = sub.add_parser(
            "template",
            help="write the workbook of one organisation's contribution to an OA "
            "in a period (the draft is started if there is none)",
        )
        _contribution_arguments(p)
        p.add_argument("-o", "--output", type=Path, help="file (default: stdout)")
        p = sub.add_parser("upload", help="save a filled-in workbook, all or nothing")
        p.add_argument("file", type=Path)
        _contribution_arguments(p)

    def handle(self, *args, verb, **options):
        try:
            actor = acting_user(options.pop("as_user"))
            getattr(self, "do_" + verb)(actor=actor, **options)
        except UserError as e:
            raise CommandError(str(e)) from None
        except (Http404, PermissionDenied):
            raise CommandError(
                "no such contribution, or the acting user (--as) may not do this"
            ) from None

    def do_template(self, *, actor, output, **options):
        contribution = _contribution(actor, start=True, **options)
        data = xlsx.template_for(contribution, actor=actor)
        if output is None:
            sys.stdout.buffer.write(data)
            return
        write_whole(output, data)
        self.stderr.write(f"{contribution}: version {contribution.version} → {output}")

    def do_upload(self, *, actor, file, **options):
        contribution = _contribution(actor, start=False, **options)
        saved = xlsx.upload_workbook(
            contribution, file.read_bytes(), actor=actor, today=timezone.localdate()
        )
        self.stdout.write(f"{saved}: saved, now version {saved.version}")


def _contribution_arguments(p) -> None:
    p.add_argument("--oa", required=True, help="the OA reference, e.g. 2.4")
    p.add_argument("--org", required=True, help="the organisation code, e.g. IT")
    p.add_argument("--period", required=True, help="the period code, e.g. 2024-H1")
    p.add_argument("--plan", help="plan id (needed when there are several)")
    add_as_argument(p)


def _contribution(actor, *, oa, org, period, plan, start: bool, **_) -> Contribution:
    the_plan = chosen_plan(plan)
    action = Action.objects.filter(plan=the_plan, ref=oa).first()
    if action is None:
        raise UserError(f"--oa {oa}: the plan {the_plan.slug} has no such OA")
    organisation = Organisation.objects.filter(code=org).first()
    if organisation is None:
        raise UserError(f"--org {org}: no organisation has this code")
    match = PERIOD_CODE.fullmatch(period)
    the_period = (
        match
        and ReportingPeriod.objects.filter(
            plan=the_plan, year=int(match[1]), half=int(match[2])
        ).first()
    )
    if not the_period:
        raise UserError(f"--period {period}: no such period; write it as 2024-H1")
    existing = Contribution.objects.filter(
        organisation=organisation, action=action, period=the_period
    ).first()
    if existing or not start:
        if existing is None:
            raise Http404("no contribution")
        return existing
    return services.start_contribution(organisation, action, the_period, actor=actor)
