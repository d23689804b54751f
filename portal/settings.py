"""Settings of the partner portal, read only from environment variables.

Every value has a safe development default except the secret key, which production must provide.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django_guid.integrations import CeleryIntegration

from portal.env import (
    behind_proxy,
    env_bool,
    env_choices,
    env_int,
    env_list,
    env_str,
    metrics_multiprocess,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR") or BASE_DIR / "var")


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production refuses to start without a secret; "
            "for development set DJANGO_DEBUG=1 (make run does)."
        )
    SECRET_KEY = "development-only-insecure-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "simple_history",
    "django_htmx",
    "bootstrap",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_guid",
    # Second factors (accounts.mfa): authenticator apps, recovery codes, passkeys and keys.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "portal",
    "accounts",
    "linking",
    "accounts.sso",
]
# The benchmark tooling (scale data, bench_* commands, floor views) is for development and the
# benchmark settings (portal.bench.settings) only: production never installs it.
if DEBUG:
    INSTALLED_APPS.append("portal.bench")

MIDDLEWARE = [
    # First: a request id for every log line of the request (X-Request-ID only from the proxy),
    # then the request metrics around everything else.
    "portal.middleware.TrustedRequestIdMiddleware",
    "django_guid.middleware.guid_middleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the person's choice, else the browser's Accept-Language, else English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "portal.middleware.RefuseUnstorableInputMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After authentication: the operator's or customer contact's stored language wins.
    "portal.languages.PreferredLanguageMiddleware",
    # After the login check: a signed-in person with a second factor (or whose role needs one)
    # reaches the portal's pages, and the admin, only once the factor is entered.
    "accounts.mfa_middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends an idle session before any view runs (the login check then asks to log in) and
    # says why in a message.
    "accounts.sessions.SessionActivityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Inside the header middlewares: the page it makes gets the CSP and frame headers.
    "portal.middleware.NotAllowedPageMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the view into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Inside every other: the user and reseller of the request, for its log lines.
    "portal.logconfig.RequestLogContextMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.reseller",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# The embedded default is a SQLite file under var/; DATABASE_URL (PostgreSQL) is production.
DATABASE_URL = env_str("DATABASE_URL")
DATABASES: dict[str, dict[str, Any]]
if DATABASE_URL:
    DATABASES = {"default": dict(dj_database_url.parse(DATABASE_URL, conn_max_age=60))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "portal.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that cannot be reached fails a request (and /readyz) in seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("PORTAL_DB_CONNECT_TIMEOUT", 5)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: IMMEDIATE avoids "database is locked" on lock upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username and address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # guardian's backend, but a customer account's link grant holds only while the link is live.
    "linking.permissions.LiveLinkObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# guardian looks for its own backend by name; linking.permissions subclasses it.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
# Nothing in the portal is public through guardian: no anonymous user row.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

SIMPLE_HISTORY_REVERT_DISABLED = True
# Seeing history needs view_historical<model>, apart from the model's own permissions: auditors
# hold it (accounts.signals), staff as superusers.
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The languages of the portal's pages, e-mails and receipts; translations live in portal/locale.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = env_str("PORTAL_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# One date and time format for every page, row, e-mail and admin page (portal/formats/en).
FORMAT_MODULE_PATH = ["portal.formats"]

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail ---------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Partner Portal <no-reply@portal.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_SMTP_HOST = env_str("EMAIL_HOST")
EMAIL_HOST = _SMTP_HOST or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Without an SMTP host configured, development writes every message under var/mail/.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "portal.mail.DirectoryEmailBackend"
    if DEBUG and not _SMTP_HOST
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# A Redis that accepts connections but never answers (paused, wedged, failing over) must not hold
# a page: every command to it waits at most this long, as broker and as cache.
PORTAL_REDIS_TIMEOUT = env_int("PORTAL_REDIS_TIMEOUT_MS", 500) / 1000
CELERY_FS_DIR = VAR_DIR / "celery"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any]
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A message not acknowledged within this many seconds (its worker died) is delivered again;
    # every worker sharing the Redis must use the same value, and retries stay well below it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("PORTAL_BROKER_VISIBILITY_TIMEOUT", 3600),
        "socket_timeout": PORTAL_REDIS_TIMEOUT,
        "socket_connect_timeout": PORTAL_REDIS_TIMEOUT,
        "max_retries": 3,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
else:
    # The filesystem transport ignores the host, but kombu warns on every connection when the
    # URL names none ("No hostname was supplied"): name the one it would assume.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FS_DIR / "queue"),
        "data_folder_out": str(CELERY_FS_DIR / "queue"),
        "processed_folder": str(CELERY_FS_DIR / "processed"),
        "control_folder": str(CELERY_FS_DIR / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish is tried once: a retry would double the wait of a page on a hung broker, and what
# was not published is owed in the database, where the beat sweeps find it (portal/publish.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# With Redis, beat keeps its schedule there under a lock (RedBeat): start as many beats as you
# like, one publishes and the others wait to take over. Without Redis, one beat with a file.
if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_REDBEAT_KEY_PREFIX = env_str("PORTAL_REDBEAT_KEY_PREFIX", "portal:redbeat")
    # A beat that died holds the lock this long; a waiting beat looks every max interval.
    CELERY_REDBEAT_LOCK_TIMEOUT = env_int("PORTAL_REDBEAT_LOCK_SECONDS", 30)
    CELERY_BEAT_MAX_LOOP_INTERVAL = 5
# How often every connected reseller's associated customers are read from the cloud, and
# after how long a fact the cloud confirmed reads "may be out of date" (linking.provenance).
PORTAL_CLOUD_SYNC_MINUTES = max(1, env_int("PORTAL_CLOUD_SYNC_MINUTES", 60))
PORTAL_CLOUD_FACTS_STALE_HOURS = max(1, env_int("PORTAL_CLOUD_FACTS_STALE_HOURS", 24))
# How often what each live link reaches in the cloud is read again (linking.services.scope).
PORTAL_SCOPE_REFRESH_MINUTES = max(5, env_int("PORTAL_SCOPE_REFRESH_MINUTES", 360))
CELERY_BEAT_SCHEDULE = {
    "session-cleanup": {
        "task": "linking.tasks.session_cleanup_task",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    "outbox-sweep": {
        "task": "linking.tasks.notification_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "request-expire-sweep": {
        "task": "linking.tasks.link_request_expire_sweep_task",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "reminder-sweep": {
        "task": "linking.tasks.reminder_sweep_task",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "link-expiry-sweep": {
        "task": "linking.tasks.link_expire_sweep_task",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "link-expiry-reminder-sweep": {
        "task": "linking.tasks.link_expiry_remind_sweep_task",
        "schedule": 900.0,
        "options": {"expires": 890},
    },
    "link-activate-sweep": {
        "task": "linking.tasks.link_activate_sweep_task",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "cloud-sync": {
        "task": "linking.cloud.tasks.cloud_sync_sweep_task",
        "schedule": PORTAL_CLOUD_SYNC_MINUTES * 60.0,
        "options": {"expires": PORTAL_CLOUD_SYNC_MINUTES * 60 - 10},
    },
    "webhook-sweep": {
        "task": "linking.webhooks.tasks.webhook_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "link-setup-sweep": {
        "task": "linking.tasks.link_setup_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "link-cleanup-sweep": {
        "task": "linking.tasks.link_cleanup_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "link-reverify-sweep": {
        "task": "linking.tasks.link_reverify_sweep_task",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "link-scope-sweep": {
        "task": "linking.tasks.link_scope_sweep_task",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "idempotency-purge": {
        "task": "linking.tasks.idempotency_purge_task",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
}

# --- Sessions, cookies, security ------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, with the person, browser, address and last use of each, so people
# can see and end their sessions (accounts.sessions).
SESSION_ENGINE = "accounts.sessions"
# An operator's session ends after this many minutes without a request (the customer centre
# has PORTAL_CUSTOMER_IDLE_MINUTES).
PORTAL_SESSION_IDLE_MINUTES = max(1, env_int("PORTAL_SESSION_IDLE_MINUTES", 30))
# How long a reseller's invitation link stays valid.
PORTAL_INVITATION_DAYS = max(1, env_int("PORTAL_INVITATION_DAYS", 7))
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy the client's address is the last X-Forwarded-For entry (the one
# the proxy appended); the lockout and the rate limits count by it.
PORTAL_BEHIND_PROXY = behind_proxy()
if not DEBUG:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # The probes and the scraper call the process directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if PORTAL_BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: nothing inline, nothing from another origin. htmx is told not to
# inject its indicator <style> (a meta tag in base.html), the portal's JS is static/portal/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Cache, login lockout, rate limits, step-up ---------------------------------------------
# The cache holds the rate-limit counters. With REDIS_URL every web process shares them; the
# embedded default is one process, so a per-process memory cache counts correctly there.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("PORTAL_CACHE_PREFIX", "portal"),
            # A dead Redis must not hold a page for long: the rate limit is skipped instead.
            "OPTIONS": {
                "socket_timeout": PORTAL_REDIS_TIMEOUT,
                "socket_connect_timeout": PORTAL_REDIS_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Login lockout (django-axes): failures are counted per user name *and* client address, so an
# attacker elsewhere cannot lock a reseller's staff out of the portal by guessing at their name;
# a correct password clears the count. The attempts live in the database, shared by every
# process. A wrong password at the step-up page counts like a failed login.
AXES_ENABLED = env_bool("PORTAL_LOGIN_LOCKOUT", True)
AXES_FAILURE_LIMIT = env_int("PORTAL_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PORTAL_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "portal.security.client_ip_for_axes"
AXES_USERNAME_CALLABLE = "portal.security.username_for_axes"
AXES_USERNAME_FORM_FIELD = "username"
# Not in the admin (auditors read every registered model, and the attempts hold addresses);
# platform staff lift a lockout with `manage.py axes_reset_username <name>`.
AXES_ENABLE_ADMIN = False
# Axes records the query string and form of failed attempts; passwords are masked by axes.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password"]

# Consent, withdrawal and receipt pages (no login, a token in the address): requests per client
# address and per link (token). Rates are "<count>/<seconds>".
PORTAL_CONSENT_RATE_PER_ADDRESS = env_str("PORTAL_CONSENT_RATE_PER_ADDRESS", "60/600")
PORTAL_CONSENT_RATE_PER_LINK = env_str("PORTAL_CONSENT_RATE_PER_LINK", "30/600")
# The customer centre's sign-in codes: requests for a code per contact address and per client
# address ("<count>/<seconds>"); how long a signed-in customer may stay idle. Wrong codes count
# toward the same lockout as operators' passwords (PORTAL_LOGIN_FAILURE_LIMIT, ..._COOLOFF_...).
PORTAL_CUSTOMER_CODE_RATE_PER_ADDRESS = env_str("PORTAL_CUSTOMER_CODE_RATE_PER_ADDRESS", "3/600")
PORTAL_CUSTOMER_CODE_RATE_PER_CLIENT = env_str("PORTAL_CUSTOMER_CODE_RATE_PER_CLIENT", "20/600")
PORTAL_CUSTOMER_IDLE_MINUTES = env_int("PORTAL_CUSTOMER_IDLE_MINUTES", 15)
# Which decisions taken from an e-mailed link ask for a code sent to the account's contact
# address at that moment: "manage" (accepting manage access), "sensitive" (accepting a
# sensitive service), "withdraw" (ending a link). A comma list; empty or "none" for none.
CONSENT_CODE_CHOICES = ("manage", "sensitive", "withdraw")
PORTAL_CONSENT_CODE_FOR = env_choices(
    "PORTAL_CONSENT_CODE_FOR", CONSENT_CODE_CHOICES, list(CONSENT_CODE_CHOICES)
)
# Sensitive actions ask for the password again when it was entered longer ago than this.
PORTAL_STEP_UP_MINUTES = env_int("PORTAL_STEP_UP_MINUTES", 5)

# Single sign-on through a reseller's OpenID provider (docs/sso.md): every call to a provider
# waits at most this many seconds; its signing keys are kept this long; plain http issuers are
# refused unless allowed (development and tests on loopback only).
PORTAL_SSO_HTTP_TIMEOUT = env_int("PORTAL_SSO_HTTP_TIMEOUT", 5)
PORTAL_SSO_JWKS_CACHE_SECONDS = env_int("PORTAL_SSO_JWKS_CACHE_SECONDS", 300)
PORTAL_SSO_ALLOW_HTTP = env_bool("PORTAL_SSO_ALLOW_HTTP", DEBUG)
# A sign-in started at the provider must come back within this many minutes.
PORTAL_SSO_FLOW_MINUTES = env_int("PORTAL_SSO_FLOW_MINUTES", 10)
# --- Second factors (accounts.mfa, docs/mfa.md) -----------------------------------------------
# Always on: not an environment variable, so no deployment can turn the requirement off. Only
# tests of what people without a factor see (the password step-up) switch it off.
PORTAL_MFA_ENFORCE = True
# The name people see in their authenticator app and passkey prompt.
PORTAL_MFA_ISSUER = env_str("PORTAL_MFA_ISSUER", "Partner Portal")
OTP_TOTP_ISSUER = PORTAL_MFA_ISSUER
# How many recovery codes a new set has (each is single use).
PORTAL_MFA_RECOVERY_CODES = env_int("PORTAL_MFA_RECOVERY_CODES", 10)
# A session without a factor whose holder needs none is asked again after this long, so a raised
# role or a reseller's new rule reaches signed-in people without a query on every page.
PORTAL_MFA_RECHECK_SECONDS = env_int("PORTAL_MFA_RECHECK_SECONDS", 60)
# WebAuthn (passkeys, security keys): the relying party is the portal's host name; a passkey
# works only on that host and its subdomains, so changing it means every passkey is enrolled
# again. The origins are those the browser reports (scheme, host and port of PORTAL_BASE_URL).
_BASE = urlsplit(PORTAL_BASE_URL)
OTP_WEBAUTHN_RP_ID = env_str("PORTAL_WEBAUTHN_RP_ID", _BASE.hostname or "localhost")
OTP_WEBAUTHN_RP_NAME = PORTAL_MFA_ISSUER
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "PORTAL_WEBAUTHN_ORIGINS", [f"{_BASE.scheme}://{_BASE.netloc}"]
)
# Every sign-in starts with the password (counted by the lockout); a passkey is the second step.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# --- The API (/api/v1/) -------------------------------------------------------------------
# Calls per API key: "<count>/<seconds>", counted in the cache (Redis); over it, 429.
PORTAL_API_RATE = env_str("PORTAL_API_RATE", "120/60")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["linking.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "linking.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Partner Portal API",
    "DESCRIPTION": "Link customer accounts from a script: the portal's requests, approvals, "
    "links and customers. Errors carry the portal's codes (see /api/v1/codes/).",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Portal ---------------------------------------------------------------------------------
PORTAL_PAGE_SIZE = env_int("PORTAL_PAGE_SIZE", 25)
# The longest a customer may be given to decide, resends included.
PORTAL_CONSENT_DAYS_MAX = 30
# A delivery claimed longer ago than this is taken to have died with its worker and is retried
# by the next outbox sweep. No live delivery outlasts the task's hard time limit, so a little
# more than that loses nothing and recovers a dead worker's e-mails within about three minutes.
PORTAL_OUTBOX_CLAIM_SECONDS = env_int("PORTAL_OUTBOX_CLAIM_SECONDS", CELERY_TASK_TIME_LIMIT + 30)
# A temporary delivery failure is retried after this many seconds, doubling up to the maximum.
PORTAL_OUTBOX_RETRY_SECONDS = env_int("PORTAL_OUTBOX_RETRY_SECONDS", 30)
PORTAL_OUTBOX_RETRY_MAX_SECONDS = env_int("PORTAL_OUTBOX_RETRY_MAX_SECONDS", 600)
# Resending the consent e-mail: at least this many minutes apart, at most this many times.
PORTAL_SWEEP_BATCH = env_int("PORTAL_SWEEP_BATCH", 2000)
PORTAL_VERIFY_ATTEMPTS = env_int("PORTAL_VERIFY_ATTEMPTS", 5)
# Days the customer has for the cloud-side setup of an accepted link before it ends unset.
PORTAL_SETUP_WINDOW_DAYS = env_int("PORTAL_SETUP_WINDOW_DAYS", 14)
# Days the customer has to remove the cloud side of an ended link before it shows "still
# reachable" to the auditors and the reseller's admins are told.
PORTAL_CLEANUP_WINDOW_DAYS = env_int("PORTAL_CLEANUP_WINDOW_DAYS", 14)
# Every active link is re-verified in the cloud once per this many hours, at a moment of the
# period fixed by its id (linking.services.drift), so the calls spread evenly over the day.
PORTAL_REVERIFY_HOURS = max(1, env_int("PORTAL_REVERIFY_HOURS", 24))
PORTAL_RESEND_COOLDOWN_MINUTES = env_int("PORTAL_RESEND_COOLDOWN_MINUTES", 15)
PORTAL_RESEND_MAX = env_int("PORTAL_RESEND_MAX", 5)
# Uploaded tables (batch linking, directory import): larger files are refused before parsing.
PORTAL_BATCH_MAX_BYTES = env_int("PORTAL_BATCH_MAX_BYTES", 5 * 1024 * 1024)
PORTAL_BATCH_MAX_ROWS = env_int("PORTAL_BATCH_MAX_ROWS", 10_000)

# --- Cloud connections -----------------------------------------------------------------------
# Fernet keys (url-safe base64 of 32 bytes, comma-separated) that encrypt the stored access keys
# of the resellers' cloud connections: the first key encrypts, every key decrypts, so a new key
# goes first and an old one is removed after `manage.py reencrypt_secrets`. Production has no
# default: without keys no connection can be saved (LNK-N007) and `check --deploy` fails.
PORTAL_ENCRYPTION_KEYS = env_list("PORTAL_ENCRYPTION_KEYS", [])
if not PORTAL_ENCRYPTION_KEYS and DEBUG:
    PORTAL_ENCRYPTION_KEYS = ["ZGV2ZWxvcG1lbnQtb25seS1lbmNyeXB0aW9uLWtleSE="]  # development only
# The sandbox cloud of `make run`; in development a new connection's endpoints default to it.
SANDBOX_URL = env_str("SANDBOX_URL", "").rstrip("/")

# --- Webhooks ---------------------------------------------------------------------------------
# Networks (CIDR, comma-separated) a webhook may be delivered to although they are not public
# addresses: an in-house receiver on a private network, the loopback receiver of the tests.
# Empty in production: only public addresses are ever called (linking/webhooks/addresses.py).
PORTAL_WEBHOOK_ALLOWED_NETWORKS = env_list("PORTAL_WEBHOOK_ALLOWED_NETWORKS", [])
# A failed delivery is retried after this many seconds, doubling up to the maximum, for the
# window; an endpoint whose deliveries fail for the whole window is disabled.
PORTAL_WEBHOOK_RETRY_SECONDS = env_int("PORTAL_WEBHOOK_RETRY_SECONDS", 30)
PORTAL_WEBHOOK_RETRY_MAX_SECONDS = env_int("PORTAL_WEBHOOK_RETRY_MAX_SECONDS", 3600)
PORTAL_WEBHOOK_RETRY_WINDOW_HOURS = env_int("PORTAL_WEBHOOK_RETRY_WINDOW_HOURS", 72)
# Seconds to connect to a receiver and to wait for its answer: a slow receiver holds a worker.
PORTAL_WEBHOOK_CONNECT_TIMEOUT = env_int("PORTAL_WEBHOOK_CONNECT_TIMEOUT", 3)
PORTAL_WEBHOOK_READ_TIMEOUT = env_int("PORTAL_WEBHOOK_READ_TIMEOUT", 10)

# Consent, withdrawal and receipt links carry a token in their path: every record of every
# logger is redacted where it is made (portal/logconfig.py), and each handler filters it again.
# One JSON object per line in production (time, level, logger, message, request id, user,
# reseller, task id); plain text in development. PORTAL_LOG_FORMAT=json|plain overrides.
PORTAL_LOG_FORMAT = env_str("PORTAL_LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING_CONFIG = "portal.logconfig.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "portal.logconfig.JsonFormatter"},
    },
    "filters": {
        "redact_tokens": {"()": "portal.logconfig.RedactTokensFilter"},
        "context": {"()": "portal.logconfig.ContextFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if PORTAL_LOG_FORMAT == "json" else "plain",
            "filters": ["redact_tokens", "context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("PORTAL_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Failures and lockouts are warnings; every successful login at INFO is noise.
        "axes": {"level": "WARNING"},
        # "a request id was generated" for every request is noise too.
        "django_guid": {"level": "WARNING"},
        # The cloud SDK's loggers do not propagate: each is given the handler by name. At INFO
        # they write one line per call (method, address, status, request id).
        **{
            name: {"handlers": ["console"], "level": "WARNING", "propagate": False}
            for name in (
                "HuaweiCloud-SDK-BssintlClient",
                "HuaweiCloud-SDK-IamClient",
                "HuaweiCloud-SDK-EcsClient",
            )
        },
    },
}

# --- Request ids --------------------------------------------------------------------------------
# Every request has an id (django-guid): taken from X-Request-ID only behind the portal's proxy
# (portal.middleware.TrustedRequestIdMiddleware drops it otherwise), returned in the response,
# carried into every task the request publishes and into the outbox rows it writes.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    # Workers and beat keep Celery's own handlers (its --logfile); portal.celery gives them the
    # portal's format and filters.
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=False, log_parent=True)],
}

# --- Metrics and readiness ----------------------------------------------------------------------
# /metrics answers a scraper holding this bearer token, or one from these networks (CIDR,
# comma-separated); with neither set it answers nobody. /readyz's parts each get this budget.
PORTAL_METRICS_TOKEN = env_str("PORTAL_METRICS_TOKEN")
PORTAL_METRICS_ALLOWED_NETWORKS = env_list("PORTAL_METRICS_ALLOWED_NETWORKS", [])
PORTAL_METRICS_CACHE_SECONDS = env_int("PORTAL_METRICS_CACHE_SECONDS", 15)
# PROMETHEUS_MULTIPROC_DIR (exported by the start script, before any import): every process of
# the host writes its metrics there, /metrics adds them up.
PORTAL_METRICS_MULTIPROCESS = metrics_multiprocess()
PORTAL_READY_TIMEOUT = env_int("PORTAL_READY_TIMEOUT_MS", 1000) / 1000

# --- Error reporting, optional ------------------------------------------------------------------
# With SENTRY_DSN set, errors of web processes and workers go to Sentry, scrubbed of personal
# data, tokens and secrets (portal/errortracking.py).
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from portal.errortracking import init_sentry

    init_sentry(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))
