"""Test settings: the production settings with speed and isolation overrides only."""

import os

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-for-the-test-suite-only-0123456789")
# In the environment, so the worker processes the tests start decrypt what the tests stored.
os.environ.setdefault(
    "PORTAL_ENCRYPTION_KEYS",
    "dGVzdC1zdWl0ZS1vbmx5LWVuY3J5cHRpb24ta2V5ISE=",  # test key only
)

from portal.settings import *  # noqa: E402,F403
from portal.settings import CACHES, DATABASES, VAR_DIR  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["*"]
PORTAL_BASE_URL = "http://testserver"

# Unit tests never publish to a broker: tasks are called directly or by a real worker in the
# tests that start one against REDIS_URL.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}

# The test database file and the static root live under VAR_DIR; a fresh checkout has neither.
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the browser and worker tests reach the database from other threads.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}

# The test Redis may be shared: the cache keys of the tests carry their own prefix, and an autouse
# fixture (tests/conftest.py) deletes them between tests so counters never leak across tests.
CACHES["default"]["KEY_PREFIX"] = "portal-test"
# Generous rates, so tests that open a consent page often are not throttled by accident; the
# rate-limit tests set the rates they exercise.
PORTAL_CONSENT_RATE_PER_ADDRESS = "1000/600"
PORTAL_CONSENT_RATE_PER_LINK = "1000/600"
