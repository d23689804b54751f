"""Settings: the API, the portal's own limits and windows, cloud connections and webhooks."""

from portal.env import (
    env_int,
    env_list,
    env_str,
)
from portal.settings.base import DEBUG
from portal.settings.delivery import CELERY_TASK_TIME_LIMIT

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
# The first pause before a throttled or failed (5xx) cloud call is tried again, in milliseconds;
# each further pause may be up to twice as long (linking.cloud.retry).
PORTAL_CLOUD_RETRY_BASE_DELAY_MS = max(0, env_int("PORTAL_CLOUD_RETRY_BASE_DELAY_MS", 500))
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
