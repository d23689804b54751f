"""What a live link reaches in the cloud, as last read through the link itself.

A worker reads it (`linking.services.scope`): with the link's own agency for delegation and
provisioning (the ECS servers of each consented region), with the partner APIs for billing (the
association and the month's spend). Pages show these rows; they never call the cloud.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from linking.models.links import Link

BILLING_BLOCK = "billing"


class LinkScopeSnapshot(models.Model):
    """One block of what a link reaches: a consented service in a consented region (`items`
    holds a first page, `count` how many the cloud says there are), or the billing facts
    (`service` "billing", `facts`). A failed read keeps its code and message, never a key."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="scope_snapshots")
    service = models.CharField(max_length=32)
    region = models.CharField(max_length=32, blank=True)
    items = models.JSONField(default=list, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    facts = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField()
    error_code = models.CharField(max_length=16, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    # What the drift rule makes of the read ("gone": the cloud no longer reports the
    # association); "" when it found nothing to say.
    drift = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["link_id", "service", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["link", "service", "region"], name="scope_snapshot_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} {self.service} {self.region or '-'}"

    @property
    def failed(self) -> bool:
        return bool(self.error_code)


class LinkScopeSchedule(models.Model):
    """When a link's scope is read next (the beat sweep claims due rows, a lease ahead), when
    someone asked for a fresh read, and when the last read ended."""

    link = models.OneToOneField(
        Link, on_delete=models.CASCADE, primary_key=True, related_name="scope_schedule"
    )
    next_read_at = models.DateTimeField()
    requested_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_read_at"], name="scope_schedule_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_read_at__isnull=False), name="scope_schedule_next_set"
            )
        ]

    def __str__(self) -> str:
        return f"{self.link_id} next {self.next_read_at:%Y-%m-%d %H:%M}"

    @property
    def reading(self) -> bool:
        """A read was asked for and has not ended since."""
        return self.requested_at is not None and (
            self.read_at is None or self.read_at < self.requested_at
        )
