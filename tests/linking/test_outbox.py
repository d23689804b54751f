"""The outbox's delivery: retrying with a backoff, the sweep, dead claims, e-mails sent again after
a crash keeping their links, re-queuing and the `outbox` command."""

import re
import smtplib
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from linking import services
from linking.consent.services import consent_resolve
from linking.models import Link, Notification
from linking.outbox.delivery import (
    TemporaryDeliveryError,
    claim_timeout,
    notification_deliver,
    notification_ids_to_requeue,
    notification_requeue,
    retry_delay,
)
from linking.services.revocation import link_withdrawal_resolve
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, consent_token_for
from tests.fresh_settings import fresh_settings
from tests.journeys import activate
from tests.linking.outbox_helpers import Kind, Status, consent_notification, queue, refused

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

# --- temporary failures: retrying, the sweep, then sent once ---------------------------------


def test_retry_delay_doubles_from_30_seconds_up_to_10_minutes():
    assert [retry_delay(n) for n in (1, 2, 3, 4, 5, 6, 7, 12)] == [
        30,
        60,
        120,
        240,
        480,
        600,
        600,
        600,
    ]


def test_temporary_failure_retries_when_due_and_is_sent_once(
    consent_request, smtp_fails, smtp_works
):
    notification = consent_notification(consent_request)
    smtp_fails(smtplib.SMTPResponseException(421, b"service not available"))
    start = timezone.now()
    with time_machine.travel(start, tick=False), pytest.raises(TemporaryDeliveryError) as excinfo:
        notification_deliver(notification_id=notification.pk)
    assert excinfo.value.retry_in == 30
    notification.refresh_from_db()
    assert notification.status == Status.RETRYING
    assert notification.next_attempt_at == start + timedelta(seconds=30)
    assert notification.history.first().history_change_reason == "retrying in 30 s: temporary: 421"

    with time_machine.travel(start + timedelta(seconds=29), tick=False):
        assert notification_ids_to_requeue() == []
    smtp_works()
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        assert notification_ids_to_requeue() == [notification.pk]
        assert notification_deliver(notification_id=notification.pk) == "sent"
        assert notification_deliver(notification_id=notification.pk) == "skipped"
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.SENT, 2)
    assert notification.next_attempt_at is None


def test_second_temporary_failure_waits_twice_as_long(consent_request, smtp_fails):
    notification = consent_notification(consent_request)
    smtp_fails(ConnectionRefusedError(111, "Connection refused"))
    start = timezone.now()
    with time_machine.travel(start, tick=False), pytest.raises(TemporaryDeliveryError):
        notification_deliver(notification_id=notification.pk)
    later = start + timedelta(seconds=30)
    with time_machine.travel(later, tick=False), pytest.raises(TemporaryDeliveryError) as excinfo:
        notification_deliver(notification_id=notification.pk)
    assert excinfo.value.retry_in == 60
    notification.refresh_from_db()
    assert notification.next_attempt_at == later + timedelta(seconds=60)
    assert notification.attempts == 2


def test_a_retry_that_comes_too_early_sends_nothing(consent_request, smtp_fails, smtp_works):
    notification = consent_notification(consent_request)
    smtp_fails(OSError("network unreachable"))
    with pytest.raises(TemporaryDeliveryError):
        notification_deliver(notification_id=notification.pk)
    smtp_works()
    assert notification_deliver(notification_id=notification.pk) == "skipped"
    assert mail.outbox == []


def test_a_dead_claim_older_than_the_setting_is_delivered_again(consent_request, settings):
    settings.PORTAL_OUTBOX_CLAIM_SECONDS = 120
    notification = consent_notification(consent_request)
    claimed = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.SENDING, claimed_at=claimed, attempts=1
    )
    with time_machine.travel(claimed + timedelta(seconds=119), tick=False):
        assert notification_ids_to_requeue() == []
        assert notification_deliver(notification_id=notification.pk) == "skipped"
    with time_machine.travel(claimed + timedelta(seconds=121), tick=False):
        assert notification_ids_to_requeue() == [notification.pk]
        assert notification_deliver(notification_id=notification.pk) == "sent"
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.attempts == 2
    reasons = [h.history_change_reason for h in notification.history.all()]
    assert "delivery attempt 2 (the previous claim expired with its worker)" in reasons


class Crash(Exception):
    pass


def deliver_then_crash(notification: Notification) -> None:
    """Deliver the row, then lose everything the delivery wrote, as a worker killed between the
    mail server's answer and its commit does: the e-mail is out, the database never heard of
    it, and the row stays claimed by the dead worker."""
    with pytest.raises(Crash), transaction.atomic():  # noqa: PT012 (the crash ends the delivery's transaction)
        assert notification_deliver(notification_id=notification.pk) == "sent"
        raise Crash
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.SENDING, claimed_at=timezone.now(), attempts=1
    )


def links_in(message, path: str) -> list[str]:
    return re.findall(rf"https?://[^\s\"'<>]+/consent/{path}[^\s\"'<>/]+/", message.body)


def test_a_consent_email_sent_again_after_a_crash_keeps_the_first_copys_link(consent_request):
    notification = consent_notification(consent_request)
    deliver_then_crash(notification)
    later = timezone.now() + claim_timeout() + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert notification_ids_to_requeue() == [notification.pk]
        assert notification_deliver(notification_id=notification.pk) == "sent"
    first, second = mail.outbox
    assert links_in(first, "") == links_in(second, "")
    token = links_in(first, "")[0].rstrip("/").rsplit("/", 1)[1]
    assert consent_resolve(token) == consent_request


def test_a_reminder_still_carries_a_new_link_and_the_old_one_dies(consent_request):
    first = consent_token_for(consent_request)
    again = consent_token_for(consent_request)  # the same row delivered once more
    assert again == first
    queue(Kind.CONSENT_REMINDER, consent_request.consent_email, consent_request)
    reminder = consent_token_for_kind(consent_request, Kind.CONSENT_REMINDER)
    assert reminder != first
    with pytest.raises(PortalError):
        consent_resolve(first)
    assert consent_resolve(reminder) == consent_request


def consent_token_for_kind(req, kind) -> str:
    notification = Notification.objects.filter(request=req, kind=kind).latest("id")
    notification_deliver(notification_id=notification.pk)
    return links_in(mail.outbox[-1], "")[0].rstrip("/").rsplit("/", 1)[1]


def test_a_receipt_sent_again_after_a_crash_keeps_the_first_copys_withdrawal_links(
    cast, consent_request
):
    token = consent_token_for(consent_request)
    decisions = {item.pk: (True, "") for item in consent_request.items.all()}
    services.consent_decide(
        token=token, decisions=decisions, ip_address="198.51.100.7", user_agent="pytest"
    )
    for link in Link.objects.filter(source_item__request=consent_request):
        activate(cast, link.pk)
    receipt = Notification.objects.get(request=consent_request, kind=Kind.CONSENT_RECEIPT)
    mail.outbox.clear()
    deliver_then_crash(receipt)
    with time_machine.travel(timezone.now() + claim_timeout() * 2, tick=False):
        assert notification_deliver(notification_id=receipt.pk) == "sent"
    first, second = mail.outbox
    withdraw = links_in(first, "withdraw/")
    assert withdraw and withdraw == links_in(second, "withdraw/")
    token = withdraw[0].rstrip("/").rsplit("/", 1)[1]
    assert link_withdrawal_resolve(token).source_item.request_id == consent_request.pk


def test_the_delivery_task_retries_with_the_rows_countdown(consent_request, smtp_fails):
    from celery.exceptions import Retry

    from linking.tasks import notification_deliver_task

    notification = consent_notification(consent_request)
    smtp_fails(smtplib.SMTPServerDisconnected("gone"))
    with pytest.raises(Retry) as excinfo:
        notification_deliver_task.apply(args=[notification.pk], throw=True)
    assert excinfo.value.when == 30


# --- re-queue and the command ----------------------------------------------------------------


def _failed(req, smtp_fails) -> Notification:
    notification = consent_notification(req)
    smtp_fails(refused(req.consent_email))
    notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    return notification


def test_requeue_puts_failed_rows_back_keeping_their_attempts(
    cast, consent_request, smtp_fails, django_capture_on_commit_callbacks
):
    failed = _failed(consent_request, smtp_fails)
    with django_capture_on_commit_callbacks(execute=False) as published:
        assert notification_requeue(actor=cast.staff, notification_ids=[failed.pk]) == [failed.pk]
        assert notification_requeue(actor=cast.staff, notification_ids=[failed.pk]) == []
    assert len(published) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.QUEUED, 1)
    latest = failed.history.first()
    assert latest.history_change_reason == f"requeued by {cast.staff.email}"
    assert latest.history_user == cast.staff


def test_outbox_command_lists_counts_and_undelivered_rows(consent_request, smtp_fails):
    failed = _failed(consent_request, smtp_fails)
    out = StringIO()
    call_command("outbox", stdout=out)
    text = out.getvalue()
    assert "queued 1" in text  # the DELIVERY_FAILED notice
    assert "failed 1" in text
    assert f"{failed.pk}  failed    consent_request" in text
    assert "address refused" in text
    assert (
        text.strip()
        .splitlines()[-1]
        .startswith("outbox: 1 queued, 0 sending (0 stuck), 0 retrying, 1 failed (2 undelivered)")
    )

    out = StringIO()
    call_command("outbox", "--status", "sent", stdout=out)
    assert "consent_request" not in out.getvalue()


def test_outbox_command_counts_and_lists_deliveries_stuck_in_sending(consent_request):
    notification = consent_notification(consent_request)
    deliver_then_crash(notification)
    with time_machine.travel(timezone.now() + claim_timeout() + timedelta(seconds=1)):
        out = StringIO()
        call_command("outbox", stdout=out)
    text = out.getvalue()
    assert f"{notification.pk}  sending   consent_request" in text
    assert (
        text.strip()
        .splitlines()[-1]
        .startswith("outbox: 0 queued, 1 sending (1 stuck), 0 retrying, 0 failed (1 undelivered)")
    )


def test_a_dead_workers_email_is_sent_again_within_a_few_minutes_by_default():
    values = fresh_settings(PORTAL_OUTBOX_CLAIM_SECONDS=None)
    claim = values["PORTAL_OUTBOX_CLAIM_SECONDS"]
    sweep = values["CELERY_BEAT_SCHEDULE"]["outbox-sweep"]["schedule"]
    # A delivery still running is never taken for dead: the worker kills it first.
    assert claim > values["CELERY_TASK_TIME_LIMIT"]
    assert claim + sweep <= 180


def test_outbox_command_requeues_failed_rows_once(consent_request, smtp_fails):
    failed = _failed(consent_request, smtp_fails)
    out = StringIO()
    call_command("outbox", "--requeue-failed", stdout=out)
    assert out.getvalue().strip().splitlines()[-1].endswith(f"re-queued 1 ({failed.pk})")
    failed.refresh_from_db()
    assert failed.status == Status.QUEUED
    assert failed.history.first().history_change_reason.startswith("requeued by the outbox command")
    out = StringIO()
    call_command("outbox", "--requeue-failed", "--requeue", str(failed.pk), stdout=out)
    assert out.getvalue().strip().endswith("re-queued 0")


def test_outbox_command_help_says_when_to_run_it():
    from linking.management.commands.outbox import Command

    assert "Run it when e-mails seem not to arrive" in Command.help
