"""One JSON shape for every refusal of the API, carrying the portal's codes.

    {"code": "LNK-V003", "stage": "validation", "message": "...", "hint": "...",
     "errors": [{"code", "stage", "message", "hint", and "item" or "field"}, ...]}

The top level is the first reason; `errors` holds every reason (a dry run or a refused submit
lists all of them, as the page does) or every invalid field.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from linking.checks.reasons import ChecksFailed, Reason
from portal.errors import PortalError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

# A refusal by a rule answers 422, except these: another state (409), a missing role (403).
_STATUS_OF_CODE = {
    "LNK-S001": status.HTTP_409_CONFLICT,
    "ACC-M004": status.HTTP_403_FORBIDDEN,
    "PRT-P003": status.HTTP_403_FORBIDDEN,
    "API-K008": status.HTTP_403_FORBIDDEN,
    "API-I001": status.HTTP_409_CONFLICT,
    "API-I002": status.HTTP_400_BAD_REQUEST,
    "API-V001": status.HTTP_400_BAD_REQUEST,
}


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _entry(code: str, stage: str, message: str, hint: str, **extra: str) -> dict:
    return {"code": code, "stage": stage, "message": message, "hint": hint, **extra}


def reason_entry(reason: Reason) -> dict:
    return _entry(reason.code, reason.stage, reason.message, reason.hint, item=reason.item)


def error_body(error: PortalError, errors: list[dict] | None = None) -> dict:
    if errors is None:
        if isinstance(error, ChecksFailed):
            errors = [reason_entry(r) for r in error.reasons]
        else:
            errors = [_entry(error.code, error.stage, error.message, error.hint)]
    return {
        "code": error.code,
        "stage": error.stage,
        "message": error.message,
        "hint": error.hint,
        "errors": errors,
    }


def status_for(error: PortalError) -> int:
    return _STATUS_OF_CODE.get(error.code, status.HTTP_422_UNPROCESSABLE_ENTITY)


def portal_error_response(error: PortalError, http_status: int | None = None) -> Response:
    return Response(error_body(error), status=http_status or status_for(error))


def _flatten(detail, path: str = "") -> list[tuple[str, str]]:
    if isinstance(detail, dict):
        return [p for k, v in detail.items() for p in _flatten(v, f"{path}.{k}" if path else k)]
    if isinstance(detail, list):
        if all(not isinstance(v, (dict, list)) for v in detail):
            return [(path, str(v)) for v in detail]
        return [
            p for i, v in enumerate(detail) for p in _flatten(v, f"{path}.{i}" if path else str(i))
        ]
    return [(path, str(detail))]


def validation_body(detail) -> dict:
    fields = _flatten(detail)
    error = PortalError("API-V001", count=len(fields))
    errors = [
        _entry(error.code, error.stage, message, error.hint, field=field or "non_field_errors")
        for field, message in fields
    ]
    return error_body(error, errors)


def exception_handler(exc, context) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every exception an endpoint lets out, as the one shape."""
    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.ValidationError):
        return Response(validation_body(exc.detail), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PortalError):
        return portal_error_response(exc)
    portal_error = getattr(exc, "portal_error", None)
    if isinstance(exc, (Http404, exceptions.NotFound)):
        error, code = PortalError("PRT-P004"), status.HTTP_404_NOT_FOUND
    elif isinstance(exc, (PermissionDenied, exceptions.PermissionDenied)):
        error, code = portal_error or PortalError("PRT-P003"), status.HTTP_403_FORBIDDEN
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        error, code = portal_error or PortalError("API-K001"), status.HTTP_401_UNAUTHORIZED
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(exc, exceptions.Throttled):
        error, code = (
            portal_error or PortalError("API-R001", prefix="?", limit=0, seconds=exc.wait or 60),
            status.HTTP_429_TOO_MANY_REQUESTS,
        )
        headers["Retry-After"] = str(int(exc.wait or 60))
    elif isinstance(exc, exceptions.MethodNotAllowed):
        kind = f"a {context['request'].method} request"
        error, code = PortalError("PRT-P008", request_kind=kind), exc.status_code
    elif isinstance(exc, exceptions.APIException):
        error, code = PortalError("PRT-P001"), exc.status_code
    else:
        return None  # a 500: Django's handler500 answers in this shape too (api_error_page)
    return Response(error_body(error), status=code, headers=headers)


def api_error_page(error: PortalError, http_status: int) -> JsonResponse:
    """The shape for answers made outside DRF (an unknown address, a 500, unstorable input)."""
    return JsonResponse(error_body(error), status=http_status)
