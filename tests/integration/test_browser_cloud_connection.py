"""A reseller's admin connects the reseller to the (sandbox) cloud in a real Chromium and tests
the connection with the button: a real Celery worker makes the call through the SDK, the page
polls until the result is there."""

from __future__ import annotations

import os

import pytest

from linking.cloud import services
from linking.cloud.models import CloudConnection
from tests.integration import test_browser_journey as journey
from tests.integration.test_browser_journey import log_in, new_page

# The fixtures of the sandbox cloud and of the journey's Chromium, shared with this module.
browser = journey.browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(request, transactional_db):
    """A real Celery worker on Redis; without Redis the test runs the queued test itself."""
    if os.environ.get("REDIS_URL"):
        request.getfixturevalue("celery_worker_redis")
        return lambda: None

    def run_queued_tests() -> None:
        for connection in CloudConnection.objects.filter(test_status="testing"):
            services.cloud_connection_test(
                connection_id=connection.pk, revision=connection.revision
            )

    return run_queued_tests


def test_an_admin_connects_and_tests_the_connection(
    browser, live_server, cast, sandbox_cloud, worker
):
    from playwright.sync_api import expect

    sandbox_cloud.control.reset()
    account = sandbox_cloud.control.create_account("northwind-partner")
    page = new_page(browser, live_server.url)
    log_in(page, cast.admin)
    page.get_by_role("link", name="Cloud connection").click()
    expect(page.locator("#connection-missing")).to_contain_text("LNK-N006")
    page.get_by_role("link", name="Set up the connection").click()

    page.get_by_label("Partner account id").fill(account["domain_id"])
    page.get_by_label("Partner account name").fill(account["name"])
    page.get_by_label("Access key id").fill(account["access_key"])
    page.get_by_label("Secret access key").fill(account["secret_key"])
    for label in ("BSS endpoint", "IAM endpoint", "ECS endpoint"):
        page.get_by_label(label).fill(sandbox_cloud.url)
    page.get_by_label("Customer-association invitation link").fill(
        f"{sandbox_cloud.url}/console/invitations/{account['domain_id']}/"
    )
    page.get_by_role("button", name="Save the connection").click()
    expect(page.get_by_role("alert").filter(has_text="was saved")).to_be_visible()
    expect(page.locator("#connection-facts")).to_contain_text(account["access_key"][-4:])
    assert account["secret_key"] not in page.content()

    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#connection-test")).to_have_attribute("data-status", "testing")
    worker()
    expect(page.locator("#connection-test")).to_contain_text("OK", timeout=30_000)
    assert CloudConnection.objects.get().test_status == "ok"

    # A wrong secret: the cloud refuses the signature, and the page says so with its code.
    page.get_by_role("link", name="Change the connection").click()
    page.get_by_label("Secret access key").fill("WrongSecretWrongSecretWrongSecret0000000")
    page.get_by_role("button", name="Save the connection").click()
    expect(page.locator("#connection-test")).to_contain_text("Not tested")
    page.get_by_role("button", name="Test connection").click()
    worker()
    expect(page.locator("#connection-test")).to_contain_text("LNK-N003", timeout=30_000)
    expect(page.locator("#connection-test")).to_contain_text("Create a new access key")
    page.context.close()
