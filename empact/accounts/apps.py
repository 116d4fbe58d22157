from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "empact.accounts"
    label = "accounts"
