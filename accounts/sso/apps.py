from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "accounts.sso"
    # The label its tables, migrations and permissions were made with.
    label = "sso"
    verbose_name = "Single sign-on"
