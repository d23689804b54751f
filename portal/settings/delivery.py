"""Settings: e-mail, and Celery with its schedule: how the portal sends mail and runs its work."""

from typing import Any

from portal.env import (
    env_bool,
    env_int,
    env_str,
)
from portal.settings.base import DEBUG, VAR_DIR

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
