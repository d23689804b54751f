"""The teams a request gives its delegation and provisioning links to, and how a change of
teams compares with a link's (for a change of scope).

No team chosen is the operators: the reseller's role groups hold the link's grants, as before
teams existed. Teams chosen: only their members act on the customer through the link.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Reseller, Role, Team, TeamMember, User
from linking.models import CustomerAccountGroupObjectPermission, Link, LinkRequest
from linking.services._common import _save
from linking.services.links import TEAM_LINK_TYPES, _reseller_groups, link_grants
from portal.dates import local_moment
from portal.errors import PortalError


def request_takes_teams(req: LinkRequest) -> bool:
    """Whether any item of the request is of a type whose access can go to teams."""
    return req.items.filter(link_type__in=TEAM_LINK_TYPES).exists()


def _teams_of(reseller_id: int, team_ids: Iterable[int], reseller_name: str) -> list[Team]:
    wanted = sorted({int(pk) for pk in team_ids})
    found = list(Team.objects.filter(reseller_id=reseller_id, pk__in=wanted).order_by("pk"))
    missing = sorted(set(wanted) - {t.pk for t in found})
    if missing:
        raise PortalError("ACC-T005", reseller=reseller_name, team=str(missing[0]))
    return found


@transaction.atomic
def link_request_set_teams(*, actor: User, request_id: int, team_ids: Iterable[int]) -> LinkRequest:
    """Choose the teams of a draft (none: the operators). Initiators and admins, on a draft."""
    from linking.services.requests import _lock_draft

    req = _lock_draft(actor, request_id)
    return request_apply_teams(actor=actor, req=req, team_ids=team_ids)


def request_apply_teams(*, actor: User, req: LinkRequest, team_ids: Iterable[int]) -> LinkRequest:
    """Set the teams of a locked draft; the caller checked the actor may edit it."""
    teams = _teams_of(req.reseller_id, team_ids, req.reseller.name)
    if teams and not request_takes_teams(req):
        teams = []  # a billing association is the reseller's: it has no teams to choose
    before = sorted(req.teams.values_list("pk", flat=True))
    if before == [t.pk for t in teams]:
        return req
    req.teams.set(teams)
    names = ", ".join(t.name for t in teams) or "the operators"
    _save(req, actor=actor, reason=f"access goes to {names}", fields=["wizard_step"])
    return req


def teams_change(link: Link, req: LinkRequest) -> str:
    """How a request's teams compare with its link's: "same", "narrower" or "wider".

    No team is everyone of the operators, so choosing teams on an operators' link narrows; going
    back to the operators, or adding a team, widens (new people can act)."""
    old = set(link.teams.values_list("pk", flat=True))
    new = set(req.teams.values_list("pk", flat=True))
    if old == new:
        return "same"
    if not old:
        # From the operators to teams: narrower only if every member of the teams already
        # acted through the link (an admin or initiator); a viewer in a team would gain.
        outside = (
            TeamMember.objects.filter(team_id__in=new)
            .exclude(
                user__memberships__reseller_id=link.reseller_id,
                user__memberships__role__in=[Role.ADMIN, Role.INITIATOR],
            )
            .exists()
        )
        return "wider" if outside else "narrower"
    if not new or not new <= old:
        return "wider"
    return "narrower"


def amend_widens_teams(req: LinkRequest) -> bool:
    """A change of scope that lets more (or other) people act on the customer: it goes to an
    approver whatever the scope, unless the reseller's policy asks no approval at all."""
    if req.purpose != LinkRequest.Purpose.AMEND or req.amends_link_id is None:
        return False
    if req.reseller.approval_policy == Reseller.ApprovalPolicy.NEVER:
        return False
    link = Link.objects.get(pk=req.amends_link_id)
    return teams_change(link, req) == "wider"


def check_who_acts(link: Link) -> dict[str, Any]:
    """The portal's own rule, no call to the cloud: the link's permissions on the customer are
    held by the link's teams only (the operators' role groups when it names none). Its record
    reads the members of those teams, not everyone in the reseller."""
    at = timezone.now()
    teams = list(link.teams.prefetch_related("members__user").order_by("name", "id"))
    groups = _reseller_groups(link.reseller_id)
    if teams:
        expected = {team.group_id for team in teams}
        read = [
            {
                "what": f"Members of the team {team.name}",
                "value": ", ".join(m.user.email for m in team.members.all()) or "nobody",
            }
            for team in teams
        ]
        names = ", ".join(team.name for team in teams)
    else:
        expected = {g for g, (kind, _, _) in groups.items() if kind == "role"}
        read = [{"what": "Teams of the link", "value": "none: the operators"}]
        names = "the operators"
    holders = set(
        CustomerAccountGroupObjectPermission.objects.filter(
            content_object_id=link.customer_id,
            group_id__in=list(groups),
            permission__codename__in=link_grants(link),
        ).values_list("group_id", flat=True)
    )
    outside = sorted(groups[g][1] for g in holders - expected)
    refusal = (
        PortalError("ACC-T007", holders=", ".join(outside), reference=link.reference, teams=names)
        if outside
        else None
    )
    return {
        "name": "who_acts",
        "label": "Only the link's teams hold its access",
        "passed": refusal is None,
        "outcome": "failed" if refusal else "passed",
        "detail": refusal.message if refusal else f"Access of {link.reference} goes to {names}.",
        "code": refusal.code if refusal else "",
        "hint": refusal.hint if refusal else "",
        "stage": refusal.stage if refusal else "",
        "checked_at": at.isoformat(),
        "evidence": [],
        "rule": {
            "source": "portal",
            "statement": (
                "The portal's own rule, no call to the cloud: the link's permissions on the "
                "customer account are held by the members of its teams (the operators when it "
                "names none), and by nobody else of the reseller."
            ),
            "read": read,
            "at": at.isoformat(),
            "when": local_moment(at),
        },
    }
