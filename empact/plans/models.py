from django.db import models
from django.utils.translation import gettext_lazy as _

from empact.organisations.models import Organisation


class Plan(models.Model):
    """An EMPACT Operational Action Plan (OAP) for one priority and period."""

    slug = models.SlugField(max_length=100, unique=True)
    priority = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    period_start = models.PositiveSmallIntegerField()
    period_end = models.PositiveSmallIntegerField()
    driver = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="driven_plans"
    )
    co_drivers = models.ManyToManyField(
        Organisation, blank=True, related_name="co_driven_plans"
    )
    council_document = models.CharField(max_length=50, blank=True)
    adopted_on = models.DateField(null=True, blank=True)
    marking = models.CharField(max_length=50, default="LIMITE")
    aim = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="plan_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def period(self) -> str:
        return f"{self.period_start}-{self.period_end}"

    @property
    def years(self) -> list[int]:
        return list(range(self.period_start, self.period_end + 1))


class StrategicGoal(models.Model):
    """A common horizontal strategic goal (CHSG) of the EMPACT cycle."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    objective = models.TextField(blank=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"], name="goal_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"CHSG {self.number} - {self.title}"


class Action(models.Model):
    """An operational action (OA), e.g. 2.4 "Central MED Route"."""

    class Type(models.IntegerChoices):
        OPERATIONAL = 1, _("Operational")
        DATA = 2, _("Data collection/data exchange")
        STRATEGIC = 3, _("Strategic")
        KNOWLEDGE = 4, _("Knowledge/training")
        PREVENTION = 5, _("Prevention")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    # RESTRICT, not PROTECT: a goal with actions cannot be deleted alone, but
    # deleting the whole plan takes both.
    goal = models.ForeignKey(
        StrategicGoal, on_delete=models.RESTRICT, related_name="actions"
    )
    ref = models.CharField(max_length=10)
    position = models.PositiveSmallIntegerField(default=0)
    leader = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="led_actions"
    )
    leader_as_written = models.CharField(max_length=200, blank=True)
    co_leader = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="co_led_actions",
        null=True,
        blank=True,
    )
    title = models.CharField(max_length=300, blank=True)
    short_title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    types = models.JSONField(default=list, help_text=_("OA type numbers, 1 to 5"))
    links = models.TextField(blank=True, help_text=_("Links to other OAPs/priorities"))
    jad = models.TextField(
        blank=True, help_text=_("Horizontal activities / Joint Action Days")
    )

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "ref"], name="action_ref_unique")
        ]

    def __str__(self) -> str:
        return f"OA {self.ref} {self.short_title}"

    @property
    def type_labels(self) -> list[str]:
        return [str(self.Type(t).label) for t in self.types if t in self.Type.values]


class KPI(models.Model):
    """A key performance indicator of an OA, its target as parsed and as written."""

    class Kind(models.TextChoices):
        COUNT = "count", _("Count")
        PERCENTAGE = "percentage", _("Percentage")
        RATING = "rating", _("Rating")
        MONEY = "money", _("Money")

    class Scope(models.TextChoices):
        PER_YEAR = "per_year", _("Per year")
        PERIOD = "period", _("Whole plan period")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("Sum")
        WEIGHTED_MEAN = "weighted_mean", _("Weighted mean")

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="kpis")
    letter = models.CharField(max_length=3)
    text = models.TextField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.COUNT)
    target_value = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_scope = models.CharField(
        max_length=10,
        choices=Scope.choices,
        blank=True,
        help_text=_("Blank when the plan does not say"),
    )
    target_by_year = models.JSONField(
        default=dict, blank=True, help_text=_('Explicit values per year: {"2024": 9}')
    )
    target_scale = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Top of a rating scale, e.g. 6 for 4.5/6"),
    )
    target_minimum = models.BooleanField(
        default=False, help_text=_('The target is a floor ("at least")')
    )
    target_components = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            'Parts of a composite target: [{"value": 4, "label": "Action-Weeks"}]'
        ),
    )
    target_text = models.TextField(blank=True, help_text=_("The target as written"))
    aggregation = models.CharField(max_length=14, choices=Aggregation.choices)
    unit = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["action", "letter"]
        verbose_name = "KPI"
        constraints = [
            models.UniqueConstraint(
                fields=["action", "letter"], name="kpi_letter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"OA {self.action.ref} KPI {self.letter}"


class Activity(models.Model):
    """An activity under an OA, with its timing as written and as quarters per year."""

    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, related_name="activities"
    )
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    timing = models.CharField(max_length=100, blank=True)
    quarters = models.JSONField(
        default=dict, blank=True, help_text=_('Quarters per year: {"2024": [1, 2]}')
    )

    class Meta:
        ordering = ["action", "number"]
        verbose_name_plural = "activities"
        constraints = [
            models.UniqueConstraint(
                fields=["action", "number"], name="activity_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"OA {self.action.ref} activity {self.number}"


class PlanVersion(models.Model):
    """One import that changed the plan: who, when, why, what, and the plan after it.

    Version 1 is the plan as adopted; `empact plan diff` compares against it.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    # A copied name, not a foreign key: plans come before accounts in the
    # dependency chain, and erasing a user must not rewrite plan history.
    created_by = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=list)
    snapshot = models.JSONField()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"], name="plan_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan.slug} v{self.number}"
