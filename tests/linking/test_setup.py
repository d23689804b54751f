"""A link waits for the customer's setup in the cloud: accepted → awaiting_setup (nothing
granted) → proven by checks against the sandbox cloud over HTTP → active and only then granted;
propagation delay, the backoff, the setup window expiring, least privilege, the customer's
"I have done it" on the receipt, and the sweep that asks for the checks."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import ResellerRoleGroup, Role
from linking import services, tasks
from linking.checks import ItemSpec
from linking.cloud.huawei import forget_cached_credentials
from linking.consent.views import receipt_sign
from linking.models import ConsentRecord, Link, Notification, VerificationRun
from linking.outbox.delivery import notification_deliver
from linking.services.verification import link_setup_claim_due, setup_check_delay
from tests.conftest import cast_shared_by_the_module, login
from tests.journeys import (
    awaiting_setup_link,
    complete_cloud_side,
    connect_reseller,
    pending_consent,
)

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

REGION = "ap-southeast-1"
READ_ONLY = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=[REGION],
    access_level="read_only",
    duration_days=30,
)
SPECS = {
    "billing": ItemSpec(link_type="billing"),
    "provisioning": ItemSpec(link_type="provisioning", services=["ECS"], regions=[REGION]),
    "delegation": READ_ONLY,
    "manage": ItemSpec(
        link_type="delegation",
        services=["ECS"],
        regions=[REGION],
        access_level="manage",
        duration_days=30,
    ),
}


@pytest.fixture(autouse=True)
def _fresh_credentials():
    forget_cached_credentials()
    yield
    forget_cached_credentials()


@pytest.fixture
def waiting(cast, cloud, django_capture_on_commit_callbacks):
    """A connected reseller; `waiting(spec)` is an accepted link awaiting the customer's setup."""
    connect_reseller(cast, cloud)

    def make(spec=READ_ONLY):
        with django_capture_on_commit_callbacks(execute=False):
            link = awaiting_setup_link(cast, [spec])
        assert link.status == Link.Status.AWAITING_SETUP
        return link

    return make


def held(cast, role=Role.INITIATOR) -> set[str]:
    group = ResellerRoleGroup.objects.get(reseller=cast.reseller, role=role).group
    return set(
        group.customeraccountgroupobjectpermission_set.values_list(
            "permission__codename", flat=True
        )
    )


def check(link, trigger="setup") -> str:
    return tasks.link_setup_check_task(link.pk, trigger)


# --- each link type end to end -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["billing", "provisioning", "delegation", "manage"])
def test_a_link_grants_nothing_until_the_customers_setup_is_proven(cast, cloud, waiting, kind):
    link = waiting(SPECS[kind])
    assert held(cast) == set()
    assert link.setup_deadline is not None and link.activated_at is None
    assert not Notification.objects.filter(kind="link_active").exists()

    complete_cloud_side(cast, cloud, link)  # through the sandbox's control API
    assert check(link) == "passed"

    link.refresh_from_db()
    assert (link.status, link.verification_status) == ("active", "passing")
    assert link.activated_at is not None and link.setup_deadline is None
    assert "view_customeraccount" in held(cast)
    notice = Notification.objects.get(kind="link_active", request__isnull=False)
    assert (notice.link_id, notice.to_email) == (link.pk, cast.initiator.email)
    # The customer hears that their setup works, once (tests/linking/test_customer_notices.py).
    to_customer = Notification.objects.get(kind="link_active", context__audience="customer")
    assert (to_customer.link_id, to_customer.to_email) == (link.pk, link.customer.contact_email)
    reasons = list(link.history.values_list("history_change_reason", flat=True))
    assert "activated: proven in the cloud, grants applied" in reasons
    assert "accepted: waits for the customer's setup in the cloud" in reasons


# --- propagation delay and the backoff -----------------------------------------------------------


def test_a_setup_not_visible_yet_is_waiting_not_failing_then_passes(cast, cloud, waiting):
    link = waiting()
    before = timezone.now()

    assert check(link) == "waiting"
    assert check(link) == "waiting"
    link.refresh_from_db()
    assert (link.status, link.verification_status) == ("awaiting_setup", "verifying")
    assert link.setup_checks == 2
    assert link.next_setup_check_at >= before + timedelta(minutes=2)
    runs = list(link.verification_runs.order_by("id"))
    assert [r.outcome for r in runs] == ["waiting", "waiting"]
    agency = next(c for c in runs[0].checks if c["name"] == "agency")
    assert (agency["code"], agency["stage"]) == ("LNK-G002", "propagation")
    assert not Notification.objects.filter(kind="verification_failed").exists()
    assert held(cast) == set()

    complete_cloud_side(cast, cloud, link)  # the agency takes effect
    assert check(link) == "passed"
    link.refresh_from_db()
    assert link.status == "active"


def test_checks_come_often_at_first_then_hourly():
    minutes = [setup_check_delay(n) / timedelta(minutes=1) for n in range(1, 9)]
    assert minutes == [1, 2, 5, 10, 30, 60, 60, 60]


def test_the_sweep_asks_for_due_checks_once_per_lease(cast, cloud, waiting):
    link = waiting()
    assert link_setup_claim_due() == [link.pk]
    assert link_setup_claim_due() == []  # claimed: not asked again while it runs
    check(link)  # a waiting run sets the next check by the backoff
    link.refresh_from_db()
    Link.objects.filter(pk=link.pk).update(next_setup_check_at=timezone.now())
    assert link_setup_claim_due() == [link.pk]


def test_a_check_of_a_link_that_moved_on_is_skipped(cast, cloud, waiting):
    link = waiting()
    complete_cloud_side(cast, cloud, link)
    check(link)
    assert check(link, "customer") == "skipped"
    assert link.verification_runs.count() == 1


# --- the setup window ---------------------------------------------------------------------


def test_a_setup_not_done_in_the_window_expires_and_both_sides_are_told(
    cast, cloud, waiting, settings
):
    link = waiting()
    # The window ends as the link starts waiting.
    Link.objects.filter(pk=link.pk).update(setup_deadline=timezone.now())

    assert check(link) == "failed"

    link.refresh_from_db()
    assert (link.status, link.verification_status) == ("setup_expired", "failing")
    assert link.get_status_display() == "Setup not done in time"
    assert link.next_setup_check_at is None and held(cast) == set()
    notices = Notification.objects.filter(kind="setup_expired", link=link)
    assert {(n.to_email, n.context["audience"]) for n in notices} == {
        (cast.customer.contact_email, "customer"),
        (cast.initiator.email, "reseller"),
    }
    assert notices[0].context["failures"][0]["code"] == "LNK-G002"
    for notice in notices:
        notification_deliver(notification_id=notice.pk)
    sent = {m.to[0]: m for m in mail.outbox}
    customer_mail = sent[cast.customer.contact_email]
    assert customer_mail.subject.startswith("Setup not done in time: delegated administration")
    assert "your cloud account" in customer_mail.body and "LNK-G002" in customer_mail.body
    assert "/links/" not in customer_mail.body  # the customer has no link page
    assert f"/links/{link.pk}/" in sent[cast.initiator.email].body
    assert check(link) == "skipped"
    assert not link.can_move_to(Link.Status.ACTIVE)


# --- least privilege ----------------------------------------------------------------------


def test_full_access_where_read_only_was_consented_fails_and_grants_nothing(cast, cloud, waiting):
    link = waiting()
    complete_cloud_side(cast, cloud, link, roles={REGION: ["ECS FullAccess"]})

    assert check(link) == "failed"

    link.refresh_from_db()
    assert (link.status, link.verification_status) == ("awaiting_setup", "failing")
    run = link.verification_runs.get()
    write = next(c for c in run.checks if c["name"] == "write")
    assert (write["code"], write["stage"]) == ("LNK-Y009", "verification")
    assert held(cast) == set()


def test_without_a_cloud_connection_the_setup_never_passes(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        link = awaiting_setup_link(cast)
    assert check(link) == "failed"
    link.refresh_from_db()
    assert (link.status, link.verification_status) == ("awaiting_setup", "failing")
    codes = [c["code"] for c in link.verification_runs.get().checks if not c["passed"]]
    assert codes == ["LNK-Y007"]


# --- pages: the state badge, whose move ----------------------------------------------------------


def test_the_link_page_shows_the_state_and_that_it_waits_on_the_customer(client, cast, waiting):
    link = waiting()
    login(client, cast.viewer)
    body = client.get(reverse("linking:link-detail", args=[link.pk])).content.decode()
    assert 'data-state="awaiting_setup"' in body
    assert escape("Awaiting the customer's setup") in body
    assert 'data-waiting-on="customer"' in body
    assert link.waiting_on == "customer"
    links = client.get(reverse("linking:link-list")).content.decode()
    assert 'data-state="awaiting_setup"' in links


def test_a_link_awaiting_its_setup_can_be_revoked(cast, waiting):
    link = waiting()
    services.link_revoke(
        actor=cast.approver, link_id=link.pk, reason="not needed", confirm_reference=link.reference
    )
    link.refresh_from_db()
    assert link.status == "revoked"


# --- the customer's "I have done it" -----------------------------------------------------------


def receipt_of(link) -> str:
    return ConsentRecord.objects.get(item=link.source_item).receipt_reference


def test_the_receipt_offers_i_have_done_it_while_the_setup_is_awaited(client, cast, waiting):
    link = waiting()
    signed = receipt_sign(receipt_of(link))
    body = client.get(reverse("consent:receipt", args=[signed])).content.decode()
    assert 'id="setup-done-button"' in body and link.reference in body


def test_i_have_done_it_asks_a_check_at_once(
    client, cast, cloud, waiting, django_capture_on_commit_callbacks
):
    link = waiting()
    signed = receipt_sign(receipt_of(link))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("consent:receipt-setup-done", args=[signed]))
    assert response.status_code == 302
    assert response["Location"].endswith("?checking=1")
    assert len(callbacks) == 1  # the check's publish, after the commit
    # What the worker does with it:
    complete_cloud_side(cast, cloud, link)
    assert check(link, "customer") == "passed"
    run = link.verification_runs.get()
    assert run.trigger == VerificationRun.Trigger.CUSTOMER


def test_i_have_done_it_needs_the_csrf_token(cast, waiting):
    link = waiting()
    signed = receipt_sign(receipt_of(link))
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("consent:receipt-setup-done", args=[signed])).status_code == 403


def test_i_have_done_it_with_a_tampered_receipt_link_is_a_404(client, cast, waiting):
    link = waiting()
    signed = receipt_sign(receipt_of(link))
    bad = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    assert client.post(reverse("consent:receipt-setup-done", args=[bad])).status_code == 404
    assert client.get(reverse("consent:receipt-setup-done", args=[signed])).status_code == 405


def test_i_have_done_it_is_rate_limited(client, cast, waiting, settings):
    settings.PORTAL_CONSENT_RATE_PER_LINK = "2/600"
    link = waiting()
    signed = receipt_sign(receipt_of(link))
    target = reverse("consent:receipt-setup-done", args=[signed])
    assert [client.post(target).status_code for _ in range(3)] == [302, 302, 429]


def test_a_pending_request_has_no_setup_to_report(client, cast):
    req = pending_consent(cast)
    assert not Link.objects.filter(source_item__request=req).exists()


def test_the_request_waits_on_the_customers_setup(client, cast, waiting):
    link = waiting()
    req = link.source_item.request
    assert req.waiting_on == "customer setup"
    login(client, cast.viewer)
    rows = client.get(reverse("linking:request-list"), {"waiting_on": "customer setup"})
    assert req.reference in rows.content.decode()
    assert 'data-waiting-on="customer setup"' in rows.content.decode()
    none = client.get(reverse("linking:request-list"), {"waiting_on": "activation"})
    assert req.reference not in none.content.decode()
