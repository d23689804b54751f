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


def decide_all(
    req: LinkRequest,
    *,
    accept: bool,
    reason: str = "",
    token: str | None = None,
    **evidence,
) -> tuple[LinkRequest, str]:
    """The customer's same answer to every item, through the consent service with `token` (or
    one issued now); `evidence` as the consent page sends it. Returns the request and the
    receipt reference."""
    token = token or services.consent_issue_token(request_id=req.pk)
    decisions = {item.pk: (accept, "" if accept else reason) for item in req.items.all()}
    return services.consent_decide(token=token, decisions=decisions, **evidence)


def activate(req: LinkRequest) -> list[Link | None]:
    """What the activation worker does for each link the request's acceptance created (None
    for a link that was not waiting for it)."""
    links = Link.objects.filter(source_item__request=req).order_by("pk")
    return [services.link_activate(link_id=link.pk) for link in links]
