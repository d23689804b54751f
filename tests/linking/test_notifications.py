import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from linking import services
from linking.checks import ItemSpec
from linking.consent.services import consent_resolve
from linking.models import Notification
from linking.outbox.delivery import (
    TemporaryDeliveryError,
    notification_deliver,
    notification_ids_to_requeue,
)
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, consent_token_for, make_draft, submit
from tests.linking.outbox_helpers import consent_notification

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Kind = Notification.Kind
Sent = Notification.Status


def queue_resend(req) -> Notification:
    return Notification.objects.create(
        kind=Kind.CONSENT_REQUEST, to_email=req.consent_email, request=req
    )


def test_consent_email_goes_to_the_customer_with_a_consent_link(cast, consent_request):
    notification = consent_notification(consent_request)
    assert notification_deliver(notification_id=notification.pk) == "sent"
    (message,) = mail.outbox
    assert message.to == [cast.customer.contact_email]
    assert "/consent/" in message.body
    notification.refresh_from_db()
    assert notification.status == Sent.SENT
    assert notification.attempts == 1
    assert notification.sent_at is not None
    assert notification.subject == message.subject
    assert notification.history.first().history_change_reason == "sent"


def test_consent_link_in_the_email_opens_the_request(consent_request):
    token = consent_token_for(consent_request)
    assert consent_resolve(token) == consent_request


def test_a_second_delivery_of_the_same_row_sends_nothing(consent_request):
    notification = consent_notification(consent_request)
    notification_deliver(notification_id=notification.pk)
    assert notification_deliver(notification_id=notification.pk) == "skipped"
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_a_fresh_claim_by_another_worker_is_left_alone(consent_request):
    notification = consent_notification(consent_request)
    Notification.objects.filter(pk=notification.pk).update(
        status=Sent.SENDING, claimed_at=timezone.now()
    )
    assert notification_deliver(notification_id=notification.pk) == "skipped"
    assert mail.outbox == []


def test_a_stale_claim_is_taken_over_and_sent(consent_request):
    notification = consent_notification(consent_request)
    Notification.objects.filter(pk=notification.pk).update(
        status=Sent.SENDING, claimed_at=timezone.now() - timedelta(minutes=11), attempts=1
    )
    assert notification_deliver(notification_id=notification.pk) == "sent"
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Sent.SENT, 2)


def test_a_missing_row_is_skipped(db):
    assert notification_deliver(notification_id=987654) == "skipped"


def test_approval_email_goes_to_each_approver(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        req = submit(cast, make_draft(cast, specs=[ItemSpec(link_type="billing")]))
    for notification in Notification.objects.filter(request=req):
        assert notification.kind == Kind.APPROVAL_NEEDED
        assert notification_deliver(notification_id=notification.pk) == "sent"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast.admin.email, cast.approver.email])


def test_refused_recipient_marks_the_notification_failed(consent_request, smtp_fails):
    address = consent_request.consent_email
    smtp_fails(smtplib.SMTPRecipientsRefused({address: (550, b"no such user")}))
    notification = consent_notification(consent_request)
    assert notification_deliver(notification_id=notification.pk) == "failed"
    notification.refresh_from_db()
    assert notification.status == Sent.FAILED
    assert notification.last_error.startswith("address refused")


def test_greylisted_recipient_is_a_temporary_failure(consent_request, smtp_fails):
    address = consent_request.consent_email
    smtp_fails(smtplib.SMTPRecipientsRefused({address: (450, b"4.2.0 greylisted")}))
    notification = consent_notification(consent_request)
    with pytest.raises(TemporaryDeliveryError):
        notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == (Sent.RETRYING, "temporary: 450")


def test_sender_refused_is_classified_by_its_code(consent_request, smtp_fails):
    notification = consent_notification(consent_request)
    smtp_fails(smtplib.SMTPSenderRefused(451, b"local error", "no-reply@portal.localhost"))
    with pytest.raises(TemporaryDeliveryError):
        notification_deliver(notification_id=notification.pk)
    smtp_fails(smtplib.SMTPSenderRefused(553, b"sender rejected", "no-reply@portal.localhost"))
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert notification_deliver(notification_id=notification.pk) == "failed"
    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == (Sent.FAILED, "refused: 553")


def test_permanent_smtp_refusal_marks_the_notification_failed(consent_request, smtp_fails):
    smtp_fails(smtplib.SMTPResponseException(550, b"mailbox unavailable"))
    notification = consent_notification(consent_request)
    assert notification_deliver(notification_id=notification.pk) == "failed"
    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == (Sent.FAILED, "refused: 550")
    assert notification_deliver(notification_id=notification.pk) == "skipped"


def test_temporary_smtp_failure_leaves_the_notification_retrying(
    consent_request, smtp_fails, settings
):
    smtp_fails(smtplib.SMTPResponseException(451, b"try again later"))
    notification = consent_notification(consent_request)
    with pytest.raises(TemporaryDeliveryError) as excinfo:
        notification_deliver(notification_id=notification.pk)
    assert excinfo.value.retry_in == 30
    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == (Sent.RETRYING, "temporary: 451")
    assert notification.attempts == 1
    assert notification.next_attempt_at is not None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_deliver(notification_id=notification.pk) == "skipped"  # not due yet
    with time_machine.travel(notification.next_attempt_at, tick=False):
        assert notification_deliver(notification_id=notification.pk) == "sent"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Sent.SENT, 2)
    assert len(mail.outbox) == 1


def test_unreachable_mail_server_is_a_temporary_failure(consent_request, smtp_fails):
    smtp_fails(ConnectionRefusedError(111, "Connection refused"))
    notification = consent_notification(consent_request)
    with pytest.raises(TemporaryDeliveryError):
        notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == Sent.RETRYING
    assert notification.last_error == "temporary: ConnectionRefusedError"


def test_a_failed_resend_keeps_the_link_already_sent_working(consent_request, smtp_fails):
    token = consent_token_for(consent_request)
    smtp_fails(smtplib.SMTPResponseException(451, b"try again later"))
    with pytest.raises(TemporaryDeliveryError):
        notification_deliver(notification_id=queue_resend(consent_request).pk)
    assert consent_resolve(token) == consent_request


def test_resending_the_consent_email_rotates_the_token(consent_request):
    old = consent_token_for(consent_request)
    queue_resend(consent_request)
    new = consent_token_for(consent_request)
    assert new != old
    assert len(mail.outbox) == 2
    assert consent_resolve(new) == consent_request
    with pytest.raises(PortalError) as excinfo:
        consent_resolve(old)
    assert excinfo.value.code == "LNK-C003"


def test_consent_email_of_a_cancelled_request_is_not_sent(cast, consent_request):
    services.link_request_cancel(actor=cast.initiator, request_id=consent_request.pk)
    notification = consent_notification(consent_request)
    assert notification_deliver(notification_id=notification.pk) == "obsolete"
    assert mail.outbox == []
    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == (Sent.NOT_NEEDED, "no longer needed")
    consent_request.refresh_from_db()
    assert consent_request.consent_token_hash == ""


def test_consent_email_of_an_overdue_request_is_not_sent(consent_request):
    notification = consent_notification(consent_request)
    with time_machine.travel(consent_request.consent_deadline + timedelta(seconds=1)):
        assert notification_deliver(notification_id=notification.pk) == "obsolete"
    assert mail.outbox == []


def test_requeue_picks_rows_never_published_after_a_minute(consent_request):
    notification = consent_notification(consent_request)
    created = notification.created_at
    with time_machine.travel(created + timedelta(seconds=59), tick=False):
        assert notification_ids_to_requeue() == []
    with time_machine.travel(created + timedelta(minutes=1, seconds=1), tick=False):
        assert notification_ids_to_requeue() == [notification.pk]


def test_requeue_picks_stale_sending_claims_only(consent_request):
    notification = consent_notification(consent_request)
    claimed = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(status=Sent.SENDING, claimed_at=claimed)
    claim = timedelta(seconds=settings.PORTAL_OUTBOX_CLAIM_SECONDS)
    with time_machine.travel(claimed + claim - timedelta(seconds=1), tick=False):
        assert notification_ids_to_requeue() == []
    with time_machine.travel(claimed + claim + timedelta(seconds=1), tick=False):
        assert notification_ids_to_requeue() == [notification.pk]


def test_requeue_ignores_sent_and_failed_rows(consent_request):
    notification = consent_notification(consent_request)
    notification_deliver(notification_id=notification.pk)
    failed = queue_resend(consent_request)
    Notification.objects.filter(pk=failed.pk).update(status=Sent.FAILED)
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert notification_ids_to_requeue() == []
