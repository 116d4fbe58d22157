from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "empact.reports"
    label = "reports"
