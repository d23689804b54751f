"""Every write of the linking journey. The only place that moves a status.

Each service locks its row, checks permission and transition, changes fields, records the actor
and reason for the history, writes outbox rows and schedules work after commit.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from guardian.shortcuts import assign_perm

from accounts.models import LinkType, Membership, Reseller, ResellerRoleGroup, Role, User
from accounts.permissions import has_reseller_perm
from linking import checks
from linking.models import (
    AccessLevel,
    ConsentRecord,
    CustomerAccount,
    Link,
    LinkRequest,
    Notification,
    RequestItem,
    Service,
    normalise_account_id,
)
from portal.errors import PortalError

logger = logging.getLogger(__name__)

TOKEN_SALT = "linking.consent.v1"  # noqa: S105 (a signing salt, not a secret)
Status = LinkRequest.Status


class ChecksFailed(PortalError):
    """A dry run found blocking reasons; all of them travel with the error."""

    def __init__(self, reasons: list[checks.Reason]):
        first = reasons[0]
        super().__init__(first.code, first.message, first.hint)
        self.reasons = reasons


def _on_commit(task, *args) -> None:
    # robust: a broker that is down must not turn a committed change into an error page; the
    # beat sweeps pick up whatever was not published.
    def publish() -> None:
        task.delay(*args)

    # A named function, not a partial: Django logs a robust failure by func.__qualname__.
    transaction.on_commit(publish, robust=True)


def _lock_request(request_id: int) -> LinkRequest:
    return (
        LinkRequest.objects.select_for_update(of=("self",))
        .select_related("reseller", "customer", "initiator")
        .get(pk=request_id)
    )


def _save(obj, *, actor, reason: str, fields: list[str]) -> None:
    obj._history_user = actor
    obj._change_reason = reason
    obj.save(update_fields=fields)


def _refuse_state(req: LinkRequest, action: str) -> PortalError:
    return PortalError(
        "LNK-S001",
        reference=req.reference,
        status=req.get_effective_status_display().lower(),
        action=action,
    )


def _move(req: LinkRequest, to: str, *, actor, reason: str, extra: list[str] = ()) -> None:
    if to not in LinkRequest.TRANSITIONS.get(req.status, set()):
        raise _refuse_state(req, reason)
    req.status = to
    req.status_changed_at = timezone.now()
    _save(req, actor=actor, reason=reason, fields=["status", "status_changed_at", *extra])


def _set_items_open(req: LinkRequest, is_open: bool, *, actor, reason: str) -> None:
    for item in req.items.all():
        if item.is_open != is_open or item.customer_id != req.customer_id:
            item.is_open = is_open
            item.customer_id = req.customer_id
            _save(item, actor=actor, reason=reason, fields=["is_open", "customer"])


def _notify(kind: str, to_email: str, *, request=None, link=None, **context) -> Notification:
    from linking.tasks import notification_deliver_task

    notification = Notification(
        kind=kind, to_email=to_email, request=request, link=link, context=context
    )
    notification._change_reason = "queued"
    notification.save()
    _on_commit(notification_deliver_task, notification.pk)
    return notification


def _require_initiator_role(actor: User, reseller: Reseller) -> None:
    if not has_reseller_perm(user=actor, reseller=reseller, perm="initiate_requests"):
        raise PortalError("LNK-V013", reseller=reseller.name, role="initiator")


# --- Drafts -------------------------------------------------------------------------------


@transaction.atomic
def link_request_create_draft(*, actor: User, reseller: Reseller) -> LinkRequest:
    """Start a draft request for the reseller. Initiators and admins."""
    _require_initiator_role(actor, reseller)
    req = LinkRequest(
        reseller=reseller,
        initiator=actor,
        consent_days=reseller.consent_days,
        status=Status.DRAFT,
    )
    req._history_user = actor
    req._change_reason = "draft started"
    req.save()
    return req


def _lock_draft(actor: User, request_id: int) -> LinkRequest:
    req = _lock_request(request_id)
    if req.status != Status.DRAFT:
        raise _refuse_state(req, "edited")
    if req.initiator_id != actor.pk:
        raise PortalError("LNK-S002", reference=req.reference)
    _require_initiator_role(actor, req.reseller)
    return req


@transaction.atomic
def link_request_set_types(*, actor: User, request_id: int, link_types: list[str]) -> LinkRequest:
    """Step 1: the link types of the draft; an item per type, kept when re-chosen."""
    req = _lock_draft(actor, request_id)
    allowed = set(req.reseller.allowed_link_types)
    wanted = [t for t in LinkType.values if t in link_types]
    refused = [t for t in wanted if t not in allowed]
    if refused:
        raise PortalError("LNK-V009", link_type=checks._type_label(refused[0]))
    if not wanted:
        raise PortalError("LNK-V014")
    existing = {item.link_type: item for item in req.items.all()}
    for link_type, item in existing.items():
        if link_type not in wanted:
            item._history_user = actor
            item._change_reason = "type removed from draft"
            item.delete()
    for link_type in wanted:
        if link_type not in existing:
            item = RequestItem(
                request=req,
                reseller=req.reseller,
                customer=req.customer,
                link_type=link_type,
                access_level=AccessLevel.READ_ONLY if link_type == LinkType.DELEGATION else "",
                duration_days=90 if link_type == LinkType.DELEGATION else None,
            )
            item._history_user = actor
            item._change_reason = "type added to draft"
            item.save()
    req.wizard_step = max(req.wizard_step, 2)
    _save(req, actor=actor, reason="link types chosen", fields=["wizard_step"])
    return req


@transaction.atomic
def link_request_set_customer(*, actor: User, request_id: int, account_id: str) -> LinkRequest:
    """Step 2: the customer account; kept as typed even when it is not (yet) in the directory."""
    req = _lock_draft(actor, request_id)
    customer, reasons = checks.find_customer(account_id)
    if reasons:
        raise ChecksFailed(reasons)
    req.account_id_input = normalise_account_id(account_id)
    req.customer = customer
    req.wizard_step = max(req.wizard_step, 3)
    _save(
        req,
        actor=actor,
        reason="customer chosen",
        fields=["account_id_input", "customer", "wizard_step"],
    )
    for item in req.items.all():
        item.customer = customer
        _save(item, actor=actor, reason="customer chosen", fields=["customer"])
    return req


@transaction.atomic
def link_request_set_scope(
    *, actor: User, request_id: int, scopes: dict[str, checks.ItemSpec]
) -> LinkRequest:
    """Step 3: services, regions, access level and duration of each item."""
    req = _lock_draft(actor, request_id)
    for item in req.items.all():
        spec = scopes.get(item.link_type)
        if spec is None:
            continue
        if item.link_type == LinkType.BILLING:
            item.services, item.regions = [], []
        else:
            item.services = sorted(set(spec.services))
            item.regions = sorted(set(spec.regions))
        if item.link_type == LinkType.DELEGATION:
            item.access_level = spec.access_level
            item.duration_days = spec.duration_days
        _save(
            item,
            actor=actor,
            reason="scope set",
            fields=["services", "regions", "access_level", "duration_days"],
        )
    req.wizard_step = max(req.wizard_step, 4)
    _save(req, actor=actor, reason="scope set", fields=["wizard_step"])
    return req


@transaction.atomic
def link_request_set_details(
    *,
    actor: User,
    request_id: int,
    ticket_reference: str,
    note_to_customer: str,
    consent_days: int,
) -> LinkRequest:
    """Step 4: the ticket reference, the note to the customer and the consent deadline."""
    req = _lock_draft(actor, request_id)
    if not 1 <= consent_days <= 30:
        raise PortalError("LNK-V022", days=consent_days, max_days=30)
    req.ticket_reference = ticket_reference.strip()
    req.note_to_customer = note_to_customer.strip()
    req.consent_days = consent_days
    _save(
        req,
        actor=actor,
        reason="details set",
        fields=["ticket_reference", "note_to_customer", "consent_days"],
    )
    return req


def link_request_dry_run(*, actor: User, req: LinkRequest) -> list[checks.Reason]:
    """Every reason the request could not be submitted now, for the wizard's review step."""
    items = [checks.ItemSpec.from_item(item) for item in req.items.all()]
    _, reasons = checks.dry_run(
        actor=actor,
        reseller=req.reseller,
        account_id=req.account_id_input,
        items=items,
        consent_days=req.consent_days,
        exclude_request_id=req.pk,
    )
    return reasons


# --- Submit, approve, reject, cancel --------------------------------------------------------


def _approvers(reseller: Reseller, *, exclude: User) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            reseller=reseller, role__in=[Role.APPROVER, Role.ADMIN], user__is_active=True
        )
        .exclude(user=exclude)
        .select_related("user")
    ]


def _enter_consent(req: LinkRequest, *, actor, reason: str, extra: list[str] = ()) -> None:
    req.consent_deadline = timezone.now() + timedelta(days=req.consent_days)
    req.consent_email = req.customer.contact_email
    _move(
        req,
        Status.PENDING_CONSENT,
        actor=actor,
        reason=reason,
        extra=["consent_deadline", "consent_email", *extra],
    )
    _notify(Notification.Kind.CONSENT_REQUEST, req.consent_email, request=req)


@transaction.atomic
def link_request_submit(*, actor: User, request_id: int) -> LinkRequest:
    """Submit a draft: every check again, then approval or straight to the customer."""
    req = _lock_draft(actor, request_id)
    reasons = link_request_dry_run(actor=actor, req=req)
    if reasons:
        raise ChecksFailed(reasons)
    items = [checks.ItemSpec.from_item(item) for item in req.items.all()]
    req.submitted_at = timezone.now()
    try:
        with transaction.atomic():
            _set_items_open(req, True, actor=actor, reason="submitted")
    except IntegrityError:
        # Another request for the same customer and type was submitted a moment ago.
        raise ChecksFailed(link_request_dry_run(actor=actor, req=req)) from None
    if checks.needs_approval(reseller=req.reseller, items=items):
        _move(
            req,
            Status.PENDING_APPROVAL,
            actor=actor,
            reason="submitted for approval",
            extra=["submitted_at"],
        )
        for approver in _approvers(req.reseller, exclude=actor):
            _notify(Notification.Kind.APPROVAL_NEEDED, approver.email, request=req)
    else:
        _enter_consent(
            req,
            actor=actor,
            reason="submitted; the approval policy sends it straight to the customer",
            extra=["submitted_at"],
        )
    return req


def _lock_pending_approval(actor: User, request_id: int, action: str) -> LinkRequest:
    req = _lock_request(request_id)
    if req.effective_status != Status.PENDING_APPROVAL:
        raise _refuse_state(req, action)
    if not has_reseller_perm(user=actor, reseller=req.reseller, perm="approve_requests"):
        raise PortalError("LNK-A002", reseller=req.reseller.name)
    if req.initiator_id == actor.pk:
        raise PortalError("LNK-A001", reference=req.reference)
    return req


@transaction.atomic
def link_request_approve(*, actor: User, request_id: int, reason: str = "") -> LinkRequest:
    """Approve a request waiting for approval; never the approver's own. Approvers, admins."""
    req = _lock_pending_approval(actor, request_id, "approved")
    _, reasons = checks.dry_run(
        actor=req.initiator,
        reseller=req.reseller,
        account_id=req.account_id_input,
        items=[checks.ItemSpec.from_item(item) for item in req.items.all()],
        exclude_request_id=req.pk,
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
    _require_initiator_role(actor, req.reseller)
    if req.effective_status not in (Status.DRAFT, *LinkRequest.OPEN_STATUSES):
        raise _refuse_state(req, "cancelled")
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
    """Expire a request whose deadline has passed. The sweep calls it; a no-op otherwise."""
    req = _lock_request(request_id)
    if not req.is_overdue:
        return None
    req.consent_token_hash = ""
    _move(
        req,
        Status.EXPIRED,
        actor=None,
        reason="expired: the consent deadline passed",
        extra=["consent_token_hash"],
    )
    _set_items_open(req, False, actor=None, reason="expired")
    return req


# --- Consent --------------------------------------------------------------------------------


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def consent_issue_token(*, request_id: int) -> str | None:
    """Mint a fresh consent token (the old one dies) and return it; only the hash is stored.

    Called by the delivery of the consent e-mail, inside its transaction.
    """
    req = _lock_request(request_id)
    if req.effective_status != Status.PENDING_CONSENT:
        return None
    nonce = secrets.token_urlsafe(32)
    req.consent_token_hash = _hash(nonce)
    _save(req, actor=None, reason="consent e-mail sent", fields=["consent_token_hash"])
    return signing.TimestampSigner(salt=TOKEN_SALT).sign_object({"r": req.pk, "n": nonce})


def consent_resolve(token: str, *, lock: bool = False) -> LinkRequest:
    """The request a consent token opens, or a PortalError saying why it does not."""
    try:
        payload = signing.TimestampSigner(salt=TOKEN_SALT).unsign_object(
            token, max_age=timedelta(days=31)
        )
        request_id, nonce = int(payload["r"]), str(payload["n"])
    except signing.SignatureExpired:
        raise PortalError("LNK-C002") from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise PortalError("LNK-C001") from None
    qs = LinkRequest.objects.select_related("reseller", "customer")
    if lock:
        qs = qs.select_for_update(of=("self",))
    req = qs.filter(pk=request_id).first()
    if req is None:
        raise PortalError("LNK-C001")
    if req.status == Status.CANCELLED:
        raise PortalError("LNK-C004")
    if req.effective_status == Status.EXPIRED:
        raise PortalError("LNK-C002")
    if req.status != Status.PENDING_CONSENT or not constant_time_compare(
        req.consent_token_hash, _hash(nonce)
    ):
        raise PortalError("LNK-C003")
    return req


def item_needs_confirmation(item: RequestItem, sensitive_codes: set[str]) -> bool:
    return (
        item.link_type == LinkType.DELEGATION
        and item.access_level == AccessLevel.MANAGE
        and bool(set(item.services) & sensitive_codes)
    )


def _receipt_reference(req: LinkRequest) -> str:
    return f"RC-{req.pk:06d}-{secrets.token_hex(3).upper()}"


@transaction.atomic
def consent_decide(
    *,
    token: str,
    decisions: dict[int, tuple[bool, str]],
    confirm_account_id: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> tuple[LinkRequest, str]:
    """The customer's decision on each item, by the consent link. Returns the receipt reference."""
    req = consent_resolve(token, lock=True)
    items = list(req.items.all())
    if any(item.pk not in decisions for item in items):
        raise PortalError("LNK-C006")
    sensitive = set(Service.objects.filter(sensitive=True).values_list("code", flat=True))
    for item in items:
        accepted, _ = decisions[item.pk]
        if (
            accepted
            and item_needs_confirmation(item, sensitive)
            and normalise_account_id(confirm_account_id) != req.customer.account_id
        ):
            raise PortalError("LNK-C005")
    now = timezone.now()
    receipt = _receipt_reference(req)
    who = f"customer contact {req.consent_email}"
    accepted_items = []
    for item in items:
        accepted, decline_reason = decisions[item.pk]
        item.decision = RequestItem.Decision.ACCEPTED if accepted else RequestItem.Decision.DECLINED
        item.decline_reason = "" if accepted else decline_reason.strip()[:2000]
        item.decided_at = now
        item.is_open = False
        _save(
            item,
            actor=None,
            reason=f"{item.decision} by {who}",
            fields=["decision", "decline_reason", "decided_at", "is_open"],
        )
        ConsentRecord.objects.create(
            request=req,
            item=item,
            decision=item.decision,
            link_type=item.link_type,
            scope={
                "services": item.services,
                "regions": item.regions,
                "access_level": item.access_level,
                "duration_days": item.duration_days,
            },
            reason=item.decline_reason,
            contact_email=req.consent_email,
            ip_address=ip_address,
            user_agent=(user_agent or "")[:300],
            receipt_reference=receipt,
            created_at=now,
        )
        if accepted:
            accepted_items.append(item)
    req.consent_token_hash = ""
    to = Status.COMPLETED if accepted_items else Status.DECLINED
    summary = "accepted" if to == Status.COMPLETED else "declined"
    _move(req, to, actor=None, reason=f"customer {summary} ({who})", extra=["consent_token_hash"])
    for item in accepted_items:
        _link_upsert_from_item(req, item)
    _notify(Notification.Kind.CONSENT_RECEIPT, req.consent_email, request=req, receipt=receipt)
    _notify(Notification.Kind.CUSTOMER_DECIDED, req.initiator.email, request=req, receipt=receipt)
    return req, receipt


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
        reason = f"amended by {req.reference}"
    link.status = Link.Status.ACTIVATING
    link.services = item.services
    link.regions = item.regions
    link.access_level = item.access_level
    link.starts_at = now
    link.ends_at = now + timedelta(days=item.duration_days) if item.duration_days else None
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
    _on_commit(link_activate_task, link.pk)
    return link


# --- Links ----------------------------------------------------------------------------------

# Which customer-account permissions each link gives the reseller's role groups.
_VIEW_ROLES = [Role.ADMIN, Role.INITIATOR, Role.APPROVER, Role.VIEWER]
_OPERATE_ROLES = [Role.ADMIN, Role.INITIATOR]


def link_grants(link: Link) -> list[str]:
    grants = {
        LinkType.BILLING: ["bill_customeraccount"],
        LinkType.PROVISIONING: ["provision_customeraccount"],
        LinkType.DELEGATION: ["delegate_read_customeraccount"],
    }[link.link_type]
    if link.link_type == LinkType.DELEGATION and link.access_level == AccessLevel.MANAGE:
        grants = [*grants, "delegate_manage_customeraccount"]
    return grants


@transaction.atomic
def link_activate(*, link_id: int) -> Link | None:
    """Apply a link's grants and make it active. The activation task calls it; idempotent."""
    link = (
        Link.objects.select_for_update(of=("self",))
        .select_related("reseller", "customer", "source_item__request__initiator")
        .filter(pk=link_id)
        .first()
    )
    if link is None or link.status != Link.Status.ACTIVATING:
        return None
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
    groups = {
        rg.role: rg.group
        for rg in ResellerRoleGroup.objects.filter(reseller_id=link.reseller_id).select_related(
            "group"
        )
    }
    for role in _VIEW_ROLES:
        assign_perm("linking.view_customeraccount", groups[role], customer)
    for perm in link_grants(link):
        for role in _OPERATE_ROLES:
            assign_perm(f"linking.{perm}", groups[role], customer)
    link.status = Link.Status.ACTIVE
    link.activated_at = timezone.now()
    link.status_reason = ""
    _save(
        link,
        actor=None,
        reason="activated: grants applied",
        fields=["status", "activated_at", "status_reason"],
    )
    if link.source_item:
        req = link.source_item.request
        _notify(Notification.Kind.LINK_ACTIVE, req.initiator.email, request=req, link=link)
    return link
