from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A body that leads or takes part in operational actions.

    `code` is what plan files use: the ISO 3166 alpha-2 code for a state, with the
    EU's conventions (EL for Greece, UK for the United Kingdom), or an upper-case
    short name for an agency or organisation (EUROPOL, FRONTEX, EU-LISA).
    """

    class Kind(models.TextChoices):
        MEMBER_STATE = "member_state", _("EU Member State")
        EU_AGENCY = "eu_agency", _("EU agency or body")
        THIRD_COUNTRY = "third_country", _("Third country")
        INTERNATIONAL = "international", _("International organisation")

    class EuropolStatus(models.TextChoices):
        NONE = "", _("None recorded")
        OPERATIONAL = "operational", _("Operational agreement")
        STRATEGIC = "strategic", _("Strategic agreement")
        STRATEGIC_SUSPENDED = (
            "strategic_suspended",
            _("Strategic agreement (suspended)"),
        )
        WORKING_ARRANGEMENT = "working_arrangement", _("Working arrangement")

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    country = models.CharField(
        max_length=2, blank=True, help_text=_("ISO 3166 alpha-2 code, EU style")
    )
    europol_status = models.CharField(
        max_length=20, choices=EuropolStatus.choices, blank=True
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
