from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

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


class RoleAssignment(models.Model):
    """A role a user holds, scoped to a plan, an OA or a country where the role says.

    Driver and co-driver are scoped to a plan; action leader, co-leader and
    participant contact to an OA; a National EMPACT Coordinator to a country.
    EMPACT support, analyst, auditor/DPO and administrator hold for the platform.
    """

    class Role(models.TextChoices):
        DRIVER = "driver", _("Driver")
        CO_DRIVER = "co_driver", _("Co-driver")
        ACTION_LEADER = "action_leader", _("Action leader")
        CO_LEADER = "co_leader", _("Co-leader")
        PARTICIPANT = "participant", _("Participant contact")
        NEC = "nec", _("National EMPACT Coordinator")
        SUPPORT = "support", _("EMPACT support")
        ANALYST = "analyst", _("Analyst")
        AUDITOR = "auditor", _("Auditor / data protection officer")
        ADMINISTRATOR = "administrator", _("Administrator")

    PLAN_ROLES = (Role.DRIVER, Role.CO_DRIVER)
    ACTION_ROLES = (Role.ACTION_LEADER, Role.CO_LEADER, Role.PARTICIPANT)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    plan = models.ForeignKey(
        "plans.Plan",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
    )
    action = models.ForeignKey(
        "plans.Action",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
    )
    country = models.CharField(max_length=2, blank=True)
    granted_by = models.CharField(max_length=150, blank=True)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches_role",
                violation_error_message=_(
                    "A driver or co-driver is scoped to a plan; an action leader, "
                    "co-leader or participant contact to an operational action; a "
                    "National EMPACT Coordinator to a country; the other roles to "
                    "nothing."
                ),
                condition=(
                    models.Q(
                        role__in=["driver", "co_driver"],
                        plan__isnull=False,
                        action__isnull=True,
                        country="",
                    )
                    | models.Q(
                        role__in=["action_leader", "co_leader", "participant"],
                        action__isnull=False,
                        plan__isnull=True,
                        country="",
                    )
                    | models.Q(role="nec", plan__isnull=True, action__isnull=True)
                    & ~models.Q(country="")
                    | models.Q(
                        role__in=["support", "analyst", "auditor", "administrator"],
                        plan__isnull=True,
                        action__isnull=True,
                        country="",
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "plan", "action", "country"],
                name="role_assignment_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        scope = self.action or self.plan or self.country
        return f"{self.user} — {self.get_role_display()}" + (
            f" ({scope})" if scope else ""
        )


class Participation(models.Model):
    """An organisation taking part in an OA, as leader, co-leader or participant."""

    class Role(models.TextChoices):
        LEADER = "leader", _("Leader")
        CO_LEADER = "co_leader", _("Co-leader")
        PARTICIPANT = "participant", _("Participant")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="participations"
    )
    action = models.ForeignKey(
        "plans.Action", on_delete=models.CASCADE, related_name="participations"
    )
    role = models.CharField(
        max_length=12, choices=Role.choices, default=Role.PARTICIPANT
    )
    since = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "action"], name="participation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation.code} in OA {self.action.ref} ({self.role})"


# The second factor's recovery codes and the sessions that know their user live in
# empact/accounts/auth/; imported here so that they belong to this app.
from empact.accounts.auth.devices import RecoveryCodeDevice  # noqa: E402,F401
from empact.accounts.auth.sessions import UserSession  # noqa: E402,F401
from empact.accounts.tokens import APIToken  # noqa: E402,F401
