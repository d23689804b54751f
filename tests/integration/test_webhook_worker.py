"""A real Celery worker on Redis delivers the webhook a request's submission owes, retrying
after the receiver's error, and the receiver verifies it with the Standard Webhooks library."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from linking.webhooks.models import WebhookDelivery
from tests.conftest import make_draft, submit
from tests.integration.servers import wait_for
from tests.webhooks.conftest import receiver, register  # noqa: F401 (the receiver fixture)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_delivers_a_submitted_request_after_one_failed_try(
    cast,
    receiver,  # noqa: F811 (the fixture imported above)
    celery_worker_redis,
    settings,
):
    settings.PORTAL_WEBHOOK_RETRY_SECONDS = 1
    _endpoint, secret = register(cast, receiver, events=["request.submitted"])
    receiver.answer((500,))

    # The commit of the submission publishes the delivery task to Redis.
    req = submit(cast, make_draft(cast))

    delivered = wait_for(
        lambda: WebhookDelivery.objects.filter(status="delivered").first(),
        what="the worker to deliver the webhook",
    )
    assert delivered.attempts == 2 and len(receiver.received) == 2
    event = Webhook(secret).verify(receiver.received[-1].body, receiver.received[-1].headers)
    assert event["type"] == "request.submitted"
    assert event["data"]["reference"] == req.reference
    assert json.loads(receiver.received[0].body) == event
