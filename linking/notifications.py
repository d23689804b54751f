"""Delivery of the outbox: claim a row, render its e-mail, send it over SMTP, mark it sent."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from linking.models import LinkRequest, Notification, Service
from portal.emails import absolute_url, build_message

logger = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=10)
UNPUBLISHED_AFTER = timedelta(minutes=1)


class TemporaryDeliveryError(Exception):
    """The mail server or network failed in a way worth retrying."""


def _claim(notification_id: int) -> Notification | None:
    with transaction.atomic():
        qs = Notification.objects.select_for_update(skip_locked=True).filter(pk=notification_id)
        notification = qs.first()
        if notification is None:
            return None
        stale = timezone.now() - STALE_CLAIM
        if notification.status == Notification.Status.SENDING and (
            notification.claimed_at and notification.claimed_at > stale
        ):
            return None
        if notification.status not in (Notification.Status.QUEUED, Notification.Status.SENDING):
            return None
        notification.status = Notification.Status.SENDING
        notification.claimed_at = timezone.now()
        notification.attempts += 1
        notification._change_reason = f"delivery attempt {notification.attempts}"
        notification.save(update_fields=["status", "claimed_at", "attempts"])
        return notification


def _finish(notification: Notification, status: str, *, error: str = "", subject: str = ""):
    notification.status = status
    notification.last_error = error[:300]
    update = ["status", "last_error"]
    if subject:
        notification.subject = subject[:300]
        update.append("subject")
    if status == Notification.Status.SENT:
        notification.sent_at = timezone.now()
        update.append("sent_at")
    notification._change_reason = status if not error else f"{status}: {error[:200]}"
    notification.save(update_fields=update)


def _request_context(req: LinkRequest) -> dict:
    sensitive = set(Service.objects.filter(sensitive=True).values_list("code", flat=True))
    names = dict(Service.objects.values_list("code", "name"))
    items = []
    for item in req.items.all():
        items.append(
            {
                "type": item.get_link_type_display(),
                "link_type": item.link_type,
                "services": [
                    {"code": c, "name": names.get(c, c), "sensitive": c in sensitive}
                    for c in item.services
                ],
                "regions": item.regions,
                "access_level": item.get_access_level_display() if item.access_level else "",
                "duration_days": item.duration_days,
                "decision": item.get_decision_display(),
                "decline_reason": item.decline_reason,
            }
        )
    return {
        "req": req,
        "reference": req.reference,
        "reseller": req.reseller,
        "customer": req.customer,
        "items": items,
        "request_url": absolute_url(reverse("linking:request-detail", args=[req.pk])),
    }


def _build(notification: Notification):
    """The message of a notification, or None if there is nothing to send any more."""
    from linking import services

    req = notification.request
    context = dict(notification.context)
    if req is not None:
        context.update(_request_context(req))
    kind = notification.kind
    if kind == Notification.Kind.CONSENT_REQUEST:
        token = services.consent_issue_token(request_id=req.pk)
        if token is None:
            return None
        context["consent_url"] = absolute_url(reverse("consent:page", args=[token]))
        context["deadline"] = req.consent_deadline
    if notification.link_id:
        context["link"] = notification.link
        context["link_url"] = absolute_url(
            reverse("linking:link-detail", args=[notification.link_id])
        )
    return build_message(kind.replace("_", "-"), notification.to_email, context)


def notification_deliver(*, notification_id: int) -> str:
    """Claim, render and send one notification. Safe to run twice: one claim, one message."""
    notification = _claim(notification_id)
    if notification is None:
        return "skipped"
    try:
        with transaction.atomic():
            message = _build(notification)
            if message is None:
                _finish(notification, Notification.Status.FAILED, error="no longer needed")
                return "obsolete"
            message.send()
            _finish(notification, Notification.Status.SENT, subject=message.subject)
    except smtplib.SMTPRecipientsRefused as exc:
        # A 4xx at RCPT (greylisting, a full mailbox) is worth retrying; a 5xx is final.
        codes = sorted({code for code, _ in exc.recipients.values()})
        if codes and all(400 <= code < 500 for code in codes):
            _finish(notification, Notification.Status.QUEUED, error=f"temporary: {codes[0]}")
            raise TemporaryDeliveryError(str(codes[0])) from None
        _finish(notification, Notification.Status.FAILED, error=f"address refused: {exc}")
        return "failed"
    except smtplib.SMTPResponseException as exc:
        # A rejected login is the portal's configuration, not the recipient: keep it queued so
        # it goes out once the credentials are fixed.
        if 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError):
            _finish(notification, Notification.Status.FAILED, error=f"refused: {exc.smtp_code}")
            return "failed"
        _finish(notification, Notification.Status.QUEUED, error=f"temporary: {exc.smtp_code}")
        raise TemporaryDeliveryError(str(exc.smtp_code)) from None
    except (smtplib.SMTPException, OSError) as exc:
        _finish(notification, Notification.Status.QUEUED, error=f"temporary: {type(exc).__name__}")
        raise TemporaryDeliveryError(type(exc).__name__) from None
    logger.info("notification %s (%s) sent", notification.pk, notification.kind)
    return "sent"


def notification_ids_to_requeue() -> list[int]:
    now = timezone.now()
    queued = Notification.objects.filter(
        status=Notification.Status.QUEUED, created_at__lte=now - UNPUBLISHED_AFTER
    )
    stuck = Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lte=now - STALE_CLAIM
    )
    limit = getattr(settings, "PORTAL_SWEEP_BATCH", 500)
    return list(queued.values_list("pk", flat=True)[:limit]) + list(
        stuck.values_list("pk", flat=True)[:limit]
    )
