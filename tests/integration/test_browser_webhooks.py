"""A reseller's admin registers a webhook endpoint in a real Chromium, copies its secret, sees
the deliveries with the receiver's answer, redelivers one, disables and deletes the endpoint."""

from __future__ import annotations

import re

import pytest
from standardwebhooks import Webhook

from linking.webhooks.delivery import webhook_deliver
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import make_draft, submit
from tests.integration import test_browser_journey as journey
from tests.integration.test_browser_journey import log_in, new_page
from tests.webhooks.conftest import receiver  # noqa: F401 (the loopback receiver fixture)

browser = journey.browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def deliver_owed() -> None:
    """What the worker does with the deliveries owed (no broker in this test)."""
    for pk in WebhookDelivery.objects.filter(status="pending").values_list("pk", flat=True):
        webhook_deliver(delivery_id=pk)


def test_an_admin_registers_an_endpoint_and_follows_its_deliveries(
    browser,
    live_server,
    cast,
    receiver,  # noqa: F811 (the fixture imported above)
):
    from playwright.sync_api import expect

    page = new_page(browser, live_server.url)
    log_in(page, cast.admin)
    page.goto("/cloud/connection/")
    page.locator("#webhooks-link").get_by_role("link", name="Webhooks").click()
    expect(page.locator("#webhook-none")).to_be_visible()
    page.get_by_role("link", name="Add an endpoint").click()
    page.get_by_label("Address").fill(receiver.url)
    page.get_by_role("checkbox", name=re.compile(r"request\.submitted")).check()
    page.get_by_label("Description").fill("Ticket system")
    page.get_by_role("button", name="Save the endpoint").click()
    secret = page.locator("#webhook-secret").inner_text()
    assert secret.startswith("whsec_")

    page.get_by_role("link", name="Open the endpoint").click()
    expect(page.locator("#webhook-facts")).to_contain_text(f"…{secret[-4:]}")
    assert secret not in page.content()
    expect(page.locator("#webhook-no-deliveries")).to_be_visible()

    req = submit(cast, make_draft(cast))
    deliver_owed()
    (got,) = receiver.received
    event = Webhook(secret).verify(got.body, got.headers)
    assert event["data"]["reference"] == req.reference

    page.reload()
    row = page.locator("#webhook-deliveries tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("request.submitted")
    expect(row).to_contain_text("200")
    expect(row).to_contain_text('{"received":true}')
    row.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_role("alert").filter(has_text="sent again")).to_be_visible()
    deliver_owed()
    assert len(receiver.received) == 2
    assert receiver.received[1].headers["webhook-id"] == got.headers["webhook-id"]

    page.get_by_role("button", name="Disable").click()
    expect(page.locator("#webhook-state")).to_contain_text("Disabled")
    assert not WebhookEndpoint.objects.get().enabled

    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete the endpoint").click()
    expect(page.locator("#webhook-none")).to_be_visible()
    assert not WebhookEndpoint.objects.exists()
    page.context.close()
