"""The outbox tests' mail server that fails on demand and their notification rows (the fixtures
that switch the mail server are in conftest.py)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend

from linking.models import Notification
from linking.services._common import _notify

Kind = Notification.Kind
Status = Notification.Status


class FailingBackend(BaseEmailBackend):
    """A mail server answering every message with `error`; real SMTP is tested elsewhere."""

    error: Exception = OSError("connection refused")

    def send_messages(self, email_messages):
        raise self.error


def consent_notification(req) -> Notification:
    return Notification.objects.filter(request=req, kind=Kind.CONSENT_REQUEST).latest("id")


def refused(address: str) -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused({address: (550, b"5.1.1 no such user")})


def queue(kind, to, req, **context) -> Notification:
    return _notify(kind, to, request=req, **context)
