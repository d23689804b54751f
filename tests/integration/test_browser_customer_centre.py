"""The customer centre in a real headless Chromium against the live server: the customer asks
for a code, reads it from the e-mail the worker sent over SMTP, signs in, sees the partner and
withdraws it."""

from __future__ import annotations

import re

import pytest

from linking import journeys
from linking.models import ConsentRecord, Link
from tests.integration.servers import CONSENT_URL_RE, wait_for
from tests.integration.test_browser_journey import background, browser, new_page  # noqa: F401
from tests.journeys import pending_consent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBJECT = "Your sign-in code for the Partner Portal customer centre"


def test_customer_signs_in_with_the_emailed_code_and_withdraws(
    browser,  # noqa: F811
    live_server,
    settings,
    cast,
    smtp_server,
    background,  # noqa: F811
):
    settings.PORTAL_BASE_URL = live_server.url
    # The partner's request reaches the customer through the worker and the SMTP server; the
    # customer accepts it through the e-mailed link.
    req = pending_consent(cast)
    background()
    consent = smtp_server.wait_for_notification(kind="consent_request", request=req)
    token = CONSENT_URL_RE.search(consent.consent_url()).group("token")
    journeys.decide_all(req, accept=True, token=token)
    link = Link.objects.get(customer=cast.customer)
    background()
    email = cast.customer.contact_email
    page = new_page(browser, live_server.url)

    page.goto("/customer/sign-in/")
    page.get_by_label("Contact e-mail address").fill(email)
    page.get_by_role("button", name="E-mail me a code").click()
    page.wait_for_url(re.compile(r".*/customer/sign-in/code/$"))
    background()
    message = smtp_server.wait_for_message(to=email, subject=SUBJECT)
    code = re.search(r"\s(\d{6})\s", message.text).group(1)
    page.get_by_label("Six-digit code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/customer/$"))

    card = page.locator(f"#link-{link.pk}")
    assert "Northwind Cloud" in card.inner_text()
    card.get_by_role("link", name="Withdraw").click()
    page.wait_for_url(re.compile(rf".*/customer/links/{link.pk}/withdraw/$"))
    page.get_by_label("I want to withdraw my consent and end this link.").check()
    page.get_by_role("button", name="Withdraw consent").click()
    page.get_by_role("heading", name="Your consent is withdrawn").wait_for()

    link.refresh_from_db()
    assert link.status == Link.Status.REVOKED
    assert ConsentRecord.objects.filter(link=link, decision="withdrawn").count() == 1
    page.get_by_role("link", name="Back to your customer centre").click()
    wait_for(lambda: "Revoked" in page.locator(f"#link-{link.pk} .link-state").inner_text())


def test_customer_decides_a_waiting_request_inside_the_centre(
    browser,  # noqa: F811
    live_server,
    settings,
    cast,
    smtp_server,
    background,  # noqa: F811
):
    settings.PORTAL_BASE_URL = live_server.url
    req = pending_consent(cast)
    background()
    smtp_server.wait_for_notification(kind="consent_request", request=req)
    email = cast.customer.contact_email
    page = new_page(browser, live_server.url)

    page.goto("/customer/sign-in/")
    page.get_by_label("Contact e-mail address").fill(email)
    page.get_by_role("button", name="E-mail me a code").click()
    page.wait_for_url(re.compile(r".*/customer/sign-in/code/$"))
    background()
    message = smtp_server.wait_for_message(to=email, subject=SUBJECT)
    code = re.search(r"\s(\d{6})\s", message.text).group(1)
    page.get_by_label("Six-digit code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/customer/$"))

    page.get_by_role("link", name="Read and decide").click()
    page.wait_for_url(re.compile(rf".*/customer/requests/{req.pk}/decide/$"))
    page.get_by_label("Accept", exact=True).check()
    page.get_by_role("button", name="Confirm my decisions").click()
    page.get_by_role("heading", name="Thank you: your decision is recorded").wait_for()

    req.refresh_from_db()
    assert req.status == "completed"
    record = ConsentRecord.objects.get(request=req)
    assert record.confirmed_by == ConsentRecord.ConfirmedBy.CENTRE
    # The receipt reaches the contact by e-mail, through the worker, as from the e-mailed link.
    background()
    receipt = smtp_server.wait_for_notification(kind="consent_receipt", request=req)
    assert receipt.envelope_to == [email]
