"""Clean-up in a real headless Chromium: a delegation ends, the customer deletes its agency in
the sandbox cloud's console, a real worker's clean-up check finds it gone, and the link's page
says *cleaned up*."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from linking import services, tasks
from linking.checks import ItemSpec
from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.names import agency_name_for, customer_domain_id
from linking.models import Link
from tests.integration.servers import wait_for
from tests.integration.test_browser_journey import (  # noqa: F401 (fixture)
    TIMEOUT_MS,
    browser,
    log_in,
    new_page,
)
from tests.journeys import active_link, connect_reseller

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONSOLE_PASSWORD = "customer-console-pass-1"
READ_ONLY = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=["ap-southeast-1"],
    access_level="read_only",
    duration_days=30,
)


def _customer_deletes_the_agency_in_the_console(browser, cloud, cast, name: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    context = browser.new_context(base_url=cloud.url, viewport={"width": 375, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/console/")
    page.wait_for_url(re.compile(re.escape(cloud.url) + r"/console/signin/.*"))
    page.get_by_label("Account name").fill(cast.customer.account_name)
    page.get_by_label("Password").fill(CONSOLE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{cloud.url}/console/")
    row = page.locator("tr", has_text=name)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete agency {name}")
    page.get_by_role("button", name="Delete agency").click()
    expect(page.locator(".messages")).to_contain_text(f"Agency {name} deleted.")
    expect(page.locator("tr", has_text=name)).to_have_count(0)
    context.close()


def test_the_customer_deletes_the_agency_in_the_console_and_the_link_is_cleaned_up(
    browser,  # noqa: F811
    live_server,
    settings,
    cast,
    cloud,
    request,
):
    from playwright.sync_api import expect

    settings.SANDBOX_URL = cloud.url
    forget_cached_credentials()
    connect_reseller(cast, cloud)
    cloud.control.create_account(
        cast.customer.account_name,
        domain_id=cast.customer.account_id,
        display_name=cast.customer.display_name,
        password=CONSOLE_PASSWORD,
    )
    link = active_link(cast, [READ_ONLY], cloud=cloud)
    assert link.status == Link.Status.ACTIVE
    assert customer_domain_id(link.customer) == cast.customer.account_id
    services.link_revoke(
        actor=cast.approver, link_id=link.pk, reason="ended", confirm_reference=link.reference
    )
    # The worker starts once the link has ended, so it cannot race the journey's own steps.
    request.getfixturevalue("celery_worker_redis")
    name = agency_name_for(link)

    # The reseller sees the clean-up pending, with the agency the customer deletes.
    page = new_page(browser, live_server.url)
    log_in(page, cast.initiator)
    page.goto(f"/links/{link.pk}/")
    cleanup = page.locator("#link-cleanup")
    expect(cleanup).to_have_attribute("data-cleanup", "pending")
    expect(cleanup).to_contain_text(name)

    _customer_deletes_the_agency_in_the_console(browser, cloud, cast, name)

    # The check is due a minute after the end: the test does not wait for it.
    Link.objects.filter(pk=link.pk).update(next_cleanup_check_at=timezone.now())
    assert tasks.link_cleanup_sweep_task() == 1  # what the beat runs every minute

    def cleaned_up():
        link.refresh_from_db()
        return link.cleanup_status == "cleaned_up"

    wait_for(cleaned_up, timeout=60, what="the worker's clean-up check")
    page.reload()
    expect(cleanup).to_have_attribute("data-cleanup", "cleaned_up")
    expect(cleanup).to_contain_text("Cleaned up.")
    expect(cleanup).to_contain_text(f"the agency “{name}” can no longer be assumed")
    run = link.verification_runs.get(trigger="cleanup")
    assert run.outcome == "passed" and run.cloud_calls == 1
    page.context.close()
