"""Membership services: the role group moves with the role, history says who and why."""

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from accounts.models import Membership, ResellerGroupObjectPermission, ResellerRoleGroup, Role
from accounts.permissions import has_reseller_perm, reseller_perms
from accounts.services import (
    membership_add,
    membership_remove,
    membership_set_role,
    reseller_create,
    reseller_ensure_role_groups,
)
from accounts.signals import AUDITORS_GROUP, auditors_group_sync
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


def perms(user, reseller):
    return reseller_perms(user=user, reseller=reseller)


def can(user, perm, reseller):
    return has_reseller_perm(user=user, reseller=reseller, perm=perm)


def role_group(reseller, role):
    return ResellerRoleGroup.objects.get(reseller=reseller, role=role).group


def test_reseller_create_makes_four_role_groups_holding_nothing_on_the_reseller(cast):
    assert set(cast.reseller.role_groups.values_list("role", flat=True)) == set(Role.values)
    assert not ResellerGroupObjectPermission.objects.exists()


def test_the_role_is_the_membership_whatever_guardian_holds(cast):
    # A permission granted to a role group on the reseller, or to the user, by any path other
    # than the member services: the services' role checks do not see it.
    assign_perm("accounts.manage_members", role_group(cast.reseller, Role.VIEWER), cast.reseller)
    assign_perm("accounts.approve_requests", cast.initiator, cast.reseller)
    cast.viewer.groups.add(role_group(cast.reseller, Role.ADMIN))
    assert perms(cast.viewer, cast.reseller) == {"view_reseller"}
    assert perms(cast.initiator, cast.reseller) == {"view_reseller", "initiate_requests"}
    # Nor is a user put into a role group without a membership a member.
    cast.no_member.groups.add(role_group(cast.reseller, Role.ADMIN))
    assert perms(cast.no_member, cast.reseller) == set()
    with pytest.raises(PortalError) as exc:
        membership_add(
            actor=cast.viewer, reseller=cast.reseller, email=cast.no_member.email, role="admin"
        )
    assert exc.value.code == "ACC-M004"
    # The link services' role check (batch import's --user comes here too) agrees.
    from linking.checks import check_actor

    assign_perm("accounts.approve_requests", role_group(cast.reseller, Role.VIEWER), cast.reseller)
    [reason] = check_actor(cast.viewer, cast.reseller, "approve_requests")
    assert reason.code == "LNK-V013"


def test_an_inactive_member_has_no_role(cast):
    cast.admin.is_active = False
    cast.admin.save()
    assert perms(cast.admin, cast.reseller) == set()


def test_platform_staff_act_only_through_a_membership(cast):
    assert perms(cast.staff, cast.reseller) == set()
    membership_add(
        actor=cast.admin, reseller=cast.reseller, email=cast.staff.email, role=Role.VIEWER
    )
    assert perms(cast.staff, cast.reseller) == {"view_reseller"}


def test_reseller_ensure_role_groups_is_idempotent(cast):
    groups = Group.objects.count()
    reseller_ensure_role_groups(reseller=cast.reseller)
    assert Group.objects.count() == groups


def test_membership_add_puts_the_user_in_the_role_group(cast):
    assert not can(cast.no_member, "view_reseller", cast.reseller)
    membership = membership_add(
        actor=cast.admin, reseller=cast.reseller, email=cast.no_member.email, role=Role.APPROVER
    )
    assert perms(cast.no_member, cast.reseller) == {"view_reseller", "approve_requests"}
    assert perms(cast.no_member, cast.other) == set()
    assert list(cast.no_member.groups.all()) == [role_group(cast.reseller, Role.APPROVER)]
    record = membership.history.get()
    assert record.history_type == "+"
    assert record.history_user == cast.admin
    assert record.history_change_reason == "added as approver"


def test_membership_add_finds_the_user_case_insensitively(cast):
    membership = membership_add(
        actor=cast.admin,
        reseller=cast.reseller,
        email=" " + cast.no_member.email.upper(),
        role=Role.VIEWER,
    )
    assert membership.user == cast.no_member


def test_membership_add_of_an_unknown_email_is_acc_m001(cast):
    with pytest.raises(PortalError) as exc:
        membership_add(
            actor=cast.admin, reseller=cast.reseller, email="ghost@example.com", role="viewer"
        )
    assert exc.value.code == "ACC-M001"
    assert "ghost@example.com" in exc.value.message


def test_membership_add_of_a_member_is_acc_m002(cast):
    with pytest.raises(PortalError) as exc:
        membership_add(
            actor=cast.admin, reseller=cast.reseller, email=cast.viewer.email, role="admin"
        )
    assert exc.value.code == "ACC-M002"
    assert perms(cast.viewer, cast.reseller) == {"view_reseller"}


def test_membership_add_by_a_non_admin_is_acc_m004(cast):
    with pytest.raises(PortalError) as exc:
        membership_add(
            actor=cast.initiator, reseller=cast.reseller, email=cast.no_member.email, role="admin"
        )
    assert exc.value.code == "ACC-M004"
    assert not Membership.objects.filter(user=cast.no_member).exists()


def test_membership_add_by_the_other_resellers_admin_is_acc_m004(cast):
    with pytest.raises(PortalError) as exc:
        membership_add(
            actor=cast.outsider_admin,
            reseller=cast.reseller,
            email=cast.no_member.email,
            role="viewer",
        )
    assert exc.value.code == "ACC-M004"


def test_membership_set_role_moves_the_user_between_groups(cast):
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    assert not can(cast.viewer, "initiate_requests", cast.reseller)
    membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.INITIATOR)
    assert perms(cast.viewer, cast.reseller) == {"view_reseller", "initiate_requests"}
    assert list(cast.viewer.groups.all()) == [role_group(cast.reseller, Role.INITIATOR)]
    record = membership.history.latest()
    assert record.history_type == "~"
    assert record.role == Role.INITIATOR
    assert record.history_user == cast.admin
    assert record.history_change_reason == "role changed from viewer to initiator"


def test_membership_set_role_to_the_same_role_writes_nothing(cast):
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    before = membership.history.count()
    membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.VIEWER)
    assert membership.history.count() == before


def test_membership_set_role_of_the_last_admin_is_acc_m003(cast):
    membership = Membership.objects.get(user=cast.admin, reseller=cast.reseller)
    with pytest.raises(PortalError) as exc:
        membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.VIEWER)
    assert exc.value.code == "ACC-M003"
    assert can(cast.admin, "manage_members", cast.reseller)


def test_membership_set_role_of_an_admin_with_a_second_admin_works(cast):
    second = Membership.objects.get(user=cast.approver, reseller=cast.reseller)
    membership_set_role(actor=cast.admin, membership_id=second.pk, role=Role.ADMIN)
    assert can(cast.approver, "manage_members", cast.reseller)
    first = Membership.objects.get(user=cast.admin, reseller=cast.reseller)
    membership_set_role(actor=cast.approver, membership_id=first.pk, role=Role.VIEWER)
    assert perms(cast.admin, cast.reseller) == {"view_reseller"}


def test_membership_set_role_by_a_viewer_is_acc_m004(cast):
    membership = Membership.objects.get(user=cast.initiator, reseller=cast.reseller)
    with pytest.raises(PortalError) as exc:
        membership_set_role(actor=cast.viewer, membership_id=membership.pk, role=Role.ADMIN)
    assert exc.value.code == "ACC-M004"
    assert not can(cast.initiator, "manage_members", cast.reseller)


def test_membership_remove_takes_the_perms_away_and_keeps_history(cast):
    membership = Membership.objects.get(user=cast.initiator, reseller=cast.reseller)
    pk = membership.pk
    assert can(cast.initiator, "initiate_requests", cast.reseller)
    membership_remove(actor=cast.admin, membership_id=pk)
    assert perms(cast.initiator, cast.reseller) == set()
    assert not cast.initiator.groups.exists()
    record = Membership.history.filter(id=pk).latest()
    assert record.history_type == "-"
    assert record.history_user == cast.admin
    assert record.history_change_reason == "removed from reseller"


def test_membership_remove_of_the_last_admin_is_acc_m003(cast):
    membership = Membership.objects.get(user=cast.admin, reseller=cast.reseller)
    with pytest.raises(PortalError) as exc:
        membership_remove(actor=cast.admin, membership_id=membership.pk)
    assert exc.value.code == "ACC-M003"
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert can(cast.admin, "manage_members", cast.reseller)


def test_a_user_in_two_resellers_keeps_the_other_role_when_removed(cast):
    membership_add(
        actor=cast.outsider_admin, reseller=cast.other, email=cast.viewer.email, role=Role.ADMIN
    )
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    membership_remove(actor=cast.admin, membership_id=membership.pk)
    assert perms(cast.viewer, cast.reseller) == set()
    assert "manage_members" in perms(cast.viewer, cast.other)


def test_reseller_create_writes_history_with_the_actor(cast):
    reseller = reseller_create(
        actor=cast.staff, reason="onboarded", partner_id="P-300003", name="Initech"
    )
    record = reseller.history.get()
    assert record.history_user == cast.staff
    assert record.history_change_reason == "onboarded"


# --- the auditors group ---------------------------------------------------------------------


def test_auditors_group_holds_every_view_perm_and_nothing_else(db):
    group = Group.objects.get(name=AUDITORS_GROUP)
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert codenames
    assert all(codename.startswith("view_") for _, codename in codenames)
    for expected in [
        ("auth", "view_group"),
        ("accounts", "view_user"),
        ("accounts", "view_historicaluser"),
        ("accounts", "view_reseller"),
        ("accounts", "view_historicalreseller"),
        ("accounts", "view_membership"),
        ("accounts", "view_historicalmembership"),
        ("linking", "view_linkrequest"),
        ("linking", "view_historicallinkrequest"),
        ("linking", "view_consentrecord"),
        ("linking", "view_notification"),
    ]:
        assert expected in codenames
    assert {label for label, _ in codenames} <= {"auth", "accounts", "linking", "portal"}


def test_auditors_group_sync_is_idempotent_and_drops_extra_perms(db):
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name=AUDITORS_GROUP)
    before = set(group.permissions.all())
    group.permissions.add(Permission.objects.get(codename="change_reseller"))
    auditors_group_sync()
    auditors_group_sync()
    assert Group.objects.filter(name=AUDITORS_GROUP).count() == 1
    assert set(group.permissions.all()) == before
