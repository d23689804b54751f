"""Requests and links of the test cast in a given state, built through the services
(`linking.journeys`): the one place the tests' journeys are written. The consent e-mail is
delivered the way the worker delivers it, and its token is the one the customer would use."""

from __future__ import annotations

from datetime import datetime

import time_machine

from linking import journeys, services
from linking.models import Link, LinkRequest
from tests.conftest import Cast, consent_token_for, make_draft


def to_the_customer(cast: Cast, req: LinkRequest) -> LinkRequest:
    """A submitted request (new, an amendment, a renewal), approved when the policy says so."""
    req.refresh_from_db()
    return journeys.to_the_customer(req, approver=cast.approver, reason="ok")


def accept(cast: Cast, req: LinkRequest) -> LinkRequest:
    """The customer accepts every item of `req`, from the delivered consent e-mail, typing the
    account id where the page asks for it."""
    req, _ = journeys.decide_all(
        req, accept=True, token=consent_token_for(req), confirm_account_id=req.customer.account_id
    )
    return req


def pending_consent(
    cast: Cast, specs=None, *, customer=None, ticket="INC-1001", reason="ok"
) -> LinkRequest:
    """A request the customer has to decide: submitted and, when the policy says so, approved."""
    req = journeys.submit(
        make_draft(cast, specs=specs, customer=customer, ticket=ticket),
        actor=cast.initiator,
        approver=cast.approver,
        reason=reason,
    )
    req.refresh_from_db()
    return req


def pending_consent_with_token(cast: Cast, specs=None, **kwargs) -> tuple[LinkRequest, str]:
    """A request waiting for the customer, and the token of its (delivered) consent e-mail."""
    req = pending_consent(cast, specs, **kwargs)
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    token = consent_token_for(req)
    req.refresh_from_db()
    return req, token


def waiting_for_customer(cast: Cast, start: datetime | None = None, **kwargs) -> LinkRequest:
    """A request sent to the customer at `start` (now by default)."""
    if start is None:
        return pending_consent(cast, **kwargs)
    with time_machine.travel(start, tick=False):
        return pending_consent(cast, **kwargs)


def accepted(cast: Cast, specs=None, *, customer=None, **kwargs) -> LinkRequest:
    """The customer accepted every item (typing the account id where the page asks for it);
    its links wait for the activation worker."""
    return accept(cast, pending_consent(cast, specs, customer=customer, **kwargs))


def accepted_link(cast: Cast, specs=None, *, customer=None, **kwargs) -> Link:
    """The newest link of the accepted request's customer, waiting for its activation."""
    req = accepted(cast, specs, customer=customer, **kwargs)
    return Link.objects.filter(reseller=req.reseller, customer=req.customer).latest("id")


def active_link(cast: Cast, specs=None, *, customer=None, **kwargs) -> Link:
    """The whole journey: submit, approval when needed, consent, activation by the worker."""
    link = accepted_link(cast, specs, customer=customer, **kwargs)
    return services.link_activate(link_id=link.pk)
