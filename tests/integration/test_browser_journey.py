"""The whole journey in a real headless Chromium against the live server: an initiator asks,
an approver approves, a real worker e-mails the customer over SMTP, the customer accepts
through the link in that e-mail, and the initiator finds the links active."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

from linking.models import Link, LinkRequest, Notification, VerificationRun
from tests.conftest import PASSWORD
from tests.integration.servers import type_emailed_code, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


@pytest.fixture
def browser(monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser journey needs Debian's chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # While Playwright's loop runs, Django keeps this thread's connections in
            # context-local storage, apart from the ones pytest-django closes: close them here,
            # or PostgreSQL refuses to drop the test database at the end of the session.
            connections.close_all()


class Screens:
    """Full-page screenshots of each major step, numbered, under var/screenshots/, when the
    run asks for them (`--screenshots`); a full-page picture costs as much as the step."""

    def __init__(self, directory: Path, *, enabled: bool):
        self.directory = directory
        self.enabled = enabled
        if enabled:
            self.directory.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, page, name: str) -> None:
        self.count += 1
        if self.enabled:
            page.screenshot(path=self.directory / f"{self.count:02d}-{name}.png", full_page=True)


@pytest.fixture
def background(request, transactional_db):
    """The worker's part. A real Celery worker on Redis when REDIS_URL is set (then this is a
    no-op to call); without Redis the test plays the worker by running what its tasks run.
    Either way the e-mails go over SMTP to the test's server."""
    if os.environ.get("REDIS_URL"):
        request.getfixturevalue("celery_worker_redis")
        return lambda: None

    from linking import services
    from linking.outbox.delivery import notification_deliver
    from tests.journeys import prove_setup

    def run_pending_work() -> None:
        # The worker may have activated a link already: it then waits for its setup.
        waiting = (Link.Status.ACTIVATING, Link.Status.AWAITING_SETUP)
        for link in Link.objects.filter(status__in=waiting):
            if link.status == Link.Status.ACTIVATING:
                link = services.link_activate(link_id=link.pk)
            if link is not None and link.status == Link.Status.AWAITING_SETUP:
                # The customer's setup in the (sandbox) cloud, and the check that proves it.
                prove_setup(None, link)
        for notification_id in Notification.objects.filter(
            status=Notification.Status.QUEUED
        ).values_list("pk", flat=True):
            notification_deliver(notification_id=notification_id)

    return run_pending_work


def customer_does_the_cloud_side(cast, req) -> None:
    """With a real worker: once it has activated the links, the customer does what the receipt's
    steps say in the (sandbox) cloud and presses "I have done it" (the check runs at once)."""
    from linking.models import ConsentRecord
    from linking.services.verification import link_setup_check_now
    from tests.cloud.sandbox_fixtures import session_sandbox
    from tests.journeys import complete_cloud_side, ensure_connection

    waiting = Link.objects.filter(customer=cast.customer, status=Link.Status.AWAITING_SETUP)
    wait_for(lambda: waiting.count() == 2, what="the worker to activate both links for setup")
    cloud = session_sandbox()
    for link in waiting.select_related("reseller", "customer"):
        ensure_connection(cast, cloud, link.reseller)
        complete_cloud_side(cast, cloud, link)
    receipt = ConsentRecord.objects.filter(request=req).values_list("receipt_reference", flat=True)[
        0
    ]
    link_setup_check_now(receipt_reference=receipt)


@pytest.fixture
def screens(pytestconfig):
    return Screens(
        Path(django_settings.BASE_DIR) / "var" / "screenshots",
        enabled=pytestconfig.getoption("screenshots"),
    )


def new_page(browser, base_url: str):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def log_in(page, user) -> None:
    """Sign in as a person does: the password, then (for whoever must have one) the code of
    the user's authenticator app on the second-step page."""
    from accounts.mfa import has_factor, mfa_required
    from tests.mfa_helpers import authenticator, totp_code

    second_step = mfa_required(user) or has_factor(user)
    if second_step:
        authenticator(user)
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
    if second_step:
        page.wait_for_url(re.compile(r".*/accounts/mfa/verify/.*"))
        page.get_by_label("Code").fill(totp_code(user))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(re.compile(r"^(?!.*/accounts/mfa/verify/).*$"))


def confirm_step_up(page, user) -> None:
    """The step-up of a person with an authenticator app: the app's code."""
    from tests.mfa_helpers import totp_code

    page.get_by_label("Code").fill(totp_code(user))


def log_out(page) -> None:
    page.locator("#account-menu").click()  # Log out is in the account menu
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))


def test_request_approval_consent_by_email_and_active_links(
    browser, live_server, settings, cast, smtp_server, background, screens
):
    from playwright.sync_api import expect

    # The worker renders the links in the e-mails with the live server's address.
    settings.PORTAL_BASE_URL = live_server.url

    # --- The initiator asks for billing and a managing delegation ----------------------------
    page = new_page(browser, live_server.url)
    page.goto("/accounts/login/")
    screens(page, "login")
    log_in(page, cast.initiator)
    screens(page, "initiator-dashboard")
    page.get_by_role("button", name="New request").click()

    page.get_by_label("Billing association").check()
    page.get_by_label("Delegated administration").check()
    screens(page, "wizard-1-types")
    page.get_by_role("button", name="Next").click()

    # A frozen account is refused as it is typed: Next stays disabled until another is typed.
    page.get_by_label("Customer account id").fill(cast.frozen.account_id)
    expect(page.locator("#account-check-reasons")).to_contain_text("LNK-V003")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    screens(page, "wizard-2-frozen")
    page.get_by_label("Customer account id").fill("12345678000000000000000000009012")
    expect(page.locator("#account-check-result")).to_contain_text("Acme Retail")
    expect(page.get_by_role("button", name="Next")).to_be_enabled()
    screens(page, "wizard-2-customer")
    page.get_by_role("button", name="Next").click()

    scope = page.locator("#scope-delegation")
    scope.get_by_label("Elastic Cloud Server (ECS)").check()
    scope.get_by_label("Object Storage Service (OBS)").check()
    scope.get_by_label("AP-Singapore (ap-southeast-1)").check()
    scope.get_by_label("Manage", exact=True).check()
    scope.get_by_label("Duration (days)").fill("180")
    screens(page, "wizard-3-scope")
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Ticket reference").fill("INC-4711")
    page.get_by_label("Note to the customer").fill("As agreed in our call on Monday.")
    page.get_by_role("button", name="Save details").click()
    expect(page.locator("#review-ok")).to_be_visible()
    screens(page, "wizard-4-review")
    page.get_by_role("button", name="Submit request").click()
    expect(page.get_by_role("alert").filter(has_text="waits for approval")).to_be_visible()
    screens(page, "request-submitted")

    req = LinkRequest.objects.get(initiator=cast.initiator)
    assert req.status == LinkRequest.Status.PENDING_APPROVAL
    assert req.ticket_reference == "INC-4711"
    assert sorted(req.items.values_list("link_type", flat=True)) == ["billing", "delegation"]
    log_out(page)

    # --- A second person approves, confirming the password once -----------------------------
    # No window at all: the managing delegation asks the approver's password again.
    settings.PORTAL_STEP_UP_MINUTES = 0
    log_in(page, cast.approver)
    page.get_by_role("link", name="Approvals").click()
    queue = page.locator("#approval-table")
    expect(queue).to_contain_text(req.reference)
    screens(page, "approval-queue")
    queue.get_by_role("link", name="Review").click()
    page.get_by_label("Comment (optional)").fill("Matches INC-4711.")
    page.get_by_role("button", name="Approve").click()
    # The step-up keeps the approval and its comment: one code, and it is done.
    expect(page.locator("#step-up-resume")).to_contain_text(f"approve {req.reference}")
    screens(page, "step-up")
    confirm_step_up(page, cast.approver)
    page.get_by_role("button", name=f"Confirm and approve {req.reference}").click()
    expect(page.get_by_role("alert").filter(has_text="was approved")).to_be_visible()
    screens(page, "request-approved")
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    assert req.decision_reason == "Matches INC-4711."
    log_out(page)
    page.context.close()

    # --- The worker e-mails the customer; the customer follows the link ---------------------
    background()
    consent_mail = smtp_server.wait_for_notification(
        kind=Notification.Kind.CONSENT_REQUEST, request=req
    )
    assert consent_mail.envelope_to == [cast.customer.contact_email]
    consent_url = consent_mail.consent_url()
    assert consent_url.startswith(live_server.url)

    customer = new_page(browser, live_server.url)
    customer.goto(consent_url)
    expect(customer.get_by_role("heading", level=1)).to_contain_text(cast.reseller.name)
    screens(customer, "consent-page")
    accept = customer.get_by_role("radio", name="Accept")
    expect(accept).to_have_count(2)
    for i in range(accept.count()):
        accept.nth(i).check()
    # Manage access is confirmed with a code e-mailed to the account's contact address now.
    type_emailed_code(customer, smtp_server, to=cast.customer.contact_email, background=background)
    customer.get_by_role("button", name="Confirm my decisions").click()
    expect(customer.get_by_role("heading", level=1)).to_contain_text("decision is recorded")
    expect(customer.locator("body")).to_contain_text(req.reference)
    screens(customer, "consent-receipt")
    customer.context.close()

    req.refresh_from_db()
    assert req.status == LinkRequest.Status.COMPLETED
    background()
    if os.environ.get("REDIS_URL"):
        customer_does_the_cloud_side(cast, req)
    wait_for(
        lambda: Link.objects.filter(customer=cast.customer, status=Link.Status.ACTIVE).count() == 2,
        what="the worker to activate both links",
        detail=lambda: "\n".join(
            f"{run.link.reference} {run.link.status}: {run.checks}"
            for run in VerificationRun.objects.select_related("link").order_by("pk")
        ),
    )
    receipt = smtp_server.wait_for_notification(kind=Notification.Kind.CONSENT_RECEIPT, request=req)
    assert receipt.envelope_to == [cast.customer.contact_email]

    # --- The initiator sees the links active ------------------------------------------------
    page = new_page(browser, live_server.url)
    log_in(page, cast.initiator)
    page.get_by_role("link", name="Links").click()
    rows = page.locator("#link-table tbody tr")
    expect(rows).to_have_count(2)
    for link_type in ("Billing association", "Delegated administration"):
        row = rows.filter(has_text=link_type)
        expect(row).to_contain_text("Acme Retail")
        expect(row).to_contain_text("Active")
    screens(page, "links-active")
    # The request leads to the links it created, with their state.
    page.goto(f"/requests/{req.pk}/")
    expect(page.locator(".item-link")).to_have_count(2)
    for link in Link.objects.filter(customer=cast.customer):
        expect(page.locator(f'[data-link="{link.pk}"]')).to_contain_text("Active")
    screens(page, "request-links")
    page.context.close()
