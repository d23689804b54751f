"""Webhooks: events of a reseller's requests, links and batches pushed to its own systems.

`webhook_emit` (services) writes one delivery row per subscribed endpoint in the transaction of
the change; a Celery task signs each row as the Standard Webhooks specification says and sends
it to the checked public address (`addresses`), retrying with backoff for up to three days.
The event types are listed in `events`.
"""
