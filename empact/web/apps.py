from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "empact.web"
    label = "web"
