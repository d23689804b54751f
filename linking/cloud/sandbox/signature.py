"""Verifies the SDK-HMAC-SHA256 signature of a request, with the SDK core's own Signer."""

import hmac
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qsl, quote, urlsplit

from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from . import clock

AUTH_RX = re.compile(
    r"^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$"
)
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_SKEW = timedelta(minutes=15)


class SignatureRefused(Exception):
    """The request is not signed, or not signed with the secret of its access key."""

    def __init__(self, message, code="APIGW.0301"):
        super().__init__(message)
        self.message = message
        self.code = code


def header(request, name: str) -> str | None:
    key = name.upper().replace("-", "_")
    if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return request.META.get(key)
    return request.META.get(f"HTTP_{key}")


def raw_path(request) -> str:
    """The path and query as sent (gunicorn's RAW_URI), not the decoded PATH_INFO."""
    raw = request.META.get("RAW_URI")
    if raw:
        return raw
    query = request.META.get("QUERY_STRING", "")
    path = quote(request.path, safe="/~")
    return f"{path}?{query}" if query else path


def verify(request, secret_for, now=None) -> str:
    """Return the access key of a correctly signed request; raise SignatureRefused otherwise.

    ``secret_for(access_key)`` returns the secret of a known key or None.
    """
    match = AUTH_RX.match(header(request, "Authorization") or "")
    if not match:
        raise SignatureRefused("The request is not signed with SDK-HMAC-SHA256.")
    access_key, signed, signature = match.groups()
    names = signed.split(";")
    if not {"host", "x-sdk-date"} <= set(names):
        raise SignatureRefused("The signature must cover the Host and X-Sdk-Date headers.")
    values = {}
    for name in names:
        value = header(request, name)
        if value is None:
            raise SignatureRefused(f"The signed header {name} is missing.")
        values[name] = value
    try:
        signed_at = datetime.strptime(values["x-sdk-date"], DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise SignatureRefused("X-Sdk-Date is not in the form YYYYMMDDTHHMMSSZ.") from None
    now = now or clock.now()
    if abs(now - signed_at) > MAX_SKEW:
        raise SignatureRefused("X-Sdk-Date is more than 15 minutes from the server's time.")
    secret = secret_for(access_key)
    if not secret:
        raise SignatureRefused("The access key is unknown.")
    parts = urlsplit(raw_path(request))
    sdk_request = SdkRequest(
        method=request.method,
        host=values["host"],
        resource_path=parts.path,
        query_params=parse_qsl(parts.query, keep_blank_values=True),
        header_params=dict(values),
        body=request.body,
    )
    signer = Signer(SimpleNamespace(ak=access_key, sk=secret))
    canonical = signer._process_canonical_request(sdk_request, names)
    expected = signer._sign_string_to_sign(
        signer._process_string_to_sign(canonical, signed_at), secret
    )
    if not hmac.compare_digest(expected, signature):
        raise SignatureRefused("The signature does not match the secret of the access key.")
    return access_key
