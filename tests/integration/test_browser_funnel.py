"""A reseller's admin opens the funnel in a real Chromium, picks last month and finds the error
code that stopped most requests, then the requests it stopped."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import freeze, login, make_draft, read_only_delegation
from tests.factories import CustomerFactory
from tests.integration import test_browser_journey as journey
from tests.integration.test_browser_journey import log_in, new_page

browser = journey.browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def refused_last_month(cast, times: int) -> list:
    """Submits refused last month because the customer is frozen (LNK-V003), `times` times."""
    first = timezone.localdate().replace(day=1)
    moment = timezone.make_aware(
        timezone.datetime.combine(first - timedelta(days=10), timezone.datetime.min.time())
    )
    refused = []
    client = Client()
    login(client, cast.initiator)
    for n in range(times):
        account = CustomerFactory(enabled_regions=[cast.region_a, cast.region_b])
        with time_machine.travel(moment + timedelta(hours=n), tick=False):
            req = make_draft(cast, customer=account, specs=[read_only_delegation(cast)])
            freeze(account)
            client.post(reverse("linking:request-submit", args=[req.pk]))
        refused.append(req)
    return refused


def test_an_admin_finds_the_code_that_stopped_most_requests_last_month(browser, live_server, cast):
    from playwright.sync_api import expect

    refused = refused_last_month(cast, 3)
    page = new_page(browser, live_server.url)
    log_in(page, cast.admin)
    page.locator("#account-menu").click()
    page.get_by_role("link", name="Funnel").click()
    page.get_by_role("link", name="Last month").click()
    top = page.locator("#funnel-refusals tbody tr").first
    expect(top).to_have_attribute("data-code", "LNK-V003")
    expect(top.locator("td").nth(1)).to_have_text("3")
    top.get_by_role("link", name="requests").click()
    for req in refused:
        expect(page.locator("#funnel-code-list")).to_contain_text(req.reference)
    # The code's help entry is one click away.
    top = page.locator("#funnel-refusals tbody tr").first
    top.get_by_role("link", name="LNK-V003").click()
    expect(page.locator("#LNK-V003")).to_be_visible()
    page.context.close()
