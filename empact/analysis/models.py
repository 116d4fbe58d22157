"""The analysis project's records: datasets, cross-match runs, hits and releases.

The entities themselves are not here: each dataset's statements live in one Parquet
file in the analysis store (empact/analysis/store.py), where the engine reads them.
These rows say who contributed what, under which handling code, until when it may
be kept, and where one contributor's data met another's.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from empact.organisations.models import Organisation


class Handling(models.TextChoices):
    """DESIGN.md section 6: the most restrictive code of any source wins."""

    H0 = "H0", _("H0: law-enforcement use within the platform")
    H1 = "H1", _("H1: not evidence in court without the provider's consent")
    H2 = "H2", _("H2: not to be disseminated without the provider's permission")
    H3 = "H3", _("H3: other restrictions written by the provider")


class Dataset(models.Model):
    """One imported file of one contributor (all or nothing; re-importing the same
    bytes with the same provenance changes nothing)."""

    class Role(models.TextChoices):
        SUSPECT = "suspect", _("Suspects")
        VICTIM = "victim", _("Victims")
        WITNESS = "witness", _("Witnesses")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=80, unique=True)
    contributor = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="analysis_datasets"
    )
    origin = models.CharField(max_length=255, help_text=_("file name as imported"))
    sha256 = models.CharField(max_length=64)
    handling = models.CharField(max_length=2, choices=Handling.choices)
    restrictions = models.TextField(
        blank=True, help_text=_("the provider's own restrictions (H3)")
    )
    source_code = models.CharField(max_length=1, default="X")
    info_code = models.PositiveSmallIntegerField(default=4)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.OTHER)
    collected_on = models.DateField()
    review_date = models.DateField()
    purpose = models.CharField(
        max_length=200, help_text=_("the case or OA the data was contributed for")
    )
    entities = models.PositiveIntegerField(default=0)
    statements = models.PositiveIntegerField(default=0)
    imported_by = models.CharField(max_length=150)
    imported_at = models.DateTimeField(auto_now_add=True)
    kept_reason = models.TextField(blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-imported_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source_code__in=["A", "B", "C", "X"]),
                name="dataset_source_code_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(info_code__in=[1, 2, 3, 4]),
                name="dataset_info_code_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"dataset {self.name} ({self.contributor.code})"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class PersonModel(models.Model):
    """A trained person-matching model (engine.linkage.TrainedModel): the prior and
    the m and u of every comparison level, statistics of the whole population with
    no value of anyone's in them. A full run stores the model it trains; later
    runs score with it while it fits (the same comparisons, a population within
    linkage.MODEL_DRIFT of its size), so that a pair keeps its score from run to
    run and a run skips most of its time. Erasing any dataset discards them all:
    they were learnt from its data too."""

    trained_at = models.DateTimeField(auto_now_add=True)
    persons = models.PositiveIntegerField(help_text=_("persons it was trained on"))
    fingerprint = models.CharField(max_length=16)
    parameters = models.JSONField()

    class Meta:
        ordering = ["-trained_at", "-pk"]

    def __str__(self) -> str:
        return f"person model {self.pk} ({self.persons} persons)"


class Run(models.Model):
    """One cross-match over every dataset held when it executes.

    Queued by an analyst, claimed and executed by `empact worker`
    (empact/analysis/runs.py); a run from the command line is claimed at once by
    the command itself. `finished_at` is set only when its hits were saved: the
    hits of the last finished run are the current ones. A failed run saved
    nothing, so the previous hits stay.
    """

    class Kind(models.TextChoices):
        DETERMINISTIC = "deterministic", _("Shared identifiers only")
        FULL = "full", _("Shared identifiers and probable person matches")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # What was asked for: persons matched too (full) or shared identifiers only.
    kind = models.CharField(max_length=14, choices=Kind.choices)
    status = models.CharField(
        max_length=7, choices=Status.choices, default=Status.QUEUED
    )
    queued_by = models.CharField(max_length=150)
    queued_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Claims so far: a run taken back from a worker that stopped is claimed again.
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(
        blank=True, help_text=_("why the run failed, for the person who queued it")
    )
    datasets = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    # least match probability of the person matches a full run reported
    threshold = models.FloatField(null=True, blank=True)
    note = models.CharField(
        max_length=255, blank=True, help_text=_("what the run left out, and why")
    )
    # Asked for: train a person model afresh rather than score with the stored one.
    retrain = models.BooleanField(default=False)
    # The model that scored the run's person matches, and whether the run trained it.
    model = models.ForeignKey(
        PersonModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_trained = models.BooleanField(default=False)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["status", "queued_at"], name="run_queue")]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.kind})"

    @property
    def ended_at(self):
        return self.finished_at or self.failed_at


class Hit(models.Model):
    """Two entities of different contributors that match: each side learns that
    the other exists and whom to ask, nothing more until a release."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="hits")
    left_dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="+"
    )
    left_entity = models.CharField(max_length=128)
    right_dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="+"
    )
    right_entity = models.CharField(max_length=128)
    score = models.FloatField()
    reason = models.CharField(max_length=255)
    # A derived result carries the most restrictive code of its sources (DESIGN §6).
    handling = models.CharField(max_length=2, choices=Handling.choices)

    class Meta:
        ordering = ["-score", "pk"]
        indexes = [
            models.Index(fields=["left_dataset"]),
            models.Index(fields=["right_dataset"]),
        ]

    def __str__(self) -> str:
        return f"hit {self.pk}"

    def side_of(self, organisation_id: int) -> tuple[Dataset, str, Dataset, str]:
        """(own dataset, own entity, other dataset, other entity) for a contributor."""
        if self.left_dataset.contributor_id == organisation_id:
            return (
                self.left_dataset,
                self.left_entity,
                self.right_dataset,
                self.right_entity,
            )
        return (
            self.right_dataset,
            self.right_entity,
            self.left_dataset,
            self.left_entity,
        )


class Release(models.Model):
    """A contributor asks the provider of an entity it hit to release its content."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        RELEASED = "released", _("Released")
        REFUSED = "refused", _("Refused")

    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="releases"
    )
    entity = models.CharField(max_length=128)
    requester = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    why = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "entity", "requester"], name="release_once"
            )
        ]

    def __str__(self) -> str:
        return f"release of {self.entity} to {self.requester.code}"
