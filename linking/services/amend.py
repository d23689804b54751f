"""Changes of scope and renewals of a link: a request of their own, pre-filled from the link.

A change of scope that only narrows (fewer services or regions, a lower access level, an earlier
end) applies at once on submit, without the customer: it takes nothing new from them. Anything
wider, and every renewal, follows the normal path (approval policy, then the customer's consent);
on acceptance `_link_upsert_from_item` amends the same link row.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import LinkType, User
from linking.checks.policy import request_settings_snapshot
from linking.checks.reasons import MAX_DELEGATION_DAYS, MIN_DELEGATION_DAYS
from linking.models import AccessLevel, Link, LinkRequest, RequestItem, VerificationRun
from linking.services._common import (
    Status,
    _initiator_refusal,
    _move,
    _on_commit,
    _refuse_link,
    _save,
    can_link,
)
from linking.services.links import link_sync_grants
from linking.services.teams import teams_change
from portal.errors import PortalError

Purpose = LinkRequest.Purpose
NARROWING = "narrowing applies without consent"
_LEVEL_RANK = {"": 0, AccessLevel.READ_ONLY: 0, AccessLevel.MANAGE: 1}


def remaining_days(link: Link, now: datetime | None = None) -> int | None:
    """Whole days left until the link's end (a started day counts), within 1…730; None if open."""
    if link.ends_at is None:
        return None
    seconds = (link.ends_at - (now or timezone.now())).total_seconds()
    return min(MAX_DELEGATION_DAYS, max(MIN_DELEGATION_DAYS, math.ceil(seconds / 86400)))


def _granted_days(link: Link) -> int | None:
    """The duration the link was last granted for: its source item's, else its own dates."""
    if link.source_item is not None and link.source_item.duration_days:
        return link.source_item.duration_days
    if link.ends_at is None or link.starts_at is None:
        return None
    days = math.ceil((link.ends_at - link.starts_at).total_seconds() / 86400)
    return min(MAX_DELEGATION_DAYS, max(MIN_DELEGATION_DAYS, days))


def _start_draft(
    *, actor: User, link: Link, purpose: str, duration_days: int | None
) -> LinkRequest:
    req = LinkRequest(
        reseller=link.reseller,
        initiator=actor,
        customer=link.customer,
        account_id_input=link.customer.account_id,
        purpose=purpose,
        amends_link=link,
        status=Status.DRAFT,
        **request_settings_snapshot(link.reseller),
        # The link fixes the type and the customer: the wizard opens at the scope.
        wizard_step=3,
    )
    what = "change of scope" if purpose == Purpose.AMEND else "renewal"
    req._history_user = actor
    req._change_reason = f"{what} of {link.reference} started"
    req.save()
    item = RequestItem(
        request=req,
        reseller=link.reseller,
        customer=link.customer,
        link_type=link.link_type,
        services=list(link.services or []),
        regions=list(link.regions or []),
        access_level=link.access_level,
        duration_days=duration_days if link.link_type == LinkType.DELEGATION else None,
    )
    item._history_user = actor
    item._change_reason = f"pre-filled from {link.reference}"
    item.save()
    req.teams.set(list(link.teams.all()))
    return req


def _get_link(link_id: int) -> Link:
    link = (
        Link.objects.select_related("reseller", "customer", "source_item")
        .filter(pk=link_id)
        .first()
    )
    if link is None:
        raise PortalError("LNK-L001", reference=f"LK-{link_id:06d}", status="gone", action="used")
    return link


def _amend_state_refusal(link: Link) -> PortalError | None:
    if link.effective_status != Link.Status.ACTIVE:
        return _refuse_link(link, "amended")
    if link.link_type == LinkType.BILLING:
        # A billing association has no scope to change.
        return _refuse_link(link, "amended (a billing link has no scope)")
    return None


def _renew_state_refusal(link: Link) -> PortalError | None:
    if link.link_type != LinkType.DELEGATION or link.ends_at is None:
        return _refuse_link(link, "renewed (it has no end date)")
    if link.effective_status not in (Link.Status.ACTIVE, Link.Status.EXPIRED):
        return _refuse_link(link, "renewed")
    return None


def can_amend(link: Link, *, actor: User, perms: set[str] | None = None) -> PortalError | None:
    """Whether `actor` may start a change of scope of `link` (None) or the refusal: initiators
    and admins, an active link with a scope, a reseller whose program still allows its type.
    The "Change scope" button and `link_amend_start` both ask it."""
    return (
        _initiator_refusal(actor, link.reseller, perms)
        or _amend_state_refusal(link)
        or can_link(link.reseller, link_types=[link.link_type])
    )


def can_renew(link: Link, *, actor: User, perms: set[str] | None = None) -> PortalError | None:
    """Whether `actor` may start the renewal of `link` (None) or the refusal: initiators and
    admins, a time-bound delegation that is active or expired, a reseller whose program still
    allows it. The "Renew" button and `link_renew_start` both ask it."""
    return (
        _initiator_refusal(actor, link.reseller, perms)
        or _renew_state_refusal(link)
        or can_link(link.reseller, link_types=[link.link_type])
    )


@transaction.atomic
def link_amend_start(*, actor: User, link_id: int) -> LinkRequest:
    """Start a change of scope of an active link: a draft pre-filled with the link's current
    scope (and, for a delegation, the days it has left). Initiators and admins."""
    link = _get_link(link_id)
    if refusal := can_amend(link, actor=actor):
        raise refusal
    return _start_draft(
        actor=actor, link=link, purpose=Purpose.AMEND, duration_days=remaining_days(link)
    )


@transaction.atomic
def link_renew_start(*, actor: User, link_id: int) -> LinkRequest:
    """Start the renewal of a time-bound link (active or expired): a draft with the same scope
    and the duration last granted. It always needs the customer's consent. Initiators, admins."""
    link = _get_link(link_id)
    if refusal := can_renew(link, actor=actor):
        raise refusal
    return _start_draft(
        actor=actor, link=link, purpose=Purpose.RENEW, duration_days=_granted_days(link)
    )


def scope_change(link: Link, item: RequestItem, now: datetime | None = None) -> str:
    """How an item's scope compares with the link's: "same", "narrower" or "wider"."""
    new_services, old_services = set(item.services or []), set(link.services or [])
    new_regions, old_regions = set(item.regions or []), set(link.regions or [])
    new_level = _LEVEL_RANK.get(item.access_level, 1)
    old_level = _LEVEL_RANK.get(link.access_level, 1)
    days_left = remaining_days(link, now)
    new_days = item.duration_days if link.link_type == LinkType.DELEGATION else None
    if new_days is None or days_left is None:
        # No end on the link: any end is earlier; no end asked: nothing about the dates changes.
        longer = False
        same_days = new_days is None and days_left is None
    else:
        longer, same_days = new_days > days_left, new_days == days_left
    if (
        not new_services <= old_services
        or not new_regions <= old_regions
        or new_level > old_level
        or longer
    ):
        return "wider"
    if (
        new_services == old_services
        and new_regions == old_regions
        and new_level == old_level
        and item.access_level == link.access_level
        and same_days
    ):
        return "same"
    return "narrower"


def amend_check_on_submit(req: LinkRequest) -> bool:
    """On submit of a change of scope or renewal: is the link still there to change, and did
    anything change? True when the change only narrows and applies without consent.

    Locks the link for the rest of the submit; called with the request locked.
    """
    if req.purpose == Purpose.NEW or req.amends_link_id is None:
        return False
    link = (
        Link.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=req.amends_link_id)
    )
    if req.purpose == Purpose.RENEW:
        if refusal := _renew_state_refusal(link):
            raise refusal
        # A renewal is never narrowed into a silent extension: it always goes to the customer.
        return False
    if refusal := _amend_state_refusal(link):
        raise refusal
    items = list(req.items.all())
    if len(items) != 1 or items[0].link_type != link.link_type:
        raise _refuse_link(link, f"amended by {req.reference} (its link type differs)")
    changes = {scope_change(link, items[0]), teams_change(link, req)}
    if changes == {"same"}:
        raise PortalError("LNK-L003")
    # Who may act is part of the scope: more people (or other ones) need approval and consent.
    return "wider" not in changes


def amend_apply_narrowing(*, actor: User, req: LinkRequest) -> LinkRequest:
    """Apply a narrowing change of scope at once: the link row updated in place, permissions
    synced, the request completed with its item accepted. Inside `link_request_submit`."""
    from linking.tasks import link_verify_task

    if req.amends_link_id is None:
        raise ValueError(f"{req.reference} amends no link.")
    now = timezone.now()
    link = Link.objects.select_for_update(of=("self",)).get(pk=req.amends_link_id)
    item = req.items.get()
    days_left = remaining_days(link, now)
    link.services = list(item.services or [])
    link.regions = list(item.regions or [])
    link.access_level = item.access_level
    if item.duration_days is not None and item.duration_days != days_left:
        link.ends_at = now + timedelta(days=item.duration_days)
    # The source item stays: the customer's consent to the wider scope still covers this one.
    _save(
        link,
        actor=actor,
        reason=f"scope narrowed by {req.reference}",
        fields=["services", "regions", "access_level", "ends_at"],
    )
    link.teams.set(list(req.teams.all()))
    link_sync_grants(
        actor=actor,
        reseller_id=link.reseller_id,
        customer_id=link.customer_id,
        reason=f"{link.reference} scope narrowed by {req.reference}",
    )
    _on_commit(link_verify_task, link.pk, VerificationRun.Trigger.AMEND.value)
    item.decision = RequestItem.Decision.ACCEPTED
    item.decided_at = now
    item.is_open = False
    _save(item, actor=actor, reason=NARROWING, fields=["decision", "decided_at", "is_open"])
    _move(req, Status.COMPLETED, actor=actor, reason=NARROWING, extra=["submitted_at"])
    return req
