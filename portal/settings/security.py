"""Settings: sessions, cookies and headers, the cache, the login lockout, rate limits, the step-up,
single sign-on and second factors."""

from datetime import timedelta
from urllib.parse import urlsplit

from portal.env import (
    behind_proxy,
    env_bool,
    env_choices,
    env_int,
    env_list,
    env_str,
)
from portal.settings.base import DEBUG, PORTAL_BASE_URL
from portal.settings.delivery import PORTAL_REDIS_TIMEOUT, REDIS_URL

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
