"""Invitations: an admin invites by e-mail; a new person sets a password, a known one accepts."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import invitations
from accounts.current import SESSION_KEY as RESELLER_KEY
from accounts.models import AuditEvent, Invitation, Membership, Role, User
from linking.models import Notification
from linking.outbox.delivery import notification_deliver
from portal.errors import PortalError
from tests.accounts.test_step_up import password_login, step_up_target
from tests.conftest import PASSWORD, cast_shared_by_the_module
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


@pytest.fixture(autouse=True)
def _password_step_up(settings):
    """These tests are about invitations, sessions and who needs the step-up, for people without
    a second factor (the password step-up); second factors have their own tests."""
    settings.PORTAL_MFA_ENFORCE = False


MEMBERS = reverse("accounts:member-list")
INVITE = reverse("accounts:invitation-create")
MINE = reverse("accounts:my-invitations")
NEW_PASSWORD = "Harbour-Lantern-4417"
TOKEN_RE = re.compile(r"/accounts/invitations/(?P<token>[0-9a-f]{64})/")


def invite(cast, email="newcomer@northwind.example", role="viewer", actor=None):
    return invitations.invitation_create(
        actor=actor or cast.admin, reseller=cast.reseller, email=email, role=role
    )


def deliver(invitation) -> str:
    """Deliver the invitation's latest e-mail as the worker does; the token its link carries."""
    invitation.refresh_from_db()
    assert notification_deliver(notification_id=invitation.notification_id) == "sent"
    message = mail.outbox[-1]
    assert message.to == [invitation.email]
    match = TOKEN_RE.search(message.body)
    assert match, message.body
    html = message.alternatives[0][0]
    assert match.group(0) in html
    return match.group("token")


def open_url(token: str) -> str:
    return reverse("accounts:invitation-open", args=[token])


def set_password(client, token, password=NEW_PASSWORD, **extra):
    return client.post(
        open_url(token),
        {"new_password1": password, "new_password2": password, "first_name": "Nadia", **extra},
    )


# --- a new person -----------------------------------------------------------------------------


def test_a_new_person_sets_a_password_joins_and_is_signed_in(client, cast):
    invitation = invite(cast, role="initiator")
    token = deliver(invitation)
    page = client.get(open_url(token))
    assert page.status_code == 200
    assert b"Choose a password" in page.content

    response = set_password(client, token)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    user = User.objects.get(email="newcomer@northwind.example")
    assert user.first_name == "Nadia"
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user, reseller=cast.reseller)
    assert membership.role == Role.INITIATOR
    assert client.session[RESELLER_KEY] == cast.reseller.pk
    assert client.get(reverse("portal:dashboard")).status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.decided_by == user
    joined = AuditEvent.objects.get(action=AuditEvent.Action.GROUP_JOINED, user=user)
    assert joined.actor == user
    assert "invited by" in joined.reason
    assert membership.history.latest().history_change_reason.startswith("joined as initiator")


def test_a_weak_password_is_refused_by_the_password_policy(client, cast):
    token = deliver(invite(cast))
    response = set_password(client, token, password="password")
    assert response.status_code == 400
    assert b"too common" in response.content
    assert not User.objects.filter(email="newcomer@northwind.example").exists()
    # The link still works for a second try.
    assert set_password(client, token).status_code == 302


def test_a_used_link_is_refused_with_acc_i004(client, cast):
    token = deliver(invite(cast))
    set_password(client, token)
    client.logout()
    response = client.get(open_url(token))
    assert response.status_code == 410
    assert b"ACC-I004" in response.content
    assert set_password(client, token).status_code == 410
    assert Membership.objects.filter(user__email="newcomer@northwind.example").count() == 1


def test_an_expired_link_is_refused_with_acc_i002(client, cast):
    token = deliver(invite(cast))
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=False):
        response = client.get(open_url(token))
        assert response.status_code == 410
        assert b"ACC-I002" in response.content
        assert set_password(client, token).status_code == 410
    assert not User.objects.filter(email="newcomer@northwind.example").exists()


def test_a_revoked_link_is_refused_with_acc_i003(client, cast):
    invitation = invite(cast)
    token = deliver(invitation)
    invitations.invitation_revoke(
        actor=cast.admin, reseller=cast.reseller, invitation_id=invitation.pk
    )
    response = client.get(open_url(token))
    assert response.status_code == 410
    assert b"ACC-I003" in response.content


def test_a_resend_kills_the_old_link_and_the_new_one_works(client, cast):
    invitation = invite(cast)
    old = deliver(invitation)
    invitations.invitation_resend(
        actor=cast.admin, reseller=cast.reseller, invitation_id=invitation.pk
    )
    new = deliver(invitation)
    assert new != old
    response = client.get(open_url(old))
    assert response.status_code == 400
    assert b"ACC-I001" in response.content
    # The first e-mail's row is not sent again with a live link either.
    first = Notification.objects.filter(kind="member_invitation").order_by("pk").first()
    assert invitations.invitation_token_for_delivery(first) is None
    assert set_password(client, new).status_code == 302
    invitation.refresh_from_db()
    assert invitation.times_sent == 2


def test_a_mistyped_link_is_refused_with_acc_i001(client, cast):
    response = client.get(open_url("0" * 64))
    assert response.status_code == 400
    assert b"ACC-I001" in response.content


def test_the_token_is_never_in_history_audit_or_outbox(cast, client):
    invitation = invite(cast)
    token = deliver(invitation)
    set_password(client, token)
    historical = Invitation.history.model
    field_names = {f.name for f in historical._meta.get_fields()}
    assert "token_hash" not in field_names
    for row in historical.objects.values():
        assert token not in str(row)
    for row in AuditEvent.objects.values():
        assert token not in str(row)
    for row in Notification.objects.values():
        assert token not in str(row)
    invitation.refresh_from_db()
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().first())


# --- a person with an account -------------------------------------------------------------------


def test_a_known_person_signs_in_and_accepts(client, cast):
    token = deliver(invite(cast, email=cast.no_member.email, role="approver"))
    page = client.get(open_url(token))
    assert page.status_code == 200
    assert b"Log in to accept" in page.content
    cast.no_member.set_password(PASSWORD)
    cast.no_member.save()
    login = client.post(
        reverse("accounts:login"),
        {"username": cast.no_member.username, "password": PASSWORD},
        follow=True,
    )
    assert b"open invitation" in login.content
    assert client.get(open_url(token)).status_code == 200
    response = client.post(open_url(token))
    assert response["Location"] == reverse("portal:dashboard")
    assert Membership.objects.get(user=cast.no_member).role == Role.APPROVER


def test_a_known_person_accepts_from_their_invitations(client, cast):
    invitation = invite(cast, email=cast.no_member.email.upper())
    client.force_login(cast.no_member)
    page = client.get(MINE)
    assert f"my-invitation-{invitation.pk}".encode() in page.content
    response = client.post(MINE, {"invitation": invitation.pk})
    assert response["Location"] == reverse("portal:dashboard")
    assert Membership.objects.get(user=cast.no_member).role == Role.VIEWER


def test_someone_else_cannot_accept_from_their_invitations(client, cast):
    invitation = invite(cast, email=cast.no_member.email)
    client.force_login(cast.outsider)
    client.post(MINE, {"invitation": invitation.pk})
    assert not Membership.objects.filter(user=cast.no_member).exists()
    assert not Membership.objects.filter(user=cast.outsider, reseller=cast.reseller).exists()


def test_the_wrong_person_signed_in_is_refused_with_acc_i005(client, cast):
    token = deliver(invite(cast, email=cast.no_member.email))
    client.force_login(cast.outsider)
    response = client.get(open_url(token))
    assert response.status_code == 400
    assert b"ACC-I005" in response.content
    assert client.post(open_url(token)).status_code == 400
    assert not Membership.objects.filter(user=cast.outsider, reseller=cast.reseller).exists()
    assert not Membership.objects.filter(user=cast.no_member).exists()


def test_a_new_person_link_opened_after_an_account_appeared_asks_to_sign_in(client, cast):
    token = deliver(invite(cast))
    UserFactory(email="newcomer@northwind.example", username="newcomer")
    assert b"Log in to accept" in client.get(open_url(token)).content
    with pytest.raises(PortalError) as refused:
        invitations.invitation_accept_new(token=token, password=NEW_PASSWORD)
    assert refused.value.code == "ACC-I008"


# --- the admin's side ---------------------------------------------------------------------


def test_inviting_a_member_or_a_pending_address_is_refused(cast):
    with pytest.raises(PortalError) as member:
        invite(cast, email=cast.viewer.email)
    assert member.value.code == "ACC-M002"
    invite(cast)
    with pytest.raises(PortalError) as twice:
        invite(cast, email="NEWCOMER@northwind.example")
    assert twice.value.code == "ACC-I006"


def test_an_expired_invitation_makes_way_for_a_new_one(cast):
    first = invite(cast)
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        second = invite(cast)
    first.refresh_from_db()
    assert first.status == Invitation.Status.REVOKED
    assert second.status == Invitation.Status.PENDING


def test_only_admins_invite(cast):
    with pytest.raises(PortalError) as refused:
        invite(cast, actor=cast.initiator)
    assert refused.value.code == "ACC-M004"


def test_the_members_page_lists_pending_invitations_with_resend_and_revoke(client, cast):
    invitation = invite(cast)
    client.force_login(cast.admin)
    page = client.get(MEMBERS).content.decode()
    assert f'id="invitation-{invitation.pk}"' in page
    assert reverse("accounts:invitation-resend", args=[invitation.pk]) in page
    assert reverse("accounts:invitation-revoke", args=[invitation.pk]) in page
    client.force_login(cast.viewer)
    assert f'id="invitation-{invitation.pk}"' not in client.get(MEMBERS).content.decode()


def test_resend_and_revoke_ask_first_then_act(client, cast):
    invitation = invite(cast)
    client.force_login(cast.admin)
    resend = reverse("accounts:invitation-resend", args=[invitation.pk])
    revoke = reverse("accounts:invitation-revoke", args=[invitation.pk])
    assert b"Send again" in client.get(resend).content
    assert client.post(resend)["Location"] == MEMBERS
    assert Notification.objects.filter(kind="member_invitation").count() == 2
    assert b"Revoke invitation" in client.get(revoke).content
    assert client.post(revoke)["Location"] == MEMBERS
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    # A second revoke or resend explains itself instead of acting.
    follow = client.post(resend, follow=True)
    assert b"ACC-I007" in follow.content


def test_another_resellers_invitation_is_404(client, cast):
    theirs = invitations.invitation_create(
        actor=cast.outsider_admin, reseller=cast.other, email="x@example.com", role="viewer"
    )
    client.force_login(cast.admin)
    for name in ("accounts:invitation-resend", "accounts:invitation-revoke"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404


def test_the_members_page_costs_the_same_queries_with_more_invitations(
    client, cast, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast.admin)
    invite(cast, email="one@example.com")
    client.get(MEMBERS)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(MEMBERS).status_code == 200
    few = len(queries)
    for n in range(10):
        invite(cast, email=f"many{n}@example.com", role="approver")
    with django_assert_max_num_queries(few):
        assert client.get(MEMBERS).status_code == 200


# --- the step-up: one rule for adding and inviting ---------------------------------------------


def later(minutes=6):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


# Any role: a viewer reads what live links grant and an initiator starts requests, so every new
# member widens who can act (docs/members.md).
@pytest.mark.parametrize("role", ["admin", "approver", "initiator", "viewer"])
def test_inviting_someone_in_any_role_needs_the_step_up(client, cast, role):
    password_login(client, cast.admin)
    with later():
        response = client.post(INVITE, {"email": "boss@example.com", "role": role})
        assert step_up_target(response) == MEMBERS
        assert not Invitation.objects.exists()
        client.post(reverse("accounts:step-up"), {"password": PASSWORD, "next": MEMBERS})
        response = client.post(INVITE, {"email": "boss@example.com", "role": role})
    assert response["Location"] == MEMBERS
    assert Invitation.objects.get().role == role


@pytest.mark.parametrize("role", ["initiator", "viewer"])
def test_inviting_or_adding_someone_who_cannot_approve_needs_the_step_up_too(client, cast, role):
    password_login(client, cast.admin)
    with later():
        response = client.post(INVITE, {"email": "helper@example.com", "role": role})
        assert step_up_target(response) == MEMBERS
        added = client.post(
            reverse("accounts:member-add"), {"email": cast.no_member.email, "role": role}
        )
        assert step_up_target(added) == MEMBERS
    assert not Invitation.objects.exists()
    assert not Membership.objects.filter(user=cast.no_member).exists()
    assert not cast.no_member.groups.exists()


def test_adding_an_approver_needs_the_step_up(client, cast):
    password_login(client, cast.admin)
    with later():
        response = client.post(
            reverse("accounts:member-add"), {"email": cast.no_member.email, "role": "approver"}
        )
        assert step_up_target(response) == MEMBERS
    assert not Membership.objects.filter(user=cast.no_member).exists()


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_resending_an_invitation_needs_the_step_up(client, cast, role):
    invitation = invite(cast, role=role)
    password_login(client, cast.admin)
    resend = reverse("accounts:invitation-resend", args=[invitation.pk])
    with later():
        assert step_up_target(client.get(resend)) == resend
        assert step_up_target(client.post(resend)) == resend
    assert Notification.objects.filter(kind="member_invitation").count() == 1
