"""Sign-in codes of the customer centre, and the customer's withdrawal from it.

A code is never stored, logged or put in the outbox row: it is derived at delivery from the
secret key, the code row and the outbox row (like the consent link's nonce), and only its keyed
hash is kept. Every delivery of the same row therefore sends the same code.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from linking.models import CustomerAccount, CustomerSignInCode, Notification
from linking.services._common import _notify
from portal.errors import PortalError
from portal.security import hit, parse_rate

logger = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=10)
_CODE_SALT = "linking.centre.code"
_HASH_SALT = "linking.centre.code.hash"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()[:254]


def accounts_of_contact(email: str, among: list[int] | None = None) -> list[int]:
    """Ids of the customer accounts whose contact address is `email`, oldest first."""
    if not email:
        return []
    qs = CustomerAccount.objects.filter(contact_email__iexact=email)
    if among is not None:
        qs = qs.filter(pk__in=among)
    return list(qs.order_by("id").values_list("id", flat=True))


def contact_language_of(account_ids: list[int]) -> str:
    """The language the contact of these accounts chose (the oldest account's first), or ""."""
    return (
        CustomerAccount.objects.filter(pk__in=account_ids)
        .exclude(contact_language="")
        .order_by("id")
        .values_list("contact_language", flat=True)
        .first()
        or ""
    )


@transaction.atomic
def contact_set_language(*, email: str, account_ids: list[int], language: str) -> int:
    """A contact signed in to the customer centre chooses the language of their e-mails,
    receipts and pages, for every account of theirs they proved; returns how many changed."""
    changed = 0
    accounts = CustomerAccount.objects.select_for_update().filter(
        pk__in=account_ids, contact_email__iexact=email
    )
    for account in accounts.order_by("id"):
        if account.contact_language == language:
            continue
        account.contact_language = language
        account._history_user = None
        account._change_reason = "Language chosen by the customer's contact"
        account.save(update_fields=["contact_language"])
        changed += 1
    return changed


def _code_for(code_id: int, notification_id: int) -> str:
    digest = salted_hmac(_CODE_SALT, f"{notification_id}:{code_id}", algorithm="sha256")
    return f"{int(digest.hexdigest(), 16) % 1_000_000:06d}"


def _hash(code_id: int, code: str) -> str:
    return salted_hmac(_HASH_SALT, f"{code_id}:{code}", algorithm="sha256").hexdigest()


def customer_code_for_delivery(notification: Notification) -> str | None:
    """The code an outbox row carries, or None when its code row is gone, used or expired."""
    row = CustomerSignInCode.objects.filter(pk=notification.context.get("code_id")).first()
    if row is None or row.used_at is not None or row.expires_at <= timezone.now():
        return None
    return _code_for(row.pk, notification.pk)


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


def _failures_key(email: str, client: str) -> str:
    # Counted per address and client, like the operators' lockout (AXES_LOCKOUT_PARAMETERS).
    return f"cus-fail:{_digest(email, client)}"


def lockout_refusal(*, email: str, client: str) -> PortalError | None:
    """CUS-S003 while this address and client are locked out after too many wrong codes."""
    limit = settings.AXES_FAILURE_LIMIT
    if settings.AXES_ENABLED and (cache.get(_failures_key(email, client)) or 0) >= limit:
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        return PortalError("CUS-S003", limit=limit, minutes=minutes)
    return None


def _count_failure(email: str, client: str) -> None:
    key = _failures_key(email, client)
    timeout = int(settings.AXES_COOLOFF_TIME.total_seconds())
    cache.add(key, 0, timeout=timeout)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=timeout)


def customer_code_request(*, email: str, client: str) -> None:
    """Send a sign-in code to `email` if it is a contact address; the same outcome otherwise.

    Anyone may call it; raises CUS-S001 when the address or the client asked too often (counted
    whether or not the address is known, so the refusal says nothing about it either).
    """
    email = normalise_email(email)
    by_address = parse_rate(settings.PORTAL_CUSTOMER_CODE_RATE_PER_ADDRESS)
    by_client = parse_rate(settings.PORTAL_CUSTOMER_CODE_RATE_PER_CLIENT)
    over = hit(scope="cus-code:addr", key=email, rate=by_address)
    over = hit(scope="cus-code:client", key=client, rate=by_client) or over
    if over:
        minutes = max(by_address.seconds, by_client.seconds) // 60
        raise PortalError("CUS-S001", minutes=minutes)
    if accounts_of_contact(email):
        _issue(email)


@transaction.atomic
def _issue(email: str) -> CustomerSignInCode:
    now = timezone.now()
    row = CustomerSignInCode.objects.create(
        email=email, created_at=now, expires_at=now + CODE_LIFETIME
    )
    notification = _notify(Notification.Kind.CUSTOMER_CODE, email, code_id=row.pk)
    row.code_hash = _hash(row.pk, _code_for(row.pk, notification.pk))
    row.save(update_fields=["code_hash"])
    return row


@transaction.atomic
def _verify(*, email: str, code: str, client: str) -> list[int] | PortalError:
    # Returns its refusal instead of raising it: the wrong attempt it counts must be committed.
    if refusal := lockout_refusal(email=email, client=client):
        return refusal
    limit = settings.AXES_FAILURE_LIMIT
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    code = "".join(ch for ch in (code or "") if ch.isdigit())[:6]
    row = (
        CustomerSignInCode.objects.select_for_update()
        .filter(email=email, used_at__isnull=True, expires_at__gt=timezone.now())
        .exclude(code_hash="")
        .order_by("-created_at", "-id")
        .first()
    )
    ok = (
        row is not None
        and row.wrong_attempts < limit
        and len(code) == 6
        and constant_time_compare(row.code_hash, _hash(row.pk, code))
    )
    if not ok:
        if row is not None:
            row.wrong_attempts += 1
            row.save(update_fields=["wrong_attempts"])
        _count_failure(email, client)
        logger.info("customer centre: a sign-in code was refused")
        return PortalError("CUS-S002", limit=limit, minutes=minutes)
    assert row is not None
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    cache.delete(_failures_key(email, client))
    return accounts_of_contact(email)


def customer_sign_in(*, email: str, code: str, client: str) -> list[int]:
    """The account ids `email` signs in to with `code`; anyone may call it.

    The code is spent on success. A wrong code raises CUS-S002 and counts toward the lockout of
    this address and client (CUS-S003 once reached) and toward the code's own limit, so
    guessing from many networks is bounded too.
    """
    result = _verify(email=normalise_email(email), code=code, client=client)
    if isinstance(result, PortalError):
        raise result
    return result
