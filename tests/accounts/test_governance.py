"""The Settings page the reseller's admins own: ranges, step-up, history, e-mail, new requests
only, and the dashboard's warning when the policy needs a second person nobody can be."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.governance import reseller_settings_update, settings_problems
from accounts.models import Reseller, Role
from accounts.services import membership_add, membership_set_role
from linking.checks import ItemSpec
from linking.checks.policy import (
    link_setup_window_days,
    request_approval_reminder_hours,
    request_consent_reminders,
)
from linking.models import LinkRequest, Notification
from linking.outbox.delivery import notification_deliver
from linking.services.requests import link_request_create_draft
from portal.errors import PortalError
from tests.conftest import make_draft, submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SETTINGS = reverse("accounts:settings")
UPDATE = reverse("accounts:settings-update")
DASHBOARD = reverse("portal:dashboard")

CURRENT = {
    "approval_policy": "beyond_read_only",
    "approval_days": 7,
    "approval_reminder_hours": 24,
    "consent_days": 7,
    "consent_reminders": "50%,1d",
    "setup_window_days": 14,
    "delegation_days": 90,
}


def form(**changes):
    return {**CURRENT, "reason": "Audit finding 12: two people for every request.", **changes}


def second_admin(cast):
    user = UserFactory(email="second-admin@northwind.example")
    membership_add(actor=cast.admin, reseller=cast.reseller, email=user.email, role=Role.ADMIN)
    return user


def update(cast, actor=None, reason="Audit finding 12.", **values):
    reseller = reseller_settings_update(
        actor=actor or cast.admin, reseller_id=cast.reseller.pk, values=values, reason=reason
    )
    # As the next page would read it.
    cast.reseller.refresh_from_db()
    return reseller


# --- the rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("approval_days", 0, "ACC-G002"),
        ("approval_days", 31, "ACC-G002"),
        ("consent_days", 31, "ACC-G002"),
        ("approval_reminder_hours", 0, "ACC-G002"),
        ("approval_reminder_hours", 721, "ACC-G002"),
        ("setup_window_days", 61, "ACC-G002"),
        ("delegation_days", 731, "ACC-G002"),
        ("delegation_days", "90", "ACC-G002"),
        ("consent_reminders", "soon", "ACC-G003"),
        ("consent_reminders", "0%", "ACC-G003"),
        ("approval_policy", "sometimes", "ACC-G006"),
    ],
)
def test_a_value_outside_its_range_is_refused_with_its_code(name, value, code):
    problems = settings_problems({name: value})
    assert problems[name].code == code


def test_the_edges_of_every_range_are_accepted():
    assert (
        settings_problems(
            {
                "approval_days": 30,
                "consent_days": 1,
                "approval_reminder_hours": 720,
                "setup_window_days": 60,
                "delegation_days": 730,
                "consent_reminders": "",
                "approval_policy": "never",
            }
        )
        == {}
    )


def test_only_an_admin_changes_the_settings(cast):
    for user in (cast.initiator, cast.approver, cast.viewer, cast.outsider_admin):
        with pytest.raises(PortalError) as refused:
            update(cast, actor=user, consent_days=10)
        assert refused.value.code == "ACC-G001"
    assert Reseller.objects.get(pk=cast.reseller.pk).consent_days == 7


def test_a_change_needs_a_reason_and_a_change(cast):
    with pytest.raises(PortalError) as refused:
        update(cast, reason="  ", consent_days=10)
    assert refused.value.code == "ACC-G004"
    with pytest.raises(PortalError) as refused:
        update(cast, consent_days=7)
    assert refused.value.code == "ACC-G005"


def test_a_change_writes_one_history_row_with_the_reason_and_mails_the_other_admins(cast):
    other = second_admin(cast)
    before = cast.reseller.history.count()

    update(cast, reason="Audit finding 12.", approval_policy="always", consent_days=10)

    written = cast.reseller.history.count() - before
    rows = list(cast.reseller.history.order_by("-history_id")[:written])
    assert len(rows) == 1
    row = rows[0]
    assert row.history_user_id == cast.admin.pk
    assert row.approval_policy == "always" and row.consent_days == 10
    assert "Audit finding 12." in row.history_change_reason
    assert "Days for the customer to decide: 7 → 10" in row.history_change_reason
    notices = Notification.objects.filter(kind="settings_changed")
    # The other admins only: not the one who made the change, not the other roles.
    assert [n.to_email for n in notices] == [other.email]
    notification_deliver(notification_id=notices[0].pk)
    message = mail.outbox[-1]
    assert message.to == [other.email]
    assert "Northwind" in message.subject or cast.reseller.name in message.subject
    assert "Audit finding 12." in message.body and "7 → 10" in message.body
    assert "/accounts/settings/" in message.body


# --- new requests only -----------------------------------------------------------------------


def test_new_requests_take_the_new_values_and_started_ones_keep_theirs(cast):
    # Billing needs an approver under the reseller's policy.
    old = make_draft(cast, specs=[ItemSpec(link_type="billing")])
    update(
        cast,
        consent_days=12,
        approval_days=3,
        approval_reminder_hours=6,
        consent_reminders="2d",
        setup_window_days=30,
        delegation_days=30,
    )
    new = link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)
    old.refresh_from_db()
    new.refresh_from_db()

    assert (old.consent_days, request_consent_reminders(old)) == (7, "50%,1d")
    assert (old.approval_days, request_approval_reminder_hours(old), old.setup_window_days) == (
        7,
        24,
        14,
    )
    assert (new.consent_days, request_consent_reminders(new)) == (12, "2d")
    assert (new.approval_days, request_approval_reminder_hours(new), new.setup_window_days) == (
        3,
        6,
        30,
    )
    # The approval deadline is counted from the request's own days.
    submit(cast, old)
    old.refresh_from_db()
    assert old.approval_deadline - old.submitted_at == timedelta(days=7)


def test_a_new_delegation_item_starts_with_the_default_duration(cast):
    from linking.services.requests import _new_item

    update(cast, delegation_days=45)
    req = LinkRequest.objects.create(
        reseller=cast.reseller, initiator=cast.initiator, status="draft"
    )
    assert _new_item(req, "delegation").duration_days == 45
    assert _new_item(req, "billing").duration_days is None


def test_a_request_older_than_the_copy_reads_the_resellers_values(cast):
    req = make_draft(cast)
    LinkRequest.objects.filter(pk=req.pk).update(
        consent_reminders=None, approval_reminder_hours=None, setup_window_days=None
    )
    update(cast, consent_reminders="1d", approval_reminder_hours=5, setup_window_days=20)
    req = LinkRequest.objects.select_related("reseller").get(pk=req.pk)
    assert (request_consent_reminders(req), request_approval_reminder_hours(req)) == ("1d", 5)


def test_the_setup_window_of_a_link_is_its_requests(cast):
    from tests.journeys import awaiting_setup_link

    update(cast, setup_window_days=20)
    link = awaiting_setup_link(cast)
    assert link_setup_window_days(link) == 20
    update(cast, setup_window_days=3)
    link.refresh_from_db()
    assert link_setup_window_days(link) == 20
    left = link.setup_deadline - timezone.now()
    assert timedelta(days=19) < left <= timedelta(days=20)


# --- the pages -------------------------------------------------------------------------------


def test_it_redirects_anonymous_to_login(client):
    for method, url in [("get", SETTINGS), ("post", UPDATE)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_a_viewer_reads_the_settings_and_cannot_change_them(client, cast):
    client.force_login(cast.viewer)
    response = client.get(SETTINGS)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="read-only"' in page and "Save the settings" not in page
    assert "applies to requests started from now on" in page
    assert "1–30 days" in page and "1–730 days" in page
    assert 'id="link-types"' in page and "Billing association" in page
    assert client.post(UPDATE, form(consent_days=10)).status_code == 403
    assert Reseller.objects.get(pk=cast.reseller.pk).consent_days == 7


def test_an_outsider_sees_only_their_own_resellers_settings(client, cast):
    client.force_login(cast.outsider_admin)
    response = client.get(SETTINGS)
    assert response.status_code == 200
    assert cast.other.name.encode() in response.content
    assert cast.reseller.name.encode() not in response.content


def test_an_admin_changes_a_setting_on_the_page(client, cast):
    client.force_login(cast.admin)
    response = client.post(UPDATE, form(approval_policy="always"))
    assert response.status_code == 302
    assert Reseller.objects.get(pk=cast.reseller.pk).approval_policy == "always"


def test_a_value_out_of_range_shows_its_code_on_the_page(client, cast):
    client.force_login(cast.admin)
    response = client.post(UPDATE, form(consent_days=45, reason=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "ACC-G002" in page and "between 1 and 30" in page
    assert Reseller.objects.get(pk=cast.reseller.pk).consent_days == 7


def test_a_change_with_a_password_entered_long_ago_asks_for_it_again(client, cast):
    client.force_login(cast.admin)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        response = client.post(UPDATE, form(consent_days=10))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:step-up"))
    assert Reseller.objects.get(pk=cast.reseller.pk).consent_days == 7


# --- the dashboard's warning -----------------------------------------------------------------


def test_the_dashboard_warns_when_the_policy_needs_a_second_person_nobody_can_be(client, cast):
    client.force_login(cast.admin)
    # An admin and an approver can approve: no warning.
    assert b'id="approvers-short"' not in client.get(DASHBOARD).content
    approver = cast.reseller.memberships.get(user=cast.approver)
    membership_set_role(actor=cast.admin, membership_id=approver.pk, role=Role.VIEWER)
    assert b'id="approvers-short"' in client.get(DASHBOARD).content
    # A policy that never asks a second person needs none.
    update(cast, approval_policy="never")
    assert b'id="approvers-short"' not in client.get(DASHBOARD).content
