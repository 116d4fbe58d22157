from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "empact.analysis"
    label = "analysis"
    verbose_name = "Analysis project"
