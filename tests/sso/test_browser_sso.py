"""Single sign-on in a real headless Chromium: a member signs in through the reseller's real
OpenID provider (its own login and consent pages) and lands on the dashboard; on a phone too."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_browser_journey import browser  # noqa: F401 (fixture)
from tests.sso.conftest import CLIENT_SECRET, configure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT_MS = 15_000


def _context(browser, live_server, *, phone=False):  # noqa: F811
    viewport = {"width": 375, "height": 800} if phone else {"width": 1280, "height": 800}
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    # The provider's development pages import a web font: nothing leaves the machine.
    context.route(re.compile(r"^https://fonts\.googleapis\.com/.*"), lambda route: route.abort())
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _sign_in_at_provider(page, login: str) -> None:
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").first.click()
    page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    page.locator("button[type=submit]").first.click()


@pytest.mark.parametrize("phone", [False, True], ids=["laptop", "phone"])
def test_a_member_signs_in_with_the_company_provider_and_lands_on_the_dashboard(
    browser,  # noqa: F811
    live_server,
    settings,
    cast,
    live_openid_provider,
    phone,
):
    settings.PORTAL_BASE_URL = live_server.url
    configure(cast, live_openid_provider)
    context = _context(browser, live_server, phone=phone)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.click("#sso-link")
    page.fill("input[name=email]", "admin@northwind.example")
    if phone:  # the page fits: nothing wider than the screen
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375
    page.click("#sso-start button[type=submit]")
    page.wait_for_selector("input[name=login]")
    assert page.url.startswith(live_openid_provider.issuer), page.url
    _sign_in_at_provider(page, "admin")
    page.wait_for_url(f"{live_server.url}/")
    assert "Northwind Cloud" in page.content()
    assert CLIENT_SECRET not in page.content()
    context.close()


def test_a_refusal_is_a_clear_page(browser, live_server, settings, cast, live_openid_provider):  # noqa: F811
    settings.PORTAL_BASE_URL = live_server.url
    configure(cast, live_openid_provider)
    context = _context(browser, live_server)
    page = context.new_page()
    page.goto("/accounts/sso/")
    page.fill("input[name=email]", "admin@northwind.example")
    page.click("#sso-start button[type=submit]")
    page.wait_for_selector("input[name=login]")
    assert page.url.startswith(live_openid_provider.issuer), page.url
    _sign_in_at_provider(page, "stranger")
    page.wait_for_selector("#sso-refused")
    assert page.get_attribute("#sso-refused", "data-code") == "ACC-O007"
    assert "stranger@northwind.example" in page.inner_text("#sso-refused")
    context.close()
