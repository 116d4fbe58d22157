from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "empact.plans"
    label = "plans"
