"""The end of a link and its pauses: revoke by the reseller, withdrawal by the customer, and
suspension and resumption when staff change the customer account's or the reseller's status.

A reseller suspended or closed suspends its live links (`reseller_set_status`); reactivating it
resumes none of them by itself: platform staff resume each link (`link_resume`) once they have
decided it may grant access again. The safer default: a suspension for fraud or a breach of the
program must not hand access back as a side effect of a status change. A customer account that
is active again resumes the links its own status suspended, never those the reseller's did.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import secrets
from datetime import datetime, time
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import LinkType, Membership, Reseller, Role, User
from linking.models import ConsentRecord, CustomerAccount, Link, Notification
from linking.services._common import (
    _delivery_nonce,
    _holds,
    _link_signer,
    _lock_link,
    _move_link,
    _notify,
    _on_commit,
    _refuse_link,
    _save,
    can_link,
)
from linking.services.links import link_sync_grants
from portal.errors import PortalError

logger = logging.getLogger(__name__)

WITHDRAWAL_SALT = "linking.withdrawal.v1"
LIVE = Link.LIVE_STATUSES
# What can still be ended by either side: a revoking link is ended already.
REVOCABLE = (Link.Status.ACTIVATING, Link.Status.ACTIVE, Link.Status.SUSPENDED)
CustomerStatus = CustomerAccount.Status
SuspendedFor = Link.SuspendedFor


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def billing_month_end(at: datetime) -> datetime:
    """The last instant of `at`'s month in the portal's time zone: when a billing link ends."""
    local = timezone.localtime(at)
    last_day = calendar.monthrange(local.year, local.month)[1]
    end = datetime.combine(local.date().replace(day=last_day), time.max)
    return timezone.make_aware(end, timezone.get_current_timezone())


def _locked(link_id: int) -> Link:
    link = _lock_link(link_id)
    if link is None:
        raise Link.DoesNotExist(f"No link {link_id}.")
    return link


def _reseller_recipients(link: Link) -> list[str]:
    """Who on the reseller's side hears about a link: its initiator, else the admins."""
    item = link.source_item
    initiator = item.request.initiator if item else None
    if initiator is not None and initiator.is_active and initiator.email:
        return [initiator.email]
    return list(
        Membership.objects.filter(
            reseller_id=link.reseller_id, role=Role.ADMIN, user__is_active=True
        )
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def _customer_contact(link: Link) -> str:
    """The address the customer's side hears at: the directory's contact, else the consent one."""
    if link.customer.contact_email:
        return link.customer.contact_email
    item = link.source_item
    return item.request.consent_email if item else ""


def _revoke(link: Link, *, actor: User | None, reason: str, who: str) -> Link:
    """Revoke a locked, live link: permissions go in this transaction, both sides are told.

    Billing is settled per calendar month, so a billing association stays in force to the end
    of the month (and stays the customer's one billing partner until then); the expiry sweep
    ends it. Every other kind of access stops now.
    """
    now = timezone.now()
    link.revoked_at = now
    link.revoked_by = actor
    link.revoke_reason = reason[:2000]
    link.withdrawal_token_hash = ""
    fields = [
        "revoked_at",
        "revoked_by",
        "revoke_reason",
        "billing_ends_at",
        "withdrawal_token_hash",
        "status_reason",
    ]
    # A suspended billing association is not in force: nothing runs to the month's end.
    if link.link_type == LinkType.BILLING and link.status == Link.Status.ACTIVE:
        to = Link.Status.REVOKING
        link.billing_ends_at = billing_month_end(now)
        link.ends_at = link.billing_ends_at
        ends_on = timezone.localtime(link.billing_ends_at).strftime("%Y-%m-%d")
        link.status_reason = f"billing ends on {ends_on}; revoked by {who}"[:200]
        history_reason = f"revoked by {who}: {reason} (billing ends on {ends_on})"
        fields.append("ends_at")
    else:
        to = Link.Status.REVOKED
        link.billing_ends_at = None
        link.status_reason = f"revoked by {who}"[:200]
        history_reason = f"revoked by {who}: {reason}"
    _move_link(link, to, actor=actor, reason=history_reason, extra=fields, action="revoked")
    link_sync_grants(
        actor=actor,
        reseller_id=link.reseller_id,
        customer_id=link.customer_id,
        reason=f"{link.reference} {history_reason}",
    )
    kind = Notification.Kind.LINK_REVOKED
    contact = _customer_contact(link)
    if contact:
        _notify(kind, contact, link=link, audience="customer", who=who, reason=reason)
    for email in _reseller_recipients(link):
        _notify(kind, email, link=link, audience="reseller", who=who, reason=reason)
    return link


def _name(user: User) -> str:
    full = user.get_full_name()
    return f"{full} <{user.email}>" if full else user.email


def can_revoke(link: Link, *, actor: User, perms: set[str] | None = None) -> PortalError | None:
    """Whether `actor` may revoke `link` now (None) or the refusal: approvers and admins of the
    link's reseller, a link not ended yet (past its end date it has expired, even before the
    sweep; a revoking billing association cannot be revoked twice). The revoke button and
    `link_revoke` both ask it; `perms`: the page's `request.reseller_perms`."""
    if not _holds(actor, link.reseller, "approve_requests", perms):
        return PortalError("LNK-V013", reseller=link.reseller.name, role="approver or admin")
    if link.effective_status not in REVOCABLE:
        return _refuse_link(link, "revoked")
    return None


@transaction.atomic
def link_revoke(*, actor: User, link_id: int, reason: str, confirm_reference: str) -> Link:
    """End a live link on the reseller's side. Admins and approvers of the link's reseller only."""
    link = _locked(link_id)
    if refusal := can_revoke(link, actor=actor):
        raise refusal
    reason = (reason or "").strip()
    if not reason:
        raise PortalError("LNK-L002")
    if (confirm_reference or "").strip().upper() != link.reference:
        raise PortalError("LNK-L004", reference=link.reference)
    return _revoke(link, actor=actor, reason=reason, who=f"{_name(actor)} ({link.reseller.name})")


# --- the customer's withdrawal ----------------------------------------------------------------


def link_issue_withdrawal_token(
    *, link_id: int, notification: Notification | None = None
) -> str | None:
    """Mint the link's withdrawal token (an earlier one dies); only its hash is stored.

    Called by the delivery of the receipt e-mail `notification`, inside its transaction: every
    delivery of the same row gives the same token (a second copy after a crash keeps the first
    one's link alive). None for a dead link.
    """
    link = Link.objects.select_for_update(of=("self",)).filter(pk=link_id).first()
    if link is None or link.status not in REVOCABLE:
        return None
    if notification is None:
        nonce = secrets.token_urlsafe(32)
    else:
        nonce = _delivery_nonce("withdrawal", notification, link.pk)
    if link.withdrawal_token_hash != _hash(nonce):
        link.withdrawal_token_hash = _hash(nonce)
        _save(
            link,
            actor=None,
            reason="withdrawal link sent to the customer",
            fields=["withdrawal_token_hash"],
        )
    signer = _link_signer(WITHDRAWAL_SALT, notification)
    return signer.sign_object({"l": link.pk, "n": nonce})


def link_issue_withdrawal_tokens(
    *, request_id: int, notification: Notification | None = None
) -> list[tuple[Link, str]]:
    """A withdrawal token for each live link the request created or amended, oldest first."""
    tokens = []
    for link in (
        Link.objects.filter(source_item__request_id=request_id, status__in=REVOCABLE)
        .select_related("reseller", "customer")
        .order_by("id")
    ):
        token = link_issue_withdrawal_token(link_id=link.pk, notification=notification)
        if token is not None:
            tokens.append((link, token))
    return tokens


def link_withdrawal_resolve(token: str, *, lock: bool = False) -> Link:
    """The link a withdrawal token ends, or a PortalError: LNK-C001 unknown, LNK-C003 used."""
    try:
        payload = signing.TimestampSigner(salt=WITHDRAWAL_SALT).unsign_object(token)
        link_id, nonce = int(payload["l"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise PortalError("LNK-C001") from None
    qs = Link.objects.select_related("reseller", "customer", "source_item__request")
    if lock:
        qs = qs.select_for_update(of=("self",))
    link = qs.filter(pk=link_id).first()
    if link is None:
        raise PortalError("LNK-C001")
    if (
        link.effective_status not in REVOCABLE
        or not link.withdrawal_token_hash
        or not constant_time_compare(link.withdrawal_token_hash, _hash(nonce))
    ):
        raise PortalError("LNK-C003")
    return link


@transaction.atomic
def link_withdraw(
    *, token: str, ip_address: str | None = None, user_agent: str = ""
) -> tuple[Link, str]:
    """The customer ends a link from the receipt e-mail. Returns the link and the WD reference."""
    link = link_withdrawal_resolve(token, lock=True)
    contact = _customer_contact(link)
    reference = f"WD-{link.pk:06d}-{secrets.token_hex(3).upper()}"
    ConsentRecord.objects.create(
        request=link.source_item.request if link.source_item else None,
        link=link,
        decision=ConsentRecord.Decision.WITHDRAWN,
        link_type=link.link_type,
        scope={
            "services": link.services,
            "regions": link.regions,
            "access_level": link.access_level,
            "ends_at": link.ends_at.isoformat() if link.ends_at else None,
        },
        reason="withdrawn by the customer",
        contact_email=contact,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:300],
        receipt_reference=reference,
    )
    _revoke(
        link,
        actor=None,
        reason=f"withdrawn by the customer ({contact})",
        who=f"the customer ({contact})",
    )
    return link, reference


# --- suspension and resumption ------------------------------------------------------------------


def _tell_reseller(kind: str, link: Link, **context: Any) -> None:
    for email in _reseller_recipients(link):
        _notify(kind, email, link=link, **context)


def _reseller_admins(reseller_id: int) -> list[str]:
    return list(
        Membership.objects.filter(reseller_id=reseller_id, role=Role.ADMIN, user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def _tell_partner_suspended(link: Link, *, reason: str) -> None:
    """Both sides hear that the reseller's program stopped the link: the customer's contact and
    the reseller's admins."""
    kind = Notification.Kind.PARTNER_SUSPENDED
    status = link.reseller.get_status_display().lower()
    contact = _customer_contact(link)
    if contact:
        _notify(
            kind, contact, link=link, audience="customer", reseller_status=status, reason=reason
        )
    for email in _reseller_admins(link.reseller_id):
        _notify(kind, email, link=link, audience="reseller", reseller_status=status, reason=reason)


def _schedule_reverification(link: Link) -> None:
    from linking.tasks import link_verify_task

    _on_commit(link_verify_task, link.pk, "resume")


def link_suspend_locked(
    link: Link, *, actor: User | None, cause: str, reason: str, history_reason: str = ""
) -> bool:
    """Suspend a locked live link for `cause` (a `Link.SuspendedFor`); True when it was not
    suspended before. The caller syncs the grants and tells whom the cause concerns.

    A link suspended by its reseller stays so when the customer's account is suspended too: the
    stricter cause is the one that decides how it comes back."""
    reason = reason[:200]
    if link.status == Link.Status.SUSPENDED:
        if cause == SuspendedFor.RESELLER and link.suspended_for != SuspendedFor.RESELLER:
            link.suspended_for = cause
            link.status_reason = reason
            _save(
                link,
                actor=actor,
                reason=history_reason or f"suspended: {reason}",
                fields=["suspended_for", "status_reason"],
            )
        elif cause == link.suspended_for:
            link.status_reason = reason
            _save(
                link,
                actor=actor,
                reason=history_reason or f"suspended: {reason}",
                fields=["status_reason"],
            )
        return False
    link.suspended_for = cause
    link.status_reason = reason
    _move_link(
        link,
        Link.Status.SUSPENDED,
        actor=actor,
        reason=history_reason or f"suspended: {reason}",
        extra=["suspended_for", "status_reason"],
        action="suspended",
    )
    return True


def _resume_locked(link: Link, *, actor: User | None, reason: str) -> None:
    """A locked suspended link back in force: active, or revoking when it was revoked first."""
    link.status_reason = ""
    link.suspended_for = ""
    link.activated_at = link.activated_at or timezone.now()
    _move_link(
        link,
        Link.Status.REVOKING if link.revoked_at else Link.Status.ACTIVE,
        actor=actor,
        reason=reason,
        extra=["status_reason", "suspended_for", "activated_at"],
        action="resumed",
    )


def _lock_live_links(**filters: Any) -> list[Link]:
    return list(
        Link.objects.select_for_update(of=("self",))
        .select_related("reseller", "customer", "source_item__request__initiator")
        .filter(status__in=LIVE, **filters)
        .order_by("id")
    )


@transaction.atomic
def customer_set_status(
    *, actor: User | None, customer_id: int, status: str, reason: str = ""
) -> CustomerAccount:
    """Change a customer account's status (platform staff, or the system with actor None).

    Leaving `active` suspends every live link of every reseller on it (permissions removed);
    returning to `active` resumes the links it suspended (not those their reseller's program
    suspended) and re-verifies them. Same status: a no-op.
    """
    if actor is not None and not actor.has_perm("linking.change_customeraccount"):
        raise PortalError(
            "LNK-V013", reseller="the platform", role="platform staff (change customer accounts)"
        )
    if status not in CustomerStatus.values:
        raise ValueError(f"Unknown customer status {status!r}.")
    customer = CustomerAccount.objects.select_for_update().get(pk=customer_id)
    old = customer.status
    if old == status:
        return customer
    who = _name(actor) if actor is not None else "the system"
    reason = (reason or "").strip()
    note = f"{CustomerStatus(old).label.lower()} → {CustomerStatus(status).label.lower()}"
    customer.status = status
    _save(
        customer,
        actor=actor,
        reason=f"status {note} by {who}" + (f": {reason}" if reason else ""),
        fields=["status"],
    )
    label = CustomerStatus(status).label.lower()
    links = _lock_live_links(customer_id=customer.pk)
    touched: set[int] = set()
    resumed: list[Link] = []
    if status == CustomerStatus.ACTIVE:
        for link in links:
            if (
                link.status == Link.Status.SUSPENDED
                and link.suspended_for == SuspendedFor.CUSTOMER
                and can_link(link.reseller, link_types=[link.link_type]) is None
            ):
                _resume_locked(link, actor=actor, reason=f"resumed: customer account {note}")
                resumed.append(link)
                touched.add(link.reseller_id)
    else:
        for link in links:
            if link_suspend_locked(
                link,
                actor=actor,
                cause=SuspendedFor.CUSTOMER,
                reason=f"customer account {label}" + (f": {reason}" if reason else ""),
                history_reason=f"suspended: customer account {note}",
            ):
                touched.add(link.reseller_id)
                _tell_reseller(
                    Notification.Kind.LINK_SUSPENDED,
                    link,
                    customer_status=label,
                    reason=reason,
                )
    for reseller_id in sorted(touched):
        link_sync_grants(
            actor=actor,
            reseller_id=reseller_id,
            customer_id=customer.pk,
            reason=f"customer account status {note} by {who}" + (f": {reason}" if reason else ""),
        )
    for link in resumed:
        _tell_reseller(Notification.Kind.LINK_RESUMED, link, reason=reason, cause="customer")
        _schedule_reverification(link)
    return customer


def _require_staff(actor: User | None, perm: str, what: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise PortalError("LNK-V013", reseller="the platform", role=f"platform staff ({what})")


@transaction.atomic
def reseller_set_status(
    *, actor: User | None, reseller_id: int, status: str, reason: str = ""
) -> Reseller:
    """Change a reseller's status (platform staff, or the system with actor None).

    Suspending or closing it suspends every live link it holds, removes the permissions they
    granted, and tells each customer's contact and the reseller's admins. Reactivating it
    resumes nothing: platform staff resume each link with `link_resume` (see the module).
    Same status: a no-op.
    """
    _require_staff(actor, "accounts.change_reseller", "change resellers")
    if status not in Reseller.Status.values:
        raise ValueError(f"Unknown reseller status {status!r}.")
    reseller = Reseller.objects.select_for_update().get(pk=reseller_id)
    old = reseller.status
    if old == status:
        return reseller
    who = _name(actor) if actor is not None else "the system"
    reason = (reason or "").strip()
    note = f"{Reseller.Status(old).label.lower()} → {Reseller.Status(status).label.lower()}"
    said = f"reseller {note} by {who}" + (f": {reason}" if reason else "")
    reseller.status = status
    _save(reseller, actor=actor, reason=said, fields=["status"])
    if reseller.is_live:
        return reseller
    label = Reseller.Status(status).label.lower()
    customers: set[int] = set()
    for link in _lock_live_links(reseller_id=reseller.pk):
        link.reseller = reseller
        if link_suspend_locked(
            link,
            actor=actor,
            cause=SuspendedFor.RESELLER,
            reason=f"partner program {label}" + (f": {reason}" if reason else ""),
            history_reason=f"suspended: {said}",
        ):
            _tell_partner_suspended(link, reason=reason)
        customers.add(link.customer_id)
    for customer_id in sorted(customers):
        link_sync_grants(actor=actor, reseller_id=reseller.pk, customer_id=customer_id, reason=said)
    return reseller


@transaction.atomic
def link_resume(*, actor: User | None, link_id: int, reason: str = "") -> Link:
    """Resume a link its reseller's program suspended (platform staff): refused while the
    program or the customer account is not active; grants back, both sides told, re-verified."""
    _require_staff(actor, "linking.change_customeraccount", "change customer accounts")
    link = _locked(link_id)
    if link.status != Link.Status.SUSPENDED or link.has_ended:
        raise _refuse_link(link, "resumed")
    if refusal := can_link(link.reseller, link_types=[link.link_type]):
        raise refusal
    if link.customer.status != CustomerStatus.ACTIVE:
        raise PortalError(
            "LNK-P001",
            account_id=link.customer.formatted_id,
            status=link.customer.get_status_display().lower(),
        )
    who = _name(actor) if actor is not None else "the system"
    reason = (reason or "").strip()
    said = f"resumed by {who}" + (f": {reason}" if reason else "")
    _resume_locked(link, actor=actor, reason=said)
    link_sync_grants(
        actor=actor,
        reseller_id=link.reseller_id,
        customer_id=link.customer_id,
        reason=f"{link.reference} {said}",
    )
    contact = _customer_contact(link)
    if contact:
        _notify(
            Notification.Kind.LINK_RESUMED,
            contact,
            link=link,
            audience="customer",
            cause="reseller",
            reason=reason,
        )
    for email in _reseller_admins(link.reseller_id):
        _notify(
            Notification.Kind.LINK_RESUMED,
            email,
            link=link,
            audience="reseller",
            cause="reseller",
            reason=reason,
        )
    _schedule_reverification(link)
    return link


def link_end_effects(link: Link, *, at: datetime | None = None) -> dict:
    """What ending `link` now would stop, for the confirmation pages of both sides (a read)."""
    from linking.services.links import link_grants

    labels = dict(CustomerAccount._meta.permissions)
    others = (
        Link.objects.filter(
            reseller_id=link.reseller_id,
            customer_id=link.customer_id,
            status__in=Link.GRANTING_STATUSES,
        )
        .exclude(pk=link.pk)
        .exists()
    )
    return {
        "grants": [labels.get(codename, codename) for codename in link_grants(link)],
        "loses_view": not others,
        "billing_ends_at": (
            billing_month_end(at or timezone.now()) if link.link_type == LinkType.BILLING else None
        ),
    }
