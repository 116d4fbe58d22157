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

    def handle(self, *args, print_logins, **options):
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
