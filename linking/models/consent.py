"""Consent evidence: what the customer saw and decided, append-only."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import LinkType
from linking.models.requests import LinkRequest, RequestItem


class ConsentRecord(models.Model):
    """Append-only evidence of what the customer saw and decided; never edited or deleted."""

    APPEND_ONLY = True  # PostgreSQL refuses UPDATE and DELETE (accounts.append_only)
    TEXT_VERSION = "consent-text-v1"

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class ConfirmedBy(models.TextChoices):
        # How the person deciding showed they speak for the account, beyond holding the link.
        EMAIL_LINK = "email_link", "The e-mailed link only"
        ACCOUNT_ID = "account_id", "The e-mailed link and the account id typed"
        CENTRE = "centre", "Signed in to the customer centre with an e-mailed code"
        EMAIL_CODE = "email_code", "The e-mailed link and a code sent to the contact address"

    request = models.ForeignKey(
        LinkRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="consents"
    )
    item = models.ForeignKey(
        RequestItem, on_delete=models.PROTECT, null=True, blank=True, related_name="consents"
    )
    link = models.ForeignKey(
        "Link", on_delete=models.PROTECT, null=True, blank=True, related_name="consents"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    link_type = models.CharField(max_length=20, choices=LinkType.choices)
    scope = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    contact_email = models.EmailField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    text_version = models.CharField(max_length=40, default=TEXT_VERSION)
    receipt_reference = models.CharField(max_length=40, db_index=True)
    # Blank on records written before it was kept.
    confirmed_by = models.CharField(max_length=20, choices=ConfirmedBy.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item"], name="one_consent_record_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_reference} {self.link_type} {self.decision}"

    def save(self, *args, **kwargs):
        # Evidence is written once; an update would destroy what the customer saw.
        if self.pk is not None:
            raise ValueError("Consent records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Consent records are append-only.")
