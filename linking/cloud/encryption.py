"""Encryption of the secrets the portal stores (a connection's access key pair).

Fernet keys come from PORTAL_ENCRYPTION_KEYS: the first key encrypts, every key decrypts, so
keys are rotated by putting a new key first, re-encrypting what is stored
(`manage.py reencrypt_secrets`), then removing the old key.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.views.decorators.debug import sensitive_variables

from portal.errors import PortalError


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    keys = tuple(settings.PORTAL_ENCRYPTION_KEYS)
    try:
        return _fernet(keys)
    except ValueError:  # no key, or one that is not a Fernet key
        raise PortalError("LNK-N007") from None


# Error reports show each frame's variables: never the plain text.
@sensitive_variables()
def encrypt(text: str) -> str:
    """The text encrypted with the first key (LNK-N007 without keys)."""
    return _current().encrypt(text.encode()).decode()


@sensitive_variables()
def decrypt(token: str) -> str:
    """The text back, with whichever key encrypted it (LNK-N008 when none of them did)."""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise PortalError("LNK-N008") from None


@sensitive_variables()
def reencrypt(token: str) -> str:
    """The same text encrypted with the first key (LNK-N008 when no key reads it)."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise PortalError("LNK-N008") from None


GENERATE_HINT = (
    "Generate one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


@checks.register(checks.Tags.security, deploy=True)
def check_encryption_keys_set(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.PORTAL_ENCRYPTION_KEYS:
        return []
    return [
        checks.Error(
            "PORTAL_ENCRYPTION_KEYS is empty: no cloud connection can be saved.",
            hint=GENERATE_HINT,
            id="portal.E101",
        )
    ]


@checks.register(checks.Tags.security)
def check_encryption_keys_valid(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for number, key in enumerate(settings.PORTAL_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(
                checks.Error(
                    f"Key {number} of PORTAL_ENCRYPTION_KEYS is not a Fernet key "
                    "(url-safe base64 of 32 bytes).",
                    hint=GENERATE_HINT,
                    id="portal.E102",
                )
            )
    return errors
