from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "linking.cloud.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox cloud"
    default_auto_field = "django.db.models.BigAutoField"
