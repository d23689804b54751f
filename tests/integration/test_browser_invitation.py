"""An admin invites a new colleague in a real Chromium; the invitation goes out over SMTP; the
colleague opens the link, chooses a password and lands in the portal, signed in."""

from __future__ import annotations

import re

import pytest

from accounts.models import Invitation, Membership, Role, User
from linking.models import Notification
from linking.outbox.delivery import notification_deliver
from tests.integration import test_browser_journey as journey
from tests.integration.test_browser_journey import log_in, new_page

# The journey's Chromium, shared with this module.
browser = journey.browser

pytestmark = [pytest.mark.django_db(transaction=True)]

INVITATION_URL_RE = re.compile(r"https?://[^\s\"'<>]+/accounts/invitations/[0-9a-f]{64}/")


def deliver_invitation(smtp_server, email: str):
    """Send the queued invitation e-mail over SMTP, as the worker does; the message received."""
    notification = Notification.objects.filter(kind="member_invitation", to_email=email).latest(
        "pk"
    )
    assert notification_deliver(notification_id=notification.pk) == "sent"
    return smtp_server.wait_for_message(to=email)


def test_the_invitation_email_has_text_and_html_with_the_same_link(cast, smtp_server):
    from accounts.invitations import invitation_create

    invitation_create(
        actor=cast.admin, reseller=cast.reseller, email="dana@northwind.example", role="approver"
    )
    message = deliver_invitation(smtp_server, "dana@northwind.example")
    assert "invites you to Northwind Cloud" in message.subject
    link = INVITATION_URL_RE.search(message.text)
    assert link, message.text
    assert link.group(0) in message.html
    assert "Approver" in message.text and "Approver" in message.html
    assert "You will choose a password" in message.text
    # Only the hash is stored; the link's token is nowhere in the database.
    token = link.group(0).rstrip("/").rsplit("/", 1)[1]
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert token not in str(list(Notification.objects.values()))


@pytest.mark.browser
def test_an_admin_invites_a_colleague_who_sets_a_password_and_lands_in_the_portal(
    browser, live_server, cast, smtp_server
):
    from playwright.sync_api import expect

    admin = new_page(browser, live_server.url)
    log_in(admin, cast.admin)
    admin.goto("/accounts/members/")
    admin.get_by_label("E-mail address").last.fill("dana@northwind.example")
    admin.locator("#id_invite_role").select_option("initiator")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_role("alert").filter(has_text="invitation was sent")).to_be_visible()
    expect(admin.locator("#pending-invitations")).to_contain_text("dana@northwind.example")

    message = deliver_invitation(smtp_server, "dana@northwind.example")
    link = INVITATION_URL_RE.search(message.text).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    # The colleague, on a phone-sized screen.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    context.set_default_timeout(journey.TIMEOUT_MS)
    colleague = context.new_page()
    colleague.goto(f"/{path}")
    expect(colleague.get_by_role("heading", name="Join Northwind Cloud")).to_be_visible()
    colleague.get_by_label("First name").fill("Dana")
    colleague.get_by_label("New password", exact=True).fill("short")
    colleague.get_by_label("New password confirmation").fill("short")
    colleague.get_by_role("button", name="Set password and join").click()
    expect(colleague.locator(".invalid-feedback").first).to_contain_text("too short")

    colleague.get_by_label("New password", exact=True).fill("Harbour-Lantern-4417")
    colleague.get_by_label("New password confirmation").fill("Harbour-Lantern-4417")
    colleague.get_by_role("button", name="Set password and join").click()
    colleague.wait_for_url(re.compile(r".*/$"))
    welcome = colleague.get_by_role("alert").filter(has_text="Welcome to Northwind Cloud")
    expect(welcome).to_be_visible()
    width = colleague.evaluate("document.documentElement.scrollWidth")
    assert width <= 390

    user = User.objects.get(email="dana@northwind.example")
    assert Membership.objects.get(user=user, reseller=cast.reseller).role == Role.INITIATOR

    # The link works once.
    colleague.goto(f"/{path}")
    expect(colleague.locator("#invitation-error")).to_contain_text("already accepted")
    context.close()

    admin.goto("/accounts/members/")
    expect(admin.locator("table").first).to_contain_text("dana@northwind.example")
    expect(admin.locator("#pending-invitations")).to_have_count(0)
    admin.context.close()
