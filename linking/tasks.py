"""Thin Celery wrappers: ids in, re-fetch, call one service, own the retries."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.db import OperationalError

from linking import services
from linking.batches.services import batch_run
from linking.outbox import delivery
from linking.selectors.links import link_ids_waiting_for_activation
from linking.services.cleanup import link_cleanup_check, link_cleanup_claim_due
from linking.services.drift import link_reverify_claim_due
from linking.services.reminders import (
    link_request_ids_due_approver_reminder,
    link_request_ids_due_customer_reminder,
)
from linking.services.verification import link_setup_claim_due, link_verify_retry_in
from portal.publish import publish_many_now

TEMPORARY = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, OSError)


# The countdown comes from the row's next_attempt_at (30 s doubling, at most 600 s): far below
# the Redis visibility timeout, so a retry waiting in a worker is never handed out twice. After
# max_retries the beat sweep keeps retrying rows whose next_attempt_at has passed.
@shared_task(bind=True, max_retries=8)
def notification_deliver_task(self, notification_id: int) -> str:
    """Deliver one queued notification; a second run for the same row sends nothing."""
    try:
        return delivery.notification_deliver(notification_id=notification_id)
    except delivery.TemporaryDeliveryError as exc:
        raise self.retry(exc=exc, countdown=exc.retry_in) from None


@shared_task
def notification_sweep_task() -> int:
    """Re-queue notifications that were never published or whose worker died mid-delivery."""
    ids = delivery.notification_ids_to_requeue()
    # With the broker failing, the first failure ends the run; the next run tries again.
    return publish_many_now(notification_deliver_task, [(pk,) for pk in ids])


# link_activate locks the link and rewrites the customer's guardian rows: a deadlock with another
# activation or revocation of the same customer, a lock wait cut short or a dropped database
# connection fails one run, and the same run a moment later succeeds (30 s doubling with jitter,
# at most 600 s). Any other error would fail again the same way; the beat sweep picks up what
# is still waiting.
@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def link_activate_task(link_id: int) -> None:
    """Activate a link: apply its guardian grants and mark it active."""
    services.link_activate(link_id=link_id)


@shared_task
def link_activate_sweep_task() -> int:
    """Activate links still waiting, in case their task was lost with the broker."""
    ids = link_ids_waiting_for_activation()
    for link_id in ids:
        services.link_activate(link_id=link_id)
    return len(ids)


# Grants may take a moment to propagate: a failed automatic run schedules the next attempt
# (30 s doubling, at most 600 s, below the Redis visibility timeout) until PORTAL_VERIFY_ATTEMPTS.
@shared_task
def link_verify_task(
    link_id: int, trigger: str = "activation", attempt: int = 1, actor_id: int | None = None
) -> str:
    """Run a link's verification checklist; re-schedule itself while a failed run may retry."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    run = services.link_verify(link_id=link_id, trigger=trigger, actor=actor, attempt=attempt)
    if run is None:
        return "skipped"
    countdown = link_verify_retry_in(run)
    if countdown is not None:
        link_verify_task.apply_async(
            kwargs={"link_id": link_id, "trigger": "retry", "attempt": attempt + 1},
            countdown=countdown,
        )
    return run.outcome


@shared_task
def link_setup_check_task(link_id: int, trigger: str = "setup") -> str:
    """Check in the cloud whether the customer's setup of a link is done; active when it is."""
    run = services.link_verify(link_id=link_id, trigger=trigger)
    return "skipped" if run is None else run.outcome


@shared_task
def link_setup_sweep_task() -> int:
    """Ask for the setup checks that are due (1, 2, 5, 10, 30 minutes, then hourly, and once
    more when the window ends); a check the broker lost is asked again after its lease."""
    ids = link_setup_claim_due()
    return publish_many_now(link_setup_check_task, [(pk,) for pk in ids])


@shared_task
def link_cleanup_check_task(link_id: int) -> str:
    """Check in the cloud whether an ended link's agency (or association) is gone."""
    run = link_cleanup_check(link_id=link_id)
    return "skipped" if run is None else run.outcome


@shared_task
def link_cleanup_sweep_task() -> int:
    """Ask for the clean-up checks that are due (1, 5, 15, 60 minutes, then every six hours,
    once more when the window ends, then daily while still reachable); a bounded batch."""
    ids = link_cleanup_claim_due()
    return publish_many_now(link_cleanup_check_task, [(pk,) for pk in ids])


@shared_task
def link_reverify_task(link_id: int) -> str:
    """Re-verify an active (or broken) link in the cloud on its schedule (drift)."""
    run = services.link_verify(link_id=link_id, trigger="schedule")
    return "skipped" if run is None else run.outcome


@shared_task
def link_reverify_sweep_task() -> int:
    """Ask for the re-verifications that are due, a bounded batch per run; a run the broker
    lost is asked again after its lease."""
    ids = link_reverify_claim_due()
    return publish_many_now(link_reverify_task, [(pk,) for pk in ids])


@shared_task
def link_scope_read_task(link_id: int) -> str:
    """Read in the cloud what a live link reaches (through its own agency, or the partner
    APIs for billing) and store it for the customer page."""
    from linking.services.scope import link_scope_read

    snapshots = link_scope_read(link_id=link_id)
    return "skipped" if snapshots is None else f"{len(snapshots)} blocks"


@shared_task
def link_scope_sweep_task() -> int:
    """Ask for the scope reads that are due, a bounded batch per run; a read the broker lost
    is asked again after its lease."""
    from linking.services.scope import link_scope_claim_due

    ids = link_scope_claim_due()
    return publish_many_now(link_scope_read_task, [(pk,) for pk in ids])


@shared_task
def link_expire_sweep_task() -> int:
    """Expire time-bound links whose end date has passed (reads treat them as expired already)."""
    return services.link_expire_due()


@shared_task
def link_expiry_remind_sweep_task() -> int:
    """Remind resellers and customers of links ending in 30, 7 and 1 days; each stage once."""
    return services.link_expiry_remind_due()


@shared_task
def link_request_expire_sweep_task() -> int:
    """Expire requests whose deadline has passed (reads treat them as expired already)."""
    return services.link_request_expire_overdue()


@shared_task
def reminder_sweep_task() -> int:
    """Send the reminders that are due: to customers before the deadline, to waiting approvers."""
    count = 0
    for request_id in link_request_ids_due_customer_reminder():
        if services.link_request_remind_customer(request_id=request_id):
            count += 1
    for request_id in link_request_ids_due_approver_reminder():
        if services.link_request_remind_approvers(request_id=request_id):
            count += 1
    return count


@shared_task(acks_late=True)
def batch_run_task(batch_id: int) -> str:
    """Run a confirmed batch's pending rows; a second delivery finds nothing left to do."""
    batch = batch_run(batch_id=batch_id)
    if batch is None:
        return "skipped"
    return f"{batch.created_count} created, {batch.failed_count} failed"


@shared_task
def idempotency_purge_task() -> int:
    """Delete the API's idempotency records older than a day (their keys are free again)."""
    from linking.api.idempotency import idempotency_purge

    return idempotency_purge()


@shared_task
def session_cleanup_task() -> int:
    """Delete expired and idle sign-in sessions (accounts.sessions)."""
    from accounts.sessions import session_cleanup

    return session_cleanup()


# Registered with the worker through this module (Celery discovers `linking.tasks`).
from linking.cloud.tasks import cloud_connection_test_task  # noqa: E402,F401
from linking.webhooks.tasks import webhook_deliver_task, webhook_sweep_task  # noqa: E402,F401
