"""The system check: `manage.py check` fails when the role groups disagree with the memberships."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from guardian.shortcuts import assign_perm

from accounts.checks import check_roles_agree
from accounts.models import Membership, ResellerRoleGroup, Role
from tests.accounts.test_teams import make_team

pytestmark = pytest.mark.django_db


def role_group(cast, role):
    return ResellerRoleGroup.objects.get(reseller=cast.reseller, role=role).group


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_the_cast_agrees_and_check_passes(cast):
    assert check_roles_agree() == []
    call_command("check", verbosity=0)


def test_a_user_in_a_role_group_without_the_membership_fails_the_check(cast):
    role_group(cast, Role.ADMIN).user_set.add(cast.no_member, cast.viewer)
    [error] = check_roles_agree()
    assert error.id == "accounts.E001"
    assert error.is_serious()
    assert f"({cast.no_member.pk}, {cast.reseller.pk}, 'admin')" in error.msg
    assert f"({cast.viewer.pk}, {cast.reseller.pk}, 'admin')" in error.msg
    with pytest.raises(SystemCheckError, match=r"accounts\.E001"):
        call_command("check", verbosity=0)


def test_a_member_missing_from_the_role_group_fails_the_check(cast):
    role_group(cast, Role.VIEWER).user_set.remove(cast.viewer)
    assert ids(check_roles_agree()) == ["accounts.E002"]


def test_a_role_changed_behind_the_services_back_fails_the_check(cast):
    # The row says approver, the group still says viewer: both directions are reported.
    Membership.objects.filter(user=cast.viewer).update(role=Role.APPROVER)
    assert ids(check_roles_agree()) == ["accounts.E001", "accounts.E002"]


def test_a_permission_granted_on_a_reseller_fails_the_check(cast):
    assign_perm("accounts.manage_members", role_group(cast, Role.VIEWER), cast.reseller)
    assign_perm("accounts.approve_requests", cast.initiator, cast.reseller)
    [error] = check_roles_agree()
    assert error.id == "accounts.E003"
    assert "2 guardian permission(s)" in error.msg
    with pytest.raises(SystemCheckError, match=r"accounts\.E003"):
        call_command("check", verbosity=0)


def test_the_services_keep_the_check_passing(cast):
    from accounts.services import membership_add, membership_remove, membership_set_role

    membership_add(
        actor=cast.admin, reseller=cast.reseller, email=cast.no_member.email, role=Role.ADMIN
    )
    viewer = Membership.objects.get(user=cast.viewer)
    membership_set_role(actor=cast.admin, membership_id=viewer.pk, role=Role.INITIATOR)
    membership_remove(actor=cast.admin, membership_id=viewer.pk)
    assert check_roles_agree() == []


# --- teams: the group's users are exactly the team's members -----------------------------------


def test_a_user_in_a_team_group_without_being_its_member_fails_the_check(cast):
    team = make_team(cast, members=[cast.viewer])
    team.group.user_set.add(cast.initiator, cast.outsider)
    [error] = check_roles_agree()
    assert error.id == "accounts.E004"
    assert f"({cast.initiator.pk}, {team.pk})" in error.msg
    assert f"({cast.outsider.pk}, {team.pk})" in error.msg
    with pytest.raises(SystemCheckError, match=r"accounts\.E004"):
        call_command("check", verbosity=0)


def test_a_team_member_missing_from_the_team_group_fails_the_check(cast):
    team = make_team(cast, members=[cast.viewer])
    team.group.user_set.remove(cast.viewer)
    assert ids(check_roles_agree()) == ["accounts.E005"]


def test_the_team_services_keep_the_check_passing(cast):
    from accounts.teams import team_delete, team_member_remove

    team = make_team(cast, members=[cast.viewer, cast.initiator])
    assert check_roles_agree() == []
    team_member_remove(
        actor=cast.admin, reseller=cast.reseller, team_id=team.pk, user_id=cast.viewer.pk
    )
    assert check_roles_agree() == []
    team_delete(actor=cast.admin, reseller=cast.reseller, team_id=team.pk)
    assert check_roles_agree() == []
