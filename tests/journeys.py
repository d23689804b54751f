"""Requests and links of the test cast in a given state, built through the services
(`linking.journeys`): the one place the tests' journeys are written. The consent e-mail is
delivered the way the worker delivers it, and its token is the one the customer would use."""

from __future__ import annotations

from datetime import datetime

import time_machine
from django.utils import timezone

from linking import journeys, services
from linking.models import Link, LinkRequest
from tests.conftest import Cast, consent_code_for, consent_token_for, make_draft


def to_the_customer(cast: Cast, req: LinkRequest) -> LinkRequest:
    """A submitted request (new, an amendment, a renewal), approved when the policy says so."""
    req.refresh_from_db()
    return journeys.to_the_customer(req, approver=cast.approver, reason="ok")


def accept(cast: Cast, req: LinkRequest) -> LinkRequest:
    """The customer accepts every item of `req`, from the delivered consent e-mail, typing the
    code e-mailed to the contact address where the page asks for one."""
    token = consent_token_for(req)
    req, _ = journeys.decide_all(req, accept=True, token=token, code=consent_code_for(req, token))
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
    """The customer accepted every item (typing the e-mailed code where the page asks for one);
    its links wait for the activation worker."""
    return accept(cast, pending_consent(cast, specs, customer=customer, **kwargs))


def accepted_link(cast: Cast, specs=None, *, customer=None, **kwargs) -> Link:
    """The newest link of the accepted request's customer, waiting for its activation."""
    req = accepted(cast, specs, customer=customer, **kwargs)
    return Link.objects.filter(reseller=req.reseller, customer=req.customer).latest("id")


def awaiting_setup_link(cast: Cast, specs=None, *, customer=None, **kwargs) -> Link:
    """Accepted and activated by the worker: the link waits for the customer's cloud setup
    (or, when activation refused it, what activation made of it)."""
    link = accepted_link(cast, specs, customer=customer, **kwargs)
    return services.link_activate(link_id=link.pk)


def activate(cast: Cast, link_id: int, *, cloud=None) -> Link | None:
    """What the activation worker makes of an accepted link, then (when it awaits its setup)
    the customer's setup in the sandbox cloud and the check that proves it."""
    link = services.link_activate(link_id=link_id)
    if link is None or link.status != Link.Status.AWAITING_SETUP:
        return link
    return prove_setup(cast, link, cloud=cloud)


def active_link(cast: Cast, specs=None, *, customer=None, cloud=None, **kwargs) -> Link:
    """The whole journey: submit, approval when needed, consent, activation by the worker,
    the customer's setup in the (sandbox) cloud and the check that proves it."""
    link = awaiting_setup_link(cast, specs, customer=customer, **kwargs)
    if link is None or link.status != Link.Status.AWAITING_SETUP:
        return link
    return prove_setup(cast, link, cloud=cloud)


def prove_setup(cast: Cast, link: Link, *, cloud=None, **cloud_side) -> Link:
    """The customer does their part in the sandbox cloud, and the setup check proves it.

    Tests without the `cloud` fixture use the session's sandbox (started on first use): the
    reseller gets a connection to it the first time, as a real reseller sets one up.
    """
    from linking.cloud.huawei import forget_cached_credentials
    from tests.cloud.sandbox_fixtures import session_sandbox

    cloud = cloud or session_sandbox()
    ensure_connection(cast, cloud, link.reseller)
    complete_cloud_side(cast, cloud, link, **cloud_side)
    # The keys of an agency replaced just now are not the customer's current ones.
    forget_cached_credentials()
    travelling = time_machine.escape_hatch.is_travelling()
    if travelling:
        # The SDK signs with the travelled time: the sandbox's clock goes along.
        cloud.control.set_clock(timezone.now())
    try:
        services.link_verify(link_id=link.pk, trigger="setup")
    finally:
        if travelling:
            cloud.control.real_clock()
            forget_cached_credentials()
    link.refresh_from_db()
    return link


# --- the customer's side in the cloud (the sandbox) ---------------------------------------------


def ensure_connection(cast: Cast, cloud, reseller) -> None:
    """The reseller's connection to this sandbox, made when it has none (or another)."""
    from linking.cloud.models import CloudConnection

    connection = CloudConnection.objects.filter(reseller=reseller).first()
    if connection is None or connection.bss_endpoint != cloud.url:
        connect_reseller(cast, cloud, reseller)


def connect_reseller(cast: Cast, cloud, reseller=None) -> dict:
    """A partner account in the sandbox and the reseller's cloud connection to it."""
    import secrets

    from linking.cloud import services as cloud_services

    reseller = reseller or cast.reseller
    # Unique in the session's sandbox, which outlives each test's database.
    name = f"partner-{reseller.pk}-{secrets.token_hex(4)}"
    account = cloud.control.create_account(name, display_name=reseller.name)
    cloud_services.cloud_connection_save(
        actor=None,
        reseller=reseller,
        check_actor=False,
        partner_domain_id=account["domain_id"],
        partner_account_name=account["name"],
        access_key=account["access_key"],
        secret_key=account["secret_key"],
        bss_endpoint=cloud.url,
        iam_endpoint=cloud.url,
        ecs_endpoint=cloud.url,
        invitation_url=f"{cloud.url}/console/invitations/{account['domain_id']}/",
    )
    return account


def cloud_customer(cloud, customer) -> str:
    """The customer's account in the sandbox (made once); its domain id."""
    from linking.cloud.names import customer_domain_id
    from linking.cloud.sandbox.control import SandboxControlError

    domain_id = customer_domain_id(customer)
    try:
        cloud.control.create_account(f"customer-{domain_id[-12:]}", domain_id=domain_id)
    except SandboxControlError as error:
        if error.status != 409:
            raise
    return domain_id


def agency_roles(link: Link, level: str | None = None) -> dict[str, list[str]]:
    """The project roles the receipt asks for: each consented service at the consented level,
    in each consented region, named by the one permission table."""
    from linking.cloud.policies import permission_for

    if level is None:
        writes = link.link_type == "provisioning" or link.access_level == "manage"
        level = "manage" if writes else "read_only"
    roles = [found[0] for s in link.services if (found := permission_for(s, level))]
    # No permission at this level (IAM cannot be managed by an agency): guest access only.
    return dict.fromkeys(link.regions, roles or ["Tenant Guest"])


def complete_cloud_side(
    cast: Cast, cloud, link: Link, *, roles: dict | None = None, association_type: str = "2"
) -> None:
    """What the customer does in the cloud for `link`, done through the sandbox's control API:
    accept the association (billing) or create the agency trusting the partner account."""
    from linking.cloud.models import CloudConnection
    from linking.cloud.names import agency_name_for
    from linking.cloud.sandbox.control import SandboxControlError

    connection = CloudConnection.objects.get(reseller_id=link.reseller_id)
    domain_id = cloud_customer(cloud, link.customer)
    if link.link_type == "billing":
        cloud.control.associate(connection.partner_domain_id, domain_id, association_type)
        return
    name = agency_name_for(link)
    project_roles = agency_roles(link) if roles is None else roles
    try:
        cloud.control.create_agency(
            domain_id, name, connection.partner_account_name, project_roles=project_roles
        )
    except SandboxControlError as error:
        if error.status != 409:
            raise
        # The session's sandbox keeps agencies of earlier tests: the customer replaces it.
        cloud.control.delete_agency(domain_id, name)
        cloud.control.create_agency(
            domain_id, name, connection.partner_account_name, project_roles=project_roles
        )
