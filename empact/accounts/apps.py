from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "empact.accounts"
    label = "accounts"

    def ready(self):
        # Connects the receivers that write every sign-in event to the audit log.
        from empact.accounts.auth import receivers  # noqa: F401
