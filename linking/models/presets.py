"""Presets: named, reusable choices of link types and scope."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, Reseller


class Preset(HistoryNote, models.Model):
    """A named, reusable choice of link types and scope that the wizard and batch rows start from.

    `items` holds one entry per link type, exactly the fields of a request item (link_type,
    services, regions, access_level, duration_days); the rules that judge it are the wizard's.
    """

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="presets")
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True, max_length=2000)
    items = models.JSONField(default=list, blank=True)
    consent_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days the customer has to decide; empty: the reseller's."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # Names are typed in batch files: "Read-only APAC" and "read-only apac" are one preset.
            models.UniqueConstraint(
                F("reseller"),
                Lower("name"),
                name="preset_name_unique_per_reseller",
                violation_error_code="LNK-T002",
            ),
            models.CheckConstraint(
                condition=Q(consent_days__isnull=True)
                | Q(consent_days__gte=1, consent_days__lte=30),
                name="preset_consent_days_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def link_types(self) -> list[str]:
        return [item.get("link_type", "") for item in self.items or []]
