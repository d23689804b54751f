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
from linking.models import CustomerAccount, Notification

__all__ = ["CODE_LIFETIME", "normalise_email"]


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
