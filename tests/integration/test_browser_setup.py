"""The cloud-setup steps of a receipt in a real headless Chromium, on a phone: they fit, the
copy buttons work under the Content Security Policy, the commands scroll in their own box."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from linking import services
from linking.checks import ItemSpec
from linking.consent.views import receipt_sign
from linking.models import ConsentRecord
from tests.cloud.connection_setup import save_connection
from tests.conftest import make_draft, submit
from tests.integration.test_browser_journey import browser  # noqa: F401 (fixture)
from tests.integration.test_browser_layout import SHOTS, _overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DELEGATION = ItemSpec(
    link_type="delegation",
    services=["ECS", "OBS"],
    regions=["ap-southeast-1", "eu-west-101"],
    access_level="read_only",
    duration_days=90,
)


def _receipt_url(cast) -> str:
    save_connection(cast)
    req = submit(cast, make_draft(cast, specs=[ItemSpec(link_type="billing"), DELEGATION]))
    if req.status == "pending_approval":
        req = services.link_request_approve(actor=cast.approver, request_id=req.pk)
    with transaction.atomic():
        token = services.consent_issue_token(request_id=req.pk)
    _, reference = services.consent_decide(
        token=token, decisions={i.pk: (True, "") for i in req.items.all()}
    )
    assert ConsentRecord.objects.filter(receipt_reference=reference).exists()
    return reverse("consent:receipt", args=[receipt_sign(reference)])


def test_the_setup_steps_fit_a_phone_and_their_copy_buttons_work(
    browser,  # noqa: F811
    live_server,
    cast,
    pytestconfig,
):
    url = _receipt_url(cast)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)

    page.goto(url)

    assert page.locator("#cloud-setup ol.setup-steps > li").count() >= 7
    button = page.locator("#cloud-setup button.setup-copy").first
    button.click()
    # A served-over-http test page has no Clipboard API: the value is selected instead.
    page.wait_for_function(
        "b => ['Copied', 'Selected'].includes(b.textContent)", arg=button.element_handle()
    )
    if button.inner_text() == "Selected":
        assert page.evaluate("window.getSelection().toString()") == button.get_attribute(
            "data-copy"
        )
    page.locator("#cloud-setup summary").first.click()
    assert page.locator("pre.setup-cli").first.is_visible()
    assert _overflow(page) == ""
    assert refused == []
    if pytestconfig.getoption("screenshots"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "receipt-setup-phone.png", full_page=True)
    context.close()
