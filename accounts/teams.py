"""Teams: reseller admins form named teams of their members; a link's access can go to them.

Every write is here, one transaction each, under a lock of the team row. A team's guardian
group holds the grants of the links that name the team (`linking.services.links`), and its
users are exactly the team's members: joining the team gives its access at once, leaving takes
it away at once. Each join and leave is an audit event; the team rows keep their history.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, Reseller, Team, TeamMember, User
from accounts.services import _group_event, _require_admin, audit_events_record
from portal.errors import PortalError


def _lock_team(*, reseller: Reseller, team_id: int) -> Team:
    team = (
        Team.objects.select_for_update(of=("self",))
        .select_related("group", "reseller")
        .filter(reseller=reseller, pk=team_id)
        .first()
    )
    if team is None:
        raise PortalError("ACC-T005", reseller=reseller.name, team=str(team_id))
    return team


def _name_taken(*, reseller: Reseller, name: str, excluding: int | None = None) -> bool:
    qs = Team.objects.filter(reseller=reseller, name__iexact=name)
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    return qs.exists()


@transaction.atomic
def team_create(*, actor: User, reseller: Reseller, name: str) -> Team:
    """Make an empty team (it widens nothing: nobody is in it). Reseller admins."""
    _require_admin(actor=actor, reseller=reseller)
    name = name.strip()
    if _name_taken(reseller=reseller, name=name):
        raise PortalError("ACC-T001", reseller=reseller.name, name=name)
    group = Group.objects.create(name=f"reseller-{reseller.pk}-team-{uuid.uuid4().hex[:12]}")
    team = Team(reseller=reseller, name=name, group=group)
    team._history_user = actor
    team._change_reason = "team created"
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:  # another admin made it between the check and the insert
        raise PortalError("ACC-T001", reseller=reseller.name, name=name) from exc
    return team


@transaction.atomic
def team_rename(*, actor: User, reseller: Reseller, team_id: int, name: str) -> Team:
    """Give a team another name; who is in it and what it holds stay. Reseller admins."""
    _require_admin(actor=actor, reseller=reseller)
    team = _lock_team(reseller=reseller, team_id=team_id)
    name = name.strip()
    if name == team.name:
        return team
    if _name_taken(reseller=reseller, name=name, excluding=team.pk):
        raise PortalError("ACC-T001", reseller=reseller.name, name=name)
    old = team.name
    team.name = name
    team._history_user = actor
    team._change_reason = f"renamed from {old}"
    team.save(update_fields=["name"])
    return team


@transaction.atomic
def team_member_add(*, actor: User, reseller: Reseller, team_id: int, user_id: int) -> TeamMember:
    """Put a member of the reseller into a team: they gain the team's access on customers at
    once. It widens who can act, so the page asks for the password again. Reseller admins."""
    _require_admin(actor=actor, reseller=reseller)
    team = _lock_team(reseller=reseller, team_id=team_id)
    membership = (
        Membership.objects.select_related("user").filter(reseller=reseller, user_id=user_id).first()
    )
    if membership is None:
        user = User.objects.filter(pk=user_id).first()
        raise PortalError(
            "ACC-T002", email=user.email if user else str(user_id), reseller=reseller.name
        )
    user = membership.user
    if TeamMember.objects.filter(team=team, user=user).exists():
        raise PortalError("ACC-T003", email=user.email, team=team.name)
    row = TeamMember(team=team, user=user)
    row._history_user = actor
    row._change_reason = _("added to the team")
    row.save()
    user.groups.add(team.group)
    audit_events_record(
        [
            _group_event(
                actor=actor,
                joined=True,
                user=user,
                group=team.group,
                reseller=reseller,
                reason=f"added to the team {team.name}",
            )
        ]
    )
    return row


def _leave(*, actor: User | None, team: Team, row: TeamMember, reason: str) -> None:
    row.user.groups.remove(team.group)
    row._history_user = actor
    row._change_reason = reason
    row.delete()
    audit_events_record(
        [
            _group_event(
                actor=actor,
                joined=False,
                user=row.user,
                group=team.group,
                reseller=team.reseller,
                reason=reason,
            )
        ]
    )


@transaction.atomic
def team_member_remove(*, actor: User, reseller: Reseller, team_id: int, user_id: int) -> None:
    """Take a member out of a team: they lose the team's access on customers at once (their
    role's own access, from links that name no team, stays). Reseller admins."""
    _require_admin(actor=actor, reseller=reseller)
    team = _lock_team(reseller=reseller, team_id=team_id)
    row = TeamMember.objects.select_related("user").filter(team=team, user_id=user_id).first()
    if row is None:
        user = User.objects.filter(pk=user_id).first()
        raise PortalError("ACC-T006", email=user.email if user else str(user_id), team=team.name)
    _leave(actor=actor, team=team, row=row, reason=f"removed from the team {team.name}")


def team_members_drop(*, actor: User | None, reseller: Reseller, user: User) -> None:
    """A person who leaves the reseller leaves all its teams too. Inside `membership_remove`."""
    rows = TeamMember.objects.filter(team__reseller=reseller, user=user).select_related(
        "team__group", "team__reseller", "user"
    )
    for row in rows:
        _leave(actor=actor, team=row.team, row=row, reason="left the reseller")


def team_uses(team: Team) -> int:
    """How many live links and open requests name the team: it cannot go while any does (the
    link would fall back to the operators, which widens who can act)."""
    from linking.models import Link, LinkRequest

    live = Link.objects.filter(teams=team, status__in=Link.LIVE_STATUSES).count()
    # A draft counts too: losing its only team would send it to the operators unnoticed.
    open_requests = LinkRequest.objects.filter(
        teams=team, status__in=[LinkRequest.Status.DRAFT, *LinkRequest.OPEN_STATUSES]
    ).count()
    return live + open_requests


@transaction.atomic
def team_delete(*, actor: User, reseller: Reseller, team_id: int) -> None:
    """Delete a team that no live link or open request names; its members leave it first (an
    audit event each). Reseller admins, after a confirmation page."""
    _require_admin(actor=actor, reseller=reseller)
    team = _lock_team(reseller=reseller, team_id=team_id)
    if count := team_uses(team):
        raise PortalError("ACC-T004", team=team.name, count=count)
    for row in TeamMember.objects.filter(team=team).select_related("user"):
        _leave(actor=actor, team=team, row=row, reason=f"the team {team.name} was deleted")
    group = team.group
    team._history_user = actor
    team._change_reason = "team deleted"
    team.delete()
    group.delete()
