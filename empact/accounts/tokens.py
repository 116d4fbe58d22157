"""API tokens: how a national system signs in to the API, as one named user.

A token acts as its owner, so the permission module applies unchanged. Only the
sha256 of the token is stored (a 256-bit random token needs no slow hash); the
token itself is shown once, when it is made. A token is refused once it expires,
is revoked, or its owner leaves the token's organisation or is deactivated.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from empact.audit.log import record
from empact.errors import UserError
from empact.organisations.models import Organisation

PREFIX = "empact_"
# last_used_at is written at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class APIToken(models.Model):
    """A bearer token of one organisation's system, acting as `user`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "accounts"
        ordering = ["organisation__code", "name", "pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.organisation.code}: {self.name} (as {self.user})"

    def is_usable(self, *, now) -> bool:
        return not self.revoked and self.expires_at > now


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    user, *, organisation: Organisation, name: str, days: int, by: str
) -> tuple[APIToken, str]:
    """A new token and the raw token, which is shown once and never stored."""
    if user.organisation_id != organisation.pk:
        raise UserError(
            f"{user} is not a user of {organisation.code}; a token acts as a "
            "user of its own organisation"
        )
    if not user.is_active:
        raise UserError(f"{user} is deactivated")
    if not 1 <= days <= 730:
        raise UserError(f"a token lasts 1 to 730 days, not {days}")
    if not name.strip():
        raise UserError("give the token a name, e.g. the system that uses it")
    raw = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = APIToken.objects.create(
            user=user,
            organisation=organisation,
            name=name.strip(),
            key_hash=hash_token(raw),
            created_by=by,
            expires_at=timezone.now() + timedelta(days=days),
        )
        record(
            "api_token.created",
            actor=None,
            actor_name=by,
            operation="security",
            obj=token,
            extra={"user": user.username, "days": days},
        )
    return token, raw


def revoke_token(token: APIToken, *, by: str) -> APIToken:
    """Refuse the token from now on (it stays listed, marked revoked)."""
    with transaction.atomic():
        changed = APIToken.objects.filter(pk=token.pk, revoked=False).update(
            revoked=True, revoked_at=timezone.now()
        )
        if not changed:
            raise UserError(f"token {token.pk} is revoked already")
        record(
            "api_token.revoked",
            actor=None,
            actor_name=by,
            operation="security",
            obj=token,
        )
    token.refresh_from_db()
    return token


def user_for_token(raw: str, *, now=None):
    """The user a usable token acts as, or None."""
    now = now or timezone.now()
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = (
        APIToken.objects.select_related("user", "user__organisation")
        .filter(key_hash=hash_token(raw), revoked=False, expires_at__gt=now)
        .first()
    )
    if token is None:
        return None
    user = token.user
    if not user.is_active or user.organisation_id != token.organisation_id:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user.api_token = token
    return user
