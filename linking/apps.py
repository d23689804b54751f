from django.apps import AppConfig


class LinkingConfig(AppConfig):
    name = "linking"
    verbose_name = "Customer linking"

    def ready(self) -> None:
        # Connects the history signal that names the API key in the rows its calls write.
        from linking.api import auth, schema  # noqa: F401  (and the key in the schema)
