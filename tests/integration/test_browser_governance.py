"""A reseller's admin changes the approval policy on the Settings page in a real Chromium and
finds the change, with the reason given, in the reseller's activity log."""

from __future__ import annotations

import pytest

from accounts.models import Reseller
from tests.integration import test_browser_journey as journey
from tests.integration.test_browser_journey import log_in, new_page

# The journey's Chromium, shared with this module.
browser = journey.browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_changes_the_approval_policy_and_finds_it_in_the_activity_log(
    browser, live_server, cast
):
    from playwright.sync_api import expect

    page = new_page(browser, live_server.url)
    log_in(page, cast.admin)
    page.locator("#account-menu").click()  # Settings is in the account menu
    page.get_by_role("link", name="Settings").click()
    expect(page.locator("#new-requests-only")).to_contain_text("requests started from now on")

    page.get_by_label("Approval policy").select_option("always")
    page.get_by_label("Reason for the change").fill("Audit finding 12: four eyes on everything.")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("alert").filter(has_text="settings were changed")).to_be_visible()
    assert Reseller.objects.get(pk=cast.reseller.pk).approval_policy == "always"

    page.get_by_role("link", name="Activity log").click()
    page.get_by_label("Object").select_option("settings")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("#activity tbody tr").first
    expect(row).to_contain_text("Audit finding 12: four eyes on everything.")
    expect(row).to_contain_text("Always")
    expect(row).to_contain_text(cast.admin.email)
    page.context.close()
