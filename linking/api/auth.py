"""`Authorization: Bearer <key>`: the request acts as the key's creator, limited to its role.

What the key may do is `ROLE_PERMISSIONS[key.role]` (accounts.models) intersected with what
its creator's membership may do today: a key never outgrows the admin who made it, and a key
whose creator lost the role stops working. Writes made with a key name it in their history
rows (`attributed_to`), and their history user is the creator.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.dispatch import receiver
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from simple_history.signals import pre_create_historical_record

from accounts.models import ROLE_PERMISSIONS, ApiKey, Reseller
from accounts.permissions import reseller_perms
from accounts.services import api_key_hash, api_key_split
from portal.errors import PortalError
from portal.security import client_ip, hit, parse_rate

# A last use is written at most this often per key: not a write per call.
LAST_USE_GRANULARITY = timedelta(minutes=1)

_current_key: ContextVar[ApiKey | None] = ContextVar("api_key", default=None)


class KeyRefused(exceptions.AuthenticationFailed):
    """A refused key: 401 with the portal's code (linking.api.errors renders it)."""

    def __init__(self, error: PortalError):
        super().__init__(error.message)
        self.portal_error = error


class RateLimited(exceptions.Throttled):
    def __init__(self, error: PortalError, wait: int):
        super().__init__(wait=wait, detail=error.message)
        self.portal_error = error


def key_perms(key: ApiKey) -> set[str]:
    """What calls made with `key` may do: its role's permissions within its creator's."""
    return set(ROLE_PERMISSIONS[key.role]) & reseller_perms(
        user=key.created_by, reseller=key.reseller
    )


def _when(moment) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            raise KeyRefused(PortalError("API-K001"))
        parts = api_key_split(raw.strip())
        if parts is None:
            raise KeyRefused(PortalError("API-K001"))
        prefix, secret = parts
        key = ApiKey.objects.select_related("reseller", "created_by").filter(prefix=prefix).first()
        # Compared in constant time, and a hash is computed for unknown prefixes too.
        expected = key.hashed_key if key else "0" * 64
        if not hmac.compare_digest(expected, api_key_hash(secret)) or key is None:
            raise KeyRefused(PortalError("API-K001"))
        now = timezone.now()
        if key.revoked_at is not None:
            raise KeyRefused(PortalError("API-K002", prefix=prefix, when=_when(key.revoked_at)))
        if key.expires_at is not None and key.expires_at <= now:
            raise KeyRefused(PortalError("API-K003", prefix=prefix, when=_when(key.expires_at)))
        address = client_ip(request._request)
        if key.allowed_networks and not _allowed(address, key.allowed_networks):
            raise KeyRefused(PortalError("API-K004", prefix=prefix, address=address or "unknown"))
        creator = key.created_by
        if (
            not creator.is_active
            or key.reseller.status not in Reseller.LIVE_STATUSES
            or "view_reseller" not in (perms := key_perms(key))
        ):
            raise KeyRefused(PortalError("API-K005", prefix=prefix, reseller=key.reseller.name))
        # Counted after the key is known (a guessed key is a 401 and counts nothing).
        _rate_limit(key)
        if key.last_used_at is None or now - key.last_used_at > LAST_USE_GRANULARITY:
            # A column without history (excluded from it): a use is not a change of the key.
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.perms = perms  # type: ignore[attr-defined]
        # The request's own attribute, read by the history signal below for writes it makes.
        request._request.api_key = key
        return creator, key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def _allowed(address: str | None, networks: list[str]) -> bool:
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in ipaddress.ip_network(n) for n in networks)


def _rate_limit(key: ApiKey) -> None:
    rate = parse_rate(settings.PORTAL_API_RATE)
    try:
        over = hit(scope="api", key=key.prefix, rate=rate)
    except Exception:
        # Redis down: the API keeps answering, unthrottled, like the token pages.
        return
    if over:
        wait = rate.seconds - int(time.time()) % rate.seconds
        error = PortalError("API-R001", prefix=key.prefix, limit=rate.count, seconds=wait)
        raise RateLimited(error, wait)


@contextmanager
def attributed_to(key: ApiKey) -> Iterator[None]:
    """Within the block, every history row written names `key` in its reason."""
    token = _current_key.set(key)
    try:
        yield
    finally:
        _current_key.reset(token)


def current_key() -> ApiKey | None:
    return _current_key.get()


@receiver(pre_create_historical_record)
def _name_the_key(sender, history_instance=None, **kwargs) -> None:
    key = _current_key.get()
    if key is None or history_instance is None:
        return
    reason = history_instance.history_change_reason or ""
    note = f"via API key {key.prefix} “{key.name}”"
    history_instance.history_change_reason = f"{reason} ({note})" if reason else note
