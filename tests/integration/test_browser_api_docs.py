"""The API's documentation page in a real Chromium under the portal's CSP: Swagger UI loads
from the portal's own static files, draws every operation and breaks no CSP rule."""

from __future__ import annotations

import pytest

from tests.integration.test_browser_journey import browser  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_documentation_page_draws_under_the_csp(browser, live_server):  # noqa: F811
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/requests/{id}/approve/" in p for p in paths), paths
    assert page.locator(".title").first.inner_text().startswith("Partner Portal API")
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert not [p for p in problems if "Content Security Policy" in p], problems
    page.close()
