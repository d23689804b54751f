"""Thin Celery wrappers of webhook delivery: ids in, one service, the retries scheduled."""

from __future__ import annotations

from celery import shared_task

from linking.webhooks import delivery
from portal.publish import publish_many_now

# A retry further away than this is left to the beat sweep: long countdowns would wait in a
# worker past the broker's visibility timeout and be handed out twice.
LONGEST_COUNTDOWN = 600


@shared_task(acks_late=True)
def webhook_deliver_task(delivery_id: int) -> str:
    """Send one webhook delivery; a second run for the same row sends nothing twice."""
    result = delivery.webhook_deliver(delivery_id=delivery_id)
    if result.retry_in is not None and result.retry_in <= LONGEST_COUNTDOWN:
        webhook_deliver_task.apply_async(args=(delivery_id,), countdown=result.retry_in)
    return result.outcome


@shared_task
def webhook_sweep_task() -> int:
    """Publish deliveries never published, due for a retry, or claimed by a dead worker."""
    ids = delivery.webhook_delivery_ids_due()
    return publish_many_now(webhook_deliver_task, [(pk,) for pk in ids])
