"""Settings: logging, request ids, metrics, readiness and error reporting."""

from django_guid.integrations import CeleryIntegration

from portal.env import (
    env_int,
    env_list,
    env_str,
    metrics_multiprocess,
)
from portal.settings.base import DEBUG

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
