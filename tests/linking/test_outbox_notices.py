"""What the outbox tells people: permanent failures told to the initiator, and the notices of
reminders, expiry and the customer's decision."""

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from linking import services
from linking.consent.services import consent_resolve
from linking.models import LinkRequest, Notification
from linking.outbox.delivery import notification_deliver
from portal.errors import PortalError
from tests.conftest import consent_token_for, make_draft, submit
from tests.linking.outbox_helpers import Kind, Status, consent_notification, queue, refused

# --- permanent failures ----------------------------------------------------------------------


def test_refused_consent_email_fails_the_request_and_tells_the_initiator(
    cast, consent_request, smtp_fails, smtp_works, django_capture_on_commit_callbacks
):
    notification = consent_notification(consent_request)
    smtp_fails(refused(consent_request.consent_email))
    with django_capture_on_commit_callbacks(execute=False) as published:
        assert notification_deliver(notification_id=notification.pk) == "failed"
    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    consent_request.refresh_from_db()
    assert (consent_request.failure_stage, consent_request.failure_code) == ("consent", "LNK-C007")
    assert consent_request.consent_sent_at is None
    assert consent_request.waiting_on == "delivery"
    assert consent_request.history.first().history_change_reason == (
        f"consent e-mail to {consent_request.consent_email} refused by the mail server (LNK-C007)"
    )
    notice = Notification.objects.get(request=consent_request, kind=Kind.DELIVERY_FAILED)
    assert notice.to_email == cast.initiator.email
    assert notice.context["code"] == "LNK-C007"
    assert len(published) == 1  # the notice is published after commit

    smtp_works()
    assert notification_deliver(notification_id=notice.pk) == "sent"
    (message,) = mail.outbox
    assert message.to == [cast.initiator.email]
    assert consent_request.reference in message.subject
    assert consent_request.consent_email in message.body
    assert "LNK-C007" in message.body
    assert "was refused by the receiving mail server" in message.body
    assert "resend the consent e-mail from the request page" in message.body
    assert f"/requests/{consent_request.pk}/" in message.body
    html = message.alternatives[0][0]
    assert f"/requests/{consent_request.pk}/" in html and "LNK-C007" in html


def test_a_permanent_5xx_on_a_reminder_fails_the_request_the_same_way(consent_request, smtp_fails):
    reminder = queue(Kind.CONSENT_REMINDER, consent_request.consent_email, consent_request)
    smtp_fails(smtplib.SMTPResponseException(554, b"transaction failed"))
    assert notification_deliver(notification_id=reminder.pk) == "failed"
    consent_request.refresh_from_db()
    assert consent_request.failure_code == "LNK-C007"
    assert Notification.objects.filter(kind=Kind.DELIVERY_FAILED).count() == 1


def test_a_failed_delivery_failed_notice_queues_no_other_notice(cast, consent_request, smtp_fails):
    notice = queue(Kind.DELIVERY_FAILED, cast.admin.email, consent_request, failed_kind="x")
    smtp_fails(refused(cast.admin.email))
    assert notification_deliver(notification_id=notice.pk) == "failed"
    assert Notification.objects.filter(kind=Kind.DELIVERY_FAILED).count() == 1
    consent_request.refresh_from_db()
    assert consent_request.failure_code == ""


def test_a_refused_notice_to_the_initiator_is_not_reported_to_the_same_address(
    cast, consent_request, smtp_fails
):
    notice = queue(Kind.REQUEST_REJECTED, cast.initiator.email, consent_request)
    smtp_fails(refused(cast.initiator.email))
    assert notification_deliver(notification_id=notice.pk) == "failed"
    assert not Notification.objects.filter(kind=Kind.DELIVERY_FAILED).exists()


def test_a_refused_consent_email_of_a_cancelled_request_is_not_reported(
    cast, consent_request, smtp_fails
):
    notification = consent_notification(consent_request)
    services.link_request_cancel(actor=cast.initiator, request_id=consent_request.pk)
    smtp_fails(refused(consent_request.consent_email))
    assert notification_deliver(notification_id=notification.pk) == "obsolete"
    assert not Notification.objects.filter(kind=Kind.DELIVERY_FAILED).exists()


def test_delivered_consent_email_sets_consent_sent_at_and_clears_the_refusal(
    consent_request, smtp_fails, smtp_works
):
    smtp_fails(refused(consent_request.consent_email))
    notification_deliver(notification_id=consent_notification(consent_request).pk)
    smtp_works()
    resend = queue(Kind.CONSENT_REQUEST, consent_request.consent_email, consent_request)
    assert notification_deliver(notification_id=resend.pk) == "sent"
    consent_request.refresh_from_db()
    assert consent_request.consent_sent_at is not None
    assert consent_request.failure_code == ""
    assert consent_request.waiting_on == "customer"
    reasons = [h.history_change_reason for h in consent_request.history.all()]
    assert "consent e-mail delivered" in reasons


# --- the new notices -------------------------------------------------------------------------


def test_consent_reminder_rotates_the_token_and_says_the_old_link_is_gone(consent_request):
    old = consent_token_for(consent_request)
    reminder = queue(
        Kind.CONSENT_REMINDER, consent_request.consent_email, consent_request, number=1, total=2
    )
    assert notification_deliver(notification_id=reminder.pk) == "sent"
    message = mail.outbox[-1]
    assert message.subject.startswith("Reminder:")
    assert "reminder (1 of 2)" in message.body
    assert "replaces the one in earlier e-mails" in message.body
    consent_request.refresh_from_db()
    assert consent_request.consent_deadline.strftime("%Y-%m-%d") in message.body
    start = message.body.index("/consent/") + len("/consent/")
    new = message.body[start:].split("/", 1)[0]
    assert new != old
    assert consent_resolve(new) == consent_request
    with pytest.raises(PortalError) as excinfo:
        consent_resolve(old)
    assert excinfo.value.code == "LNK-C003"


def test_approval_reminder_says_how_long_it_has_waited(cast, django_capture_on_commit_callbacks):
    from tests.linking.test_whose_move import BILLING

    with django_capture_on_commit_callbacks(execute=False):
        req = submit(cast, make_draft(cast, specs=BILLING))
    reminder = queue(Kind.APPROVAL_REMINDER, cast.approver.email, req)
    with time_machine.travel(req.submitted_at + timedelta(hours=26, minutes=5)):
        assert notification_deliver(notification_id=reminder.pk) == "sent"
    (message,) = mail.outbox
    assert message.to == [cast.approver.email]
    assert f"{req.reference} has waited 26 hours for your approval" in message.body
    assert f"/requests/{req.pk}/" in message.body
    assert "26 hours" in message.subject


def test_approval_reminder_of_a_decided_request_is_not_sent(
    cast, django_capture_on_commit_callbacks
):
    from tests.linking.test_whose_move import BILLING

    with django_capture_on_commit_callbacks(execute=False):
        req = submit(cast, make_draft(cast, specs=BILLING))
        services.link_request_reject(actor=cast.approver, request_id=req.pk, reason="no")
    reminder = queue(Kind.APPROVAL_REMINDER, cast.approver.email, req)
    assert notification_deliver(notification_id=reminder.pk) == "obsolete"


def test_request_expired_notice_says_what_expired_and_what_to_do(cast, consent_request):
    LinkRequest.objects.filter(pk=consent_request.pk).update(status="expired")
    notice = queue(Kind.REQUEST_EXPIRED, cast.initiator.email, consent_request, stage="consent")
    assert notification_deliver(notification_id=notice.pk) == "sent"
    (message,) = mail.outbox
    assert consent_request.reference in message.subject
    assert "the customer did not decide before the consent deadline" in message.body
    assert "start a new request" in message.body
    assert "/requests/" in message.body and f"/requests/{consent_request.pk}/" in message.body


def test_customer_decline_tells_the_initiator_the_reason(cast, consent_request):
    token = consent_token_for(consent_request)
    item = consent_request.items.get()
    services.consent_decide(token=token, decisions={item.pk: (False, "We use another partner")})
    notice = Notification.objects.get(request=consent_request, kind=Kind.CUSTOMER_DECIDED)
    assert notification_deliver(notification_id=notice.pk) == "sent"
    message = mail.outbox[-1]
    assert message.to == [cast.initiator.email]
    assert "declined" in message.subject
    assert "We use another partner" in message.body
    assert "We use another partner" in message.alternatives[0][0]
