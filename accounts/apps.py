from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and resellers"

    def ready(self) -> None:
        from simple_history import register

        from accounts.models import User

        register(User, app=self.label, excluded_fields=["last_login", "password"])
