"""Suspension and resumption of links when staff change the customer account's or the
reseller's status.

A reseller suspended or closed suspends its live links (`reseller_set_status`); reactivating it
resumes none of them by itself: platform staff resume each link (`link_resume`) once they have
decided it may grant access again. The safer default: a suspension for fraud or a breach of the
program must not hand access back as a side effect of a status change. A customer account that
is active again resumes the links its own status suspended, never those the reseller's did.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Reseller, Role, User
from linking.models import CustomerAccount, Link, Notification
from linking.provenance import FactSource
from linking.services._common import (
    _customer_contact,
    _locked,
    _move_link,
    _name,
    _notify,
    _on_commit,
    _refuse_link,
    _reseller_recipients,
    _save,
    can_link,
)
from linking.services.links import link_sync_grants
from portal.errors import PortalError

LIVE = Link.LIVE_STATUSES
CustomerStatus = CustomerAccount.Status
SuspendedFor = Link.SuspendedFor


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
    """A locked suspended link back in force: active, or revoking when it was revoked first,
    or awaiting its setup again when the cloud side was never proven (nothing is granted)."""
    link.status_reason = ""
    link.suspended_for = ""
    if link.setup_deadline is not None:
        to = Link.Status.AWAITING_SETUP
    elif link.broken_at is not None:
        # Suspended while broken: the cloud side is still to be repaired, nothing is granted.
        to = Link.Status.BROKEN
    else:
        to = Link.Status.REVOKING if link.revoked_at else Link.Status.ACTIVE
        link.activated_at = link.activated_at or timezone.now()
    _move_link(
        link,
        to,
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
    *,
    actor: User | None,
    customer_id: int,
    status: str,
    reason: str = "",
    source: str = FactSource.STAFF,
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
    # `source` says who stands behind the new status (linking.provenance): platform staff,
    # their import, or the cloud's sync.
    customer.status_source = source
    customer.status_confirmed_at = timezone.now()
    _save(
        customer,
        actor=actor,
        reason=f"status {note} by {who}" + (f": {reason}" if reason else ""),
        fields=["status", "status_source", "status_confirmed_at"],
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
            account_id=link.customer.label,
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
