"""Test settings: the production settings with speed and isolation overrides only."""

import os

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-for-the-test-suite-only-0123456789")
# In the environment, so the worker processes the tests start decrypt what the tests stored.
os.environ.setdefault(
    "PORTAL_ENCRYPTION_KEYS",
    "dGVzdC1zdWl0ZS1vbmx5LWVuY3J5cHRpb24ta2V5ISE=",  # test key only
)

from portal.settings import *  # noqa: F403
from portal.settings import CACHES, DATABASES, INSTALLED_APPS, VAR_DIR

DEBUG = False
# The suite tests the benchmark commands too (tests/bench/); production never installs them.
if "portal.bench" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "portal.bench"]
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

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Test data need no durability: a commit does not wait for its WAL to reach the disk.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the browser and worker tests reach the database from other threads.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}

# The test Redis may be shared: the cache keys of the tests carry their own prefix, and an autouse
# fixture (tests/conftest.py) deletes them between tests so counters never leak across tests.
# Each pytest-xdist worker has a prefix of its own (and pytest-django gives it a database of its
# own), so workers never delete or count each other's keys.
TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
CACHES["default"]["KEY_PREFIX"] = f"portal-test-{TEST_WORKER}" if TEST_WORKER else "portal-test"
# Generous rates, so tests that open a consent page often are not throttled by accident; the
# rate-limit tests set the rates they exercise.
PORTAL_CONSENT_RATE_PER_ADDRESS = "1000/600"
PORTAL_CONSENT_RATE_PER_LINK = "1000/600"
# Many tests travel days ahead in time with a signed-in client; the idle timeout's own tests
# set the idle time they exercise.
PORTAL_SESSION_IDLE_MINUTES = 60 * 24 * 365

# Cloud calls the sandbox fails are retried as often, after shorter pauses; the tests of the
# retries themselves (tests/cloud/test_provider_retry.py, test_provider_failures.py) build their
# connection settings with the production pauses.
PORTAL_CLOUD_RETRY_BASE_DELAY_MS = 10

# The test OpenID provider listens on plain http on loopback.
PORTAL_SSO_ALLOW_HTTP = True
# Passkeys in the browser tests: the live server answers on http://localhost:<port>, which the
# browser tests set as the origin; an IP address cannot be a relying party.
OTP_WEBAUTHN_RP_ID = "localhost"
OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost"]
# Journeys confirm many decisions of one customer with e-mailed codes; the rate tests set theirs.
PORTAL_CUSTOMER_CODE_RATE_PER_ADDRESS = "1000/600"
