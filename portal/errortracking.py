"""Error reporting to Sentry, optional (`SENTRY_DSN`): web processes and workers alike.

Nothing personal and nothing secret leaves: no user data (`send_default_pii=False`), no local
variables, no request bodies or cookies, and every text of the event has the consent, withdrawal
and receipt tokens redacted. Each event carries the request id, to find its log lines.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

from portal.logconfig import redact

# Keys whose values are never sent, wherever they appear in an event (matched whole, lowercased).
DENYLIST = [
    *DEFAULT_DENYLIST,
    "token",
    "code",
    "otp",
    "secret",
    "secret_key",
    "client_secret",
    "webhook_secret",
    "access_key",
    "secret_access_key",
    "security_token",
    "x_security_token",
    "sk",
    "ak",
    "api_key",
    "key",
    "password1",
    "password2",
    "new_password1",
    "new_password2",
    "old_password",
]


def _redact_all(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_all(v) for v in value]
    return value


def before_send(event: Any, hint: dict[str, Any]) -> Any:
    """Drop what a request's body, cookies and headers could carry; tag the request id; redact
    the tokens of every text left (the address, the message, the breadcrumbs, the frames)."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                k: v
                for k, v in headers.items()
                if k.lower() not in {"cookie", "authorization", "x-csrftoken", "x-api-key"}
            }
    try:
        from django_guid import get_guid

        request_id = get_guid()
    except Exception:  # robust: an event outside Django's setup
        request_id = None
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return _redact_all(event)


def init_sentry(dsn: str, *, environment: str, **options: Any) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        before_send=before_send,
        before_send_transaction=lambda event, hint: None,
        event_scrubber=EventScrubber(denylist=DENYLIST, recursive=True),
        **options,
    )
