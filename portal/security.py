"""Abuse resistance shared by the apps: the client's address, rate limits (log redaction is
portal.logconfig)."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind the portal's proxy the address it appended."""
    raw = request.META.get("REMOTE_ADDR") or ""
    if settings.PORTAL_BEHIND_PROXY:
        # Only the last entry is trustworthy: the proxy appends the address that connected to it;
        # anything to its left was sent by the client and may be forged.
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            raw = forwarded[-1]
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def client_ip_for_axes(request: HttpRequest) -> str | None:
    return client_ip(request)


# The longest e-mail address there is; django-axes stores the name it counts in 255 characters.
_USERNAME_MAX = 254


def username_for_axes(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The name a failed login is counted under: normalised as the login form reads it (so
    invisible characters make no second count) and cut to what an e-mail address can be, so no
    typed value overflows the attempts table."""
    from portal.identifiers import clean_identifier

    if credentials:
        raw = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        raw = getattr(request, "POST", {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if not isinstance(raw, str):
        return raw
    return clean_identifier(raw)[:_USERNAME_MAX]


# --- rate limits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(value: str) -> Rate:
    """A rate written "<count>/<seconds>", e.g. "60/600" for 60 requests in 10 minutes."""
    try:
        count, seconds = (int(part) for part in value.split("/"))
    except ValueError as exc:
        raise ImproperlyConfigured(f"a rate is '<count>/<seconds>', got {value!r}") from exc
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(f"a rate needs a positive count and period, got {value!r}")
    return Rate(count, seconds)


def hit(*, scope: str, key: str, rate: Rate) -> bool:
    """Count one request of `key` in a fixed window; True when it is over the rate.

    The key is hashed, so tokens and addresses never appear in the cache. `add` then `incr`
    is atomic on Redis, and per process on the memory cache of the embedded default.
    """
    window = int(time.time()) // rate.seconds
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{window}:{digest}"
    cache.add(cache_key, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # Evicted between add and incr: count this request as the first of the window.
        cache.set(cache_key, 1, timeout=rate.seconds + 1)
        count = 1
    return count > rate.count


def token_page_limited(request: HttpRequest, *, scope: str, token: str) -> bool:
    """True when the client address or the token has opened a token page too often.

    Both counters move on every request, so a client rotating tokens is still held to the
    address limit, and a token shared around many addresses to the token limit.
    """
    try:
        by_address = hit(
            scope=f"{scope}:addr",
            key=client_ip(request) or "unknown",
            rate=parse_rate(settings.PORTAL_CONSENT_RATE_PER_ADDRESS),
        )
        by_token = hit(
            scope=f"{scope}:token",
            key=token,
            rate=parse_rate(settings.PORTAL_CONSENT_RATE_PER_LINK),
        )
    except ImproperlyConfigured:
        raise
    except Exception:
        # The cache (Redis) is down: the customer's page must keep working, unthrottled,
        # rather than fail. Logged without the token.
        logger.warning("rate limit of %s pages skipped: the cache is unavailable", scope)
        return False
    return by_address or by_token
