"""Six-digit codes e-mailed to a customer's contact address: one rule for every use.

The customer centre signs in with them; the consent and withdrawal pages confirm a decision
with them (`PORTAL_CONSENT_CODE_FOR`). A code is never stored, logged or put in the outbox row:
it is derived at delivery from the secret key, the code row and the outbox row (like the consent
link's nonce), and only its keyed hash is kept, so every delivery of the same row sends the same
code. A code works once, for 10 minutes, for its purpose and subject only; the newest open code
of the address, purpose and subject is the one that counts. Asking is rate-limited per address
and per client; wrong codes count toward the lockout of the address and client (the operators'
limit and cool-off) and toward the code's own limit.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from linking.models import CustomerSignInCode, Link, LinkRequest, Notification
from linking.services._common import _notify
from portal.errors import PortalError
from portal.security import hit, parse_rate

logger = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=10)
Purpose = CustomerSignInCode.Purpose
_CODE_SALT = "linking.centre.code"
_HASH_SALT = "linking.centre.code.hash"


@dataclass(frozen=True)
class Refusals:
    """The error codes a use of the codes raises: too many asked, wrong code, locked out."""

    too_many: str
    wrong: str
    locked: str


SIGN_IN_REFUSALS = Refusals("CUS-S001", "CUS-S002", "CUS-S003")
DECISION_REFUSALS = Refusals("CUS-C004", "CUS-C002", "CUS-C003")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()[:254]


def _code_for(code_id: int, notification_id: int) -> str:
    digest = salted_hmac(_CODE_SALT, f"{notification_id}:{code_id}", algorithm="sha256")
    return f"{int(digest.hexdigest(), 16) % 1_000_000:06d}"


def _hash(code_id: int, code: str) -> str:
    return salted_hmac(_HASH_SALT, f"{code_id}:{code}", algorithm="sha256").hexdigest()


def code_row_for_delivery(notification: Notification) -> CustomerSignInCode | None:
    """The open code row an outbox row carries; None when it is gone, used or expired."""
    row = CustomerSignInCode.objects.filter(pk=notification.context.get("code_id")).first()
    if row is None or row.used_at is not None or row.expires_at <= timezone.now():
        return None
    return row


def code_for_delivery(notification: Notification) -> str | None:
    """The code an outbox row carries, or None when its code row is gone, used or expired."""
    row = code_row_for_delivery(notification)
    return None if row is None else _code_for(row.pk, notification.pk)


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


def _failures_key(email: str, client: str) -> str:
    # Counted per address and client, like the operators' lockout (AXES_LOCKOUT_PARAMETERS),
    # whatever the purpose: guessing a decision's code pauses signing in too, and the reverse.
    return f"cus-fail:{_digest(email, client)}"


def _limits() -> tuple[int, int]:
    return settings.AXES_FAILURE_LIMIT, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_refusal(*, email: str, client: str, code: str = "CUS-S003") -> PortalError | None:
    """`code` (CUS-S003) while this address and client are locked out after wrong codes."""
    limit, minutes = _limits()
    if settings.AXES_ENABLED and (cache.get(_failures_key(email, client)) or 0) >= limit:
        return PortalError(code, limit=limit, minutes=minutes)
    return None


def _count_failure(email: str, client: str) -> None:
    key = _failures_key(email, client)
    timeout = int(settings.AXES_COOLOFF_TIME.total_seconds())
    cache.add(key, 0, timeout=timeout)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=timeout)


def code_rate_check(*, email: str, client: str, refusals: Refusals) -> None:
    """Count one code asked for `email` from `client`; raise `refusals.too_many` over a rate.

    Counted whether or not a code is then sent, so the refusal tells nothing about the address.
    """
    by_address = parse_rate(settings.PORTAL_CUSTOMER_CODE_RATE_PER_ADDRESS)
    by_client = parse_rate(settings.PORTAL_CUSTOMER_CODE_RATE_PER_CLIENT)
    over = hit(scope="cus-code:addr", key=email, rate=by_address)
    over = hit(scope="cus-code:client", key=client, rate=by_client) or over
    if over:
        minutes = max(by_address.seconds, by_client.seconds) // 60
        raise PortalError(refusals.too_many, minutes=minutes)


@transaction.atomic
def code_issue(
    *,
    email: str,
    purpose: str = Purpose.SIGN_IN,
    subject_id: int | None = None,
    request: LinkRequest | None = None,
    link: Link | None = None,
) -> CustomerSignInCode:
    """A new code row for `email` and its outbox row (the e-mail); callers check the rate."""
    now = timezone.now()
    row = CustomerSignInCode.objects.create(
        email=email,
        purpose=purpose,
        subject_id=subject_id,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    notification = _notify(
        Notification.Kind.CUSTOMER_CODE,
        email,
        request=request,
        link=link,
        code_id=row.pk,
        purpose=str(purpose),
    )
    row.code_hash = _hash(row.pk, _code_for(row.pk, notification.pk))
    row.save(update_fields=["code_hash"])
    return row


@transaction.atomic
def code_verify(
    *,
    email: str,
    code: str,
    client: str,
    purpose: str = Purpose.SIGN_IN,
    subject_id: int | None = None,
    refusals: Refusals = SIGN_IN_REFUSALS,
) -> PortalError | None:
    """Spend the newest open code of `email`, `purpose` and `subject_id` if `code` is it.

    Returns its refusal instead of raising it: the wrong attempt it counts must be committed,
    so call it outside the transaction of the change it confirms.
    """
    if refusal := lockout_refusal(email=email, client=client, code=refusals.locked):
        return refusal
    limit, minutes = _limits()
    code = "".join(ch for ch in (code or "") if ch.isdigit())[:6]
    row = (
        CustomerSignInCode.objects.select_for_update()
        .filter(
            email=email,
            purpose=purpose,
            subject_id=subject_id,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .exclude(code_hash="")
        .order_by("-created_at", "-id")
        .first()
    )
    ok = (
        bool(email)
        and row is not None
        and row.wrong_attempts < limit
        and len(code) == 6
        and constant_time_compare(row.code_hash, _hash(row.pk, code))
    )
    if not ok:
        if row is not None:
            row.wrong_attempts += 1
            row.save(update_fields=["wrong_attempts"])
        _count_failure(email, client)
        logger.info("customer code refused (%s)", purpose)
        return PortalError(refusals.wrong, limit=limit, minutes=minutes)
    assert row is not None
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    cache.delete(_failures_key(email, client))
    return None


def mask_email(email: str) -> str:
    """The contact address as the page shows it to whoever holds the link: enough for its owner
    to recognise it, not enough to learn it (j•••@example.com)."""
    local, _, domain = (email or "").partition("@")
    if not domain:
        return ""
    return f"{local[:1]}•••@{domain}"


def decision_confirm(
    *,
    contact_email: str,
    customer_id: int,
    purpose: str,
    subject_id: int,
    code: str,
    client: str,
    centre_accounts: list[int] | tuple[int, ...] | None,
) -> str:
    """How a decision that needs more than the e-mailed link is confirmed: `centre` when the
    customer is signed in to the centre for the account, `email_code` when `code` is the open
    code sent to the account's contact address for this decision. CUS-C001 without either;
    CUS-C002/CUS-C003 for a refused code (counted toward the lockout, committed at once)."""
    from linking.models import ConsentRecord

    if centre_accounts and customer_id in centre_accounts:
        return ConsentRecord.ConfirmedBy.CENTRE
    if not (code or "").strip():
        raise PortalError("CUS-C001")
    refusal = code_verify(
        email=normalise_email(contact_email),
        code=code,
        client=client or "unknown",
        purpose=purpose,
        subject_id=subject_id,
        refusals=DECISION_REFUSALS,
    )
    if refusal is not None:
        raise refusal
    return ConsentRecord.ConfirmedBy.EMAIL_CODE


def decision_code_send(
    *,
    contact_email: str,
    client: str,
    purpose: str,
    subject_id: int,
) -> str:
    """E-mail a code confirming one decision to the account's contact address now; returns the
    address masked for the page. CUS-C004 over the rates (counted even without an address)."""
    email = normalise_email(contact_email)
    code_rate_check(email=email, client=client or "unknown", refusals=DECISION_REFUSALS)
    if email:
        code_issue(email=email, purpose=purpose, subject_id=subject_id)
    return mask_email(email)


def decision_code_context(notification: Notification) -> dict:
    """What the e-mail of a decision's code names: the partner, the account, the decision."""
    row = code_row_for_delivery(notification)
    subject_id = (row.subject_id if row is not None else None) or 0
    if row is not None and row.purpose == Purpose.WITHDRAW:
        link = Link.objects.select_related("reseller", "customer").filter(pk=subject_id).first()
        reseller, customer = (link.reseller, link.customer) if link else (None, None)
    else:
        req = (
            LinkRequest.objects.select_related("reseller", "customer").filter(pk=subject_id).first()
        )
        reseller, customer = (req.reseller, req.customer) if req else (None, None)
    return {
        "withdraw": row is not None and row.purpose == Purpose.WITHDRAW,
        "reseller_name": reseller.name if reseller else "",
        "account_name": customer.display_name if customer else "",
        "account_id": customer.formatted_id if customer else "",
    }
