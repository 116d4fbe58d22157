from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from empact.errors import UserError
from empact.web.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = (
        "Migrate and load the default plan and the demo accounts where missing "
        "(a no-op on a database that has them)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--print-logins",
            action="store_true",
            help="print the URL and the demo accounts",
        )
        sub = parser.add_subparsers(dest="verb", metavar="VERB")
        p = sub.add_parser(
            "entities",
            help="write synthetic operational datasets with planted duplicates and "
            "a ground truth (for tests, benchmarks and the demo; no database)",
        )
        p.add_argument("--n", type=int, default=10_000, help="person records")
        p.add_argument("--contributors", type=int, default=30)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument(
            "--out", type=Path, default=Path("var/demo-entities"), help="folder"
        )

    def handle(self, *args, print_logins, verb=None, **options):
        if verb == "entities":
            return self._entities(**options)
        if not settings.DEMO_MODE:
            raise CommandError(
                "empact demo creates accounts whose passwords are published; set "
                "EMPACT_DEMO=true to confirm this is a demo installation"
            )
        call_command("migrate", verbosity=0, interactive=False)
        try:
            done = load_demo()
        except UserError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            "demo: loaded " + ", ".join(done)
            if done
            else "demo: already loaded, nothing to do"
        )
        if print_logins:
            self._print_logins()

    def _print_logins(self):
        self.stdout.write(
            "\nempact is at http://127.0.0.1:8000/  — DEMO, not for operational data"
        )
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username:<18} {account.description}")
        self.stdout.write("")

    def _entities(self, *, n, contributors, seed, out, **options):
        # Imported here: loading the demo needs no analysis engine.
        from empact.engine.synthetic import generate

        try:
            summary = generate(n, contributors, seed, out)
        except ValueError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            f"{summary.persons} synthetic person records of {summary.individuals} "
            f"individuals from {contributors} contributors written to {out}/ "
            "(truth.csv is the ground truth) — SYNTHETIC DEMO DATA"
        )
