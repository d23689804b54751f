"""`Idempotency-Key` on every POST of the API: a retried call gets the first answer.

The answer is stored in the database (`accounts.IdempotencyRecord`), in the same transaction
as the change the call made: the claim (a unique row per API key and Idempotency-Key) is
inserted first, so a second call with the same key waits on the first one's row until it
commits and then replays its answer, or runs afresh if the first one rolled back. Redis would
need a lock and a separate write that could disagree with the database after a crash.

Same key with another body (or address) is refused with API-I001 (409). Keys live 24 hours:
older records are ignored and replaced, and purged by `idempotency_purge_task`.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey, IdempotencyRecord
from linking.api.errors import portal_error_response
from portal.errors import PortalError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
LIFETIME = timedelta(hours=24)


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.body):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _usable(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.response_status)
    if record.response_location:
        response["Location"] = record.response_location
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view):
    """Wrap a POST handler of the API (after authentication: `request.auth` is the key)."""

    @wraps(view)
    def wrapped(request: Request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST":
            return view(request, *args, **kwargs)
        if not _usable(key):
            return portal_error_response(PortalError("API-I002", limit=MAX_KEY_LENGTH))
        api_key: ApiKey = request.auth
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        api_key=api_key,
                        key=key,
                        request_sha256=fingerprint,
                        response_status=0,
                        response_body={},
                    )
            except IntegrityError:
                # The first call with this key has committed (its row lock made us wait).
                record = IdempotencyRecord.objects.select_for_update().get(api_key=api_key, key=key)
                if record.created_at > timezone.now() - LIFETIME:
                    if record.request_sha256 != fingerprint:
                        return portal_error_response(PortalError("API-I001", key=key[:60]))
                    return _replay(record)
                # Older than a day: the key is free again.
                record.request_sha256 = fingerprint
                record.created_at = timezone.now()
            try:
                response = view(request, *args, **kwargs)
            except PortalError as error:
                # A refusal is an answer too: the retry gets the same one.
                response = portal_error_response(error)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            record.response_status = response.status_code
            record.response_body = _jsonable(response)
            record.response_location = response.get("Location", "")[:500]
            record.save()
        return response

    return wrapped


def _jsonable(response: Response):
    import json

    return json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))


def idempotency_purge(*, now=None) -> int:
    """Delete the records older than a day; the count deleted. Beat, hourly."""
    now = now or timezone.now()
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lte=now - LIFETIME).delete()
    return deleted
