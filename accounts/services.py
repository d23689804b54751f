"""Every write on resellers and memberships. Roles are guardian groups with object permissions."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm

from accounts.models import ROLE_PERMISSIONS, Membership, Reseller, ResellerRoleGroup, Role, User
from portal.errors import PortalError


def _role_group(*, reseller: Reseller, role: str) -> Group:
    return ResellerRoleGroup.objects.select_related("group").get(reseller=reseller, role=role).group


@transaction.atomic
def reseller_ensure_role_groups(*, reseller: Reseller) -> dict[str, Group]:
    """Create (idempotently) the four role groups of a reseller and their object permissions."""
    groups: dict[str, Group] = {}
    for role in Role:
        link = ResellerRoleGroup.objects.filter(reseller=reseller, role=role).first()
        if link is None:
            group, _ = Group.objects.get_or_create(name=f"reseller-{reseller.pk}-{role.value}")
            link = ResellerRoleGroup.objects.create(reseller=reseller, role=role, group=group)
        for perm in ROLE_PERMISSIONS[role]:
            assign_perm(f"accounts.{perm}", link.group, reseller)
        groups[role] = link.group
    return groups


@transaction.atomic
def reseller_create(*, actor: User | None, reason: str = "reseller created", **fields) -> Reseller:
    """Create a reseller with its role groups. Platform staff only (admin, seed)."""
    reseller = Reseller(**fields)
    reseller._history_user = actor
    reseller._change_reason = reason
    reseller.full_clean()
    reseller.save()
    reseller_ensure_role_groups(reseller=reseller)
    return reseller


def _require_admin(*, actor: User, reseller: Reseller) -> None:
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
    *, actor: User | None, reseller: Reseller, email: str, role: str, check_actor: bool = True
) -> Membership:
    """Add an existing user, found by e-mail, to the reseller in a role. Reseller admins."""
    if check_actor:
        _require_admin(actor=actor, reseller=reseller)
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise PortalError("ACC-M001", email=email)
    if Membership.objects.filter(user=user, reseller=reseller).exists():
        raise PortalError("ACC-M002", email=user.email, reseller=reseller.name)
    membership = Membership(user=user, reseller=reseller, role=role)
    membership._history_user = actor
    membership._change_reason = f"added as {role}"
    membership.save()
    user.groups.add(_role_group(reseller=reseller, role=role))
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
    membership.user.groups.remove(_role_group(reseller=membership.reseller, role=old))
    membership.user.groups.add(_role_group(reseller=membership.reseller, role=role))
    membership.role = role
    membership._history_user = actor
    membership._change_reason = f"role changed from {old} to {role}"
    membership.save(update_fields=["role"])
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
    membership.user.groups.remove(_role_group(reseller=membership.reseller, role=membership.role))
    membership._history_user = actor
    membership._change_reason = "removed from reseller"
    membership.delete()
