from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "empact.audit"
    label = "audit"
    verbose_name = "Audit log"
