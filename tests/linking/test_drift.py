"""Drift: every active link re-verified against the sandbox cloud over HTTP, on its schedule and
on demand. An agency deleted or narrowed breaks the link (after the checks confirm it), a
broader one flags it over-privileged, a billing association gone ends the billing link, and a
cloud outage breaks nothing."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import ResellerRoleGroup, Role
from linking import services, tasks
from linking.checks import ItemSpec
from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.models import CloudConnection
from linking.cloud.names import agency_name_for, customer_domain_id
from linking.consent.views import receipt_sign
from linking.models import ConsentRecord, Link, Notification, VerificationRun
from linking.outbox.delivery import notification_deliver
from linking.services.drift import link_reverify_claim_due, next_reverification_at
from linking.webhooks.models import WebhookDelivery
from tests.conftest import login
from tests.journeys import (
    active_link,
    agency_roles,
    complete_cloud_side,
    connect_reseller,
)
from tests.webhooks.conftest import receiver, register  # noqa: F401 (the receiver fixture)

REGION = "ap-southeast-1"
READ_ONLY = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=[REGION],
    access_level="read_only",
    duration_days=30,
)
MANAGE = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=[REGION],
    access_level="manage",
    duration_days=30,
)
BILLING = ItemSpec(link_type="billing")


@pytest.fixture(autouse=True)
def _fresh_credentials():
    forget_cached_credentials()
    yield
    forget_cached_credentials()


@pytest.fixture
def drift(cast, cloud, settings, django_capture_on_commit_callbacks):
    """A connected reseller; `drift(spec)` is a link proven in the sandbox cloud, active.
    Two runs in a row confirm a cloud side gone (five in production)."""
    settings.PORTAL_VERIFY_ATTEMPTS = 2
    connect_reseller(cast, cloud)

    def make(spec=READ_ONLY):
        with django_capture_on_commit_callbacks(execute=False):
            link = active_link(cast, [spec], cloud=cloud)
        assert link.status == Link.Status.ACTIVE
        return link

    return make


def held(cast, role=Role.INITIATOR) -> set[str]:
    group = ResellerRoleGroup.objects.get(reseller=cast.reseller, role=role).group
    return set(
        group.customeraccountgroupobjectpermission_set.values_list(
            "permission__codename", flat=True
        )
    )


def reverify(link) -> str:
    """What a worker does with a scheduled re-verification the sweep handed out."""
    forget_cached_credentials()  # another worker, another moment: no keys of an earlier run
    outcome = tasks.link_reverify_task(link.pk)
    link.refresh_from_db()
    return outcome


def delete_agency(cloud, link) -> None:
    cloud.control.delete_agency(customer_domain_id(link.customer), agency_name_for(link))


def audiences(link, kind) -> dict[str, str]:
    return {
        n.context["audience"]: n.to_email for n in Notification.objects.filter(link=link, kind=kind)
    }


# --- an agency deleted or narrowed: broken, after the checks confirm it ----------------------


def test_an_agency_deleted_breaks_the_link_only_when_the_checks_confirm_it(
    cast,
    cloud,
    drift,
    receiver,  # noqa: F811 (the fixture)
):
    link = drift()
    register(cast, receiver, events=["link.broken"])
    assert "delegate_read_customeraccount" in held(cast)
    delete_agency(cloud, link)

    before = timezone.now()
    assert reverify(link) == "failed"
    # One refusal may be the cloud's moment: asked again soon, still active, still granted.
    assert (link.status, link.verification_status, link.drift_failures) == (
        "active",
        "verifying",
        1,
    )
    assert link.next_verification_at <= before + timedelta(seconds=60)
    assert "delegate_read_customeraccount" in held(cast)
    assert not Notification.objects.filter(kind="link_broken").exists()

    assert reverify(link) == "failed"
    assert link.status == Link.Status.BROKEN
    assert link.broken_at is not None and link.verification_status == "failing"
    assert link.status_reason.startswith("LNK-Y011") and "LNK-G002" in link.status_reason
    assert held(cast) == set()  # the operators lost the access
    assert link.waiting_on == "customer"
    assert audiences(link, "link_broken") == {
        "reseller": cast.initiator.email,
        "customer": link.customer.contact_email,
    }
    reasons = list(link.history.values_list("history_change_reason", flat=True))
    assert any(r.startswith("broken: ") for r in reasons)
    # The reseller's systems hear of it once, with the move.
    [event] = WebhookDelivery.objects.filter(event_type="link.broken")
    assert json.loads(event.body)["data"]["previous_status"] == "active"
    run = link.verification_runs.first()
    assert run.trigger == VerificationRun.Trigger.SCHEDULE and run.cloud_calls >= 1

    customer_notice = Notification.objects.get(kind="link_broken", context__audience="customer")
    assert notification_deliver(notification_id=customer_notice.pk) == "sent"
    body = mail.outbox[-1].body
    assert link.reference in body and "I have done it" in body and "No new request" in body


def test_an_agency_narrowed_to_read_only_breaks_a_manage_link(cast, cloud, drift):
    link = drift(MANAGE)
    assert "delegate_manage_customeraccount" in held(cast)
    complete_cloud_side(cast, cloud, link, roles=agency_roles(link, "read_only"))

    assert reverify(link) == "failed"
    assert reverify(link) == "failed"
    assert link.status == Link.Status.BROKEN
    assert "LNK-G003" in link.status_reason  # the consented write is refused
    assert held(cast) == set()


def test_a_broken_link_reopens_as_a_new_setup_when_the_customer_says_it_is_fixed(
    client, cast, cloud, drift, django_capture_on_commit_callbacks
):
    link = drift()
    delete_agency(cloud, link)
    reverify(link)
    reverify(link)
    assert link.status == Link.Status.BROKEN
    requests_before = link.source_item.request_id

    signed = receipt_sign(ConsentRecord.objects.get(item=link.source_item).receipt_reference)
    body = client.get(reverse("consent:receipt", args=[signed])).content.decode()
    assert 'id="setup-done-button"' in body and link.reference in body
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("consent:receipt-setup-done", args=[signed]))
    assert response.status_code == 302 and len(callbacks) == 1
    link.refresh_from_db()
    assert link.status == Link.Status.AWAITING_SETUP and link.setup_deadline is not None
    assert held(cast) == set()

    complete_cloud_side(cast, cloud, link)
    assert tasks.link_setup_check_task(link.pk, "customer") == "passed"
    link.refresh_from_db()
    assert (link.status, link.broken_at, link.source_item.request_id) == (
        "active",
        None,
        requests_before,  # the same consent: not a new request
    )
    assert "delegate_read_customeraccount" in held(cast)


def test_a_broken_link_whose_checks_pass_again_is_active_again(cast, cloud, drift):
    link = drift()
    delete_agency(cloud, link)
    reverify(link)
    reverify(link)
    assert link.status == Link.Status.BROKEN
    assert link.next_verification_at is not None  # still checked, once a period

    complete_cloud_side(cast, cloud, link)
    assert reverify(link) == "passed"
    assert (link.status, link.verification_status) == ("active", "passing")
    assert "delegate_read_customeraccount" in held(cast)
    statuses = list(link.history.order_by("history_id").values_list("status", flat=True))
    assert statuses[-3:] == ["awaiting_setup", "awaiting_setup", "active"]


# --- an agency broader than consented: flagged, still active ---------------------------------


def test_full_access_granted_for_a_read_only_link_is_flagged_over_privileged(
    cast,
    cloud,
    drift,
    receiver,  # noqa: F811 (the fixture)
):
    link = drift(READ_ONLY)
    register(cast, receiver, events=["link.over_privileged"])
    complete_cloud_side(cast, cloud, link, roles=agency_roles(link, "manage"))

    assert reverify(link) == "failed"
    assert (link.status, link.over_privileged) == ("active", True)
    assert "allows creating servers" in link.over_privileged_detail
    assert link.drift_failures == 0  # an answer the cloud gave is no transient
    assert "delegate_read_customeraccount" in held(cast)  # the consented access stays
    assert audiences(link, "link_over_privileged") == {
        "reseller": cast.admin.email,
        "customer": link.customer.contact_email,
    }
    notice = Notification.objects.get(kind="link_over_privileged", context__audience="reseller")
    notification_deliver(notification_id=notice.pk)
    assert "allows creating servers" in mail.outbox[-1].body
    assert "LNK-Y013" in link.history.first().history_change_reason
    [event] = WebhookDelivery.objects.filter(event_type="link.over_privileged")
    assert "allows creating servers" in json.loads(event.body)["data"]["too_broad"]

    # Seen again: no second e-mail. Narrowed back: the flag clears.
    reverify(link)
    assert Notification.objects.filter(kind="link_over_privileged").count() == 2
    complete_cloud_side(cast, cloud, link)
    assert reverify(link) == "passed"
    assert (link.over_privileged, link.over_privileged_detail) == (False, "")


def test_an_unconsented_region_that_answers_is_flagged_over_privileged(cast, cloud, drift):
    link = drift()
    cloud.control.add_fault("*", "broaden", times=100)

    reverify(link)
    assert (link.status, link.over_privileged) == ("active", True)
    assert "did not consent to" in link.over_privileged_detail


def test_auditors_filter_the_admin_list_on_over_privileged_links(client, cast, cloud, drift):
    flagged = drift(READ_ONLY)
    plain = drift(ItemSpec(link_type="provisioning", services=["ECS"], regions=[REGION]))
    complete_cloud_side(cast, cloud, flagged, roles=agency_roles(flagged, "manage"))
    reverify(flagged)
    login(client, cast.auditor)
    changelist = reverse("admin:linking_link_changelist")
    body = client.get(changelist, {"over_privileged__exact": "1"}).content.decode()
    assert flagged.reference in body and plain.reference not in body


# --- a billing association gone: the billing link ends ---------------------------------------


def test_a_billing_association_removed_ends_the_billing_link(cast, cloud, drift):
    link = drift(BILLING)
    assert "bill_customeraccount" in held(cast)
    partner = CloudConnection.objects.get(reseller=cast.reseller).partner_domain_id
    cloud.control.dissociate(partner, customer_domain_id(link.customer))

    assert reverify(link) == "failed"
    assert link.status == Link.Status.ACTIVE  # once could be the cloud's moment
    assert reverify(link) == "failed"
    assert link.status == Link.Status.REVOKED
    assert link.revoked_by is None and link.revoked_at is not None
    assert "no longer reports" in link.revoke_reason
    assert link.status_reason.startswith("LNK-Y012") and "LNK-G001" in link.status_reason
    assert held(cast) == set()
    assert set(audiences(link, "billing_lost")) == {"reseller", "customer"}
    assert link_reverify_claim_due(now=timezone.now() + timedelta(days=2)) == []


# --- a cloud outage breaks nothing -----------------------------------------------------------


def test_a_cloud_outage_breaks_no_link_and_backs_off(cast, cloud, drift):
    links = [drift(), drift(BILLING)]
    cloud.control.add_fault("*", "error", times=1000, status=500)

    before = {}
    for _ in range(3):  # more runs than it takes to confirm a deleted agency
        for link in links:
            before[link.pk] = timezone.now()
            assert reverify(link) == "failed"
            assert (link.status, link.verification_status) == ("active", "passing")
            assert link.drift_failures == 0
    for link in links:
        assert link.drift_inconclusive == 3
        # 5, 10, then 20 minutes: an outage does not multiply the calls.
        assert link.next_verification_at >= before[link.pk] + timedelta(minutes=20)
        run = link.verification_runs.first()
        assert any(c["stage"] == "connection" for c in run.checks if c["outcome"] == "failed")
    assert not Notification.objects.filter(
        kind__in=["link_broken", "billing_lost", "link_over_privileged"]
    ).exists()
    assert {"delegate_read_customeraccount", "bill_customeraccount"} <= held(cast)

    cloud.control.clear_faults()
    assert reverify(links[0]) == "passed"
    assert links[0].drift_inconclusive == 0
    assert links[0].next_verification_at == next_reverification_at(
        links[0].pk, after=links[0].verified_at
    )


# --- on demand -------------------------------------------------------------------------------


def test_verify_now_that_fails_brings_the_scheduled_run_forward_and_never_breaks(
    client, cast, cloud, drift, django_capture_on_commit_callbacks
):
    link = drift()
    delete_agency(cloud, link)
    login(client, cast.viewer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("linking:link-verify", args=[link.pk]))
    assert response.status_code == 302 and len(callbacks) == 1
    # What the worker does with it:
    assert tasks.link_verify_task(link.pk, "manual", 1, cast.viewer.pk) == "failed"
    link.refresh_from_db()
    assert (link.status, link.verification_status) == ("active", "failing")
    assert link.verification_runs.first().triggered_by == cast.viewer
    assert "delegate_read_customeraccount" in held(cast)
    # The schedule judges it soon after, not a day later, and confirms it before breaking it.
    assert link.pk in link_reverify_claim_due(now=timezone.now() + timedelta(minutes=1))
    assert reverify(link) == "failed"
    assert (link.status, link.drift_failures) == ("active", 1)
    assert reverify(link) == "failed"
    assert link.status == Link.Status.BROKEN


def test_verify_now_on_a_repaired_broken_link_reopens_it(cast, cloud, drift):
    link = drift()
    delete_agency(cloud, link)
    reverify(link)
    reverify(link)
    assert link.status == Link.Status.BROKEN
    complete_cloud_side(cast, cloud, link)
    forget_cached_credentials()
    assert tasks.link_verify_task(link.pk, "manual", 1, cast.viewer.pk) == "passed"
    link.refresh_from_db()
    assert (link.status, link.verification_status) == ("active", "passing")
    assert "delegate_read_customeraccount" in held(cast)


# --- a link that moved on --------------------------------------------------------------------


def test_a_scheduled_run_of_a_link_that_moved_on_does_nothing(cast, cloud, drift):
    link = drift()
    services.link_revoke(
        actor=cast.admin,
        link_id=link.pk,
        reason="no longer needed",
        confirm_reference=link.reference,
    )
    assert tasks.link_reverify_task(link.pk) == "skipped"
    assert not link.verification_runs.filter(trigger="schedule").exists()
