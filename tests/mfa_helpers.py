"""Second factors in tests: a known authenticator-app key, and the codes a person would type."""

from __future__ import annotations

import time
from base64 import b32encode

import pyotp
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

# The key of every test authenticator app (hex, as django-otp stores it).
TEST_TOTP_KEY = "3132333435363738393031323334353637383930"
TEST_TOTP_SECRET = b32encode(bytes.fromhex(TEST_TOTP_KEY)).decode()


def authenticator(user, *, key: str = TEST_TOTP_KEY) -> TOTPDevice:
    """The user's test authenticator app (made on first use)."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="test authenticator", defaults={"key": key, "confirmed": True}
    )
    return device


def totp_code(user, *, key: str = TEST_TOTP_KEY) -> str:
    """The code the user's authenticator app shows that the portal will still accept: a code is
    accepted once, so after one was used in this 30-second step, the next step's (the portal
    allows one step of drift)."""
    device = TOTPDevice.objects.filter(user=user, key=key).first()
    step = int(time.time()) // 30
    if device is not None and device.last_t >= step:
        step = device.last_t + 1
    return pyotp.TOTP(b32encode(bytes.fromhex(key)).decode()).at(step * 30)


def pass_second_factor(client, user, next_url: str = "/") -> None:
    """After the password, the second step as a person does it: the code on the verify page."""
    authenticator(user)
    response = client.post(
        reverse("accounts:mfa-verify"), {"code": totp_code(user), "next": next_url}
    )
    assert response.status_code == 302, response.content.decode()


def mark_session_verified(session, user, *, with_app: bool) -> None:
    """What the second step leaves in a session (for `force_login`): the device entered. People
    who must have a factor get the test authenticator app (so approving and the factor step-up
    work); others an empty recovery-code device, which is not a factor (their step-up asks the
    password, as before)."""
    if with_app:
        device = authenticator(user)
    else:
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="test session", defaults={"confirmed": True}
        )
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
