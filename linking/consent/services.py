"""The customer's side: consent tokens and decisions."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from linking.centre.codes import decision_code_send, decision_confirm
from linking.checks.catalog import sensitive_services
from linking.models import (
    AccessLevel,
    ConsentRecord,
    CustomerSignInCode,
    LinkRequest,
    Notification,
    RequestItem,
)
from linking.services._common import (
    TOKEN_SALT,
    Status,
    _delivery_nonce,
    _link_signer,
    _lock_request,
    _move,
    _notify,
    _save,
    can_link,
)
from linking.services.links import _link_upsert_from_item
from portal.errors import PortalError

logger = logging.getLogger(__name__)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def consent_issue_token(*, request_id: int, notification: Notification | None = None) -> str | None:
    """Mint the consent token (an earlier one dies) and return it; only the hash is stored.

    Called by the delivery of the consent e-mail `notification`, inside its transaction: every
    delivery of the same row gives the same token, so a second copy after a crash keeps the
    first one's link alive. Without a row, a fresh random token.
    """
    req = _lock_request(request_id)
    if req.effective_status != Status.PENDING_CONSENT or not req.reseller.is_live:
        return None
    nonce = _delivery_nonce("consent", notification, req.pk)
    if req.consent_token_hash != _hash(nonce):
        req.consent_token_hash = _hash(nonce)
        _save(req, actor=None, reason="consent e-mail sent", fields=["consent_token_hash"])
    signer = _link_signer(TOKEN_SALT, notification)
    return signer.sign_object({"r": req.pk, "n": nonce})


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
    consent_refuse_closed(req)
    if not constant_time_compare(req.consent_token_hash, _hash(nonce)):
        raise PortalError("LNK-C003")
    return req


def consent_refuse_closed(req: LinkRequest) -> None:
    """Raise why `req` takes no decision any more (cancelled, expired, decided, moved on); the
    consent link and the customer centre both ask it."""
    if req.status == Status.CANCELLED:
        raise PortalError("LNK-C004")
    if req.effective_status == Status.EXPIRED:
        raise PortalError("LNK-C002")
    if req.status in (Status.COMPLETED, Status.DECLINED):
        # A second submit from a stale tab, or an older link of a request decided since: the
        # visitor must learn that a decision was recorded, not only that the link is used.
        raise PortalError("LNK-C008", request_id=req.pk)
    if req.status != Status.PENDING_CONSENT:
        raise PortalError("LNK-C003")


def item_needs_confirmation(
    item: RequestItem,
    sensitive_codes: set[str] | frozenset[str],
    needs: list[str] | None = None,
) -> bool:
    """Accepting `item` from the e-mailed link needs a code sent to the contact address now
    (`PORTAL_CONSENT_CODE_FOR`: manage access, a sensitive service). The page shows it; the
    service refuses without it."""
    needs = settings.PORTAL_CONSENT_CODE_FOR if needs is None else needs
    return ("manage" in needs and item.access_level == AccessLevel.MANAGE) or (
        "sensitive" in needs and bool(set(item.services) & sensitive_codes)
    )


def consent_code_send(*, token: str, client: str) -> str:
    """E-mail a code confirming a decision on the request of `token` to its account's contact
    address now; anyone holding the link may ask. Returns the address masked; CUS-C004 over
    the rates."""
    req = consent_resolve(token)
    assert req.customer is not None
    return decision_code_send(
        contact_email=req.customer.contact_email,
        client=client,
        purpose=CustomerSignInCode.Purpose.CONSENT,
        subject_id=req.pk,
    )


def _receipt_reference(req: LinkRequest) -> str:
    return f"RC-{req.pk:06d}-{secrets.token_hex(3).upper()}"


def consent_needs_code(req: LinkRequest, decisions: dict[int, tuple[bool, str]]) -> bool:
    """These decisions on `req` accept something `item_needs_confirmation` names (LNK-C006
    when an item has no decision)."""
    return _confirmation(req, decisions)


def _confirmation(req: LinkRequest, decisions: dict[int, tuple[bool, str]]) -> bool:
    items = list(req.items.all())
    if any(item.pk not in decisions for item in items):
        raise PortalError("LNK-C006")
    sensitive = sensitive_services()
    return any(decisions[item.pk][0] and item_needs_confirmation(item, sensitive) for item in items)


def consent_decide(
    *,
    token: str,
    decisions: dict[int, tuple[bool, str]],
    code: str = "",
    client: str = "",
    centre_accounts: list[int] | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> tuple[LinkRequest, str]:
    """The customer's decision on each item, by the consent link. Returns the receipt reference.

    Accepting what `item_needs_confirmation` names also needs `code` (e-mailed by
    `consent_code_send`) or a customer centre session for the account (`centre_accounts`):
    CUS-C001 without either, CUS-C002/CUS-C003 for a refused code.
    """
    req = consent_resolve(token)
    assert req.customer is not None
    confirmed_by: str = ConsentRecord.ConfirmedBy.EMAIL_LINK
    if _confirmation(req, decisions):
        # Checked, and a wrong code counted, before the decision's transaction: a refusal
        # must not roll back the attempt it counts.
        confirmed_by = decision_confirm(
            contact_email=req.customer.contact_email,
            customer_id=req.customer.pk,
            purpose=CustomerSignInCode.Purpose.CONSENT,
            subject_id=req.pk,
            code=code,
            client=client,
            centre_accounts=centre_accounts,
        )
    return _consent_record(
        token=token,
        decisions=decisions,
        confirmed_by=confirmed_by,
        ip_address=ip_address,
        user_agent=user_agent,
    )


@transaction.atomic
def _consent_record(
    *,
    token: str,
    decisions: dict[int, tuple[bool, str]],
    confirmed_by: str,
    ip_address: str | None,
    user_agent: str,
) -> tuple[LinkRequest, str]:
    req = consent_resolve(token, lock=True)
    return _decide(
        req,
        decisions=decisions,
        ip_address=ip_address,
        user_agent=user_agent,
        via="",
        confirmed_by=confirmed_by,
    )


def customer_request_get(
    *, account_ids: list[int], request_id: int, lock: bool = False
) -> LinkRequest:
    """A request of one of the signed-in customer's accounts, or LNK-C001 (the page's 404) for
    any other request, whoever's it is."""
    qs = LinkRequest.objects.select_related("reseller", "customer", "initiator")
    if lock:
        qs = qs.select_for_update(of=("self",))
    req = qs.filter(pk=request_id, customer_id__in=account_ids).first()
    if req is None:
        raise PortalError("LNK-C001")
    return req


@transaction.atomic
def consent_decide_in_centre(
    *,
    contact_email: str,
    account_ids: list[int],
    request_id: int,
    decisions: dict[int, tuple[bool, str]],
    ip_address: str | None = None,
    user_agent: str = "",
) -> tuple[LinkRequest, str]:
    """The customer signed in to the centre decides a request waiting for one of their
    accounts: the same rules, records, history and e-mails as by the consent link, and the
    e-mailed link stops working; the signed-in session confirms the customer, as a code would.
    LNK-C001 for another account's request."""
    req = customer_request_get(account_ids=account_ids, request_id=request_id, lock=True)
    consent_refuse_closed(req)
    return _decide(
        req,
        decisions=decisions,
        ip_address=ip_address,
        user_agent=user_agent,
        via=f" in the customer centre as {contact_email}",
        confirmed_by=ConsentRecord.ConfirmedBy.CENTRE,
    )


def _decide(
    req: LinkRequest,
    *,
    decisions: dict[int, tuple[bool, str]],
    ip_address: str | None,
    user_agent: str,
    via: str,
    confirmed_by: str,
) -> tuple[LinkRequest, str]:
    items = list(req.items.all())
    # A request waiting for consent is submitted, so it has its customer (a constraint).
    assert req.customer is not None
    if _confirmation(req, decisions) and confirmed_by == ConsentRecord.ConfirmedBy.EMAIL_LINK:
        raise PortalError("CUS-C001")
    # The reseller may have been suspended, or a type taken out of its program, since the
    # request was sent: nothing it can no longer hold is accepted (declining stays possible).
    accepting = [item.link_type for item in items if decisions[item.pk][0]]
    if accepting and (refusal := can_link(req.reseller, link_types=accepting)):
        raise refusal
    now = timezone.now()
    receipt = _receipt_reference(req)
    who = f"customer contact {req.consent_email}{via}"
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
            confirmed_by=confirmed_by,
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
