"""The catalogue a request chooses from: regions, services and access levels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, Site


class Region(HistoryNote, models.Model):
    code = models.CharField(max_length=40, unique=True, help_text="e.g. ap-southeast-1")
    name = models.CharField(max_length=120)
    site = models.CharField(max_length=10, choices=Site.choices, default=Site.INTERNATIONAL)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Service(HistoryNote, models.Model):
    code = models.CharField(max_length=40, unique=True, help_text="e.g. ECS")
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=60, blank=True)
    sensitive = models.BooleanField(
        default=False, help_text="Delegation over it needs the customer's explicit confirmation."
    )
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class AccessLevel(models.TextChoices):
    READ_ONLY = "read_only", _("Read-only")
    MANAGE = "manage", _("Manage")
