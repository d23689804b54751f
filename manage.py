#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if sys.argv[1:2] == ["makemigrations"] and not os.environ.get("DJANGO_SECRET_KEY"):
        # Writing or checking migrations reads only the models: it signs nothing and serves
        # nothing, so it runs with the development settings instead of asking for a secret.
        os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    # Django would swallow a refusal of the settings (no secret key in production) and fail
    # later with an unrelated error; say the real reason instead.
    try:
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as exc:
        sys.exit(f"manage.py: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
