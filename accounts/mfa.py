"""Second factors: who must have one, what a person has, and every change to them.

The factors are django-otp devices: an authenticator app (TOTP, `otp_totp`), passkeys and
security keys (WebAuthn, `django_otp_webauthn`) and one set of single-use recovery codes
(`otp_static`). Recovery codes alone are not a factor: they stand in for a lost one.

A session is *verified* once its holder has entered a factor (django-otp keeps the device in
the session). Every change of a person's factors ends their other sessions, so a session never
outlives the factor it was verified with; that is why a page needs no device lookup.

Who must have a factor: platform staff and auditors (the Django admin), every member whose role
may approve or administer (ROLE_PERMISSIONS with `approve_requests` or `manage_members`), and
every member of a reseller whose admins turned on `require_mfa`. Others may add one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import ROLE_PERMISSIONS, AuditEvent, Membership, User
from accounts.signals import AUDITORS_GROUP
from portal.errors import PortalError

logger = logging.getLogger(__name__)

# What a role may do that makes a second factor necessary.
REQUIRING_PERMS = frozenset({"approve_requests", "manage_members"})
REQUIRING_ROLES = tuple(
    role for role, perms in ROLE_PERMISSIONS.items() if REQUIRING_PERMS & set(perms)
)
# The session's note that its holder needed no factor when last asked (a timestamp).
OPTIONAL_CHECKED_KEY = "portal_mfa_optional_at"
RECOVERY_DEVICE_NAME = "recovery codes"
FACTOR_KINDS = ("totp", "webauthn")


# --- reads ---------------------------------------------------------------------------------


def mfa_required(user: Any) -> bool:
    """True when `user` may not use the portal or the admin without a second factor."""
    if not getattr(user, "is_authenticated", False) or not settings.PORTAL_MFA_ENFORCE:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return (
        User.objects.filter(pk=user.pk)
        .filter(
            Q(memberships__role__in=REQUIRING_ROLES)
            | Q(memberships__reseller__require_mfa=True)
            | Q(groups__name=AUDITORS_GROUP)
        )
        .exists()
    )


def has_factor(user: Any) -> bool:
    """True when `user` has an authenticator app or a passkey (recovery codes do not count)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user_id=user.pk, confirmed=True).exists()
    )


# Set by a sign-in through the reseller's own identity provider (accounts.sso.views), which
# asks for the second factor of such a sign-in itself (docs/sso.md).
SSO_METHOD_KEY = "portal_auth_method"


def is_verified(request: HttpRequest) -> bool:
    """True when this session's holder entered a second factor, or signed in through their
    reseller's identity provider, which asks for its own."""
    return bool(request.session.get(DEVICE_ID_SESSION_KEY)) or (
        request.session.get(SSO_METHOD_KEY) == "sso"
    )


@dataclass
class Factors:
    apps: list[TOTPDevice]
    passkeys: list[WebAuthnCredential]
    recovery_left: int

    @property
    def any(self) -> bool:
        return bool(self.apps or self.passkeys)


def factors_of(user: User) -> Factors:
    """The person's confirmed factors and how many recovery codes are left (three queries)."""
    return Factors(
        apps=list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id")),
        passkeys=list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("id")),
        recovery_left=StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
    )


def approve_refusal(user: Any) -> PortalError | None:
    """ACC-F003 when `user` has no second factor and so may not approve on the pages (an API
    key is a factor of its own: the API does not ask)."""
    if not settings.PORTAL_MFA_ENFORCE or has_factor(user):
        return None
    return PortalError("ACC-F003")


# --- verification --------------------------------------------------------------------------


def _clean_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()[:64]


def code_matches(*, user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts `code` (an authenticator app's code or an unused recovery code),
    or None. django-otp throttles each device after wrong codes (exponentially longer waits,
    reset by a right code), which also holds across sign-ins."""
    code = _clean_code(code)
    if not code:
        return None
    with transaction.atomic():
        for model in (TOTPDevice, StaticDevice):
            for device in (
                model.objects.filter(user=user, confirmed=True).order_by("id").select_for_update()
            ):
                if device.verify_token(code):
                    return device
    return None


def count_failure(request: HttpRequest, user: User) -> None:
    """A wrong second factor counts toward the login lockout like a wrong password: the same
    signal django-axes counts passwords by, per user name and client address."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )


def is_locked(request: HttpRequest, user: User) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    if not settings.AXES_ENABLED:
        return False
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def mark_verified(request: HttpRequest, device: Any) -> None:
    """The session's holder proved `device`: the session is verified and the step-up fresh,
    and the address's failed attempts are forgotten, as after a right password."""
    from axes.utils import reset as axes_reset

    from accounts.stepup import mark_password_entered
    from portal.security import client_ip

    # A new session key with the new level of trust, as at the password (session fixation).
    request.session.cycle_key()
    otp_login(request, device)
    request.session.pop(OPTIONAL_CHECKED_KEY, None)
    mark_password_entered(request)
    if settings.AXES_ENABLED:
        axes_reset(ip=client_ip(request), username=request.user.get_username())


def verify_code(request: HttpRequest, code: str) -> PortalError | None:
    """Check a code typed by the signed-in user; None when right (the session is verified)."""
    user = request.user
    assert isinstance(user, User)
    device = code_matches(user=user, code=code)
    if device is None:
        count_failure(request, user)
        logger.info("second factor: a code was refused")
        return PortalError(
            "ACC-F002",
            limit=settings.AXES_FAILURE_LIMIT,
            minutes=int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        )
    mark_verified(request, device)
    return None


# --- sessions ------------------------------------------------------------------------------


def end_other_sessions(*, user: User, except_session_key: str | None, reason: str) -> int:
    """End every session of `user` but `except_session_key` (`accounts.sessions`); how many."""
    from accounts.sessions import end_sessions

    return end_sessions(user, except_session_key=except_session_key, reason=reason)


def _end_sessions_on_commit(*, user: User, except_session_key: str | None, reason: str) -> None:
    transaction.on_commit(
        lambda: end_other_sessions(user=user, except_session_key=except_session_key, reason=reason)
    )


def _event(*, actor: User, user: User, action: str, what: str, reseller=None) -> AuditEvent:
    return AuditEvent(
        actor=actor,
        action=action,
        user=user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        reseller=reseller,
        reason=what,
    )


# --- writes --------------------------------------------------------------------------------


@transaction.atomic
def totp_device_add(
    *, actor: User, key: str, code: str, name: str, session_key: str | None
) -> TOTPDevice:
    """Add an authenticator app to the actor's own factors once a code from it is right.
    The actor only; raises ACC-F005 on a wrong code. Ends the actor's other sessions."""
    device = TOTPDevice.objects.create(
        user=actor, key=key, name=(name or "Authenticator app")[:64], confirmed=False
    )
    if not device.verify_token(_clean_code(code)):
        # The unconfirmed row goes with the rollback of this failed attempt.
        transaction.set_rollback(True)
        raise PortalError("ACC-F005")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _factor_changed(actor=actor, added=True, what=f"authenticator app “{device.name}”")
    _end_sessions_on_commit(user=actor, except_session_key=session_key, reason="factor added")
    return device


def passkey_added(*, actor: User, device: WebAuthnCredential, session_key: str | None) -> None:
    """Record a passkey or security key the library has just registered for the actor, and
    end the actor's other sessions."""
    with transaction.atomic():
        _factor_changed(actor=actor, added=True, what=f"passkey “{device.name}”")
        _end_sessions_on_commit(user=actor, except_session_key=session_key, reason="factor added")


def _factor_changed(*, actor: User, added: bool, what: str) -> None:
    action = AuditEvent.Action.MFA_FACTOR_ADDED if added else AuditEvent.Action.MFA_FACTOR_REMOVED
    _event(actor=actor, user=actor, action=action, what=what).save()


@transaction.atomic
def recovery_codes_new(*, actor: User, session_key: str | None) -> list[str]:
    """Replace the actor's recovery codes with a new set and return it (shown once, never
    stored in clear). The actor only; ends the actor's other sessions."""
    StaticDevice.objects.filter(user=actor).delete()
    device = StaticDevice.objects.create(user=actor, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.PORTAL_MFA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    _factor_changed(actor=actor, added=True, what="new recovery codes")
    _end_sessions_on_commit(user=actor, except_session_key=session_key, reason="recovery codes")
    return codes


@transaction.atomic
def factor_remove(*, actor: User, kind: str, pk: int, session_key: str | None) -> None:
    """Remove one of the actor's own factors. Refused (ACC-F004) when it is the last one and
    the actor must have a factor. Ends the actor's other sessions."""
    User.objects.select_for_update().get(pk=actor.pk)
    model = TOTPDevice if kind == "totp" else WebAuthnCredential
    device = model.objects.filter(user=actor, pk=pk, confirmed=True).first()
    if device is None:
        raise PortalError("ACC-F006")
    apps = TOTPDevice.objects.filter(user=actor, confirmed=True)
    keys = WebAuthnCredential.objects.filter(user=actor, confirmed=True)
    others = (apps.exclude(pk=device.pk) if kind == "totp" else apps).exists() or (
        keys.exclude(pk=device.pk) if kind == "webauthn" else keys
    ).exists()
    if not others and mfa_required(actor):
        raise PortalError("ACC-F004")
    label = "authenticator app" if kind == "totp" else "passkey"
    device.delete()
    _factor_changed(actor=actor, added=False, what=f"{label} “{device.name}”")
    _end_sessions_on_commit(user=actor, except_session_key=session_key, reason="factor removed")


def reset_refusal(*, actor: User, membership: Membership) -> PortalError | None:
    """Why `actor` may not reset the factors of `membership`'s member, or None."""
    from accounts.permissions import has_reseller_perm

    if not has_reseller_perm(user=actor, reseller=membership.reseller, perm="manage_members"):
        return PortalError("ACC-F007", reseller=membership.reseller.name)
    if membership.user_id == actor.pk:
        return PortalError("ACC-F008")
    return None


@transaction.atomic
def mfa_reset(*, actor: User, membership_id: int) -> Membership:
    """Remove every second factor and recovery code of a member. An admin of the member's
    reseller (after the step-up the page asks), never for themselves. Audited, e-mailed to the
    member; the member's sessions end, and the next sign-in asks for a new factor when one is
    required."""
    from linking.models import Notification
    from linking.tasks import notification_deliver_task
    from portal.emails import absolute_url
    from portal.publish import publish_many_on_commit

    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "reseller")
        .get(pk=membership_id)
    )
    if refusal := reset_refusal(actor=actor, membership=membership):
        raise refusal
    member = membership.user
    removed = [
        TOTPDevice.objects.filter(user=member).delete()[0],
        WebAuthnCredential.objects.filter(user=member).delete()[0],
        StaticDevice.objects.filter(user=member).delete()[0],
    ]
    _event(
        actor=actor,
        user=member,
        action=AuditEvent.Action.MFA_RESET,
        what=f"all second factors and recovery codes removed ({sum(removed)} rows)",
        reseller=membership.reseller,
    ).save()
    notification = Notification.objects.create(
        kind=Notification.Kind.MFA_RESET,
        to_email=member.email,
        context={
            "reseller_name": membership.reseller.name,
            "actor": str(actor),
            "security_url": absolute_url(reverse("accounts:mfa")),
        },
    )
    publish_many_on_commit(notification_deliver_task, [(notification.pk,)])
    _end_sessions_on_commit(user=member, except_session_key=None, reason="factors reset")
    return membership


@transaction.atomic
def mfa_reset_by_platform(*, email: str, reason: str) -> User:
    """Remove every second factor of a person (platform staff and auditors, who have no reseller
    admin to ask). Run by platform operators with `manage.py mfa_reset`; audited without an
    actor, the person's sessions end."""
    user = User.objects.select_for_update().get(email__iexact=email.strip())
    removed = sum(
        model.objects.filter(user=user).delete()[0]
        for model in (TOTPDevice, WebAuthnCredential, StaticDevice)
    )
    AuditEvent(
        actor=None,
        action=AuditEvent.Action.MFA_RESET,
        user=user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        reason=f"all second factors removed by platform operators ({removed} rows): {reason}",
    ).save()
    _end_sessions_on_commit(user=user, except_session_key=None, reason="factors reset")
    return user
