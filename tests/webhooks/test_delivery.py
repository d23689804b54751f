"""Webhook delivery against a real HTTP receiver on loopback: signatures the Standard Webhooks
library verifies, retries after errors and timeouts, order per object, redelivery, and the
endpoint disabled after three days of failures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.models import AuditEvent
from linking.models import Notification
from linking.outbox.delivery import notification_deliver
from linking.webhooks.delivery import webhook_deliver, webhook_delivery_ids_due
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint
from linking.webhooks.services import (
    webhook_delivery_redeliver,
    webhook_emit,
    webhook_endpoint_set_enabled,
)
from tests.webhooks.conftest import register

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def emit(cast, obj=("link", 1), event_type="link.active", **data):
    return webhook_emit(cast.reseller, event_type, obj, {"reference": "LK-000001", **data})


def test_a_delivery_is_signed_as_the_standard_webhooks_library_verifies(cast, receiver):
    _endpoint, secret = register(cast, receiver)
    (delivery,) = emit(cast, status="active")

    assert webhook_deliver(delivery_id=delivery.pk).outcome == "delivered"

    (got,) = receiver.received
    payload = Webhook(secret).verify(got.body, got.headers)
    assert payload["type"] == "link.active"
    data = {"object": "link", "id": "1", "reference": "LK-000001", "status": "active"}
    assert payload["data"] == data
    assert payload["timestamp"].endswith("Z")
    assert got.headers["webhook-id"] == delivery.event_id
    assert got.headers["Content-Type"] == "application/json"
    assert got.path == "/hooks/portal"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 1)
    assert delivery.last_status_code == 200
    assert delivery.response_excerpt == '{"received":true}'
    assert delivery.last_duration_ms is not None and delivery.delivered_at is not None


def test_a_signature_made_with_another_secret_is_refused_by_the_library(cast, receiver):
    from standardwebhooks.webhooks import WebhookVerificationError

    register(cast, receiver)
    (delivery,) = emit(cast)
    webhook_deliver(delivery_id=delivery.pk)
    (got,) = receiver.received
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY").verify(got.body, got.headers)


def test_an_event_is_owed_only_if_its_change_commits(cast, receiver):
    register(cast, receiver)

    def change_that_fails():
        with transaction.atomic():
            emit(cast)
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not WebhookDelivery.objects.exists()


def test_only_the_endpoints_that_chose_the_event_and_are_enabled_get_it(cast, receiver):
    wants, _ = register(cast, receiver, events=["link.active"])
    register(cast, receiver, events=["request.submitted"])
    off, _ = register(cast, receiver, events=["link.active"])
    webhook_endpoint_set_enabled(
        actor=cast.admin, reseller=cast.reseller, endpoint_id=off.pk, enabled=False
    )
    deliveries = emit(cast)
    assert [d.endpoint_id for d in deliveries] == [wants.pk]
    # Another reseller's event never reaches this reseller's endpoint.
    assert webhook_emit(cast.other, "link.active", ("link", 2), {}) == []


def test_a_500_is_retried_with_a_growing_wait_and_the_same_webhook_id(cast, receiver):
    endpoint, secret = register(cast, receiver)
    receiver.answer((500,), (503,))
    (delivery,) = emit(cast)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        result = webhook_deliver(delivery_id=delivery.pk)
        assert (result.outcome, result.retry_in) == ("retrying", 30)
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == start + timedelta(seconds=30)
        assert delivery.last_status_code == 500 and delivery.response_excerpt == "receiver says no"
        # Too early: nothing is sent.
        assert webhook_deliver(delivery_id=delivery.pk).outcome == "skipped"
        clock.shift(timedelta(seconds=30))
        assert webhook_delivery_ids_due() == [delivery.pk]
        assert webhook_deliver(delivery_id=delivery.pk).retry_in == 60
        endpoint.refresh_from_db()
        assert endpoint.failing_since == start
        clock.shift(timedelta(seconds=60))
        assert webhook_deliver(delivery_id=delivery.pk).outcome == "delivered"
    assert len(receiver.received) == 3
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery.event_id}
    for got in receiver.received:
        Webhook(secret).verify(got.body, got.headers)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_a_receiver_that_does_not_answer_in_time_is_retried(cast, receiver, settings):
    settings.PORTAL_WEBHOOK_READ_TIMEOUT = 1
    register(cast, receiver)
    receiver.answer((200, 2))
    (delivery,) = emit(cast)
    result = webhook_deliver(delivery_id=delivery.pk)
    assert result.outcome == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_error == "no answer in time" and delivery.last_status_code is None
    assert 1000 <= delivery.last_duration_ms < 2000
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        assert webhook_deliver(delivery_id=delivery.pk).outcome == "delivered"


def test_a_redirect_is_not_followed(cast, receiver):
    register(cast, receiver)
    receiver.answer((302, 0, {"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"}))
    (delivery,) = emit(cast)
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "retrying"
    assert [r.path for r in receiver.received] == ["/hooks/portal"]
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302 and delivery.last_error == "answered 302"


def test_events_of_one_object_are_sent_in_order(cast, receiver):
    register(cast, receiver)
    receiver.answer((500,))
    first, second = emit(cast, status="awaiting_setup")[0], emit(cast, status="active")[0]
    (elsewhere,) = emit(cast, obj=("link", 2))

    assert webhook_deliver(delivery_id=first.pk).outcome == "retrying"
    # The second event of link 1 waits for the first; another link's event does not.
    assert webhook_deliver(delivery_id=second.pk).outcome == "waiting"
    assert webhook_deliver(delivery_id=elsewhere.pk).outcome == "delivered"
    first.refresh_from_db()
    with time_machine.travel(first.next_attempt_at, tick=False):
        assert webhook_deliver(delivery_id=first.pk).outcome == "delivered"
        assert webhook_deliver(delivery_id=second.pk).outcome == "delivered"
    statuses = [json.loads(r.body)["data"].get("status") for r in receiver.received]
    assert statuses == ["awaiting_setup", None, "awaiting_setup", "active"]


def test_a_finished_delivery_publishes_the_next_one_of_its_object(
    cast, receiver, django_capture_on_commit_callbacks
):
    register(cast, receiver)
    first, second = emit(cast)[0], emit(cast)[0]
    assert webhook_deliver(delivery_id=second.pk).outcome == "waiting"
    with django_capture_on_commit_callbacks(execute=True):
        webhook_deliver(delivery_id=first.pk)
    # The memory broker of the tests received the task; running it sends the second one.
    from linking.webhooks.tasks import webhook_deliver_task

    webhook_deliver_task(second.pk)
    second.refresh_from_db()
    assert second.status == Status.DELIVERED


def test_redelivery_sends_the_same_event_again_now(cast, receiver):
    _endpoint, secret = register(cast, receiver)
    (delivery,) = emit(cast)
    webhook_deliver(delivery_id=delivery.pk)
    webhook_delivery_redeliver(actor=cast.admin, reseller=cast.reseller, delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "delivered"
    assert len(receiver.received) == 2
    first, again = receiver.received
    assert first.body == again.body and first.headers["webhook-id"] == again.headers["webhook-id"]
    Webhook(secret).verify(again.body, again.headers)
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_redelivery_to_a_disabled_endpoint_is_refused(cast, receiver):
    from portal.errors import PortalError

    endpoint, _ = register(cast, receiver)
    (delivery,) = emit(cast)
    webhook_endpoint_set_enabled(
        actor=cast.admin, reseller=cast.reseller, endpoint_id=endpoint.pk, enabled=False
    )
    with pytest.raises(PortalError) as refused:
        webhook_delivery_redeliver(
            actor=cast.admin, reseller=cast.reseller, delivery_id=delivery.pk
        )
    assert refused.value.code == "WHK-E001"
    # Nothing is sent to a disabled endpoint, and the sweep leaves its rows alone.
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "skipped"
    assert webhook_delivery_ids_due() == []
    assert receiver.received == []


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_admins_told(cast, receiver):
    endpoint, _ = register(cast, receiver)
    receiver.answer(*[(500,)] * 200)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        (delivery,) = emit(cast)
        waits = []
        while True:
            result = webhook_deliver(delivery_id=delivery.pk)
            if result.outcome != "retrying":
                break
            waits.append(result.retry_in)
            clock.shift(timedelta(seconds=result.retry_in))
        elapsed = timezone.now() - start
    assert result.outcome == "failed"
    # 30 s doubling up to an hour, then hourly, for three days.
    assert waits[:8] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert set(waits[8:-1]) == {3600} and 0 < waits[-1] <= 3600
    # The last attempt is made when the three days end.
    assert elapsed == timedelta(hours=72)
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert endpoint.disabled_reason.startswith("every delivery failed since")
    notice = Notification.objects.get(kind=Notification.Kind.WEBHOOK_DISABLED)
    assert notice.to_email == cast.admin.email
    notification_deliver(notification_id=notice.pk)
    assert endpoint.url in mail.outbox[-1].body
    assert "for 72 hours." in mail.outbox[-1].body
    assert mail.outbox[-1].subject == f"Webhook endpoint disabled: {endpoint.url}"
    event = AuditEvent.objects.filter(action="webhook_endpoint_changed").latest("id")
    assert event.actor is None and event.reason.startswith("disabled: every delivery failed")


def test_an_endpoint_with_a_success_in_the_window_is_not_disabled(cast, receiver):
    endpoint, _ = register(cast, receiver)
    receiver.answer(*[(500,)] * 200)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        (old,) = emit(cast)
        webhook_deliver(delivery_id=old.pk)
        clock.shift(timedelta(hours=48))
        receiver.plan.clear()
        (fresh,) = emit(cast, obj=("link", 2))
        assert webhook_deliver(delivery_id=fresh.pk).outcome == "delivered"
        receiver.answer(*[(500,)] * 200)
        clock.shift(timedelta(hours=30))
        assert webhook_deliver(delivery_id=old.pk).outcome == "failed"
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is not None


def test_enabling_an_endpoint_again_restarts_its_failure_clock(cast, receiver):
    endpoint, _ = register(cast, receiver)
    receiver.answer((500,))
    (delivery,) = emit(cast)
    webhook_deliver(delivery_id=delivery.pk)
    webhook_endpoint_set_enabled(
        actor=cast.admin, reseller=cast.reseller, endpoint_id=endpoint.pk, enabled=False
    )
    webhook_endpoint_set_enabled(
        actor=cast.admin, reseller=cast.reseller, endpoint_id=endpoint.pk, enabled=True
    )
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None and endpoint.disabled_reason == ""
    assert WebhookEndpoint.history.filter(id=endpoint.pk).count() == 3


def test_the_sweep_publishes_what_was_never_sent_and_what_a_dead_worker_held(cast, receiver):
    from linking.webhooks.tasks import webhook_sweep_task

    register(cast, receiver)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        unpublished, held = emit(cast)[0], emit(cast, obj=("link", 2))[0]
        # A worker claimed the second one and died before it recorded anything.
        WebhookDelivery.objects.filter(pk=held.pk).update(status="sending", claimed_at=start)
        assert webhook_delivery_ids_due() == []  # a fresh row, a live claim: left alone
        assert webhook_deliver(delivery_id=held.pk).outcome == "skipped"
        clock.shift(timedelta(minutes=5))
        assert webhook_delivery_ids_due() == [unpublished.pk, held.pk]
        assert webhook_sweep_task() == 2
        assert webhook_deliver(delivery_id=held.pk).outcome == "delivered"
        assert webhook_deliver(delivery_id=unpublished.pk).outcome == "delivered"
    held.refresh_from_db()
    assert held.attempts == 1 and len(receiver.received) == 2


@pytest.mark.parametrize("template", ["webhook-disabled-body.txt", "webhook-disabled-body.html"])
def test_a_window_of_one_hour_is_written_in_the_singular(template):
    context = {"endpoint_url": "https://crm.example.com/hook", "reseller_name": "Northwind"}
    text = render_to_string(f"emails/{template}", {**context, "hours": 1, "since": "today"})
    assert "for 1 hour." in text and "1 hours" not in text
