"""Recovery codes as a django-otp device, stored hashed (ASVS 6.5.2, V-11).

django-otp's own static tokens are 40-bit strings stored in plain text; these are
80-bit codes kept only as password hashes (Argon2 in production), each usable once.
The models are imported by empact/accounts/models.py, so they belong to the
accounts app and its migrations.
"""

import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

RECOVERY_CODE_COUNT = 10
# Crockford's base32 (no i, l, o, u): 16 characters carry 80 bits. What people
# misread on paper is read back the way Crockford's scheme says: o as 0, i and l as 1.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_CODE_LENGTH = 16
_READ_BACK = str.maketrans({"o": "0", "i": "1", "l": "1", " ": None, "-": None})


def new_recovery_code() -> str:
    """A fresh code, in groups of four for reading out: `abcd-efgh-jkmn-pqrs`."""
    raw = "".join(
        secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH)
    )
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


def normalise_recovery_code(value: str) -> str:
    """What a person typed, without spaces, dashes or capitals."""
    return value.strip().lower().translate(_READ_BACK)


def looks_like_recovery_code(value: str) -> bool:
    code = normalise_recovery_code(value)
    return len(code) == RECOVERY_CODE_LENGTH and all(
        c in RECOVERY_ALPHABET for c in code
    )


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's set of one-time recovery codes; the codes live in RecoveryCode."""

    class Meta(Device.Meta):
        verbose_name = "recovery code set"

    def is_interactive(self) -> bool:
        return False

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token) -> bool:
        """True, and the code is spent, if `token` is one of the unused codes.

        Every remaining hash is checked, also after a match, so that the time taken
        does not tell which code matched.
        """
        allowed, _ = self.verify_is_allowed()
        if not allowed or not isinstance(token, str):
            return False
        candidate = normalise_recovery_code(token)
        if not looks_like_recovery_code(candidate):
            self.throttle_increment(commit=True)
            return False
        matched = None
        for code in self.codes.all():
            if check_password(candidate, code.hashed) and matched is None:
                matched = code
        if matched is None:
            self.throttle_increment(commit=True)
            return False
        matched.delete()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True

    def remaining(self) -> int:
        return self.codes.count()


class RecoveryCode(models.Model):
    """One unused recovery code, as a salted password hash; deleted when used."""

    device = models.ForeignKey(
        RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes"
    )
    hashed = models.CharField(max_length=256)

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.device}"

    @classmethod
    def hash(cls, code: str) -> str:
        return make_password(normalise_recovery_code(code))
