"""The OpenID Connect relying party: discovery, the authorization request (code flow with PKCE,
state and nonce), the code exchange and the ID token's validation. Authlib speaks OAuth 2.0;
joserfc (Authlib's JOSE library) checks the token's signature against the provider's JWKS.

Every call to the provider has a timeout (PORTAL_SSO_HTTP_TIMEOUT) and is made outside any
database transaction. Nothing here logs a token, a code or the client secret.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.views.decorators.debug import sensitive_variables
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from portal.errors import PortalError

logger = logging.getLogger(__name__)

SCOPE = "openid email profile"
# Signatures the portal accepts: asymmetric ones only (never "none", never a shared secret).
ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
WELL_KNOWN = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    token_auth_method: str
    signing_algorithms: list[str]


def _outside_transaction() -> None:
    # The house rule: no network call while a transaction holds rows (tests' own rollback
    # blocks are marked, as for the cloud layer).
    if connection.in_atomic_block and not _in_test_block():
        raise RuntimeError("The identity provider is called inside a transaction.")


def _in_test_block() -> bool:
    return any(getattr(a, "_from_testcase", False) for a in connection.atomic_blocks)


def check_url(url: str) -> bool:
    """True for an address the portal may call: https, or http on loopback when allowed."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return True
    return bool(settings.PORTAL_SSO_ALLOW_HTTP and parts.scheme == "http" and parts.netloc)


def _get_json(url: str, *, issuer: str) -> dict[str, Any]:
    _outside_transaction()
    if not check_url(url):
        raise PortalError("ACC-O002", issuer=issuer, why="the address must use https")
    try:
        response = requests.get(
            url, timeout=settings.PORTAL_SSO_HTTP_TIMEOUT, headers={"Accept": "application/json"}
        )
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("identity provider unreachable", extra={"url": url, "error": type(exc)})
        raise PortalError("ACC-O002", issuer=issuer, why=_why(exc)) from None
    if not isinstance(body, dict):
        raise PortalError("ACC-O002", issuer=issuer, why="the answer is not a JSON object")
    return body


def _why(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return "it did not answer in time"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"it answered HTTP {exc.response.status_code}"
    if isinstance(exc, requests.ConnectionError):
        return "it could not be reached"
    return "its answer could not be read"


def discover(issuer: str) -> Discovery:
    """The provider's configuration, read from its discovery document (ACC-O002 when it cannot
    be read, ACC-O003 when it names another issuer)."""
    issuer = issuer.rstrip("/")
    meta = _get_json(issuer + WELL_KNOWN, issuer=issuer)
    if str(meta.get("issuer", "")).rstrip("/") != issuer:
        raise PortalError("ACC-O003", expected=issuer, got=str(meta.get("issuer", ""))[:200])
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [name for name in needed if not isinstance(meta.get(name), str)]
    if missing:
        raise PortalError("ACC-O002", issuer=issuer, why=f"it does not name {', '.join(missing)}")
    for name in (*needed, "userinfo_endpoint"):
        if meta.get(name) and not check_url(meta[name]):
            raise PortalError("ACC-O002", issuer=issuer, why=f"its {name} must use https")
    methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
    offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in offered if alg in ASYMMETRIC]
    if not algorithms:
        raise PortalError("ACC-O002", issuer=issuer, why="it signs tokens with no key pair")
    return Discovery(
        issuer=issuer,
        authorization_endpoint=meta["authorization_endpoint"],
        token_endpoint=meta["token_endpoint"],
        jwks_uri=meta["jwks_uri"],
        userinfo_endpoint=str(meta.get("userinfo_endpoint") or ""),
        token_auth_method=method,
        signing_algorithms=algorithms,
    )


def authorization_url(
    *,
    endpoint: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_verifier: str,
    login_hint: str = "",
) -> str:
    """Where the browser goes to sign in at the provider (no call is made here)."""
    client = OAuth2Session(
        client_id, redirect_uri=redirect_uri, scope=SCOPE, code_challenge_method="S256"
    )
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _ = client.create_authorization_url(
        endpoint, state=state, nonce=nonce, code_verifier=code_verifier, **extra
    )
    return url


@sensitive_variables()
def exchange_code(
    *,
    issuer: str,
    token_endpoint: str,
    token_auth_method: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
) -> dict[str, Any]:
    """The provider's tokens for the code (ACC-O008 when it refuses, ACC-O002 unreachable)."""
    _outside_transaction()
    client = OAuth2Session(
        client_id,
        client_secret,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method=token_auth_method,
    )
    try:
        token = client.fetch_token(
            token_endpoint,
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
            timeout=settings.PORTAL_SSO_HTTP_TIMEOUT,
        )
    except OAuthError as exc:
        logger.info("identity provider refused the code", extra={"error": exc.error})
        raise PortalError("ACC-O008", error=_error_name(exc.error)) from None
    except (requests.RequestException, ValueError) as exc:
        raise PortalError("ACC-O002", issuer=issuer, why=_why(exc)) from None
    finally:
        client.close()
    return dict(token)


def _error_name(error: object) -> str:
    # The provider's error is shown on the page: an OAuth error name only, never free text.
    text = str(error or "")
    return text if text.replace("_", "").isalpha() and len(text) <= 40 else "refused"


def _key_set(jwks_uri: str, *, issuer: str, fresh: bool = False) -> KeySet:
    key = "portal:sso:jwks:" + hashlib.sha256(jwks_uri.encode()).hexdigest()
    data = None if fresh else cache.get(key)
    if data is None:
        data = _get_json(jwks_uri, issuer=issuer)
        cache.set(key, data, settings.PORTAL_SSO_JWKS_CACHE_SECONDS)
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise PortalError("ACC-O004", why="the provider's keys cannot be read") from None


@sensitive_variables()
def validate_id_token(
    id_token: str,
    *,
    issuer: str,
    client_id: str,
    jwks_uri: str,
    algorithms: list[str],
    nonce: str,
) -> dict[str, Any]:
    """The ID token's claims once its signature (the provider's JWKS), issuer, audience,
    expiry and nonce are right (ACC-O003 for another issuer, ACC-O004 otherwise)."""
    allowed = [alg for alg in algorithms if alg in ASYMMETRIC] or ["RS256"]
    decoded = None
    for fresh in (False, True):  # a key the cache does not know yet: the provider rotated
        keys = _key_set(jwks_uri, issuer=issuer, fresh=fresh)
        try:
            decoded = jwt.decode(id_token, keys, algorithms=allowed)
            break
        except (JoseError, ValueError) as exc:
            if fresh:
                raise PortalError("ACC-O004", why=f"its signature is not valid ({exc})") from None
    assert decoded is not None
    claims = decoded.claims
    if str(claims.get("iss", "")).rstrip("/") != issuer.rstrip("/"):
        raise PortalError("ACC-O003", expected=issuer, got=str(claims.get("iss", ""))[:200])
    registry = jwt.JWTClaimsRegistry(
        leeway=60,
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise PortalError("ACC-O004", why=f"{exc.error}: {exc.description or ''}".strip()) from None
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audience) > 1 and claims.get("azp") != client_id:
        raise PortalError("ACC-O004", why="it was issued to another client (azp)")
    return dict(claims)


@sensitive_variables()
def userinfo(*, issuer: str, endpoint: str, access_token: str) -> dict[str, Any]:
    """The provider's UserInfo answer (for providers that keep the e-mail out of the ID token)."""
    _outside_transaction()
    if not check_url(endpoint):
        raise PortalError("ACC-O002", issuer=issuer, why="the address must use https")
    try:
        response = requests.get(
            endpoint,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=settings.PORTAL_SSO_HTTP_TIMEOUT,
        )
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        refused = isinstance(exc, requests.HTTPError) and exc.response is not None
        if refused and exc.response.status_code in (401, 403):  # type: ignore[union-attr]
            raise PortalError("ACC-O008", error="access_denied") from None
        raise PortalError("ACC-O002", issuer=issuer, why=_why(exc)) from None
    return body if isinstance(body, dict) else {}
