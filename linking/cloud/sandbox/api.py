"""What every Huawei API view of the sandbox shares: signature, caller, faults, error shapes."""

import functools
import json
import time

from django.db.models import F
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import clock
from .models import AccessKey, Fault
from .signature import SignatureRefused, header, verify

# Error body shapes: BSS answers flat error_code/error_msg, ECS and IAM nest under "error".
FLAT, NESTED = "flat", "nested"


class ApiError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(error: ApiError, style=FLAT):
    if style == NESTED:
        body = {"error": {"code": error.code, "message": error.message}}
    else:
        body = {"error_code": error.code, "error_msg": error.message}
    response = JsonResponse(body, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def json_body(request) -> dict:
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "APIGW.0201", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "APIGW.0201", "The request body must be a JSON object.")
    return body


def int_param(value, name, default, minimum, maximum, code):
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, code, f"{name} must be an integer.") from None
    if not minimum <= number <= maximum:
        raise ApiError(400, code, f"{name} must be between {minimum} and {maximum}.")
    return number


def _secret_for(access_key):
    row = AccessKey.objects.filter(access_key=access_key).values_list("secret_key").first()
    return row[0] if row else None


def authenticate(request) -> AccessKey:
    try:
        access_key = verify(request, _secret_for)
    except SignatureRefused as refused:
        raise ApiError(401, refused.code, refused.message) from None
    key = AccessKey.objects.select_related("account", "agency").get(access_key=access_key)
    if key.security_token or key.expires_at:
        if header(request, "X-Security-Token") != key.security_token:
            raise ApiError(401, "APIGW.0301", "The security token does not match the access key.")
        if key.expires_at <= clock.now():
            raise ApiError(401, "APIGW.0307", "The temporary credentials have expired.")
    return key


def take_fault(operation, kinds):
    """Consume one matching fault (atomically, shared by all threads), or return None."""
    for fault in Fault.objects.filter(operation__in=(operation, "*"), kind__in=kinds, times__gt=0):
        if Fault.objects.filter(pk=fault.pk, times__gt=0).update(times=F("times") - 1):
            return fault
    return None


def apply_faults(operation):
    fault = take_fault(operation, ("delay", "throttle", "error"))
    if fault is None:
        return
    if fault.kind == "delay":
        time.sleep(fault.seconds)
    elif fault.kind == "throttle":
        retry_after = str(max(1, round(fault.seconds or 1)))
        raise ApiError(429, "APIGW.0308", "The request is throttled.", {"Retry-After": retry_after})
    else:
        raise ApiError(fault.status, "APIGW.0201", "The backend is unavailable (injected fault).")


def signed_api(operation, style=FLAT, methods=("GET",)):
    """A Huawei API view: signature checked, faults applied, errors in the service's shape."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(405, "APIGW.0101", "The method is not allowed on this path.")
                request.credential = authenticate(request)
                apply_faults(operation)
                return view(request, *args, **kwargs)
            except ApiError as error:
                return error_response(error, style)

        return wrapper

    return decorate
