"""Settings of the sandbox cloud process, read only from environment variables.

SANDBOX_DATABASE_URL   its own database (default: a SQLite file sandbox.sqlite3 in the var dir)
SANDBOX_CONTROL_TOKEN  bearer token of the control API under /_sandbox/ (development default)
SANDBOX_SECRET_KEY     signs the console's session cookie (development default)
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))

DEVELOPMENT_TOKEN = "sandbox-development-token"  # noqa: S105 - documented development default
SANDBOX_CONTROL_TOKEN = os.environ.get("SANDBOX_CONTROL_TOKEN") or DEVELOPMENT_TOKEN
SECRET_KEY = os.environ.get("SANDBOX_SECRET_KEY") or "sandbox-development-only-secret-key"
DEBUG = os.environ.get("SANDBOX_DEBUG") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.messages",
    "linking.cloud.sandbox.apps.SandboxConfig",
]
MIDDLEWARE = [
    "linking.cloud.sandbox.middleware.request_id",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The console speaks the portal's languages, chosen by the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "linking.cloud.sandbox.urls"
APPEND_SLASH = False
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csrf",
                "django.contrib.messages.context_processors.messages",
                "linking.cloud.sandbox.console_views.current_account",
            ]
        },
    }
]

_default_db = f"sqlite:///{VAR_DIR / 'sandbox.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("SANDBOX_DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads answer at once: wait for the write lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_NAME = "sandbox_session"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_NAME = "sandbox_csrftoken"
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
# The console's words are in the portal's catalogue.
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # Refused API calls are the sandbox's normal business, not warnings.
    "loggers": {"django.request": {"level": "ERROR"}},
}
