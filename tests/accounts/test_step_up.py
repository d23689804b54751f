"""Step-up: sensitive actions ask for the password again once it is older than the window."""

from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from linking.checks import ItemSpec
from linking.models import Link, LinkRequest
from tests.conftest import PASSWORD, cast_shared_by_the_module, make_draft, submit
from tests.journeys import active_link

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


@pytest.fixture(autouse=True)
def _people_without_a_second_factor(settings):
    # The password step-up of people who have no second factor; with one, the step-up asks the
    # factor (tests/accounts/test_mfa.py).
    settings.PORTAL_MFA_ENFORCE = False


STEP_UP = reverse("accounts:step-up")
MANAGE = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=["ap-southeast-1"],
    access_level="manage",
    duration_days=90,
)
SENSITIVE_READ = ItemSpec(
    link_type="delegation",
    services=["IAM"],
    regions=["ap-southeast-1"],
    access_level="read_only",
    duration_days=90,
)
BILLING = ItemSpec(link_type="billing")


def later(minutes=6):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def password_login(client, user, password=PASSWORD):
    """A real login through the form (not force_login): the way a person enters the password."""
    user.set_password(password)
    user.save(update_fields=["password"])
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": password}
    )
    assert response.status_code == 302, response.content
    return client


def step_up_target(response) -> str:
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.path == STEP_UP
    return parse_qs(parts.query)["next"][0]


def viewer_membership(cast):
    return Membership.objects.get(user=cast.viewer, reseller=cast.reseller)


def role_url(membership):
    return reverse("accounts:member-role", args=[membership.pk])


def remove_url(membership):
    return reverse("accounts:member-remove", args=[membership.pk])


# --- members -------------------------------------------------------------------------------


def test_role_change_right_after_login_needs_no_step_up(client, cast):
    password_login(client, cast.admin)
    response = client.post(role_url(viewer_membership(cast)), {"role": "initiator"})
    assert response["Location"] == reverse("accounts:member-list")
    assert viewer_membership(cast).role == Role.INITIATOR


def test_role_change_after_the_window_is_sent_to_step_up_and_changes_nothing(client, cast):
    password_login(client, cast.admin)
    membership = viewer_membership(cast)
    with later():
        response = client.post(role_url(membership), {"role": "admin"})
        assert step_up_target(response) == reverse("accounts:member-list")
        page = client.get(response["Location"])
    assert "ACC-S003" in page.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER
    assert membership.history.count() == 1


def test_after_the_step_up_the_role_change_works_and_lands_back(client, cast):
    password_login(client, cast.admin)
    membership = viewer_membership(cast)
    with later():
        back_to = step_up_target(client.post(role_url(membership), {"role": "approver"}))
        response = client.post(STEP_UP, {"password": PASSWORD, "next": back_to})
        assert response["Location"] == back_to
        client.post(role_url(membership), {"role": "approver"})
    membership.refresh_from_db()
    assert membership.role == Role.APPROVER


def test_the_step_up_lasts_the_window_then_expires_again(client, cast, settings):
    settings.PORTAL_STEP_UP_MINUTES = 5
    password_login(client, cast.admin)
    membership = viewer_membership(cast)
    with later(4):
        assert client.post(role_url(membership), {"role": "initiator"}).status_code == 302
        assert viewer_membership(cast).role == Role.INITIATOR
    with later(11):
        response = client.post(role_url(membership), {"role": "viewer"})
    step_up_target(response)
    assert viewer_membership(cast).role == Role.INITIATOR


def test_member_removal_asks_on_the_confirmation_page_and_on_the_post(client, cast):
    password_login(client, cast.admin)
    membership = viewer_membership(cast)
    with later():
        assert step_up_target(client.get(remove_url(membership))) == remove_url(membership)
        assert step_up_target(client.post(remove_url(membership))) == remove_url(membership)
        assert Membership.objects.filter(pk=membership.pk).exists()
        client.post(STEP_UP, {"password": PASSWORD, "next": remove_url(membership)})
        assert client.get(remove_url(membership)).status_code == 200
        client.post(remove_url(membership))
    assert not Membership.objects.filter(pk=membership.pk).exists()


ADD = reverse("accounts:member-add")


def test_adding_a_member_right_after_login_needs_no_step_up(client, cast):
    password_login(client, cast.admin)
    response = client.post(ADD, {"email": cast.no_member.email, "role": "admin"})
    assert response["Location"] == reverse("accounts:member-list")
    assert Membership.objects.get(user=cast.no_member).role == Role.ADMIN


# Every role: any new member widens who can act (tests/accounts/test_invitations.py too).
@pytest.mark.parametrize("role", ["admin", "approver", "initiator", "viewer"])
def test_adding_a_member_after_the_window_is_sent_to_step_up_and_adds_nothing(client, cast, role):
    password_login(client, cast.admin)
    with later():
        response = client.post(ADD, {"email": cast.no_member.email, "role": role})
        assert step_up_target(response) == reverse("accounts:member-list")
    assert not Membership.objects.filter(user=cast.no_member).exists()
    assert not cast.no_member.groups.exists()


def test_adding_a_member_works_after_the_step_up(client, cast):
    password_login(client, cast.admin)
    with later():
        back_to = step_up_target(client.post(ADD, {"email": cast.no_member.email, "role": "admin"}))
        client.post(STEP_UP, {"password": PASSWORD, "next": back_to})
        response = client.post(ADD, {"email": cast.no_member.email, "role": "admin"})
    assert response["Location"] == reverse("accounts:member-list")
    assert Membership.objects.get(user=cast.no_member).role == Role.ADMIN


def test_a_viewer_adding_a_member_with_a_stale_session_is_still_403(client, cast):
    password_login(client, cast.viewer)
    with later():
        response = client.post(ADD, {"email": cast.no_member.email, "role": "admin"})
    assert response.status_code == 403


def test_roles_and_tenancy_are_checked_before_the_step_up(client, cast):
    # A stale session must not turn a 403 or a 404 into a step-up page.
    membership = viewer_membership(cast)
    password_login(client, cast.viewer)
    with later():
        assert client.post(role_url(membership), {"role": "admin"}).status_code == 403
    other = password_login(Client(), cast.outsider_admin)
    with later():
        assert other.post(role_url(membership), {"role": "admin"}).status_code == 404
        assert other.get(remove_url(membership)).status_code == 404


# --- the step-up page ---------------------------------------------------------------------


def test_wrong_password_is_refused_and_counted_by_the_lockout(client, cast):
    password_login(client, cast.admin)
    with later():
        response = client.post(STEP_UP, {"password": "not-my-password", "next": "/"})
        assert response.status_code == 400
        assert "ACC-S004" in response.content.decode()
        attempt = AccessAttempt.objects.get(username=cast.admin.username)
        assert attempt.failures_since_start == 1
        # Still not stepped up: the action stays refused.
        step_up_target(client.post(role_url(viewer_membership(cast)), {"role": "admin"}))
    assert viewer_membership(cast).role == Role.VIEWER


def test_repeated_wrong_step_up_passwords_lock_out_and_end_the_session(client, cast, settings):
    settings.AXES_FAILURE_LIMIT = 3
    password_login(client, cast.admin)
    with later():
        for _ in range(2):
            assert client.post(STEP_UP, {"password": "guess", "next": "/"}).status_code == 400
        response = client.post(STEP_UP, {"password": "guess", "next": "/"})
        assert response.status_code == 429
        assert "ACC-S001" in response.content.decode()
        # The session is gone, and the right password does not log in during the cool-off.
        assert client.get(reverse("accounts:member-list")).status_code == 302
        response = client.post(
            reverse("accounts:login"), {"username": cast.admin.username, "password": PASSWORD}
        )
        assert response.status_code == 429


def test_step_up_goes_back_only_to_the_portal(client, cast):
    password_login(client, cast.admin)
    response = client.post(STEP_UP, {"password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("portal:dashboard")


def test_step_up_page_needs_a_login(client):
    response = client.get(STEP_UP)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- approvals and revocation ---------------------------------------------------------------


@pytest.mark.parametrize("spec", [MANAGE, SENSITIVE_READ], ids=["manage", "sensitive"])
def test_approving_manage_or_sensitive_scope_needs_a_fresh_password(client, cast, spec):
    req = submit(cast, make_draft(cast, specs=[spec]))
    assert req.status == LinkRequest.Status.PENDING_APPROVAL
    password_login(client, cast.approver)
    approve = reverse("linking:request-approve", args=[req.pk])
    with later():
        back_to = step_up_target(client.post(approve, {"reason": "ok"}))
        assert back_to.startswith(reverse("linking:request-detail", args=[req.pk]))
        req.refresh_from_db()
        assert req.status == LinkRequest.Status.PENDING_APPROVAL
        client.post(STEP_UP, {"password": PASSWORD, "next": back_to})
        client.post(approve, {"reason": "ok"})
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    assert req.approver == cast.approver


def test_the_request_page_says_the_password_will_be_asked(client, cast):
    req = submit(cast, make_draft(cast, specs=[MANAGE]))
    password_login(client, cast.approver)
    detail = reverse("linking:request-detail", args=[req.pk])
    assert 'id="approve-step-up"' not in client.get(detail).content.decode()
    with later():
        assert 'id="approve-step-up"' in client.get(detail).content.decode()


def test_approving_a_billing_request_needs_no_step_up(client, cast):
    req = submit(cast, make_draft(cast, specs=[BILLING]))
    password_login(client, cast.approver)
    with later():
        client.post(reverse("linking:request-approve", args=[req.pk]), {"reason": "ok"})
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT


def test_revoking_a_link_needs_a_fresh_password(client, cast):
    link = active_link(cast)
    revoke = reverse("linking:link-revoke", args=[link.pk])
    form = {"reason": "Contract ended", "confirm_reference": link.reference}
    password_login(client, cast.approver)
    with later():
        assert step_up_target(client.get(revoke)) == revoke
        assert step_up_target(client.post(revoke, form)) == revoke
        link.refresh_from_db()
        assert link.status == Link.Status.ACTIVE
        client.post(STEP_UP, {"password": PASSWORD, "next": revoke})
        response = client.post(revoke, form)
    assert response["Location"] == reverse("linking:link-detail", args=[link.pk])
    link.refresh_from_db()
    assert link.status == Link.Status.REVOKED


def test_a_forced_session_without_a_password_time_is_not_fresh(client, cast):
    # A session that never recorded a password entry (e.g. from before this feature) steps up.
    client.force_login(cast.admin)
    session = client.session
    session.pop("portal_password_at", None)
    session.save()
    step_up_target(client.post(role_url(viewer_membership(cast)), {"role": "admin"}))


def test_the_right_step_up_password_clears_earlier_failures(client, cast):
    password_login(client, cast.admin)
    client.post(STEP_UP, {"password": "typo", "next": "/"})
    assert AccessAttempt.objects.filter(username=cast.admin.username).exists()
    client.post(STEP_UP, {"password": PASSWORD, "next": "/"})
    assert not AccessAttempt.objects.filter(username=cast.admin.username).exists()


# --- after the step-up, the action asked for is carried out -----------------------------------


class _Form(HTMLParser):
    """The step-up page's form: where it posts and every field it sends."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "step-up-form":
            self.action = attrs.get("action")
        elif tag == "input" and self.action is not None and attrs.get("name"):
            self.fields.append((attrs["name"], attrs.get("value") or ""))


def step_up_form(page) -> _Form:
    parser = _Form()
    parser.feed(page.content.decode())
    assert parser.action, "the step-up page has no form"
    return parser


def send(client, form: _Form, password: str):
    data: dict[str, list[str]] = {}
    for name, value in form.fields:
        data.setdefault(name, []).append(password if name == "step_up_password" else value)
    return client.post(form.action, data)


def test_after_the_step_up_the_approval_is_carried_out_with_its_comment(client, cast):
    req = submit(cast, make_draft(cast, specs=[MANAGE]))
    password_login(client, cast.approver)
    approve = reverse("linking:request-approve", args=[req.pk])
    with later():
        response = client.post(approve, {"reason": "Checked with the customer"})
        step_up_target(response)
        page = client.get(response["Location"])
        assert f"approve {req.reference}" in page.content.decode()
        form = step_up_form(page)
        assert form.action == approve
        assert ("reason", "Checked with the customer") in form.fields
        done = send(client, form, PASSWORD)
        assert done["Location"] == reverse("linking:request-detail", args=[req.pk])
        page = client.get(done["Location"]).content.decode()
    assert f"{req.reference} was approved" in page
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    assert req.decision_reason == "Checked with the customer"
    assert req.approver == cast.approver
    # The kept form is used up: the session holds no pending action any more.
    assert "portal_step_up_resume" not in client.session


def test_a_wrong_password_on_the_kept_action_is_refused_counted_and_keeps_the_form(client, cast):
    req = submit(cast, make_draft(cast, specs=[MANAGE]))
    password_login(client, cast.approver)
    approve = reverse("linking:request-approve", args=[req.pk])
    with later():
        response = client.post(approve, {"reason": "Fine by me"})
        form = step_up_form(client.get(response["Location"]))
        refused = send(client, form, "not-my-password")
        assert refused.status_code == 400
        assert "ACC-S004" in refused.content.decode()
        assert AccessAttempt.objects.get(username=cast.approver.username).failures_since_start == 1
        req.refresh_from_db()
        assert req.status == LinkRequest.Status.PENDING_APPROVAL
        again = step_up_form(refused)
        assert ("reason", "Fine by me") in again.fields
        send(client, again, PASSWORD)
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    assert req.decision_reason == "Fine by me"


def test_a_revocation_whose_password_lapsed_while_typing_is_carried_out_after_it(client, cast):
    link = active_link(cast)
    revoke = reverse("linking:link-revoke", args=[link.pk])
    password_login(client, cast.approver)
    assert client.get(revoke).status_code == 200
    with later():
        response = client.post(
            revoke, {"reason": "Contract ended", "confirm_reference": link.reference}
        )
        send(client, step_up_form(client.get(response["Location"])), PASSWORD)
    link.refresh_from_db()
    assert link.status == Link.Status.REVOKED


def test_a_role_change_is_carried_out_after_the_step_up(client, cast):
    password_login(client, cast.admin)
    membership = viewer_membership(cast)
    with later():
        response = client.post(role_url(membership), {"role": "approver"})
        send(client, step_up_form(client.get(response["Location"])), PASSWORD)
    assert viewer_membership(cast).role == Role.APPROVER


def test_adding_a_viewer_is_carried_out_after_the_step_up(client, cast):
    password_login(client, cast.admin)
    with later():
        response = client.post(ADD, {"email": cast.no_member.email, "role": "viewer"})
        done = send(client, step_up_form(client.get(response["Location"])), PASSWORD)
    assert done["Location"] == reverse("accounts:member-list")
    assert Membership.objects.get(user=cast.no_member).role == Role.VIEWER


def test_a_resume_token_not_of_this_session_shows_the_plain_step_up(client, cast):
    password_login(client, cast.admin)
    with later():
        client.post(role_url(viewer_membership(cast)), {"role": "approver"})
        page = client.get(STEP_UP, {"next": "/", "resume": "forged"})
    form = step_up_form(page)
    assert form.action == STEP_UP
    assert not any(name == "role" for name, _ in form.fields)


def test_the_step_up_message_counts_minutes_in_words(client, cast, settings):
    settings.PORTAL_STEP_UP_MINUTES = 1
    password_login(client, cast.admin)
    with later(2):
        response = client.post(role_url(viewer_membership(cast)), {"role": "approver"})
        page = client.get(response["Location"]).content.decode()
    assert "more than 1 minute ago" in page
    assert "1 minutes" not in page
