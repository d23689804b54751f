"""A forwarded consent e-mail cannot give manage access: in a real headless Chromium against
the live server, the customer accepts manage access with the code the worker e-mailed over SMTP
to the account's contact address, after a try without it was refused."""

from __future__ import annotations

import re

import pytest

from linking.checks import ItemSpec
from linking.models import ConsentRecord, Link
from tests.integration.servers import CONSENT_URL_RE, type_emailed_code
from tests.integration.test_browser_journey import background, browser, new_page  # noqa: F401
from tests.journeys import pending_consent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MANAGE = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=["ap-southeast-1"],
    access_level="manage",
    duration_days=30,
)


def test_customer_accepts_manage_access_with_the_emailed_code(
    browser,  # noqa: F811
    live_server,
    settings,
    cast,
    smtp_server,
    background,  # noqa: F811
):
    settings.PORTAL_BASE_URL = live_server.url
    req = pending_consent(cast, specs=[MANAGE])
    background()
    consent = smtp_server.wait_for_notification(kind="consent_request", request=req)
    token = CONSENT_URL_RE.search(consent.consent_url()).group("token")
    page = new_page(browser, live_server.url)
    page.goto(f"/consent/{token}/")

    # Holding the link is not enough: accepting without a code is refused, choice kept.
    page.get_by_role("radio", name="Accept").check()
    page.get_by_role("button", name="Confirm my decisions").click()
    page.get_by_text("CUS-C001").wait_for()
    assert page.get_by_role("radio", name="Accept").is_checked()
    assert not Link.objects.filter(customer=cast.customer).exists()

    type_emailed_code(page, smtp_server, to=cast.customer.contact_email, background=background)
    assert page.get_by_role("radio", name="Accept").is_checked()
    page.get_by_role("button", name="Confirm my decisions").click()
    page.wait_for_url(re.compile(r".*/consent/receipt/[^/]+/$"))

    record = ConsentRecord.objects.get(request=req)
    assert record.decision == "accepted"
    assert record.confirmed_by == ConsentRecord.ConfirmedBy.EMAIL_CODE
    assert Link.objects.get(customer=cast.customer).access_level == "manage"
