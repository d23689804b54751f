"""The decisions on a request that waits: approve, reject, cancel, and expiry at its deadline;
the predicates the request page asks before offering them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from linking.checks.items import dry_run
from linking.checks.reasons import ChecksFailed, ItemSpec
from linking.models import LinkRequest, Notification
from linking.services._common import (
    Status,
    _enter_consent,
    _holds,
    _initiator_refusal,
    _lock_request,
    _move,
    _notify,
    _refuse_state,
    _set_items_open,
    can_link,
)
from portal.errors import PortalError


def can_decide(
    req: LinkRequest, *, actor: User, perms: set[str] | None = None, action: str = "decided"
) -> PortalError | None:
    """Whether `actor` may approve or reject `req` (None) or the refusal: a request waiting for
    approval and not overdue (LNK-S001), an approver or admin (LNK-A002), never its initiator
    (LNK-A001). The request page's decision form and `link_request_approve`/`_reject` ask it."""
    if req.effective_status != Status.PENDING_APPROVAL:
        return _refuse_state(req, action)
    if not _holds(actor, req.reseller, "approve_requests", perms):
        return PortalError("LNK-A002", reseller=req.reseller.name)
    if req.initiator_id == actor.pk:
        return PortalError("LNK-A001", reference=req.reference)
    return None


def can_cancel(
    req: LinkRequest, *, actor: User, perms: set[str] | None = None
) -> PortalError | None:
    """Whether `actor` may cancel `req` (None) or the refusal: initiators and admins, a draft or
    a request still open (not overdue). The request page's button and `link_request_cancel`."""
    if refusal := _initiator_refusal(actor, req.reseller, perms):
        return refusal
    if req.effective_status not in (Status.DRAFT, *LinkRequest.OPEN_STATUSES):
        return _refuse_state(req, "cancelled")
    return None


def _lock_pending_approval(actor: User, request_id: int, action: str) -> LinkRequest:
    req = _lock_request(request_id)
    if refusal := can_decide(req, actor=actor, action=action):
        raise refusal
    return req


@transaction.atomic
def link_request_approve(*, actor: User, request_id: int, reason: str = "") -> LinkRequest:
    """Approve a request waiting for approval; never the approver's own. Approvers, admins."""
    req = _lock_pending_approval(actor, request_id, "approved")
    items = list(req.items.all())
    if refusal := can_link(req.reseller, link_types=[item.link_type for item in items]):
        raise refusal
    _, reasons = dry_run(
        actor=req.initiator,
        reseller=req.reseller,
        account_id=req.account_id_input,
        items=[ItemSpec.from_item(item) for item in items],
        exclude_request_id=req.pk,
        amends_link_id=req.amends_link_id,
    )
    if reasons:
        raise ChecksFailed(reasons)
    req.approver = actor
    req.decision_reason = reason.strip()
    _enter_consent(
        req,
        actor=actor,
        reason=f"approved: {reason.strip() or 'no comment'}",
        extra=["approver", "decision_reason"],
    )
    return req


@transaction.atomic
def link_request_reject(*, actor: User, request_id: int, reason: str) -> LinkRequest:
    """Reject a request waiting for approval, with a reason. Approvers, admins."""
    req = _lock_pending_approval(actor, request_id, "rejected")
    if not reason.strip():
        raise PortalError("LNK-A003")
    req.approver = actor
    req.decision_reason = reason.strip()
    _move(
        req,
        Status.REJECTED,
        actor=actor,
        reason=f"rejected: {reason.strip()}",
        extra=["approver", "decision_reason"],
    )
    _set_items_open(req, False, actor=actor, reason="rejected")
    _notify(Notification.Kind.REQUEST_REJECTED, req.initiator.email, request=req)
    return req


@transaction.atomic
def link_request_cancel(*, actor: User, request_id: int, reason: str = "") -> LinkRequest:
    """Cancel a draft or pending request; its consent link dies at once. Initiators, admins."""
    req = _lock_request(request_id)
    if refusal := can_cancel(req, actor=actor):
        raise refusal
    req.consent_token_hash = ""
    _move(
        req,
        Status.CANCELLED,
        actor=actor,
        reason=f"cancelled: {reason.strip() or 'no reason given'}",
        extra=["consent_token_hash"],
    )
    _set_items_open(req, False, actor=actor, reason="cancelled")
    return req


@transaction.atomic
def link_request_expire(*, request_id: int) -> LinkRequest | None:
    """Expire one request whose deadline has passed, as the sweep does; a no-op otherwise."""
    from linking.services.sweeps import link_request_expire_locked

    req = _lock_request(request_id)
    if not req.is_overdue:
        return None
    link_request_expire_locked([req], now=timezone.now())
    return req
