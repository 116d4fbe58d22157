"""`empact token create|list|revoke`: the API tokens of national systems."""

import getpass

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from empact.accounts.models import User
from empact.accounts.tokens import APIToken, create_token, revoke_token
from empact.errors import UserError
from empact.organisations.models import Organisation


class Command(BaseCommand):
    help = "Create, list or revoke API tokens (a token acts as its user)."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser("create", help="make a token; shown once")
        create.add_argument("--org", required=True, help="organisation code, e.g. IT")
        create.add_argument("--user", required=True, help="the login it acts as")
        create.add_argument("--name", required=True, help="the system that uses it")
        create.add_argument("--days", type=int, default=365, help="lifetime in days")
        revoke = verbs.add_parser("revoke", help="refuse a token from now on")
        revoke.add_argument("id", type=int)
        verbs.add_parser("list", help="every token, without its secret")

    def handle(self, *args, verb, **options):
        by = f"cli:{getpass.getuser()}"
        try:
            getattr(self, f"_{verb}")(by=by, **options)
        except UserError as e:
            raise CommandError(str(e)) from e

    def _create(self, *, by, org, user, name, days, **_):
        organisation = Organisation.objects.filter(code=org).first()
        if organisation is None:
            raise CommandError(f"no organisation with the code {org}")
        owner = User.objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"no user with the login {user}")
        token, raw = create_token(
            owner, organisation=organisation, name=name, days=days, by=by
        )
        self.stdout.write(
            f"token {token.pk} for {token}, valid until "
            f"{token.expires_at:%Y-%m-%d}; it is shown this once:\n{raw}"
        )

    def _revoke(self, *, by, id, **_):
        token = APIToken.objects.filter(pk=id).first()
        if token is None:
            raise CommandError(f"no token with the id {id}")
        revoke_token(token, by=by)
        self.stdout.write(f"token {id} revoked")

    def _list(self, **_):
        now = timezone.now()
        for t in APIToken.objects.select_related("organisation", "user"):
            state = (
                "revoked"
                if t.revoked
                else "usable"
                if t.is_usable(now=now)
                else "expired"
            )
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            self.stdout.write(
                f"{t.pk}\t{t.organisation.code}\t{t.user}\t{t.name}\t"
                f"until {t.expires_at:%Y-%m-%d}\tlast used {used}\t{state}"
            )
