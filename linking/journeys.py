"""A link request taken to a given state through the real services, step by step as the pages
and the workers take it: the demo data (`seed_demo`) and the tests build their requests with
these, so the journey is written once and follows every rule the services apply.

Not for the pages: each step here is a service a page or a task calls on its own.
"""

from __future__ import annotations

from accounts.models import Reseller, User
from linking import services
from linking.checks import ItemSpec
from linking.models import CustomerAccount, Link, LinkRequest


def draft(
    *,
    actor: User,
    reseller: Reseller,
    customer: CustomerAccount,
    specs: list[ItemSpec],
    ticket: str,
    note: str,
    consent_days: int = 7,
) -> LinkRequest:
    """A complete draft, through the wizard's services in the wizard's order."""
    req = services.link_request_create_draft(actor=actor, reseller=reseller)
    services.link_request_set_types(
        actor=actor, request_id=req.pk, link_types=[s.link_type for s in specs]
    )
    services.link_request_set_customer(
        actor=actor, request_id=req.pk, account_id=customer.account_id
    )
    services.link_request_set_scope(
        actor=actor, request_id=req.pk, scopes={s.link_type: s for s in specs}
    )
    services.link_request_set_details(
        actor=actor,
        request_id=req.pk,
        ticket_reference=ticket,
        note_to_customer=note,
        consent_days=consent_days,
    )
    req.refresh_from_db()
    return req


def submit(
    req: LinkRequest, *, actor: User, approver: User | None = None, reason: str = ""
) -> LinkRequest:
    """Submit a draft; with an `approver`, also approve it when the reseller's policy asks for
    an approval, so that it waits for the customer."""
    req = services.link_request_submit(actor=actor, request_id=req.pk)
    if approver is not None:
        req = to_the_customer(req, approver=approver, reason=reason)
    return req


def to_the_customer(req: LinkRequest, *, approver: User, reason: str = "") -> LinkRequest:
    """A submitted request (a new one, an amendment, a renewal) approved by `approver` when the
    reseller's policy asked for an approval; unchanged when it went to the customer directly."""
    if req.status == LinkRequest.Status.PENDING_APPROVAL:
        req = services.link_request_approve(actor=approver, request_id=req.pk, reason=reason)
    return req


def emailed_code(*, purpose: str, subject_id: int) -> str:
    """The code of the newest code e-mail for `purpose` and `subject_id`, read from the message
    the outbox worker would send (the code is in no row, only in the e-mail)."""
    import re

    from linking.models import CustomerSignInCode, Notification
    from linking.outbox.delivery import _build

    row = CustomerSignInCode.objects.filter(purpose=purpose, subject_id=subject_id).latest("id")
    notification = Notification.objects.filter(
        kind=Notification.Kind.CUSTOMER_CODE, context__code_id=row.pk
    ).get()
    message = _build(notification)
    assert message is not None, "the code expired or was used before it was read"
    found = re.search(r"^\s+(\d{6})$", str(message.body), re.M)
    assert found is not None
    return found.group(1)


def decide_all(
    req: LinkRequest,
    *,
    accept: bool,
    reason: str = "",
    token: str | None = None,
    code: str | None = None,
    **evidence,
) -> tuple[LinkRequest, str]:
    """The customer's same answer to every item, through the consent service with `token` (or
    one issued now); `evidence` as the consent page sends it. Where the decision needs a code
    and `code` is None, the customer asks for one and types the one e-mailed. Returns the
    request and the receipt reference."""
    from linking.consent.services import consent_code_send, consent_needs_code

    token = token or services.consent_issue_token(request_id=req.pk)
    decisions = {item.pk: (accept, "" if accept else reason) for item in req.items.all()}
    if code is None and consent_needs_code(req, decisions):
        consent_code_send(token=token, client=evidence.get("client") or "journey")
        code = emailed_code(purpose="consent", subject_id=req.pk)
    return services.consent_decide(token=token, decisions=decisions, code=code or "", **evidence)


def withdraw(token: str, *, code: str | None = None, **evidence) -> tuple[Link, str]:
    """The customer ends a link from the withdrawal link of the receipt e-mail, asking for and
    typing the e-mailed code where it is needed. Returns the link and the WD reference."""
    from linking.services.revocation import (
        link_withdraw_code_send,
        link_withdrawal_resolve,
        withdrawal_needs_code,
    )

    if code is None and withdrawal_needs_code():
        link = link_withdrawal_resolve(token)
        link_withdraw_code_send(token=token, client=evidence.get("client") or "journey")
        code = emailed_code(purpose="withdraw", subject_id=link.pk)
    return services.link_withdraw(token=token, code=code or "", **evidence)


def activate(req: LinkRequest) -> list[Link | None]:
    """What the activation worker does for each link the request's acceptance created (None
    for a link that was not waiting for it)."""
    links = Link.objects.filter(source_item__request=req).order_by("pk")
    return [services.link_activate(link_id=link.pk) for link in links]
