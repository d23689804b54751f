"""The end of a link and its pauses: revoke by the reseller, withdrawal by the customer, and
suspension and resumption when staff change the customer account's status."""

from __future__ import annotations

import calendar
import hashlib
import logging
import secrets
from datetime import datetime, time

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import LinkType, Membership, Role, User
from accounts.permissions import has_reseller_perm
from linking.models import ConsentRecord, CustomerAccount, Link, Notification
from linking.services._common import _delivery_nonce, _link_signer, _notify, _on_commit, _save
from linking.services.links import link_sync_grants
from portal.errors import PortalError

logger = logging.getLogger(__name__)

WITHDRAWAL_SALT = "linking.withdrawal.v1"  # noqa: S105 (a signing salt, not a secret)
LIVE = Link.LIVE_STATUSES
CustomerStatus = CustomerAccount.Status


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def billing_month_end(at: datetime) -> datetime:
    """The last instant of `at`'s month in the portal's time zone: when a billing link ends."""
    local = timezone.localtime(at)
    last_day = calendar.monthrange(local.year, local.month)[1]
    end = datetime.combine(local.date().replace(day=last_day), time.max)
    return timezone.make_aware(end, timezone.get_current_timezone())


def _lock_link(link_id: int) -> Link:
    link = (
        Link.objects.select_for_update(of=("self",))
        .select_related("reseller", "customer", "source_item__request__initiator")
        .filter(pk=link_id)
        .first()
    )
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
    if link.link_type == LinkType.BILLING:
        link.billing_ends_at = billing_month_end(now)
        link.ends_at = link.billing_ends_at
        ends_on = timezone.localtime(link.billing_ends_at).strftime("%Y-%m-%d")
        link.status_reason = f"billing ends on {ends_on}; revoked by {who}"[:200]
        history_reason = f"revoked by {who}: {reason} (billing ends on {ends_on})"
        fields.append("ends_at")
    else:
        link.status = Link.Status.REVOKED
        link.billing_ends_at = None
        link.status_reason = f"revoked by {who}"[:200]
        history_reason = f"revoked by {who}: {reason}"
        fields.append("status")
    _save(link, actor=actor, reason=history_reason, fields=fields)
    link_sync_grants(
        actor=actor,
        reseller_id=link.reseller_id,
        customer_id=link.customer_id,
        reason=f"{link.reference} {history_reason}",
    )
    context = {"who": who, "reason": reason}
    contact = _customer_contact(link)
    if contact:
        _notify(Notification.Kind.LINK_REVOKED, contact, link=link, audience="customer", **context)
    for email in _reseller_recipients(link):
        _notify(Notification.Kind.LINK_REVOKED, email, link=link, audience="reseller", **context)
    return link


def _name(user: User) -> str:
    full = user.get_full_name()
    return f"{full} <{user.email}>" if full else user.email


def _refuse_not_live(link: Link, action: str) -> PortalError:
    status = link.get_effective_status_display().lower()
    if link.revoked_at is not None and link.effective_status in LIVE:
        status = "revoked already (the billing association runs to the end of the month)"
    return PortalError("LNK-L001", reference=link.reference, status=status, action=action)


@transaction.atomic
def link_revoke(*, actor: User, link_id: int, reason: str, confirm_reference: str) -> Link:
    """End a live link on the reseller's side. Admins and approvers of the link's reseller only."""
    link = _lock_link(link_id)
    if not has_reseller_perm(user=actor, reseller=link.reseller, perm="approve_requests"):
        raise PortalError("LNK-V013", reseller=link.reseller.name, role="approver or admin")
    # A delegation past its end date is expired even before the sweep has run; a revoked
    # billing link runs to the month's end but cannot be revoked twice.
    if link.effective_status not in LIVE or link.revoked_at is not None:
        raise _refuse_not_live(link, "revoked")
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
    if link is None or link.status not in LIVE or link.revoked_at is not None:
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
        Link.objects.filter(source_item__request_id=request_id, status__in=LIVE)
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
        link.effective_status not in LIVE
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


# --- customer account status -------------------------------------------------------------------


def _tell_reseller(kind: str, link: Link, **context) -> None:
    for email in _reseller_recipients(link):
        _notify(kind, email, link=link, **context)


def _schedule_reverification(link: Link) -> None:
    # Verification is built alongside this module; without its task there is nothing to re-run.
    from linking import tasks

    task = getattr(tasks, "link_verify_task", None)
    if task is not None:
        _on_commit(task, link.pk, "resume")


@transaction.atomic
def customer_set_status(
    *, actor: User | None, customer_id: int, status: str, reason: str = ""
) -> CustomerAccount:
    """Change a customer account's status (platform staff, or the system with actor None).

    Leaving `active` suspends every live link of every reseller on it (permissions removed);
    returning to `active` resumes the suspended ones and re-verifies them. Same status: a no-op.
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
    links = list(
        Link.objects.select_for_update(of=("self",))
        .select_related("reseller", "customer", "source_item__request__initiator")
        .filter(customer_id=customer.pk, status__in=LIVE)
        .order_by("id")
    )
    touched: set[int] = set()
    if status == CustomerStatus.ACTIVE:
        resumed = [link for link in links if link.status == Link.Status.SUSPENDED]
        for link in resumed:
            link.status = Link.Status.ACTIVE
            link.status_reason = ""
            link.activated_at = link.activated_at or timezone.now()
            _save(
                link,
                actor=actor,
                reason=f"resumed: customer account {note}",
                fields=["status", "status_reason", "activated_at"],
            )
            touched.add(link.reseller_id)
    else:
        for link in links:
            was_suspended = link.status == Link.Status.SUSPENDED
            link.status = Link.Status.SUSPENDED
            link.status_reason = f"customer account {label}" + (f": {reason}" if reason else "")
            link.status_reason = link.status_reason[:200]
            _save(
                link,
                actor=actor,
                reason=f"suspended: customer account {note}",
                fields=["status", "status_reason"],
            )
            if not was_suspended:
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
    if status == CustomerStatus.ACTIVE:
        for link in resumed:
            _tell_reseller(Notification.Kind.LINK_RESUMED, link, reason=reason)
            _schedule_reverification(link)
    return customer


def link_end_effects(link: Link, *, at: datetime | None = None) -> dict:
    """What ending `link` now would stop, for the confirmation pages of both sides (a read)."""
    from linking.services.links import link_grants

    labels = dict((codename, name) for codename, name in CustomerAccount._meta.permissions)
    others = (
        Link.objects.filter(
            reseller_id=link.reseller_id, customer_id=link.customer_id, status=Link.Status.ACTIVE
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
