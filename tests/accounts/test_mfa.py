"""Second factors: who must have one, enrolment at the next sign-in, the second step with real
TOTP codes and recovery codes, the step-up, an admin's reset, approving, and the lockout."""

from base64 import b32encode
from datetime import timedelta

import pyotp
import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from accounts.models import AuditEvent, Membership, Reseller
from linking.models import LinkRequest, Notification
from tests.conftest import PASSWORD, cast_shared_by_the_module, make_draft, submit
from tests.mfa_helpers import authenticator, pass_second_factor, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.real_mfa]

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:mfa-verify")
FACTORS = reverse("accounts:mfa")
DASHBOARD = reverse("portal:dashboard")
STEP_UP = reverse("accounts:step-up")


def after_the_throttle():
    """django-otp makes a device wait after a wrong code (1 s, then 2, 4 …): a person types the
    right code a few seconds later."""
    return time_machine.travel(timezone.now() + timedelta(seconds=5), tick=False)


def password_login(client, user):
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def enrol_app(client, user) -> str:
    """Add an authenticator app the way a person does: read the key the page shows, type the
    code the app computes from it. Returns the key (base32)."""
    page = client.get(FACTORS)
    assert page.status_code == 200
    key = client.session["portal_mfa_pending_totp"]
    secret = b32encode(bytes.fromhex(key)).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page.content.decode()
    response = client.post(
        reverse("accounts:mfa-totp-add"),
        {"name": "Phone", "code": pyotp.TOTP(secret).now(), "next": DASHBOARD},
    )
    assert response.status_code == 302, response.content.decode()
    return secret


# --- who must have a factor ------------------------------------------------------------------


def test_admins_approvers_staff_and_auditors_must_have_a_factor_others_may(cast):
    assert mfa.mfa_required(cast.admin) and mfa.mfa_required(cast.approver)
    assert mfa.mfa_required(cast.staff) and mfa.mfa_required(cast.auditor)
    assert not mfa.mfa_required(cast.initiator) and not mfa.mfa_required(cast.viewer)
    Reseller.objects.filter(pk=cast.reseller.pk).update(require_mfa=True)
    assert mfa.mfa_required(cast.viewer) and mfa.mfa_required(cast.initiator)
    assert not mfa.mfa_required(cast.outsider)


def test_a_viewer_without_a_factor_signs_in_with_the_password_alone(client, cast):
    password_login(client, cast.viewer)
    assert client.get(DASHBOARD).status_code == 200


# --- enrolment at the next sign-in -----------------------------------------------------------


def test_an_admin_without_a_factor_is_guided_to_enrol_and_reaches_nothing_before(client, cast):
    password_login(client, cast.admin)
    response = client.get(reverse("accounts:member-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(FACTORS)
    page = client.get(response["Location"]).content.decode()
    assert "ACC-F001" in page and 'src="data:image/svg+xml' in page
    enrol_app(client, cast.admin)
    # The recovery codes are shown once, then the person goes on.
    shown = client.get(reverse("accounts:mfa-recovery-shown") + f"?next={DASHBOARD}")
    codes = [t.token for t in StaticToken.objects.filter(device__user=cast.admin)]
    assert len(codes) == 10 and all(code in shown.content.decode() for code in codes)
    assert shown["Cache-Control"] == "no-store"
    again = client.get(reverse("accounts:mfa-recovery-shown") + f"?next={DASHBOARD}")
    assert again.status_code == 302 and codes[0] not in again.content.decode()
    assert client.get(reverse("accounts:member-list")).status_code == 200
    event = AuditEvent.objects.get(action="mfa_factor_added", reason__contains="authenticator")
    assert event.user_id == cast.admin.pk and "Phone" in event.reason


def test_a_wrong_code_does_not_add_the_app(client, cast):
    password_login(client, cast.admin)
    client.get(FACTORS)
    response = client.post(reverse("accounts:mfa-totp-add"), {"name": "x", "code": "000000"})
    assert response.status_code == 400 and "ACC-F005" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.admin).exists()


def test_staff_reach_the_admin_only_after_the_second_factor(client, cast):
    client.force_login(cast.staff)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(FACTORS)
    authenticator(cast.staff)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    pass_second_factor(client, cast.staff, "/admin/")
    assert client.get("/admin/").status_code == 200


def test_a_reseller_that_requires_it_sends_every_member_to_enrol(client, cast, settings):
    settings.PORTAL_MFA_RECHECK_SECONDS = 0
    password_login(client, cast.viewer)
    assert client.get(DASHBOARD).status_code == 200
    Reseller.objects.filter(pk=cast.reseller.pk).update(require_mfa=True)
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(FACTORS)


def test_the_settings_page_turns_the_requirement_on_with_the_step_up(client, cast):
    client.force_login(cast.admin)
    authenticator(cast.admin)
    pass_second_factor(client, cast.admin)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert 'id="setting-require_mfa"' in page
    data = {
        "approval_policy": "beyond_read_only",
        "approval_days": 7,
        "approval_reminder_hours": 24,
        "consent_days": 7,
        "consent_reminders": "50%,1d",
        "setup_window_days": cast.reseller.setup_window_days,
        "delegation_days": 90,
        "require_mfa": "on",
        "reason": "Audit finding: every member.",
    }
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        refused = client.post(reverse("accounts:settings-update"), data)
        assert refused["Location"].startswith(STEP_UP)
    assert client.post(reverse("accounts:settings-update"), data).status_code == 302
    reseller = Reseller.objects.get(pk=cast.reseller.pk)
    assert reseller.require_mfa
    assert "Second factor for every member" in reseller.history.first().history_change_reason


# --- the second step of signing in -----------------------------------------------------------


def test_totp_sign_in_asks_the_code_after_the_password(client, cast):
    authenticator(cast.approver)
    password_login(client, cast.approver)
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    wrong = client.post(VERIFY, {"code": "123456", "next": DASHBOARD})
    assert wrong.status_code == 400 and "ACC-F002" in wrong.content.decode()
    assert client.post(VERIFY, {"code": totp_code(cast.approver)}).status_code == 400
    with after_the_throttle():
        right = client.post(VERIFY, {"code": totp_code(cast.approver), "next": DASHBOARD})
    assert right["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_a_code_is_accepted_once(client, cast):
    authenticator(cast.approver)
    code = totp_code(cast.approver)
    password_login(client, cast.approver)
    assert client.post(VERIFY, {"code": code})["Location"] == DASHBOARD
    other = password_login(Client(), cast.approver)
    assert other.post(VERIFY, {"code": code}).status_code == 400


def test_a_recovery_code_signs_in_once(client, cast):
    authenticator(cast.admin)
    codes = mfa.recovery_codes_new(actor=cast.admin, session_key=None)
    password_login(client, cast.admin)
    assert client.post(VERIFY, {"code": codes[0].upper()})["Location"] == DASHBOARD
    assert StaticToken.objects.filter(device__user=cast.admin).count() == 9
    again = password_login(Client(), cast.admin)
    assert again.post(VERIFY, {"code": codes[0]}).status_code == 400
    with after_the_throttle():
        assert again.post(VERIFY, {"code": codes[1]}).status_code == 302


def test_failed_factors_lock_out_per_user_and_address_and_end_the_session(client, cast, settings):
    settings.AXES_FAILURE_LIMIT = 3
    authenticator(cast.admin)
    password_login(client, cast.admin)
    for _ in range(2):
        assert client.post(VERIFY, {"code": "000000"}).status_code == 400
    assert AccessAttempt.objects.get(username=cast.admin.username).failures_since_start == 2
    locked = client.post(VERIFY, {"code": "000000"})
    assert locked.status_code == 429 and "ACC-S001" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The password does not open a new session during the cool-off.
    assert (
        Client().post(LOGIN, {"username": cast.admin.username, "password": PASSWORD}).status_code
        == 429
    )
    # Another address is not locked out.
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert (
        other.post(LOGIN, {"username": cast.admin.username, "password": PASSWORD}).status_code
        == 302
    )


def test_a_right_code_clears_earlier_failures(client, cast):
    authenticator(cast.admin)
    password_login(client, cast.admin)
    client.post(VERIFY, {"code": "000000"})
    assert AccessAttempt.objects.filter(username=cast.admin.username).exists()
    with after_the_throttle():
        client.post(VERIFY, {"code": totp_code(cast.admin)})
    assert not AccessAttempt.objects.filter(username=cast.admin.username).exists()


def test_the_verify_page_needs_a_login_and_goes_back_only_to_the_portal(client, cast):
    assert client.get(VERIFY)["Location"].startswith(LOGIN)
    authenticator(cast.admin)
    password_login(client, cast.admin)
    response = client.post(VERIFY, {"code": totp_code(cast.admin), "next": "https://evil.example/"})
    assert response["Location"] == DASHBOARD


def test_an_unverified_session_cannot_add_a_factor(client, cast):
    authenticator(cast.admin)
    password_login(client, cast.admin)
    assert client.get(FACTORS)["Location"].startswith(VERIFY)
    response = client.post(reverse("accounts:mfa-totp-add"), {"name": "x", "code": "1"})
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=cast.admin).count() == 1


# --- the step-up with a factor ---------------------------------------------------------------


def test_the_step_up_asks_the_factor_not_the_password(client, cast):
    authenticator(cast.admin)
    password_login(client, cast.admin)
    pass_second_factor(client, cast.admin)
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    role = reverse("accounts:member-role", args=[membership.pk])
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        target = client.post(role, {"role": "initiator"})["Location"]
        page = client.get(target).content.decode()
        assert 'name="step_up_code"' in page and 'name="step_up_password"' not in page
        # The password alone is not enough any more.
        refused = client.post(role, {"role": "initiator", "step_up_password": PASSWORD})
        assert refused.status_code == 400 and "ACC-F002" in refused.content.decode()
        done = client.post(role, {"role": "initiator", "step_up_code": totp_code(cast.admin)})
        assert done["Location"] == reverse("accounts:member-list")
    membership.refresh_from_db()
    assert membership.role == "initiator"


def test_a_wrong_step_up_code_counts_toward_the_lockout(client, cast):
    authenticator(cast.admin)
    password_login(client, cast.admin)
    pass_second_factor(client, cast.admin)
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        response = client.post(STEP_UP, {"code": "999999", "next": "/"})
        assert response.status_code == 400 and "ACC-F002" in response.content.decode()
    assert AccessAttempt.objects.get(username=cast.admin.username).failures_since_start == 1


# --- a person's own factors ------------------------------------------------------------------


def test_the_last_factor_of_someone_who_needs_one_cannot_be_removed(client, cast):
    device = authenticator(cast.admin)
    password_login(client, cast.admin)
    pass_second_factor(client, cast.admin)
    response = client.post(reverse("accounts:mfa-remove", args=["totp", device.pk]))
    assert response["Location"] == FACTORS
    assert "ACC-F004" in client.get(FACTORS).content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_factor_change_ends_the_persons_other_sessions(
    client, cast, django_capture_on_commit_callbacks
):
    authenticator(cast.admin)
    elsewhere = password_login(Client(), cast.admin)
    pass_second_factor(elsewhere, cast.admin)
    password_login(client, cast.admin)
    pass_second_factor(client, cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:mfa-recovery-new"))
    assert client.get(reverse("accounts:member-list")).status_code == 200
    assert elsewhere.get(reverse("accounts:member-list"))["Location"].startswith(LOGIN)


def test_the_factors_page_costs_the_same_with_more_factors(
    client, cast, django_assert_max_num_queries
):
    authenticator(cast.admin)
    password_login(client, cast.admin)
    pass_second_factor(client, cast.admin)
    with django_assert_max_num_queries(16):
        client.get(FACTORS)
    for n in range(5):
        TOTPDevice.objects.create(user=cast.admin, name=f"app {n}", key=f"{n:040x}")
    with django_assert_max_num_queries(16):
        assert client.get(FACTORS).status_code == 200


# --- an admin resets a member's factors ------------------------------------------------------


def test_an_admin_resets_a_members_factors_audited_mailed_and_signed_out(
    client, cast, django_capture_on_commit_callbacks
):
    authenticator(cast.approver)
    mfa.recovery_codes_new(actor=cast.approver, session_key=None)
    member = password_login(Client(), cast.approver)
    pass_second_factor(member, cast.approver)
    authenticator(cast.admin)
    password_login(client, cast.admin)
    pass_second_factor(client, cast.admin)
    membership = Membership.objects.get(user=cast.approver, reseller=cast.reseller)
    url = reverse("accounts:member-mfa-reset", args=[membership.pk])
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        assert client.get(url)["Location"].startswith(STEP_UP)
    assert "Reset second factors" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url)["Location"] == reverse("accounts:member-list")
    assert not mfa.has_factor(cast.approver)
    assert not StaticToken.objects.filter(device__user=cast.approver).exists()
    event = AuditEvent.objects.get(action="mfa_reset")
    assert event.actor_id == cast.admin.pk and event.user_id == cast.approver.pk
    assert event.reseller_id == cast.reseller.pk
    note = Notification.objects.get(kind="mfa_reset")
    assert note.to_email == cast.approver.email
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(cast.approver.pk) for s in Session.objects.all()
    )
    # At the next sign-in the member sets up a new factor.
    password_login(member, cast.approver)
    assert member.get(DASHBOARD)["Location"].startswith(FACTORS)


def test_only_admins_reset_and_never_their_own(client, cast):
    membership = Membership.objects.get(user=cast.admin, reseller=cast.reseller)
    client.force_login(cast.approver)
    pass_second_factor(client, cast.approver)
    assert client.get(reverse("accounts:member-mfa-reset", args=[membership.pk])).status_code == 403
    client.force_login(cast.admin)
    pass_second_factor(client, cast.admin)
    page = client.get(reverse("accounts:member-mfa-reset", args=[membership.pk]))
    assert "ACC-F008" in page.content.decode()
    other = Membership.objects.get(user=cast.outsider, reseller=cast.other)
    assert client.get(reverse("accounts:member-mfa-reset", args=[other.pk])).status_code == 404


# --- approving needs a factor ----------------------------------------------------------------


def test_an_approver_without_a_factor_cannot_approve_and_is_shown_where_to_add_one(client, cast):
    Reseller.objects.filter(pk=cast.reseller.pk).update(approval_policy="always")
    req = submit(cast, make_draft(cast))
    assert req.status == LinkRequest.Status.PENDING_APPROVAL
    assert mfa.approve_refusal(cast.approver).code == "ACC-F003"
    with pytest.MonkeyPatch.context() as patch:
        # A session from before the requirement (no factor, not sent to enrol yet).
        patch.setattr(mfa, "mfa_required", lambda user: False)
        password_login(client, cast.approver)
        response = client.post(
            reverse("linking:request-approve", args=[req.pk]), {"reason": "ok"}, follow=True
        )
    page = response.content.decode()
    assert "ACC-F003" in page and f'href="{FACTORS}?next=' in page
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_APPROVAL
    authenticator(cast.approver)
    pass_second_factor(client, cast.approver)
    client.post(reverse("linking:request-approve", args=[req.pk]), {"reason": "ok"})
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT
