"""Customer accounts, their account ids and the guardian permissions links grant on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, Site
from linking.identity import (
    ACCOUNT_ID_HELP,
    ACCOUNT_ID_LENGTH,
    ACCOUNT_ID_PATTERN,
    ACCOUNT_ID_RE,
    ACCOUNT_NAME_MAX_LENGTH,
    ACCOUNT_NAME_PATTERN,
    account_label,
    format_account_id,
    normalise_account_id,
    short_account_label,
)
from linking.models.catalog import Region
from linking.provenance import FactSource, Provenance, fact_provenance

__all__ = [
    "ACCOUNT_ID_RE",
    "CustomerAccount",
    "CustomerAccountGroupObjectPermission",
    "CustomerAccountUserObjectPermission",
    "format_account_id",
    "normalise_account_id",
]

PROVENANCE_FIELDS = [
    "status_source",
    "status_confirmed_at",
    "details_source",
    "details_confirmed_at",
]


class CustomerAccount(HistoryNote, models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FROZEN = "frozen", "Frozen"
        IN_ARREARS = "in_arrears", "In arrears"
        DEREGISTERED = "deregistered", "Deregistered"

    account_id = models.CharField(
        max_length=ACCOUNT_ID_LENGTH, unique=True, help_text=ACCOUNT_ID_HELP
    )
    account_name = models.CharField(
        max_length=ACCOUNT_NAME_MAX_LENGTH,
        blank=True,
        help_text="The name the customer signs in with; blank when not known yet.",
    )
    display_name = models.CharField(max_length=200)
    contact_email = models.EmailField(blank=True)
    # The contact's language for e-mails, receipts and the customer centre; blank is English.
    contact_language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    site = models.CharField(max_length=10, choices=Site.choices, default=Site.INTERNATIONAL)
    regions = models.ManyToManyField(Region, blank=True, related_name="customers")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    is_partner = models.BooleanField(default=False)
    # The cloud's real-name verification state ("2" verified; linking.cloud.types
    # VERIFIED_LABELS); blank until the cloud reports it.
    verified_status = models.CharField("real-name verification", max_length=2, blank=True)
    # Which source last confirmed the facts, and when (linking.provenance): the status, and the
    # details (names, contact e-mail, verification). Confirmations, not changes: a sync confirms
    # every account it lists, so they are kept out of history.
    status_source = models.CharField(max_length=20, choices=FactSource.choices, blank=True)
    status_confirmed_at = models.DateTimeField("status last confirmed", null=True, blank=True)
    details_source = models.CharField(max_length=20, choices=FactSource.choices, blank=True)
    details_confirmed_at = models.DateTimeField("details last confirmed", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[regions], excluded_fields=PROVENANCE_FIELDS)

    class Meta:
        ordering = ["display_name"]
        indexes = [models.Index(fields=["display_name", "id"], name="customer_name_id")]
        permissions = [
            ("bill_customeraccount", "Is the billing partner of the customer account"),
            ("provision_customeraccount", "Can provision services in the customer account"),
            ("delegate_read_customeraccount", "Has read-only delegated administration"),
            ("delegate_manage_customeraccount", "Has manage delegated administration"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "frozen", "in_arrears", "deregistered"]),
                name="customer_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(account_id__regex=ACCOUNT_ID_PATTERN), name="customer_account_id_format"
            ),
            models.CheckConstraint(
                condition=Q(account_name="") | Q(account_name__regex=ACCOUNT_NAME_PATTERN),
                name="customer_account_name_format",
            ),
            # Two accounts never share a name; many may not know theirs yet.
            models.UniqueConstraint(
                fields=["account_name"],
                condition=~Q(account_name=""),
                name="customer_account_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.label})"

    @property
    def formatted_id(self) -> str:
        return format_account_id(self.account_id)

    @property
    def status_provenance(self) -> Provenance:
        return fact_provenance(self, "status")

    @property
    def details_provenance(self) -> Provenance:
        return fact_provenance(self, "details")

    @property
    def label(self) -> str:
        """The account name with the id, as people read it (`linking.identity.account_label`)."""
        return account_label(self.account_name, self.account_id)

    @property
    def short_label(self) -> str:
        """The account name, or the short id; for dense tables, with the full id beside it."""
        return short_account_label(self.account_name, self.account_id)


class CustomerAccountUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE)


class CustomerAccountGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE)
