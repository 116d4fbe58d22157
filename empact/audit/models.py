from django.db import IntegrityError, models
from django.utils.translation import gettext_lazy as _

APPEND_ONLY = "audit log is append-only"


class AuditLogIsAppendOnly(IntegrityError):
    """Raised on any attempt to change or delete an audit entry through the ORM; the
    database triggers raise IntegrityError with the same message for the rest."""


class AuditEntry(models.Model):
    """One access to or change of data, as the Law Enforcement Directive (Art. 25)
    asks to log it: who (copied, never a foreign key, so erasing a user does not
    rewrite history), when (UTC), what operation on which object, why, and with
    what outcome. Entries form a hash chain (chain.py); the database refuses
    UPDATE and DELETE on this table (migration 0002). Write through log.record().
    """

    class Operation(models.TextChoices):
        COLLECTION = "collection", _("Collection")
        ALTERATION = "alteration", _("Alteration")
        CONSULTATION = "consultation", _("Consultation")
        DISCLOSURE = "disclosure", _("Disclosure")
        COMBINATION = "combination", _("Combination")
        ERASURE = "erasure", _("Erasure")
        SECURITY = "security", _("Security event")

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        DENIED = "denied", _("Denied")

    seq = models.PositiveBigIntegerField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=200, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    organisation = models.CharField(max_length=20, blank=True, db_index=True)
    operation = models.CharField(max_length=12, choices=Operation.choices)
    action = models.CharField(max_length=100, db_index=True)
    outcome = models.CharField(max_length=7, choices=Outcome.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    justification = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # for last_change(): the latest entry of one operation, read from the index
            models.Index(fields=["operation", "seq"], name="audit_operation_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly(APPEND_ONLY)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly(APPEND_ONLY)
