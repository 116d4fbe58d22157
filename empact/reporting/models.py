from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

from empact.organisations.models import Organisation
from empact.plans.models import KPI, Action, Activity, Plan


class ReportingPeriod(models.Model):
    """A half-year of a plan year in which participants report (e.g. 2024-H1)."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Not open yet")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        LOCKED = "locked", _("Locked by the driver")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="periods")
    year = models.PositiveSmallIntegerField()
    half = models.PositiveSmallIntegerField(choices=[(1, "H1"), (2, "H2")])
    state = models.CharField(max_length=8, choices=State.choices, default=State.PLANNED)
    deadline = models.DateField(help_text=_("Last day to submit contributions"))

    class Meta:
        ordering = ["plan", "year", "half"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "year", "half"], name="period_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(half__in=[1, 2]), name="period_half_1_or_2"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        return f"{self.year}-H{self.half}"

    @property
    def starts(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def ends(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)


class Contribution(models.Model):
    """One organisation's report for one OA and one period."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="contributions"
    )
    action = models.ForeignKey(
        Action, on_delete=models.PROTECT, related_name="contributions"
    )
    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.PROTECT, related_name="contributions"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    narrative = models.TextField(blank=True)
    returned_reason = models.TextField(
        blank=True, help_text=_("Why the action leader last returned it")
    )
    # Every change bumps the version; a write that read an older one is refused,
    # so two people acting at once never silently overwrite each other.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period", "action__position", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "action", "period"], name="contribution_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation.code} · OA {self.action.ref} · {self.period.code}"


class KPIValue(models.Model):
    """A value reported for one KPI in one contribution, with its evidence."""

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="values"
    )
    # PROTECT: a KPI that has reported values cannot vanish in a plan amendment.
    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="values")
    value = models.DecimalField(max_digits=14, decimal_places=2)
    weight = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=1,
        help_text=_(
            "For percentages and ratings: how many people or items the "
            "value stands for, so that means are weighted"
        ),
    )
    evidence = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "kpi"], name="kpi_value_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="kpi_value_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0), name="kpi_value_weight_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contribution} KPI {self.kpi.letter} = {self.value}"


class ActivityStatus(models.Model):
    """How one activity stands, as one contribution reports it."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        ONGOING = "ongoing", _("Ongoing")
        COMPLETED = "completed", _("Completed")
        DELAYED = "delayed", _("Delayed")
        CANCELLED = "cancelled", _("Cancelled")

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="activity_statuses"
    )
    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="statuses"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    comment = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "activity statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "activity"], name="activity_status_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contribution} activity {self.activity.number}: {self.status}"


class Transition(models.Model):
    """A change of a contribution's state: who, when, why (a row per transition)."""

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=10)
    to_state = models.CharField(max_length=10)
    name = models.CharField(max_length=20)  # submit, accept, return, amend
    by = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["contribution", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.contribution}: {self.name} by {self.by}"


class AmendmentRequest(models.Model):
    """A change asked for after the period was locked; the driver decides."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="amendments"
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING
    )
    # {"values": {"<kpi id>": {"value": "12", "evidence": "..."}},
    #  "statuses": {"<activity id>": {...}}, "narrative": "..."}
    proposed = models.JSONField()
    reason = models.TextField()
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Amendment of {self.contribution} ({self.state})"


class JointActionDay(models.Model):
    """A dated, coordinated operation linked to OAs (an EMPACT Action Day / JAD)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="jads")
    name = models.CharField(max_length=200)
    starts = models.DateField()
    ends = models.DateField()
    actions = models.ManyToManyField(Action, related_name="jads")
    lead = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="led_jads"
    )
    participants = models.ManyToManyField(Organisation, related_name="jads", blank=True)

    class Meta:
        ordering = ["plan", "starts", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gte=models.F("starts")),
                name="jad_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts:%d %b %Y})"


class JADMeasure(models.TextChoices):
    """What a JAD result counts; each may be mapped to a KPI of a linked OA."""

    ARRESTS = "arrests", _("Arrests")
    OCGS_DISRUPTED = "ocgs_disrupted", _("OCGs disrupted")
    SEIZURES = "seizures", _("Seizures")
    MIGRANTS_DETECTED = "migrants_detected", _("Irregular migrants detected")
    FALSE_DOCUMENTS = "false_documents", _("False documents detected")


class JADResult(models.Model):
    """One organisation's result in one JAD, for one measure (seizures by kind)."""

    jad = models.ForeignKey(
        JointActionDay, on_delete=models.CASCADE, related_name="results"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="jad_results"
    )
    measure = models.CharField(max_length=20, choices=JADMeasure.choices)
    seizure_kind = models.CharField(
        max_length=60, blank=True, help_text=_("For seizures: cash, vehicles, ...")
    )
    value = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["jad", "organisation", "measure", "seizure_kind"],
                name="jad_result_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.jad}: {self.organisation.code} {self.measure} {self.value}"


class JADMapping(models.Model):
    """The declared mapping: a KPI counts one JAD measure of the JADs of its OA.

    One mapping per KPI, so a JAD result reaches a KPI at most once however many
    of the JAD's OAs it is linked through.
    """

    kpi = models.OneToOneField(
        KPI, on_delete=models.CASCADE, related_name="jad_mapping"
    )
    measure = models.CharField(max_length=20, choices=JADMeasure.choices)
    seizure_kind = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return f"{self.kpi} ← JAD {self.measure}"
