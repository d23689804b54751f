"""Teams: the services (audit, history, who may), the pages and their query budgets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Membership, Team, TeamMember
from accounts.services import membership_add, membership_remove
from accounts.stepup import SESSION_KEY as PASSWORD_AT
from accounts.teams import (
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_rename,
)
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

LIST = reverse("accounts:team-list")


def make_team(cast, name="Cloud ops", members=()):
    team = team_create(actor=cast.admin, reseller=cast.reseller, name=name)
    for user in members:
        team_member_add(actor=cast.admin, reseller=cast.reseller, team_id=team.pk, user_id=user.pk)
    return team


# --- services ---------------------------------------------------------------------------------


def test_a_member_joins_the_teams_group_with_an_audit_event_and_history(cast):
    team = make_team(cast, members=[cast.viewer])
    assert team.group.user_set.filter(pk=cast.viewer.pk).exists()
    event = AuditEvent.objects.filter(user=cast.viewer, group=team.group).get()
    assert event.action == AuditEvent.Action.GROUP_JOINED
    assert event.actor == cast.admin
    row = TeamMember.history.get(team_id=team.pk, user_id=cast.viewer.pk)
    assert row.history_user == cast.admin and row.history_type == "+"


def test_removing_a_member_leaves_the_group_and_records_it(cast):
    team = make_team(cast, members=[cast.viewer])
    team_member_remove(
        actor=cast.admin, reseller=cast.reseller, team_id=team.pk, user_id=cast.viewer.pk
    )
    assert not team.group.user_set.exists()
    assert AuditEvent.objects.filter(
        user=cast.viewer, group=team.group, action=AuditEvent.Action.GROUP_LEFT
    ).exists()
    assert TeamMember.history.filter(team_id=team.pk, history_type="-").count() == 1


def test_only_members_of_the_reseller_join_its_teams(cast):
    team = make_team(cast)
    with pytest.raises(PortalError) as caught:
        team_member_add(
            actor=cast.admin, reseller=cast.reseller, team_id=team.pk, user_id=cast.outsider.pk
        )
    assert caught.value.code == "ACC-T002"


def test_only_admins_change_teams(cast):
    with pytest.raises(PortalError) as caught:
        team_create(actor=cast.initiator, reseller=cast.reseller, name="Mine")
    assert caught.value.code == "ACC-M004"


def test_team_names_are_unique_per_reseller_whatever_the_case(cast):
    make_team(cast, name="Cloud ops")
    with pytest.raises(PortalError) as caught:
        team_create(actor=cast.admin, reseller=cast.reseller, name="cloud OPS")
    assert caught.value.code == "ACC-T001"
    # Another reseller may use the name.
    team_create(actor=cast.outsider_admin, reseller=cast.other, name="Cloud ops")


def test_rename_keeps_the_members_and_writes_history(cast):
    team = make_team(cast, members=[cast.viewer])
    team_rename(actor=cast.admin, reseller=cast.reseller, team_id=team.pk, name="Platform")
    team.refresh_from_db()
    assert team.name == "Platform" and team.members.count() == 1
    assert team.history.latest().history_change_reason == "renamed from Cloud ops"


def test_leaving_the_reseller_leaves_its_teams(cast):
    team = make_team(cast, members=[cast.viewer])
    membership_remove(
        actor=cast.admin,
        membership_id=Membership.objects.get(user=cast.viewer, reseller=cast.reseller).pk,
    )
    assert not TeamMember.objects.filter(team=team).exists()
    assert not team.group.user_set.exists()


def test_deleting_an_unused_team_removes_its_group(cast):
    team = make_team(cast, members=[cast.viewer])
    group_id = team.group_id
    team_delete(actor=cast.admin, reseller=cast.reseller, team_id=team.pk)
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not cast.viewer.groups.filter(pk=group_id).exists()
    assert Team.history.filter(id=team.pk, history_type="-").get().history_user == cast.admin


# --- pages ------------------------------------------------------------------------------------


def test_viewer_reads_the_teams_without_forms(client, cast):
    make_team(cast, members=[cast.viewer])
    client.force_login(cast.viewer)
    response = client.get(LIST)
    assert response.status_code == 200
    assert b"Cloud ops" in response.content
    assert reverse("accounts:team-create").encode() not in response.content


def test_admin_makes_a_team_and_lands_on_its_page(client, cast):
    client.force_login(cast.admin)
    response = client.post(reverse("accounts:team-create"), {"name": "  Night   shift "})
    team = Team.objects.get(reseller=cast.reseller)
    assert team.name == "Night shift"
    assert response.url == reverse("accounts:team-detail", args=[team.pk])


def test_a_taken_name_is_a_form_error(client, cast):
    make_team(cast)
    client.force_login(cast.admin)
    response = client.post(reverse("accounts:team-create"), {"name": "Cloud ops"})
    assert response.status_code == 400
    assert b"ACC-T001" in response.content


def test_adding_a_member_asks_for_the_password_when_it_is_old(client, cast):
    team = make_team(cast)
    client.force_login(cast.admin)
    session = client.session
    session.pop(PASSWORD_AT, None)
    session.save()
    url = reverse("accounts:team-member-add", args=[team.pk])
    response = client.post(url, {"user": cast.viewer.pk})
    assert response.status_code == 302
    assert reverse("accounts:step-up") in response.url
    assert not TeamMember.objects.filter(team=team).exists()


def test_admin_adds_and_removes_a_member_on_the_page(client, cast):
    team = make_team(cast)
    client.force_login(cast.admin)
    client.post(reverse("accounts:team-member-add", args=[team.pk]), {"user": cast.viewer.pk})
    assert TeamMember.objects.filter(team=team, user=cast.viewer).exists()
    page = client.get(reverse("accounts:team-detail", args=[team.pk]))
    assert cast.viewer.email.encode() in page.content
    assert b"joined" in page.content  # the history
    client.post(reverse("accounts:team-member-remove", args=[team.pk, cast.viewer.pk]))
    assert not TeamMember.objects.filter(team=team).exists()


def test_delete_asks_for_confirmation_then_deletes(client, cast):
    team = make_team(cast)
    client.force_login(cast.admin)
    url = reverse("accounts:team-delete", args=[team.pk])
    response = client.get(url)
    assert response.status_code == 200 and Team.objects.filter(pk=team.pk).exists()
    response = client.post(url)
    assert response.url == LIST
    assert not Team.objects.filter(pk=team.pk).exists()


def test_initiator_cannot_rename(client, cast):
    team = make_team(cast)
    client.force_login(cast.initiator)
    response = client.post(reverse("accounts:team-rename", args=[team.pk]), {"name": "X"})
    assert response.status_code == 403


def test_another_resellers_team_is_404(client, cast):
    team = team_create(actor=cast.outsider_admin, reseller=cast.other, name="Theirs")
    client.force_login(cast.admin)
    assert client.get(reverse("accounts:team-detail", args=[team.pk])).status_code == 404


def _members(cast, count):
    users = []
    for n in range(count):
        user = UserFactory(email=f"team{n}@northwind.example")
        membership_add(
            actor=None, reseller=cast.reseller, email=user.email, role="viewer", check_actor=False
        )
        users.append(user)
    return users


@pytest.mark.parametrize("count", [2, 12])
def test_team_list_query_budget_does_not_grow(client, cast, django_assert_num_queries, count):
    users = _members(cast, count)
    for n in range(count):
        make_team(cast, name=f"Team {n}", members=users[: n + 1])
    client.force_login(cast.admin)
    # session, user, membership with its reseller; the teams, their members, their users.
    with django_assert_num_queries(6):
        response = client.get(LIST)
    assert len(response.context["teams"]) == count


@pytest.mark.parametrize("count", [2, 12])
def test_team_page_query_budget_does_not_grow(client, cast, django_assert_num_queries, count):
    users = _members(cast, count)
    team = make_team(cast, members=users)
    team_rename(actor=cast.admin, reseller=cast.reseller, team_id=team.pk, name="Renamed")
    client.force_login(cast.admin)
    # session, user, membership; the team; its members; the reseller's members; its links; the
    # team's history; its members' history.
    with django_assert_num_queries(9):
        response = client.get(reverse("accounts:team-detail", args=[team.pk]))
    assert len(response.context["members"]) == count
