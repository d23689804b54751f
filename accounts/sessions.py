"""Sign-in sessions: the store that lets people see and end them, the idle timeout, ending.

The store is Django's database session with a few columns more (`PortalSession`): whose
session it is, the browser, the address and when it was last used. A session is named
everywhere by the SHA-256 of its key; the key itself stays in the store and the cookie.

Activity is written into the session at most once a minute (SessionActivityMiddleware), so a
page costs no write; the idle timeout reads the same time. Ending a session deletes it from
the store: its next request finds no session and is sent to the login page.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY as AUTH_USER_KEY
from django.contrib.auth import logout
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import PortalError
from portal.security import client_ip

logger = logging.getLogger(__name__)

# Kept in the session data, copied into the store's columns when the session is saved.
SEEN_KEY = "portal_seen"
AGENT_KEY = "portal_agent"
ADDRESS_KEY = "portal_address"
SINCE_KEY = "portal_since"
# Activity is recorded when the last record is older than this: one write a minute at most.
SEEN_EVERY_SECONDS = 60
MAX_AGENT = 300


def key_hash(session_key: str) -> str:
    """How a session is named outside the store: never by its key."""
    return hashlib.sha256(session_key.encode()).hexdigest()


class SessionStore(DbSessionStore):
    """Django's database store writing PortalSession rows with their person and activity."""

    @classmethod
    def get_model_class(cls):
        from accounts.models import PortalSession

        return PortalSession

    def create_model_instance(self, data: dict[str, Any]):
        from accounts.models import PortalSession

        obj = super().create_model_instance(data)
        assert isinstance(obj, PortalSession)
        user_id = str(data.get(AUTH_USER_KEY) or "")
        obj.user_id = int(user_id) if user_id.isdigit() else None
        obj.key_hash = key_hash(obj.session_key)
        obj.user_agent = str(data.get(AGENT_KEY) or "")[:MAX_AGENT]
        obj.ip_address = data.get(ADDRESS_KEY) or None
        obj.last_seen = _when(data.get(SEEN_KEY))
        # Kept in the data: the row is written whole on every save of the session.
        obj.created_at = _when(data.get(SINCE_KEY))
        return obj


def _when(timestamp: Any) -> datetime:
    if isinstance(timestamp, (int, float)):
        return datetime.fromtimestamp(timestamp, tz=UTC)
    return timezone.now()


def _record_activity(request: HttpRequest) -> None:
    request.session[SEEN_KEY] = time.time()
    request.session[AGENT_KEY] = request.META.get("HTTP_USER_AGENT", "")[:MAX_AGENT]
    request.session[ADDRESS_KEY] = client_ip(request) or None


def on_user_logged_in(sender, request=None, user=None, **kwargs) -> None:
    """A new sign-in records its browser and address at once (the session is saved anyway)."""
    if request is not None and hasattr(request, "session"):
        _record_activity(request)
        request.session[SINCE_KEY] = request.session[SEEN_KEY]


class SessionActivityMiddleware:
    """Ends an operator's session idle for PORTAL_SESSION_IDLE_MINUTES and records activity at
    most once a minute. The customer centre keeps its own idle time (no user signs in there)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(AUTH_USER_KEY):
            now = time.time()
            seen = session.get(SEEN_KEY)
            idle = settings.PORTAL_SESSION_IDLE_MINUTES * 60
            if isinstance(seen, (int, float)) and now - seen > idle:
                logout(request)
                error = PortalError("ACC-X001", minutes=settings.PORTAL_SESSION_IDLE_MINUTES)
                messages.info(request, error.as_text())
            elif not isinstance(seen, (int, float)) or now - seen >= SEEN_EVERY_SECONDS:
                _record_activity(request)
        return self.get_response(request)


# --- reading and ending -----------------------------------------------------------------------


def session_list_for_user(*, user, current_key: str | None) -> list[dict[str, Any]]:
    """The user's live sessions, most recently used first, each with its device in words and
    whether it is the one asking. One query."""
    from accounts.models import PortalSession

    current = key_hash(current_key) if current_key else ""
    rows = (
        PortalSession.objects.filter(user_id=user.pk, expire_date__gt=timezone.now())
        .order_by("-last_seen", "-created_at")
        .values("key_hash", "user_agent", "ip_address", "created_at", "last_seen")
    )
    return [
        {**row, "device": describe_agent(row["user_agent"]), "current": row["key_hash"] == current}
        for row in rows
    ]


def end_sessions(
    user, except_session_key: str | None = None, reason: str = "", *, only: str | None = None
) -> int:
    """End the user's sessions (all, all but `except_session_key`, or `only` the one whose key
    hash is given): they are deleted from the store and their next request signs in again.
    For password, role and membership changes, a member ending their own sessions, an admin
    ending a member's, and the multi-factor changes. Returns how many ended."""
    store = SessionStore.get_model_class()
    rows = store.objects.filter(user_id=user.pk)
    if except_session_key:
        rows = rows.exclude(key_hash=key_hash(except_session_key))
    if only is not None:
        rows = rows.filter(key_hash=only)
    count, _deleted = rows.delete()
    if count:
        logger.info("ended %d session(s) of user %s: %s", count, user.pk, reason or "no reason")
    return count


def session_cleanup() -> int:
    """Delete expired sessions and signed-in ones idle for longer than the idle time (they
    would be refused anyway). Run by the beat; returns how many were deleted."""
    store = SessionStore.get_model_class()
    now = timezone.now()
    idle = now - timedelta(minutes=settings.PORTAL_SESSION_IDLE_MINUTES)
    expired, _ = store.objects.filter(expire_date__lte=now).delete()
    stale, _ = store.objects.filter(user_id__isnull=False, last_seen__lt=idle).delete()
    return expired + stale


# --- the device of a user agent, in words -----------------------------------------------------

_BROWSERS = [
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
]
_SYSTEMS = [
    ("iPhone", re.compile(r"iPhone")),
    ("iPad", re.compile(r"iPad")),
    ("Android", re.compile(r"Android")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
]


def describe_agent(agent: str) -> str:
    """ "Firefox on Windows": the browser and system a user agent names, or that it is unknown."""
    if not agent:
        return _("Unknown device")
    browser = next((name for name, pattern in _BROWSERS if pattern.search(agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(agent)), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Other browser")
