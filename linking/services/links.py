"""Links: created or amended by an accepted item, activated by applying their grants."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import LinkType, Role, Team, User
from accounts.services import audit_events_record, audit_permission_event
from linking.models import (
    AccessLevel,
    CustomerAccount,
    CustomerAccountGroupObjectPermission,
    Link,
    LinkRequest,
    Notification,
    RequestItem,
    VerificationStatus,
)
from linking.permissions import live_link_q
from linking.services._common import _lock_link, _move_link, _notify, _on_commit, _save, can_link
from linking.services.cleanup import link_cleanup_clear

logger = logging.getLogger(__name__)


# Which customer-account permissions each link gives the reseller's role groups.
_VIEW_ROLES = [Role.ADMIN, Role.INITIATOR, Role.APPROVER, Role.VIEWER]
_OPERATE_ROLES = [Role.ADMIN, Role.INITIATOR]


_TYPE_GRANTS: dict[str, list[str]] = {
    LinkType.BILLING: ["bill_customeraccount"],
    LinkType.PROVISIONING: ["provision_customeraccount"],
    LinkType.DELEGATION: ["delegate_read_customeraccount"],
}


def link_grants(link: Link) -> list[str]:
    grants = _TYPE_GRANTS[link.link_type]
    if link.link_type == LinkType.DELEGATION and link.access_level == AccessLevel.MANAGE:
        grants = [*grants, "delegate_manage_customeraccount"]
    return grants


# Link types whose access can go to named teams; a billing association is the reseller's.
TEAM_LINK_TYPES = (LinkType.DELEGATION, LinkType.PROVISIONING)


def _reseller_groups(reseller_id: int) -> dict[int, tuple[str, str, Group]]:
    """{group id: ("role", role, group) or ("team", team name, group)} of every group of the
    reseller that links may grant to: its four role groups and one group per team. One query."""
    groups: dict[int, tuple[str, str, Group]] = {}
    for group in (
        Group.objects.filter(
            Q(reseller_role__reseller_id=reseller_id) | Q(team__reseller_id=reseller_id)
        )
        .select_related("reseller_role", "team")
        .order_by("id")
    ):
        role = getattr(group, "reseller_role", None)
        if role is not None:
            groups[group.pk] = ("role", role.role, group)
        else:
            groups[group.pk] = ("team", group.team.name, group)
    return groups


def _desired_grants(
    reseller_id: int, customer_id: int, groups: dict[int, tuple[str, str, Group]] | None = None
) -> dict[int, set[str]]:
    """What each group of the reseller should hold on the customer ({group id: codenames}):
    the union of the grants of its granting links (active, and a revoked billing association
    until month end). A link that names teams grants to their groups only; one that names none
    grants to the role groups (view to every role, the link's own to admins and initiators)."""
    groups = _reseller_groups(reseller_id) if groups is None else groups
    role_groups = {name: g for g, (kind, name, _) in groups.items() if kind == "role"}
    desired: dict[int, set[str]] = {group_id: set() for group_id in groups}
    # A delegation past its end date grants nothing, even before the sweep marks it expired.
    links = Link.objects.filter(
        live_link_q(), reseller_id=reseller_id, customer_id=customer_id
    ).only("link_type", "access_level")
    if len(role_groups) < len(groups):
        # The reseller has teams: read which of them each link names (one more query).
        links = links.prefetch_related(
            Prefetch("teams", queryset=Team.objects.only("id", "group_id"))
        )
    for link in links:
        teams = (
            list(link.teams.all())
            if link.link_type in TEAM_LINK_TYPES and len(role_groups) < len(groups)
            else []
        )
        if teams:
            for team in teams:
                desired.setdefault(team.group_id, set()).update(
                    {"view_customeraccount", *link_grants(link)}
                )
            continue
        for role in _VIEW_ROLES:
            if role in role_groups:
                desired[role_groups[role]].add("view_customeraccount")
        for perm in link_grants(link):
            for role in _OPERATE_ROLES:
                if role in role_groups:
                    desired[role_groups[role]].add(perm)
    return desired


def link_sync_grants(
    *, actor: User | None, reseller_id: int, customer_id: int, reason: str
) -> dict[str, tuple[set, set]]:
    """Make the reseller's role groups and team groups hold exactly what its active links on
    the customer give.

    Every lifecycle step (activate, amend, revoke, expire, suspend, resume, a change of teams)
    ends here, so a permission never outlives the link that granted it, and each grant or
    removal is an audit event with the actor (None: the system) and the reason of the step,
    written in one INSERT. Returns {role or "team:<name>": (added, removed)}. Call inside the
    transaction that changes the links.
    """
    groups = _reseller_groups(reseller_id)
    desired = _desired_grants(reseller_id, customer_id, groups)
    held: dict[int, set[str]] = {}
    for row in CustomerAccountGroupObjectPermission.objects.filter(
        content_object_id=customer_id, group_id__in=list(groups)
    ).values_list("group_id", "permission__codename"):
        held.setdefault(row[0], set()).add(row[1])
    customer = CustomerAccount.objects.get(pk=customer_id)
    touched = [g for g in groups if desired.get(g, set()) != held.get(g, set())]
    changes = {}
    events = []
    for group_id in touched:
        kind, name, group = groups[group_id]
        have, want = held.get(group_id, set()), desired.get(group_id, set())
        added, removed = want - have, have - want
        for perm in sorted(added):
            assign_perm(f"linking.{perm}", group, customer)
        if removed:
            CustomerAccountGroupObjectPermission.objects.filter(
                content_object_id=customer_id,
                group_id=group_id,
                permission__codename__in=removed,
            ).delete()
        changes[name if kind == "role" else f"team:{name}"] = (added, removed)
        events += [
            audit_permission_event(
                actor=actor,
                granted=granted,
                perm=f"linking.{perm}",
                group=group,
                obj=customer,
                reseller_id=reseller_id,
                reason=reason,
            )
            for granted, perms in ((True, added), (False, removed))
            for perm in sorted(perms)
        ]
    audit_events_record(events)
    return changes


def link_sync_grants_for_team(*, actor: User | None, team_id: int, reason: str) -> None:
    """Sync the grants of every customer on which a link names the team (a link's teams
    changed, or the team is going). Inside the caller's transaction."""
    rows = (
        Link.objects.filter(teams__id=team_id)
        .values_list("reseller_id", "customer_id")
        .distinct()
        .order_by("customer_id")
    )
    for reseller_id, customer_id in rows:
        link_sync_grants(
            actor=actor, reseller_id=reseller_id, customer_id=customer_id, reason=reason
        )


@transaction.atomic
def link_activate(*, link_id: int) -> Link | None:
    """Start waiting for the customer's cloud-side setup: the link grants nothing until the
    checks prove it (`link_verify` makes it active). The activation task calls it; idempotent."""
    from linking.tasks import link_setup_check_task

    link = _lock_link(link_id)
    if link is None or link.status != Link.Status.ACTIVATING:
        return None
    if refusal := can_link(link.reseller, link_types=[link.link_type]):
        # The reseller was suspended or the type left its program after the customer accepted:
        # nothing is granted; the link waits, suspended, for platform staff.
        from linking.services.suspension import _tell_partner_suspended, link_suspend_locked

        if link.source_item:
            req = link.source_item.request
            req.failure_stage, req.failure_code = "activation", refusal.code
            _save(
                req,
                actor=None,
                reason=f"activation refused: {refusal.code}",
                fields=["failure_stage", "failure_code"],
            )
        link_suspend_locked(
            link,
            actor=None,
            cause=Link.SuspendedFor.RESELLER,
            reason=f"{refusal.code}: {refusal.message}",
        )
        _tell_partner_suspended(link, reason=refusal.message)
        return link
    customer = CustomerAccount.objects.get(pk=link.customer_id)
    if customer.status != CustomerAccount.Status.ACTIVE:
        link.status_reason = f"LNK-P001: account is {customer.get_status_display().lower()}"
        if link.source_item:
            req = link.source_item.request
            req.failure_stage, req.failure_code = "activation", "LNK-P001"
            _save(
                req,
                actor=None,
                reason="activation waits: account not active",
                fields=["failure_stage", "failure_code"],
            )
        _save(
            link,
            actor=None,
            reason="activation waits: account not active",
            fields=["status_reason"],
        )
        return link
    now = timezone.now()
    link.status_reason = ""
    link.setup_deadline = now + timedelta(days=setup_window_days(link))
    link.next_setup_check_at = now
    link.setup_checks = 0
    link.verification_status = VerificationStatus.UNVERIFIED
    _move_link(
        link,
        Link.Status.AWAITING_SETUP,
        actor=None,
        reason="accepted: waits for the customer's setup in the cloud",
        extra=[
            "status_reason",
            "setup_deadline",
            "next_setup_check_at",
            "setup_checks",
            "verification_status",
        ],
    )
    # An amended link grants nothing while its new scope is being set up.
    link_sync_grants(
        actor=None,
        reseller_id=link.reseller_id,
        customer_id=link.customer_id,
        reason=f"{link.reference} waits for the customer's setup",
    )
    _on_commit(link_setup_check_task, link.pk)
    return link


def setup_window_days(link: Link) -> int:
    """Days the customer has for the cloud-side setup (the reseller's setting, as kept)."""
    from linking.checks.policy import link_setup_window_days

    return link_setup_window_days(link)


def link_setup_proven(link: Link, *, actor: User | None) -> None:
    """A locked link awaiting its setup, proven in the cloud: active, and only now granted.
    Called by `link_verify` inside its transaction."""
    from linking.services.drift import next_reverification_at

    link.activated_at = timezone.now()
    link.status_reason = ""
    link.setup_deadline = link.next_setup_check_at = link.broken_at = None
    # From now on re-verified on its own slot of the day (drift).
    link.next_verification_at = next_reverification_at(link.pk, after=link.activated_at)
    link.drift_failures = link.drift_inconclusive = 0
    _move_link(
        link,
        Link.Status.ACTIVE,
        actor=actor,
        reason="activated: proven in the cloud, grants applied",
        # The customer learns that what they set up works, and where to see or end it.
        customer_notice=(Notification.Kind.LINK_ACTIVE, {}),
        extra=[
            "activated_at",
            "status_reason",
            "setup_deadline",
            "next_setup_check_at",
            "broken_at",
            "next_verification_at",
            "drift_failures",
            "drift_inconclusive",
        ],
    )
    link_sync_grants(
        actor=actor,
        reseller_id=link.reseller_id,
        customer_id=link.customer_id,
        reason=f"{link.reference} activated",
    )
    if link.source_item:
        req = link.source_item.request
        _notify(Notification.Kind.LINK_ACTIVE, req.initiator.email, request=req, link=link)


def _link_upsert_from_item(req: LinkRequest, item: RequestItem) -> Link:
    """Create the link of an accepted item, or amend the one that exists for the same triple."""
    from linking.tasks import link_activate_task

    now = timezone.now()
    link = (
        Link.objects.select_for_update(of=("self",))
        .filter(reseller=req.reseller, customer=req.customer, link_type=item.link_type)
        .first()
    )
    reason = f"accepted in {req.reference}"
    if link is None:
        link = Link(reseller=req.reseller, customer=req.customer, link_type=item.link_type)
    else:
        if req.purpose == LinkRequest.Purpose.RENEW:
            reason = f"renewed by {req.reference}"
        else:
            reason = f"amended by {req.reference}"
        _move_link(link, Link.Status.ACTIVATING, actor=None, reason=reason, save=False)
        # The new consent starts the link afresh: an earlier revocation or suspension is over
        # (its history rows keep it).
        link.revoked_at = link.revoked_by = link.billing_ends_at = link.broken_at = None
        link.revoke_reason = link.suspended_for = ""
        # Nothing of the old end is left to clean up: the same agency name serves again.
        link_cleanup_clear(link)
        # The new scope is proven afresh: what was too broad for the old one may not be.
        link.over_privileged, link.over_privileged_detail = False, ""
    link.services = item.services
    link.regions = item.regions
    link.access_level = item.access_level
    link.starts_at = now
    link.ends_at = now + timedelta(days=item.duration_days) if item.duration_days else None
    # A new end date gets its own 30/7/1-day reminders.
    link.expiry_reminders_sent = 0
    link.source_item = item
    link.status_reason = ""
    link._history_user = None
    link._change_reason = reason
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        # Another reseller became billing partner between the check and the decision.
        req.failure_stage, req.failure_code = "activation", "LNK-P002"
        _save(
            req,
            actor=None,
            reason="billing item could not be activated",
            fields=["failure_stage", "failure_code"],
        )
        return link
    # The request's teams (none: the operators) are who may act through the link from now on.
    link.teams.set(list(req.teams.all()) if item.link_type in TEAM_LINK_TYPES else [])
    _on_commit(link_activate_task, link.pk)
    return link
