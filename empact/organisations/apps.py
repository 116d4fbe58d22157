from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "empact.organisations"
    label = "organisations"
