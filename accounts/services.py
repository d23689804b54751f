"""Every write on resellers and memberships.

A member's role is their membership row. Each role of a reseller also has a guardian group,
which the member joins with the role: live links grant their permissions on customer accounts
to these groups. Only these services move a user in or out of a role group, always together
with the membership and with an audit event (`accounts.checks` reports any disagreement).
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import (
    ApiKey,
    AuditEvent,
    Membership,
    Reseller,
    ResellerRoleGroup,
    Role,
    User,
)
from accounts.sessions import end_sessions
from portal.errors import PortalError


def audit_events_record(events: list[AuditEvent]) -> None:
    """Write access changes that simple-history cannot see, in one INSERT. Called by the
    services that grant or remove guardian permissions or move users between role groups,
    inside their transaction."""
    if events:
        AuditEvent.objects.bulk_create(events)


def audit_permission_event(
    *,
    actor: User | None,
    granted: bool,
    perm: str,
    group: Group,
    obj: Model,
    reseller_id: int | None,
    reason: str,
) -> AuditEvent:
    """An unsaved event for one object permission granted to or removed from a group."""
    action = AuditEvent.Action
    return AuditEvent(
        actor=actor,
        action=action.PERMISSION_GRANTED if granted else action.PERMISSION_REMOVED,
        permission=perm,
        group=group,
        group_name=group.name,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        reseller_id=reseller_id,
        reason=reason,
    )


def _group_event(
    *, actor: User | None, joined: bool, user: User, group: Group, reseller: Reseller, reason: str
) -> AuditEvent:
    return AuditEvent(
        actor=actor,
        action=AuditEvent.Action.GROUP_JOINED if joined else AuditEvent.Action.GROUP_LEFT,
        group=group,
        group_name=group.name,
        user=user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        reseller=reseller,
        reason=reason,
    )


def _role_group(*, reseller: Reseller, role: str) -> Group:
    return ResellerRoleGroup.objects.select_related("group").get(reseller=reseller, role=role).group


@transaction.atomic
def reseller_ensure_role_groups(*, reseller: Reseller) -> dict[str, Group]:
    """Create (idempotently) the four role groups of a reseller. They hold no permission on the
    reseller (the membership's role says what a member may do); live links grant their
    permissions on customer accounts to them. Staff (admin) and reseller_create."""
    groups: dict[str, Group] = {}
    for role in Role:
        link = ResellerRoleGroup.objects.filter(reseller=reseller, role=role).first()
        if link is None:
            group, _ = Group.objects.get_or_create(name=f"reseller-{reseller.pk}-{role.value}")
            link = ResellerRoleGroup.objects.create(reseller=reseller, role=role, group=group)
        groups[role] = link.group
    return groups


@transaction.atomic
def reseller_create(
    *, actor: User | None, reason: str = "reseller created", **fields: Any
) -> Reseller:
    """Create a reseller with its role groups. Platform staff only (admin, seed)."""
    reseller = Reseller(**fields)
    reseller._history_user = actor
    reseller._change_reason = reason
    reseller.full_clean()
    reseller.save()
    reseller_ensure_role_groups(reseller=reseller)
    return reseller


def _require_admin(*, actor: User | None, reseller: Reseller) -> None:
    from accounts.permissions import has_reseller_perm

    if not has_reseller_perm(user=actor, reseller=reseller, perm="manage_members"):
        raise PortalError("ACC-M004", reseller=reseller.name)


def _admins_left(*, reseller: Reseller, excluding: Membership) -> int:
    return (
        Membership.objects.filter(reseller=reseller, role=Role.ADMIN, user__is_active=True)
        .exclude(pk=excluding.pk)
        .count()
    )


@transaction.atomic
def membership_add(
    *,
    actor: User | None,
    reseller: Reseller,
    email: str,
    role: str,
    check_actor: bool = True,
    reason: str = "",
) -> Membership:
    """Add an existing user, found by e-mail, to the reseller in a role. Reseller admins, and
    an invited person accepting (accounts.invitations, `check_actor=False`)."""
    if check_actor:
        _require_admin(actor=actor, reseller=reseller)
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise PortalError("ACC-M001", email=email)
    if Membership.objects.filter(user=user, reseller=reseller).exists():
        raise PortalError("ACC-M002", email=user.email, reseller=reseller.name)
    membership = Membership(user=user, reseller=reseller, role=role)
    membership._history_user = actor
    membership._change_reason = reason or f"added as {role}"
    membership.save()
    group = _role_group(reseller=reseller, role=role)
    user.groups.add(group)
    audit_events_record(
        [
            _group_event(
                actor=actor,
                joined=True,
                user=user,
                group=group,
                reseller=reseller,
                reason=membership._change_reason,
            )
        ]
    )
    return membership


@transaction.atomic
def membership_set_role(*, actor: User, membership_id: int, role: str) -> Membership:
    """Change a member's role: a move from one role group to another. Reseller admins."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "reseller")
        .get(pk=membership_id)
    )
    _require_admin(actor=actor, reseller=membership.reseller)
    if role not in Role.values:
        raise ValueError(role)
    if membership.role == role:
        return membership
    if membership.role == Role.ADMIN and not _admins_left(
        reseller=membership.reseller, excluding=membership
    ):
        raise PortalError(
            "ACC-M003", email=membership.user.email, reseller=membership.reseller.name
        )
    old = membership.role
    reason = f"role changed from {old} to {role}"
    old_group = _role_group(reseller=membership.reseller, role=old)
    new_group = _role_group(reseller=membership.reseller, role=role)
    membership.user.groups.remove(old_group)
    membership.user.groups.add(new_group)
    membership.role = role
    membership._history_user = actor
    membership._change_reason = reason
    membership.save(update_fields=["role"])
    audit_events_record(
        [
            _group_event(
                actor=actor,
                joined=joined,
                user=membership.user,
                group=group,
                reseller=membership.reseller,
                reason=reason,
            )
            for joined, group in [(False, old_group), (True, new_group)]
        ]
    )
    # What the person may do changed: every open page of theirs signs in again.
    end_sessions(membership.user, reason=reason)
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership_id: int) -> None:
    """Remove a member from the reseller; the last admin stays. Reseller admins."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "reseller")
        .get(pk=membership_id)
    )
    _require_admin(actor=actor, reseller=membership.reseller)
    if membership.role == Role.ADMIN and not _admins_left(
        reseller=membership.reseller, excluding=membership
    ):
        raise PortalError(
            "ACC-M003", email=membership.user.email, reseller=membership.reseller.name
        )
    from accounts.teams import team_members_drop

    team_members_drop(actor=actor, reseller=membership.reseller, user=membership.user)
    group = _role_group(reseller=membership.reseller, role=membership.role)
    membership.user.groups.remove(group)
    membership._history_user = actor
    membership._change_reason = "removed from reseller"
    audit_events_record(
        [
            _group_event(
                actor=actor,
                joined=False,
                user=membership.user,
                group=group,
                reseller=membership.reseller,
                reason=membership._change_reason,
            )
        ]
    )
    membership.delete()
    end_sessions(membership.user, reason="removed from a reseller")


@transaction.atomic
def member_sessions_end(*, actor: User, membership_id: int) -> int:
    """End every session of a member (a lost laptop, a departure in progress): they sign in
    again. Reseller admins, after the step-up; recorded as an audit event. Returns how many."""
    membership = Membership.objects.select_related("user", "reseller").get(pk=membership_id)
    _require_admin(actor=actor, reseller=membership.reseller)
    count = end_sessions(membership.user, reason=f"ended by {actor.pk}")
    user = membership.user
    audit_events_record(
        [
            AuditEvent(
                actor=actor,
                action=AuditEvent.Action.SESSIONS_ENDED,
                user=user,
                content_type=ContentType.objects.get_for_model(User),
                object_id=str(user.pk),
                object_repr=str(user)[:200],
                reseller=membership.reseller,
                reason=f"{count} session(s) ended by an admin",
            )
        ]
    )
    return count


# --- API keys -------------------------------------------------------------------------------

# `prt_<prefix>_<secret>`: the prefix names the key where people see it, the secret is 43
# URL-safe characters (256 bits), so an unsalted SHA-256 of it cannot be guessed back.
API_KEY_SCHEME = "prt"


def api_key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_split(raw: str) -> tuple[str, str] | None:
    """(prefix, secret) of a key as sent, or None when it is not shaped like one."""
    scheme, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != API_KEY_SCHEME or len(prefix) != 8 or not 20 <= len(secret) <= 100:
        return None
    return prefix, secret


def _key_event(*, actor: User, key: ApiKey, action: str, reason: str) -> AuditEvent:
    return AuditEvent(
        actor=actor,
        action=action,
        content_type=ContentType.objects.get_for_model(ApiKey),
        object_id=str(key.pk),
        object_repr=str(key)[:200],
        reseller=key.reseller,
        reason=reason,
    )


@transaction.atomic
def api_key_create(
    *,
    actor: User,
    reseller: Reseller,
    name: str,
    role: str,
    expires_at: datetime | None = None,
    allowed_networks: list[str] | None = None,
) -> tuple[ApiKey, str]:
    """Make a key for the reseller; returns it with the whole key, which is never stored and
    never shown again. Reseller admins (the page asks for the step-up first)."""
    _require_admin(actor=actor, reseller=reseller)
    if role not in ApiKey.KeyRole.values:
        raise ValueError(role)
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise PortalError("API-K007", when=expires_at.strftime("%Y-%m-%d %H:%M UTC"))
    networks = api_key_networks(allowed_networks or [])
    while True:
        prefix = secrets.token_hex(4)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        reseller=reseller,
        name=name.strip(),
        prefix=prefix,
        hashed_key=api_key_hash(secret),
        role=role,
        expires_at=expires_at,
        allowed_networks=networks,
        created_by=actor,
        created_at=now,
    )
    key._history_user = actor
    key._change_reason = f"API key created with the role {role}"
    key.save()
    audit_events_record(
        [
            _key_event(
                actor=actor,
                key=key,
                action=AuditEvent.Action.API_KEY_CREATED,
                reason=f"role {role}"
                + (f", expires {expires_at:%Y-%m-%d}" if expires_at else "")
                + (f", from {', '.join(networks)}" if networks else ""),
            )
        ]
    )
    return key, f"{API_KEY_SCHEME}_{prefix}_{secret}"


def api_key_networks(values: list[str]) -> list[str]:
    """The allowed addresses of a key, normalised (`203.0.113.7/32`), or API-K006."""
    networks = []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise PortalError("API-K006", value=value[:60]) from None
    return sorted(set(networks))


@transaction.atomic
def api_key_revoke(*, actor: User, reseller: Reseller, key_id: int) -> ApiKey:
    """Revoke a key at once: its next call is refused. Reseller admins (after the step-up).
    Revoking a revoked key changes nothing."""
    _require_admin(actor=actor, reseller=reseller)
    key = (
        ApiKey.objects.select_for_update()
        .select_related("reseller")
        .get(pk=key_id, reseller=reseller)
    )
    if key.revoked_at is not None:
        return key
    key.revoked_at = timezone.now()
    key.revoked_by = actor
    key._history_user = actor
    key._change_reason = "API key revoked"
    key.save(update_fields=["revoked_at", "revoked_by"])
    audit_events_record(
        [
            _key_event(
                actor=actor, key=key, action=AuditEvent.Action.API_KEY_REVOKED, reason="revoked"
            )
        ]
    )
    return key


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    """The signed-in user chooses the language of their pages and e-mails ("" follows the
    browser); a repeat of the same choice changes nothing."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.language != language:
        user.language = language
        user._history_user = actor
        user._change_reason = "Language chosen"
        user.save(update_fields=["language"])
    return user
