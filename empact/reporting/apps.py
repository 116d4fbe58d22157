from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "empact.reporting"
    label = "reporting"
