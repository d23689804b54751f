"""The services owe webhook events in the transaction of each change: requests, links, the
expiry sweep and batches, each with its data and never a secret."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from linking import services
from linking.checks import ItemSpec
from linking.models import Link
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint
from linking.webhooks.services import webhook_emit
from tests.conftest import make_draft, submit
from tests.journeys import accept, awaiting_setup_link, pending_consent
from tests.webhooks.conftest import register

pytestmark = pytest.mark.django_db

BILLING = ItemSpec(link_type="billing")


def events(*, object_type=None):
    rows = WebhookDelivery.objects.order_by("id")
    if object_type:
        rows = rows.filter(object_type=object_type)
    return [(d.event_type, json.loads(d.body)["data"]) for d in rows]


def test_a_request_submitted_straight_to_the_customer_is_one_event(cast, receiver):
    register(cast, receiver)
    req = pending_consent(cast)
    ((event_type, data),) = events()
    assert event_type == "request.submitted"
    assert data["id"] == str(req.pk) and data["reference"] == req.reference
    assert (data["previous_status"], data["status"]) == ("draft", "pending_consent")
    assert data["customer_account_id"] == cast.customer.account_id


def test_approval_and_rejection_are_events(cast, receiver):
    register(cast, receiver)
    approved = submit(cast, make_draft(cast, specs=[BILLING]))
    services.link_request_approve(actor=cast.approver, request_id=approved.pk, reason="ok")
    rejected = submit(cast, make_draft(cast, specs=[BILLING], customer=cast.customer2))
    services.link_request_reject(actor=cast.approver, request_id=rejected.pk, reason="no")
    assert [(t, d["reference"]) for t, d in events()] == [
        ("request.submitted", approved.reference),
        ("request.approved", approved.reference),
        ("request.submitted", rejected.reference),
        ("request.rejected", rejected.reference),
    ]


def test_the_customers_decision_and_the_links_setup_are_events(cast, receiver):
    register(cast, receiver)
    link = awaiting_setup_link(cast)
    assert link.status == Link.Status.AWAITING_SETUP
    assert [t for t, _ in events(object_type="request")] == [
        "request.submitted",
        "request.customer_decided",
    ]
    ((event_type, data),) = events(object_type="link")
    assert event_type == "link.awaiting_setup"
    assert data["reference"] == link.reference and data["link_type"] == "delegation"
    assert data["previous_status"] == "activating"


def test_the_expiry_sweep_owes_an_event_per_expired_request(cast, receiver):
    register(cast, receiver, events=["request.expired"])
    first = pending_consent(cast)
    second = pending_consent(cast, customer=cast.customer2)
    later = timezone.now() + timedelta(days=60)
    assert services.link_request_expire_overdue(now=later) == 2
    assert [(t, d["reference"], d["previous_status"]) for t, d in events()] == [
        ("request.expired", first.reference, "pending_consent"),
        ("request.expired", second.reference, "pending_consent"),
    ]


def test_an_event_nobody_subscribed_to_costs_one_query(cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert webhook_emit(cast.reseller, "link.active", ("link", 1), lambda: 1 / 0) == []


def test_an_unknown_event_type_is_a_programming_error(cast):
    with pytest.raises(ValueError, match="Unknown webhook event type"):
        webhook_emit(cast.reseller, "link.exploded", ("link", 1), {})


def test_no_secret_is_kept_in_history_audit_or_deliveries(cast, receiver):
    from accounts.models import AuditEvent

    endpoint, secret = register(cast, receiver)
    accept(cast, pending_consent(cast))
    bare = secret.removeprefix("whsec_")
    history = WebhookEndpoint.history.filter(id=endpoint.pk).values()
    assert history and all("secret_encrypted" not in row for row in history)
    assert all(bare not in str(row) for row in history)
    assert all(bare not in e.reason for e in AuditEvent.objects.all())
    assert all(bare not in d.body for d in WebhookDelivery.objects.all())
    assert bare not in endpoint.secret_encrypted


def test_a_finished_batch_is_one_event_with_its_counts(cast, receiver):
    from tests.factories import CustomerFactory
    from tests.linking.batch_helpers import csv_bytes, delegation, upload

    register(cast, receiver, events=["batch.finished"])
    customer = CustomerFactory(enabled_regions=[cast.region_a, cast.region_b])
    batch = upload(cast, csv_bytes(delegation("k1", customer.account_id)))
    services.batch_confirm(actor=cast.initiator, batch_id=batch.pk, enqueue=False)
    services.batch_run(batch_id=batch.pk)
    ((event_type, data),) = events()
    assert event_type == "batch.finished"
    assert data["reference"] == batch.reference
    assert (data["created_count"], data["failed_count"]) == (1, 0)
    assert data["finished_at"].endswith("Z")


def test_an_event_names_a_model_object_by_its_kind(cast, receiver):
    register(cast, receiver, events=["link.broken"])
    link = awaiting_setup_link(cast)
    (delivery,) = webhook_emit(cast.reseller, "link.broken", link, {"reference": link.reference})
    assert (delivery.object_type, delivery.object_id) == ("link", str(link.pk))
    assert json.loads(delivery.body)["data"]["object"] == "link"
