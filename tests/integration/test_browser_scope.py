"""A reseller's admin, in a real Chromium, opens a linked customer and sees what the links
reach: the customer's servers in the consented region, read through the delegation's own
agency, and the month's spend the partner API reports for the billing association."""

from __future__ import annotations

import pytest

from linking import tasks
from linking.checks import ItemSpec
from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.models import CloudConnection
from linking.cloud.names import customer_domain_id
from linking.models import Link
from tests.integration import test_browser_journey as journey
from tests.integration.test_browser_journey import log_in, new_page
from tests.journeys import active_link, connect_reseller

browser = journey.browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REGION = "ap-southeast-1"
DELEGATION = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=[REGION],
    access_level="read_only",
    duration_days=30,
)
BILLING = ItemSpec(link_type="billing")


def test_an_admin_sees_the_customers_servers_and_the_months_spend(
    browser, live_server, cast, cloud
):
    from playwright.sync_api import expect

    forget_cached_credentials()
    connect_reseller(cast, cloud)
    delegation = active_link(cast, [DELEGATION], cloud=cloud)
    billing = active_link(cast, [BILLING], cloud=cloud, customer=delegation.customer)
    assert {delegation.status, billing.status} == {Link.Status.ACTIVE}
    domain_id = customer_domain_id(delegation.customer)
    for name in ("pos-01", "pos-02"):
        cloud.control.create_server(domain_id, REGION, name)
    partner = CloudConnection.objects.get(reseller=cast.reseller).partner_domain_id
    cloud.control.set_budget(partner, domain_id, budget_amount="2500", used_amount="312.40")
    # What the beat sweep has a worker do: read each link's reach through its own agency.
    for link in (delegation, billing):
        forget_cached_credentials()
        tasks.link_scope_read_task(link.pk)

    page = new_page(browser, live_server.url)
    log_in(page, cast.admin)
    page.get_by_role("link", name="Customers").first.click()
    page.get_by_role("link", name=delegation.customer.display_name).first.click()
    body = page.locator("main")
    for name in ("pos-01", "pos-02"):
        expect(body).to_contain_text(name)
    expect(body).to_contain_text(REGION)
    expect(body).to_contain_text("312.40 USD")
    page.context.close()
