"""Who may open a link's pages when the link names teams, and the teams a page shows."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Membership, Reseller, Team, TeamMember, User
from linking.models import Link

# Reseller admins manage the teams, so they see every link of the reseller (they change its
# teams, revoke it); they hold a team-scoped link's permissions only as members of its teams.
SEES_EVERY_LINK = "manage_members"


def link_visible_q(*, user: User | None, perms: set[str] | None) -> Q:
    """Links whose pages `user` may open: all for an admin; else a link that names no team
    (the operators' link, as before teams) or names a team the user is a member of. A member
    outside the teams meets a 404, as for another reseller's link."""
    if user is None or (perms is not None and SEES_EVERY_LINK in perms):
        return Q()
    through = Link.teams.through.objects.filter(link_id=OuterRef("pk"))
    mine = TeamMember.objects.filter(team_id=OuterRef("team_id"), user=user)
    return ~Q(Exists(through)) | Q(Exists(through.filter(Exists(mine))))


def team_list_for_reseller(*, reseller: Reseller | int) -> QuerySet[Team]:
    """The reseller's teams by name, with their members (users) fetched: two queries."""
    return (
        Team.objects.filter(reseller=reseller)
        .prefetch_related("members__user")
        .order_by("name", "id")
    )


def team_detail_context(*, team: Team, history_limit: int = 50) -> dict:
    """What the team's page shows: its members, the reseller's members who could join, the
    links that name it and its history (the team's and its members' rows, newest first).
    A fixed number of queries, whatever the team's size."""
    members = list(TeamMember.objects.filter(team=team).select_related("user"))
    in_team = {m.user_id for m in members}
    candidates = [
        m.user
        for m in Membership.objects.filter(reseller_id=team.reseller_id)
        .select_related("user")
        .order_by("user__email", "pk")
        if m.user_id not in in_team
    ]
    links = list(
        Link.objects.filter(teams=team).select_related("customer").order_by("-created_at", "-id")
    )
    team_rows = list(
        Team.history.filter(id=team.pk)
        .select_related("history_user")
        .order_by("-history_id")[:history_limit]
    )
    member_rows = list(
        TeamMember.history.filter(team_id=team.pk)
        .select_related("history_user", "user")
        .order_by("-history_id")[:history_limit]
    )
    history = sorted([*team_rows, *member_rows], key=lambda row: row.history_date, reverse=True)[
        :history_limit
    ]
    return {
        "members": members,
        "candidates": candidates,
        "links": links,
        "history": [_history_line(row) for row in history],
    }


def _history_line(row: Any) -> dict:
    kind = row.history_type
    if hasattr(row, "team_id"):
        what = {
            "+": _("%(who)s joined"),
            "-": _("%(who)s left"),
        }.get(kind, _("%(who)s changed")) % {"who": row.user.email if row.user else "?"}
    else:
        what = {
            "+": _("Team made as %(name)s"),
            "~": _("Named %(name)s"),
            "-": _("Team deleted"),
        }[kind] % {"name": row.name}
    return {
        "when": row.history_date,
        "who": row.history_user,
        "what": what,
        "why": row.history_change_reason or "",
    }
