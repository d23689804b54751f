"""Second factors in a real headless Chromium: an admin enrols a passkey on a virtual WebAuthn
authenticator (Chrome DevTools Protocol) and signs in with it, confirms a step-up with it, and
an approver enrols an authenticator app with a real TOTP code."""

from __future__ import annotations

import re

import pyotp
import pytest

from accounts.models import Membership
from tests.conftest import PASSWORD
from tests.integration import test_browser_journey as journey
from tests.integration.test_browser_journey import log_out, new_page

browser = journey.browser
screens = journey.screens

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def passkeys(settings, live_server):
    # The live server answers on http://localhost:<port>: that origin, and localhost as the
    # relying party (an IP address cannot be one).
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")


def virtual_authenticator(page) -> tuple[object, str]:
    """A platform authenticator (like a laptop's fingerprint reader) that holds passkeys and
    verifies the user by itself."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def password_step(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))


def test_an_admin_enrols_a_passkey_signs_in_and_steps_up_with_it(
    browser, live_server, passkeys, cast, settings, screens
):
    from playwright.sync_api import expect

    page = new_page(browser, live_server.url)
    cdp, authenticator_id = virtual_authenticator(page)

    # The password, then the guided enrolment: nothing else is reachable before it.
    password_step(page, cast.admin)
    expect(page.locator("#mfa-setup-needed")).to_contain_text("ACC-F001")
    screens(page, "mfa-setup")
    page.goto("/accounts/members/")
    expect(page).to_have_url(re.compile(r".*/accounts/mfa/\?next=.*members.*"))

    page.get_by_role("button", name="Add a passkey or security key").click()
    page.wait_for_url(re.compile(r".*/accounts/mfa/recovery/shown/.*"))
    expect(page.locator(".recovery-code")).to_have_count(10)
    screens(page, "mfa-recovery-codes")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    log_out(page)

    # The next sign-in: the password, then the passkey.
    password_step(page, cast.admin)
    expect(page).to_have_url(re.compile(r".*/accounts/mfa/verify/.*"))
    screens(page, "mfa-verify")
    page.get_by_role("button", name="Use a passkey or security key").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/mfa/).*$"))
    expect(page.locator("#account-menu")).to_be_visible()

    # A sensitive action later: the step-up takes the passkey and then carries the action out.
    settings.PORTAL_STEP_UP_MINUTES = 0
    viewer = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    page.goto("/accounts/members/")
    page.get_by_label(f"Role of {cast.viewer.email}").select_option("initiator")
    page.locator(f"form[action='/accounts/members/{viewer.pk}/role/'] button").click()
    expect(page.locator("#step-up-resume")).to_contain_text("change the role")
    settings.PORTAL_STEP_UP_MINUTES = 5
    page.get_by_role("button", name="Use a passkey or security key").click()
    # The passkey's ceremony and its check on the server: slower than a page on a busy machine.
    expect(page.locator("#step-up-resume")).to_contain_text("Confirmed", timeout=15_000)
    screens(page, "mfa-step-up-confirmed")
    page.locator("#step-up-form button[type=submit]").click()
    expect(page.get_by_role("alert").filter(has_text="is now Initiator")).to_be_visible()
    viewer.refresh_from_db()
    assert viewer.role == "initiator"
    page.context.close()


def test_an_approver_enrols_an_authenticator_app_and_signs_in_with_its_code(
    browser, live_server, cast
):
    from playwright.sync_api import expect

    page = new_page(browser, live_server.url)
    password_step(page, cast.approver)
    expect(page.locator("#mfa-setup-needed")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Name of the app or phone").fill("Work phone")
    page.get_by_label("The 6-digit code the app shows now").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Add the app").click()
    expect(page.locator(".recovery-code")).to_have_count(10)
    recovery = page.locator(".recovery-code").first.inner_text()
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.locator("#account-menu")).to_be_visible()
    log_out(page)

    # Lost the phone: a recovery code signs in, once.
    password_step(page, cast.approver)
    page.get_by_label("Code").fill(recovery)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/mfa/).*$"))
    log_out(page)
    password_step(page, cast.approver)
    page.get_by_label("Code").fill(recovery)
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#mfa-error")).to_contain_text("ACC-F002")
    page.context.close()
