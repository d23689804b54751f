"""The end of a link: revoked by the reseller, or withdrawn by the customer.

Suspension and resumption, when staff change an account's or a reseller's status, are in
`linking.services.suspension`.
"""

from __future__ import annotations

import calendar
import hashlib
import secrets
from datetime import datetime, time

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import LinkType, User
from linking.models import ConsentRecord, CustomerAccount, Link, Notification
from linking.services._common import (
    _customer_contact,
    _delivery_nonce,
    _holds,
    _link_signer,
    _locked,
    _move_link,
    _name,
    _notify,
    _refuse_link,
    _reseller_recipients,
    _save,
)
from linking.services.cleanup import link_cleanup_begin
from linking.services.links import link_sync_grants
from portal.errors import PortalError

WITHDRAWAL_SALT = "linking.withdrawal.v1"
# What can still be ended by either side: a revoking link is ended already.
REVOCABLE = (
    Link.Status.ACTIVATING,
    Link.Status.AWAITING_SETUP,
    Link.Status.ACTIVE,
    Link.Status.SUSPENDED,
    Link.Status.BROKEN,
)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def billing_month_end(at: datetime) -> datetime:
    """The last instant of `at`'s month in the portal's time zone: when a billing link ends."""
    local = timezone.localtime(at)
    last_day = calendar.monthrange(local.year, local.month)[1]
    end = datetime.combine(local.date().replace(day=last_day), time.max)
    return timezone.make_aware(end, timezone.get_current_timezone())


def _revoke(link: Link, *, actor: User | None, reason: str, who: str) -> Link:
    """Revoke a locked, live link: permissions go in this transaction, both sides are told.

    Billing is settled per calendar month, so a billing association stays in force to the end
    of the month (and stays the customer's one billing partner until then); the expiry sweep
    ends it. Every other kind of access stops now, and its clean-up in the cloud begins: the
    customer's e-mail says what to delete (`linking.consent.setup.link_cleanup_instructions`).
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
        # What the customer made in the cloud is checked until it is gone; a revoking billing
        # association starts its clean-up at its month end (`link_expire`).
        fields += link_cleanup_begin(link, now=now)
    kind = Notification.Kind.LINK_REVOKED
    _move_link(
        link,
        to,
        actor=actor,
        reason=history_reason,
        extra=fields,
        action="revoked",
        customer_notice=(kind, {"who": who, "reason": reason}),
    )
    link_sync_grants(
        actor=actor,
        reseller_id=link.reseller_id,
        customer_id=link.customer_id,
        reason=f"{link.reference} {history_reason}",
    )
    for email in _reseller_recipients(link):
        _notify(kind, email, link=link, audience="reseller", who=who, reason=reason)
    return link


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


def withdrawal_needs_code() -> bool:
    """Withdrawing from the e-mailed link needs a code sent to the contact address now
    (`PORTAL_CONSENT_CODE_FOR`); the page shows it, `link_withdraw` refuses without it."""
    return "withdraw" in settings.PORTAL_CONSENT_CODE_FOR


def link_withdraw_code_send(*, token: str, client: str) -> str:
    """E-mail a code confirming the withdrawal of the link of `token` to its account's contact
    address now; anyone holding the link may ask. Returns the address masked; CUS-C004 over
    the rates."""
    from linking.centre.codes import Purpose, decision_code_send

    link = link_withdrawal_resolve(token)
    return decision_code_send(
        contact_email=link.customer.contact_email,
        client=client,
        purpose=Purpose.WITHDRAW,
        subject_id=link.pk,
    )


def link_withdraw(
    *,
    token: str,
    code: str = "",
    client: str = "",
    centre_accounts: list[int] | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> tuple[Link, str]:
    """The customer ends a link from the receipt e-mail. Returns the link and the WD reference.

    When `withdrawal_needs_code`, it also needs `code` (e-mailed by `link_withdraw_code_send`)
    or a customer centre session for the account: CUS-C001 without either, CUS-C002/CUS-C003
    for a refused code.
    """
    from linking.centre.codes import Purpose, decision_confirm

    confirmed_by: str = ConsentRecord.ConfirmedBy.EMAIL_LINK
    if withdrawal_needs_code():
        link = link_withdrawal_resolve(token)
        # Checked, and a wrong code counted, before the withdrawal's transaction.
        confirmed_by = decision_confirm(
            contact_email=link.customer.contact_email,
            customer_id=link.customer_id,
            purpose=Purpose.WITHDRAW,
            subject_id=link.pk,
            code=code,
            client=client,
            centre_accounts=centre_accounts,
        )
    return _link_withdraw(
        token=token, confirmed_by=confirmed_by, ip_address=ip_address, user_agent=user_agent
    )


@transaction.atomic
def _link_withdraw(
    *, token: str, confirmed_by: str, ip_address: str | None, user_agent: str
) -> tuple[Link, str]:
    link = link_withdrawal_resolve(token, lock=True)
    if withdrawal_needs_code() and confirmed_by == ConsentRecord.ConfirmedBy.EMAIL_LINK:
        raise PortalError("CUS-C001")
    via = " (signed in to the customer centre)" if confirmed_by == "centre" else ""
    return _withdraw(
        link, ip_address=ip_address, user_agent=user_agent, via=via, confirmed_by=confirmed_by
    )


def customer_link_get(*, account_ids: list[int], link_id: int, lock: bool = False) -> Link:
    """A link of one of the signed-in customer's accounts, or LNK-C001 (the page's 404) for
    any other link, whoever's it is."""
    qs = Link.objects.select_related("reseller", "customer", "source_item__request")
    if lock:
        qs = qs.select_for_update(of=("self",))
    link = qs.filter(pk=link_id, customer_id__in=account_ids).first()
    if link is None:
        raise PortalError("LNK-C001")
    return link


@transaction.atomic
def link_withdraw_in_centre(
    *,
    contact_email: str,
    account_ids: list[int],
    link_id: int,
    ip_address: str | None = None,
    user_agent: str = "",
) -> tuple[Link, str]:
    """The customer signed in to the centre ends a link of one of their accounts: the same
    record, history and e-mails as the withdrawal link. LNK-C001 for another account's link,
    LNK-C003 for a link already ended."""
    link = customer_link_get(account_ids=account_ids, link_id=link_id, lock=True)
    if link.effective_status not in REVOCABLE:
        raise PortalError("LNK-C003")
    return _withdraw(
        link,
        ip_address=ip_address,
        user_agent=user_agent,
        via=f" in the customer centre as {contact_email}",
        confirmed_by=ConsentRecord.ConfirmedBy.CENTRE,
    )


def _withdraw(
    link: Link, *, ip_address: str | None, user_agent: str, via: str, confirmed_by: str
) -> tuple[Link, str]:
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
        reason=f"withdrawn by the customer{via}",
        contact_email=contact,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:300],
        receipt_reference=reference,
        confirmed_by=confirmed_by,
    )
    _revoke(
        link,
        actor=None,
        reason=f"withdrawn by the customer ({contact}){via}",
        who=f"the customer ({contact})",
    )
    return link, reference


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
