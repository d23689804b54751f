"""Sessions: people see and end theirs; idle, password and role changes end them; admins too."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services
from accounts.models import AuditEvent, Membership, PortalSession, Role
from accounts.sessions import describe_agent, end_sessions, key_hash, session_cleanup
from tests.accounts.test_step_up import step_up_target
from tests.conftest import PASSWORD, cast_shared_by_the_module

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


@pytest.fixture(autouse=True)
def _password_step_up(settings):
    """These tests are about invitations, sessions and who needs the step-up, for people without
    a second factor (the password step-up); second factors have their own tests."""
    settings.PORTAL_MFA_ENFORCE = False


SESSIONS = reverse("accounts:session-list")
DASHBOARD = reverse("portal:dashboard")
LOGIN = reverse("accounts:login")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def signed_in(user, agent=FIREFOX, address="198.51.100.7") -> Client:
    """A real login through the form, from a browser and an address (the cast's password)."""
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def is_signed_in(client) -> bool:
    response = client.get(DASHBOARD)
    return response.status_code == 200


def test_a_person_sees_their_sessions_with_device_address_and_this_one_marked(cast):
    laptop = signed_in(cast.initiator)
    signed_in(cast.initiator, agent=IPHONE, address="203.0.113.9")
    signed_in(cast.viewer)  # someone else's: not listed
    page = laptop.get(SESSIONS).content.decode()
    assert "Firefox on Windows" in page
    assert "Safari on iPhone" in page
    assert "203.0.113.9" in page and "198.51.100.7" in page
    assert page.count("this session") == 1
    assert page.count('name="session"') == 2
    for key in PortalSession.objects.values_list("session_key", flat=True):
        assert key not in page


def test_ending_another_session_signs_it_out_and_keeps_this_one(cast):
    laptop = signed_in(cast.initiator)
    phone = signed_in(cast.initiator, agent=IPHONE)
    phone_hash = key_hash(phone.session.session_key)
    response = laptop.post(reverse("accounts:session-end"), {"session": phone_hash})
    assert response["Location"] == SESSIONS
    assert not is_signed_in(phone)
    assert is_signed_in(laptop)


def test_ending_someone_elses_session_is_refused(cast):
    mine = signed_in(cast.initiator)
    theirs = signed_in(cast.viewer)
    response = mine.post(
        reverse("accounts:session-end"),
        {"session": key_hash(theirs.session.session_key)},
        follow=True,
    )
    assert b"ACC-X002" in response.content
    assert is_signed_in(theirs)


def test_ending_this_session_logs_out(cast):
    laptop = signed_in(cast.initiator)
    response = laptop.post(
        reverse("accounts:session-end"), {"session": key_hash(laptop.session.session_key)}
    )
    assert response["Location"] == LOGIN
    assert not is_signed_in(laptop)


def test_ending_all_other_sessions_keeps_this_one_without_a_new_login(cast):
    laptop = signed_in(cast.initiator)
    others = [signed_in(cast.initiator, agent=IPHONE) for _ in range(2)]
    laptop.post(reverse("accounts:session-end-others"))
    assert is_signed_in(laptop)
    assert not any(is_signed_in(other) for other in others)


def test_activity_is_written_at_most_once_a_minute(cast):
    client = signed_in(cast.initiator)
    # The first page after the sign-in notes the second-factor check (again a minute later).
    client.get(SESSIONS)
    row = PortalSession.objects.get(user_id=cast.initiator.pk)
    with CaptureQueriesContext(connection) as queries:
        client.get(SESSIONS)
        client.get(SESSIONS)
    assert not [q for q in queries if "UPDATE" in q["sql"] and "portal_session" in q["sql"]]
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        client.get(SESSIONS)
    assert PortalSession.objects.get(pk=row.pk).last_seen > row.last_seen


@override_settings(PORTAL_SESSION_IDLE_MINUTES=30)
def test_an_idle_session_ends_and_the_login_page_says_why(cast):
    client = signed_in(cast.initiator)
    with time_machine.travel(timezone.now() + timedelta(minutes=25), tick=False):
        assert is_signed_in(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=50), tick=False):
        # 25 minutes after the last request: still within the idle time.
        assert is_signed_in(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=81), tick=False):
        response = client.get(DASHBOARD, follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert b"ACC-X001" in response.content
    assert not PortalSession.objects.filter(user_id=cast.initiator.pk).exists()


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(cast):
    laptop = signed_in(cast.initiator)
    phone = signed_in(cast.initiator, agent=IPHONE)
    response = laptop.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Quiet-Meadow-8812",
            "new_password2": "Quiet-Meadow-8812",
        },
    )
    assert response.status_code == 302
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert PortalSession.objects.filter(user_id=cast.initiator.pk).count() == 1


def test_a_password_reset_ends_every_session(cast, client):
    phone = signed_in(cast.initiator, agent=IPHONE)
    cast.initiator.refresh_from_db()  # the reset token reads the last login
    uid = urlsafe_base64_encode(force_bytes(cast.initiator.pk))
    token = default_token_generator.make_token(cast.initiator)
    url = reverse("accounts:password-reset-confirm", args=[uid, token])
    form = client.get(url, follow=True).redirect_chain[-1][0]
    client.post(form, {"new_password1": "Quiet-Meadow-8812", "new_password2": "Quiet-Meadow-8812"})
    assert not is_signed_in(phone)
    assert not PortalSession.objects.filter(user_id=cast.initiator.pk).exists()


def test_a_role_change_ends_the_members_sessions(cast):
    member = signed_in(cast.viewer)
    admin = signed_in(cast.admin)
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    services.membership_set_role(actor=cast.admin, membership_id=membership.pk, role="initiator")
    assert not is_signed_in(member)
    assert is_signed_in(admin)


def test_removing_a_member_ends_their_sessions(cast):
    member = signed_in(cast.viewer)
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    services.membership_remove(actor=cast.admin, membership_id=membership.pk)
    assert not PortalSession.objects.filter(user_id=cast.viewer.pk).exists()
    assert member.get(DASHBOARD)["Location"].startswith(LOGIN)


def test_an_admin_ends_a_members_sessions_after_the_step_up_and_it_is_audited(cast):
    member = signed_in(cast.viewer)
    other_device = signed_in(cast.viewer, agent=IPHONE)
    admin = signed_in(cast.admin)
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    url = reverse("accounts:member-sessions-end", args=[membership.pk])
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert step_up_target(admin.get(url)) == url
        assert step_up_target(admin.post(url)) == url
        assert is_signed_in(member)
        admin.post(reverse("accounts:step-up"), {"password": PASSWORD, "next": url})
        assert b"End every session" in admin.get(url).content
        assert admin.post(url)["Location"] == reverse("accounts:member-list")
        assert not is_signed_in(member)
        assert not is_signed_in(other_device)
        assert is_signed_in(admin)
    event = AuditEvent.objects.get(action=AuditEvent.Action.SESSIONS_ENDED)
    assert event.actor == cast.admin
    assert event.user == cast.viewer
    assert event.reseller == cast.reseller
    assert event.reason.startswith("2 session(s)")


def test_only_admins_of_the_members_reseller_end_sessions(cast):
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    url = reverse("accounts:member-sessions-end", args=[membership.pk])
    assert signed_in(cast.initiator).post(url).status_code == 403
    assert signed_in(cast.outsider_admin).post(url).status_code == 404


def test_end_sessions_spares_the_named_session(cast):
    keep = signed_in(cast.initiator)
    signed_in(cast.initiator)
    assert end_sessions(cast.initiator, keep.session.session_key, "test") == 1
    assert is_signed_in(keep)


def test_cleanup_deletes_idle_and_expired_sessions(cast):
    signed_in(cast.initiator)
    with override_settings(PORTAL_SESSION_IDLE_MINUTES=30):
        assert session_cleanup() == 0
        with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
            assert session_cleanup() == 1
    assert not PortalSession.objects.exists()


def test_the_session_list_costs_one_query_whatever_the_number_of_sessions(
    cast, django_assert_max_num_queries
):
    client = signed_in(cast.initiator)
    client.get(SESSIONS)
    with CaptureQueriesContext(connection) as queries:
        client.get(SESSIONS)
    few = len(queries)
    assert few > 0
    for _ in range(5):
        signed_in(cast.initiator, agent=IPHONE)
    with django_assert_max_num_queries(few):
        assert client.get(SESSIONS).content.count(b'name="session"') == 6


@pytest.mark.parametrize(
    ("agent", "words"),
    [
        (FIREFOX, "Firefox on Windows"),
        (IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on macOS",
        ),
        ("curl/8.5.0", "Other browser"),
        ("", "Unknown device"),
    ],
)
def test_the_device_is_said_in_words(agent, words):
    assert describe_agent(agent) == words


def test_a_role_kept_the_same_ends_nothing(cast):
    member = signed_in(cast.viewer)
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    services.membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.VIEWER)
    assert is_signed_in(member)
