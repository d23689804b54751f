"""Signing in to the customer centre with an e-mailed code (the codes' rule is in
`linking.centre.codes`), and the centre's decisions."""

from __future__ import annotations

from django.db import transaction

from linking.centre.codes import (
    CODE_LIFETIME,
    SIGN_IN_REFUSALS,
    Purpose,
    code_for_delivery,
    code_issue,
    code_rate_check,
    code_verify,
    normalise_email,
)
from linking.consent.services import consent_issue_token
from linking.models import CustomerAccount, LinkRequest, Notification
from portal.errors import PortalError

__all__ = ["CODE_LIFETIME", "normalise_email"]


def accounts_of_contact(email: str, among: list[int] | None = None) -> list[int]:
    """Ids of the customer accounts whose contact address is `email`, oldest first."""
    if not email:
        return []
    qs = CustomerAccount.objects.filter(contact_email__iexact=email)
    if among is not None:
        qs = qs.filter(pk__in=among)
    return list(qs.order_by("id").values_list("id", flat=True))


def customer_code_for_delivery(notification: Notification) -> str | None:
    """The code an outbox row carries, or None when its code row is gone, used or expired."""
    return code_for_delivery(notification)


def customer_code_request(*, email: str, client: str) -> None:
    """Send a sign-in code to `email` if it is a contact address; the same outcome otherwise.

    Anyone may call it; raises CUS-S001 when the address or the client asked too often (counted
    whether or not the address is known, so the refusal says nothing about it either).
    """
    email = normalise_email(email)
    code_rate_check(email=email, client=client, refusals=SIGN_IN_REFUSALS)
    if accounts_of_contact(email):
        code_issue(email=email, purpose=Purpose.SIGN_IN)


def customer_sign_in(*, email: str, code: str, client: str) -> list[int]:
    """The account ids `email` signs in to with `code`; anyone may call it.

    The code is spent on success. A wrong code raises CUS-S002 and counts toward the lockout of
    this address and client (CUS-S003 once reached) and toward the code's own limit, so
    guessing from many networks is bounded too.
    """
    email = normalise_email(email)
    refusal = code_verify(email=email, code=code, client=client, purpose=Purpose.SIGN_IN)
    if refusal is not None:
        raise refusal
    return accounts_of_contact(email)


@transaction.atomic
def customer_request_open(*, account_ids: list[int], request_id: int) -> str | None:
    """A fresh consent token for a request waiting for one of the signed-in customer's accounts
    (the e-mailed link dies, as after a resend); None when it waits no more. LNK-C001 for
    another account's request."""
    if not LinkRequest.objects.filter(pk=request_id, customer_id__in=account_ids).exists():
        raise PortalError("LNK-C001")
    return consent_issue_token(request_id=request_id)
