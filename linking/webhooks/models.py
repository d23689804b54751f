"""A reseller's webhook endpoints and the deliveries owed to them.

Registered in the `linking` app (imported at the end of `linking.models`). The signing secret is
stored only encrypted (`linking.cloud.encryption`), in a field simple-history does not track:
history rows and the audit trail say when it was set, never what it is. A delivery row is the
outbox of one event for one endpoint (written with the change, sent by a worker); its last
attempt's answer is an observation, so deliveries keep no history of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, Reseller

# Fields of the endpoint that are not history: the encrypted secret and the failure clock.
UNTRACKED_FIELDS = ["secret_encrypted", "failing_since"]
BODY_EXCERPT_CHARS = 500


class WebhookEndpoint(HistoryNote, models.Model):
    """An address of the reseller's systems that receives the events it subscribed to."""

    reseller = models.ForeignKey(
        Reseller, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    # Checked by `linking.webhooks.addresses`, not by a URL validator: see that module.
    url = models.CharField("address", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Event types of `linking.webhooks.events.EVENT_TYPES`.
    events = models.JSONField(default=list)
    # Fernet token of the `whsec_…` secret; shown once when made, never logged or tracked.
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(
        "secret", max_length=8, help_text="Its last four characters, to tell secrets apart."
    )
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # The first failed delivery since the last success; cleared by a success.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=UNTRACKED_FIELDS)
    save_without_historical_record: Callable[..., None]

    class Meta:
        app_label = "linking"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["reseller", "enabled"], name="webhookendpoint_reseller"),
        ]

    def __str__(self) -> str:
        return f"Webhook {self.url}"

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in self.events


class WebhookDelivery(models.Model):
    """One event owed to one endpoint: its payload as signed, and how its attempts went.

    The payload holds the event's data only, never the endpoint's secret; the signature is
    computed at each attempt from the stored bytes. `event_id` is the `webhook-id` header, the
    same for every attempt and a redelivery, so receivers can drop duplicates.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Failed, retried automatically"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed for good"

    # Not finished: a later event of the same object waits for these (order per object).
    OPEN_STATUSES = (Status.PENDING, Status.SENDING, Status.RETRYING)

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40)
    object_type = models.CharField(max_length=20)
    object_id = models.CharField(max_length=40)
    # The exact JSON body sent (serialised once, so every attempt signs the same bytes).
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # The start of the receiver's answer, or what went wrong before there was one.
    response_excerpt = models.CharField(max_length=BODY_EXCERPT_CHARS, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "linking"
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "retrying", "delivered", "failed"]),
                name="webhookdelivery_status_valid",
            ),
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhookdelivery_one_per_event"
            ),
        ]
        indexes = [
            # The endpoint's page lists its deliveries newest first.
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhookdelivery_list"),
            # The order per object: earlier deliveries of the same object still open.
            models.Index(
                fields=["endpoint", "object_type", "object_id", "id"],
                name="webhookdelivery_object",
            ),
            # The sweep: rows due for a (re)try.
            models.Index(fields=["status", "next_attempt_at"], name="webhookdelivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def window_ends_at(self) -> datetime:
        return self.created_at + timedelta(hours=settings.PORTAL_WEBHOOK_RETRY_WINDOW_HOURS)
