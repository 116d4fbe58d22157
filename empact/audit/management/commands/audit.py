import re

from django.core.management.base import BaseCommand, CommandError

from empact.audit.verify import verify

CHECKPOINT = re.compile(r"(?P<seq>[1-9][0-9]*):(?P<hash>[0-9a-fA-F]{12,64})")


def checkpoint(value: str) -> tuple[int, str]:
    match = CHECKPOINT.fullmatch(value)
    if not match:
        raise ValueError(value)
    return int(match["seq"]), match["hash"]


class Command(BaseCommand):
    help = "The audit log: verify its hash chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        p = sub.add_parser(
            "verify",
            help="recompute every hash; exit 1 naming the first bad entry",
            description="Exit status: 0 when the chain is intact, 1 when it is not.",
        )
        p.add_argument(
            "--expect",
            type=checkpoint,
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="a head noted earlier (from this command's output, at least 12 hex "
            "digits): catches a lost tail or a rewritten log",
        )

    def handle(self, *args, verb, **options):
        getattr(self, "do_" + verb)(**options)

    def do_verify(self, *, expect, **_):
        report = verify(checkpoints=expect)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
