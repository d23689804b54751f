"""The newcomer's journey of `make run`, whole, in a real headless Chromium, for each link type:
an initiator asks, an approver approves, a real worker e-mails the customer, who accepts on a
phone, follows the receipt to the sandbox cloud's console and does their part there with the
values the receipt gives (accepts the partner's association invitation for billing; creates the
agency for delegation and provisioning), presses "I have done it", and the link becomes active,
every check of its proof backed by a call to the cloud that was recorded."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from linking.cloud.proof import calls_made
from linking.models import Link, LinkRequest, Notification, VerificationRun
from tests.cloud.sandbox_fixtures import SandboxCloud
from tests.integration.servers import type_emailed_code, wait_for
from tests.integration.test_browser_journey import (  # noqa: F401 (fixture)
    TIMEOUT_MS,
    Screens,
    browser,
    confirm_step_up,
    log_in,
    log_out,
    new_page,
)
from tests.integration.test_browser_layout import _overflow
from tests.journeys import connect_reseller

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONSOLE_PASSWORD = "customer-console-pass-1"
REGION = "ap-southeast-1"


@dataclass(frozen=True)
class Journey:
    link_type: str
    label: str  # the link type's box in the wizard's first step
    fill_scope: Callable  # the wizard's scope step
    step_up: bool  # approving asks the approver's password again
    customers_part: Callable  # in the console; returns what the proof's evidence must name
    cloud_checks: frozenset[str]


@pytest.fixture
def screens(journey, pytestconfig):
    directory = Path(django_settings.BASE_DIR) / "var" / "screenshots" / "sandbox-journey"
    return Screens(directory / journey.link_type, enabled=pytestconfig.getoption("screenshots"))


def _phone(browser, base_url: str):  # noqa: F811
    context = browser.new_context(base_url=base_url, viewport={"width": 375, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _receipt_value(page, label: str) -> str:
    """A value of the receipt's steps, as its copy button would copy it."""
    return page.locator(f'#cloud-setup code.setup-text[aria-label="{label}"]').inner_text().strip()


def _managing_delegation(page) -> None:
    scope = page.locator("#scope-delegation")
    scope.get_by_label("Elastic Cloud Server (ECS)").check()
    scope.get_by_label(f"AP-Singapore ({REGION})").check()
    scope.get_by_label("Manage", exact=True).check()
    scope.get_by_label("Duration (days)").fill("90")


def _provisioning_of_ecs(page) -> None:
    scope = page.locator("#scope-provisioning")
    scope.get_by_label("Elastic Cloud Server (ECS)").check()
    scope.get_by_label(f"AP-Singapore ({REGION})").check()


def _no_scope(page) -> None:
    """A billing association has none."""


def _initiator_asks(page, cast, journey: Journey) -> None:
    from playwright.sync_api import expect

    log_in(page, cast.initiator)
    page.get_by_role("button", name="New request").click()
    page.get_by_label(journey.label).check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Customer account id").fill(cast.customer.account_id)
    expect(page.locator("#account-check-result")).to_contain_text(cast.customer.display_name)
    page.get_by_role("button", name="Next").click()
    journey.fill_scope(page)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Ticket reference").fill("INC-5150")
    page.get_by_role("button", name="Save details").click()
    expect(page.locator("#review-ok")).to_be_visible()
    page.get_by_role("button", name="Submit request").click()
    expect(page.get_by_role("alert").filter(has_text="waits for approval")).to_be_visible()
    log_out(page)


def _approver_approves(page, cast, req, settings, step_up: bool) -> None:
    from playwright.sync_api import expect

    # A managing delegation asks the approver's password again; billing and ECS do not.
    settings.PORTAL_STEP_UP_MINUTES = 0
    log_in(page, cast.approver)
    page.goto(f"/requests/{req.pk}/")
    page.get_by_label("Comment (optional)").fill("Matches INC-5150.")
    page.get_by_role("button", name="Approve").click()
    if step_up:
        confirm_step_up(page, cast.approver)
        page.get_by_role("button", name=f"Confirm and approve {req.reference}").click()
    expect(page.get_by_role("alert").filter(has_text="was approved")).to_be_visible()
    log_out(page)


def _sign_in_to_the_console(page, cloud: SandboxCloud, cast) -> None:
    """The console asks the customer to sign in first, then opens the page they followed."""
    page.wait_for_url(re.compile(re.escape(cloud.url) + r"/console/signin/.*"))
    page.get_by_label("Account name").fill(cast.customer.account_name)
    page.get_by_label("Password").fill(CONSOLE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _customer_accepts_the_invitation_in_the_console(page, cloud: SandboxCloud, cast, screens):
    """From the receipt: its invitation link, opened in the console, the partner checked."""
    from playwright.sync_api import expect

    invitation = _receipt_value(page, "Invitation link")
    partner = _receipt_value(page, "Partner account")
    expect(page.locator("#sandbox-console")).to_be_visible()
    page.goto(invitation)
    _sign_in_to_the_console(page, cloud, cast)
    page.wait_for_url(invitation)
    expect(page.locator("#invitation-partner")).to_contain_text(partner)
    expect(page.locator("#invitation-type")).to_have_text("resale")
    assert _overflow(page) == ""
    screens(page, "console-invitation-phone")
    page.get_by_role("button", name="Accept the invitation").click()
    expect(page.locator(".messages")).to_contain_text(f"You are now associated with {partner}.")
    return cast.customer.account_id


def _customer_creates_the_agency_in_the_console(page, cloud: SandboxCloud, cast, screens):
    """From the receipt: the values it gives, typed into the sandbox console's agency form."""
    from playwright.sync_api import expect

    name = _receipt_value(page, "Agency name")
    trusted = _receipt_value(page, "Delegated account")
    validity = _receipt_value(page, "Validity period")
    description = _receipt_value(page, "Description")
    permissions = [
        p.inner_text().strip()
        for p in page.locator('#cloud-setup code.setup-text[aria-label="Permission"]').all()
    ]
    assert permissions == ["ECS FullAccess"]
    expect(page.locator("#sandbox-console")).to_be_visible()
    page.get_by_role("link", name="Create this agency in the sandbox console").click()
    _sign_in_to_the_console(page, cloud, cast)
    page.wait_for_url(f"{cloud.url}/console/agencies/new/")
    assert _overflow(page) == ""
    page.get_by_label("Agency name").fill(name)
    page.get_by_label("Delegated account").fill(trusted)
    page.get_by_label("Validity period").fill(validity)
    page.get_by_label("Description").fill(description)
    project = page.locator(f'details.project[data-project="{REGION}"]')
    project.locator("summary").click()
    for permission in permissions:
        project.get_by_label(permission, exact=True).check()
    assert _overflow(page) == ""
    screens(page, "console-agency-form-phone")
    page.get_by_role("button", name="Create agency").click()
    expect(page.locator(".messages")).to_contain_text(f"Agency {name} created.")
    assert _overflow(page) == ""
    screens(page, "console-home-phone")
    return name


AGENCY_CHECKS = frozenset({"agency", "regions", "service:ECS", "write"})
JOURNEYS = [
    Journey(
        "delegation",
        "Delegated administration",
        _managing_delegation,
        step_up=True,
        customers_part=_customer_creates_the_agency_in_the_console,
        cloud_checks=AGENCY_CHECKS,
    ),
    Journey(
        "provisioning",
        "Service provisioning",
        _provisioning_of_ecs,
        step_up=False,
        customers_part=_customer_creates_the_agency_in_the_console,
        cloud_checks=AGENCY_CHECKS,
    ),
    Journey(
        "billing",
        "Billing association",
        _no_scope,
        step_up=False,
        customers_part=_customer_accepts_the_invitation_in_the_console,
        cloud_checks=frozenset({"association"}),
    ),
]


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.link_type for j in JOURNEYS])
def test_a_newcomer_takes_a_link_to_active_with_their_part_done_in_the_console(
    journey,
    browser,  # noqa: F811
    live_server,
    settings,
    cast,
    cloud,
    smtp_server,
    celery_worker_redis,
    screens,
):
    from playwright.sync_api import expect

    settings.PORTAL_BASE_URL = live_server.url
    # A local run: the reseller's connection is this installation's sandbox cloud.
    settings.SANDBOX_URL = cloud.url
    connect_reseller(cast, cloud)
    cloud.control.create_account(
        cast.customer.account_name,
        domain_id=cast.customer.account_id,
        display_name=cast.customer.display_name,
        password=CONSOLE_PASSWORD,
    )

    # --- The initiator asks, the approver approves ------------------------------------------
    page = new_page(browser, live_server.url)
    _initiator_asks(page, cast, journey)
    req = LinkRequest.objects.get(initiator=cast.initiator, ticket_reference="INC-5150")
    assert req.status == LinkRequest.Status.PENDING_APPROVAL
    _approver_approves(page, cast, req, settings, journey.step_up)
    page.context.close()

    # --- The worker e-mails the customer, who accepts on a phone ----------------------------
    mail = smtp_server.wait_for_notification(kind=Notification.Kind.CONSENT_REQUEST, request=req)
    customer = _phone(browser, live_server.url)
    customer.goto(mail.consent_url())
    customer.get_by_role("radio", name="Accept").check()
    if customer.locator("#confirm-code").count():
        # Manage access or a sensitive service: a code e-mailed to the contact address now.
        type_emailed_code(customer, smtp_server, to=cast.customer.contact_email)
    customer.get_by_role("button", name="Confirm my decisions").click()
    expect(customer.get_by_role("heading", level=1)).to_contain_text("decision is recorded")
    receipt_url = customer.url
    link = Link.objects.get(reseller=cast.reseller, customer=cast.customer)
    assert link.link_type == journey.link_type
    # The worker activates the link: it waits for the customer's part, granting nothing.
    wait_for(
        lambda: Link.objects.filter(pk=link.pk, status=Link.Status.AWAITING_SETUP).exists(),
        what="the worker to make the link wait for its setup",
    )
    customer.reload()
    expect(customer.locator("#setup-done")).to_contain_text(link.reference)
    assert _overflow(customer) == ""
    screens(customer, "receipt-sandbox-phone")

    # --- The customer's part, in the sandbox console ----------------------------------------
    named = journey.customers_part(customer, cloud, cast, screens)
    link.refresh_from_db()
    assert link.status == Link.Status.AWAITING_SETUP  # nothing is taken on trust

    # --- "I have done it": the worker proves it at once --------------------------------------
    customer.goto(receipt_url)
    customer.get_by_role("button", name="I have done it: check now").click()
    expect(customer.locator("#setup-checking")).to_be_visible()

    def active():
        return Link.objects.filter(pk=link.pk, status=Link.Status.ACTIVE).exists()

    wait_for(
        active,
        what="the worker to prove the setup",
        detail=lambda: "\n".join(
            f"{run.trigger} {run.outcome}: {run.checks}"
            for run in VerificationRun.objects.filter(link=link).order_by("pk")
        ),
    )
    customer.goto(receipt_url)
    expect(customer.locator("#setup-done")).to_have_count(0)
    customer.context.close()

    # Every check of the proof is backed by the calls it made, recorded with their answers.
    run = VerificationRun.objects.filter(link=link).latest("pk")
    assert run.trigger == VerificationRun.Trigger.CUSTOMER
    assert run.outcome == VerificationRun.Outcome.PASSED
    assert run.checks and all(check["outcome"] == "passed" for check in run.checks)
    # The partner program and who acts are the portal's own rules (each records the rule and
    # what it read); every other check is the cloud's answer.
    portal_checks = [check for check in run.checks if check.get("rule")]
    assert {c["name"] for c in portal_checks} <= {"program", "who_acts"}
    assert all(c["rule"]["source"] == "portal" and c["rule"]["read"] for c in portal_checks)
    cloud_checks = [check for check in run.checks if not check.get("rule")]
    assert {c["name"] for c in cloud_checks} >= journey.cloud_checks
    assert all(check["evidence"] for check in cloud_checks), [
        check["name"] for check in cloud_checks if not check["evidence"]
    ]
    assert run.cloud_calls == calls_made(run.checks) >= len(cloud_checks) - 1
    assert any(named in str(check["evidence"]) for check in cloud_checks)
    # The program check is backed by the portal's rule and what it read, not by a call.
    [program] = [check for check in run.checks if check["name"] == "program"]
    assert program["rule"]["source"] == "portal" and program["rule"]["read"]

    # --- The initiator sees it active, with the evidence ------------------------------------
    page = new_page(browser, live_server.url)
    log_in(page, cast.initiator)
    page.goto(f"/links/{link.pk}/")
    expect(page.locator("#verification-status")).to_have_text("Verified")
    checks = page.locator("#verification-checks .verification-check")
    expect(checks).to_have_count(len(run.checks))
    expect(page.locator('#verification-checks [data-passed="no"]')).to_have_count(0)
    expect(page.locator("#verification-checks .verification-evidence")).to_have_count(
        len(run.checks)
    )
    expect(page.locator('#verification-checks [data-source="portal"]')).to_have_count(
        len([c for c in run.checks if c.get("rule")])
    )
    screens(page, "link-active-with-evidence")
    page.context.close()
