from django.core.management.base import BaseCommand, CommandError

from empact.errors import UserError
from empact.organisations.services import load_organisations


class Command(BaseCommand):
    help = "Organisations: load the catalogue of Member States, agencies and partners."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        sub.add_parser("load", help="create or update the shipped catalogue")

    def handle(self, *args, verb, **options):
        try:
            summary = load_organisations()
        except UserError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            f"organisations: {summary.created} created, "
            f"{summary.updated} updated, {summary.unchanged} unchanged"
        )
