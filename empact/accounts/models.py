from django.contrib.auth.models import AbstractUser
from django.db import models

from empact.organisations.models import Organisation


class User(AbstractUser):
    """A person using the platform; belongs to one organisation."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
