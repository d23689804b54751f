"""A real Celery worker on Redis delivers the consent e-mail over SMTP; the customer accepts
through the link in the delivered message, then does the setup in the (sandbox) cloud; the
worker proves it and the link is active."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from linking.models import Link, LinkRequest, Notification
from tests.cloud.sandbox_fixtures import session_sandbox
from tests.conftest import make_draft, submit
from tests.integration.servers import wait_for
from tests.journeys import complete_cloud_side, ensure_connection

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_consent_mail_goes_through_worker_and_smtp_and_acceptance_activates_the_link(
    cast, smtp_server, celery_worker_redis, client
):
    # The read-only delegation needs no approval: submitting queues the consent e-mail, and
    # the commit publishes its delivery task to Redis.
    req = submit(cast, make_draft(cast))
    assert req.status == LinkRequest.Status.PENDING_CONSENT

    consent_mail = smtp_server.wait_for_notification(
        kind=Notification.Kind.CONSENT_REQUEST, request=req
    )
    assert consent_mail.envelope_to == [cast.customer.contact_email]
    assert consent_mail.html, "the consent e-mail has an HTML alternative"
    path = urlsplit(consent_mail.consent_url()).path

    page = client.get(path)
    assert page.status_code == 200
    assert cast.reseller.name in page.text
    item = req.items.get()
    # The customer accepts the one item through the page, as the form names it.
    response = client.post(path, {f"decision_{item.pk}": "accept"})
    assert response.status_code == 302, response.text[:500]
    receipt_page = client.get(response["Location"])
    assert receipt_page.status_code == 200

    req.refresh_from_db()
    assert req.status == LinkRequest.Status.COMPLETED

    # The worker activates the link: it waits for the customer's setup in the (sandbox) cloud,
    # which the customer does as the receipt says, then presses "I have done it" there.
    waiting = wait_for(
        lambda: Link.objects.filter(
            customer=cast.customer, status=Link.Status.AWAITING_SETUP
        ).first(),
        what="the worker to activate the link for its setup",
    )
    cloud = session_sandbox()
    ensure_connection(cast, cloud, waiting.reseller)
    complete_cloud_side(cast, cloud, waiting)
    receipt_page = client.get(response["Location"])
    done = re.search(r'action="([^"]+/setup-done/)"', receipt_page.text)
    assert done, "the receipt offers the customer to say the setup is done"
    assert client.post(done.group(1)).status_code == 302

    link = wait_for(
        lambda: Link.objects.filter(customer=cast.customer, status=Link.Status.ACTIVE).first(),
        what="the worker to prove the setup and make the link active",
    )
    assert link.reseller == cast.reseller
    assert cast.initiator.has_perm("linking.delegate_read_customeraccount", cast.customer)

    receipt = smtp_server.wait_for_notification(kind=Notification.Kind.CONSENT_RECEIPT, request=req)
    assert receipt.envelope_to == [cast.customer.contact_email]
    decided = smtp_server.wait_for_notification(
        kind=Notification.Kind.CUSTOMER_DECIDED, request=req
    )
    assert decided.envelope_to == [cast.initiator.email]
    active = smtp_server.wait_for_notification(kind=Notification.Kind.LINK_ACTIVE, request=req)
    assert active.envelope_to == [cast.initiator.email]
    # The customer hears that their setup works, with the way to their customer centre.
    to_customer = smtp_server.wait_for_message(
        to=cast.customer.contact_email,
        subject=f"{cast.reseller.name} now has the access you consented to ({link.reference})",
    )
    assert f"/customer/links/{link.pk}/withdraw/" in to_customer.text

    # The link in the e-mail is spent once the customer has decided.
    assert client.get(path).status_code == 410
