"""The notification outbox: e-mails owed, written with the change, delivered by a worker."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote
from linking.models.links import Link
from linking.models.requests import LinkRequest
from portal.logconfig import current_request_id


class Notification(HistoryNote, models.Model):
    """One e-mail the portal owes someone: written with the change, delivered by a worker."""

    class Kind(models.TextChoices):
        CONSENT_REQUEST = "consent_request", "Consent request to the customer"
        CONSENT_RECEIPT = "consent_receipt", "Receipt to the customer"
        APPROVAL_NEEDED = "approval_needed", "Approval needed"
        REQUEST_REJECTED = "request_rejected", "Request rejected"
        CUSTOMER_DECIDED = "customer_decided", "Customer decided"
        LINK_ACTIVE = "link_active", "Link active"
        CONSENT_REMINDER = "consent_reminder", "Reminder to the customer"
        APPROVAL_REMINDER = "approval_reminder", "Reminder to the approvers"
        REQUEST_EXPIRED = "request_expired", "Request expired"
        DELIVERY_FAILED = "delivery_failed", "E-mail could not be delivered"
        LINK_REVOKED = "link_revoked", "Link revoked"
        LINK_EXPIRING = "link_expiring", "Link about to expire"
        LINK_EXPIRED = "link_expired", "Link expired"
        LINK_SUSPENDED = "link_suspended", "Link suspended"
        LINK_RESUMED = "link_resumed", "Link resumed"
        PARTNER_SUSPENDED = "partner_suspended", "Link suspended with the partner program"
        VERIFICATION_FAILED = "verification_failed", "Link failing verification"
        SETUP_EXPIRED = "setup_expired", "Setup not done in time"
        WEBHOOK_DISABLED = "webhook_disabled", "Webhook endpoint disabled"
        CLEANUP_OVERDUE = "cleanup_overdue", "Cloud side still reachable after the link ended"
        LINK_BROKEN = "link_broken", "Link broken: the cloud side is gone"
        LINK_OVER_PRIVILEGED = "link_over_privileged", "Link grants more than consented"
        BILLING_LOST = "billing_lost", "Billing association ended in the cloud"
        CUSTOMER_CODE = "customer_code", "Sign-in code to the customer"
        SETTINGS_CHANGED = "settings_changed", "Reseller settings changed"
        MEMBER_INVITATION = "member_invitation", "Invitation to join a reseller"
        MFA_RESET = "mfa_reset", "Second factors reset by an admin"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Retrying"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NOT_NEEDED = "not_needed", "Not needed any more"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    to_email = models.EmailField()
    request = models.ForeignKey(
        LinkRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    link = models.ForeignKey(
        Link, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The id of the request (or task) that wrote the row: the same id is in the log lines of the
    # page, of the delivery and of the cloud calls (portal.logconfig), so one search finds all.
    correlation_id = models.CharField(max_length=64, blank=True, default=current_request_id)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["queued", "sending", "retrying", "sent", "failed", "not_needed"]
                ),
                name="notification_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="notification_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.status})"

    @staticmethod
    def describe_error(error: str) -> str:
        """The `last_error` the delivery writes, in words a reseller understands."""
        if not error:
            return ""
        if error.startswith("address refused"):
            return (
                "The receiving mail server refused the address: it does not exist or does not "
                "accept mail."
            )
        if error.startswith("refused:"):
            code = error.removeprefix("refused:").strip()
            return f"The mail server refused the message for good (SMTP {code})."
        if error.startswith("temporary:"):
            detail = error.removeprefix("temporary:").strip()
            if detail.isdigit():
                return (
                    f"The mail server asked to try again later (SMTP {detail}); "
                    "retried automatically."
                )
            return "The mail server could not be reached; retried automatically."
        if error == "no longer needed":
            return "Not sent: the request had moved on (decided, cancelled or expired) first."
        return error

    @property
    def last_error_in_words(self) -> str:
        return self.describe_error(self.last_error)
