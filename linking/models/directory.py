"""Customer accounts, their account ids and the guardian permissions links grant on them."""

from __future__ import annotations

import re

from django.db import models
from django.db.models import Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, Site
from linking.models.catalog import Region
from portal.identifiers import clean_identifier

ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}$")


def normalise_account_id(raw: str) -> str:
    """The identifier's normal form (see portal.identifiers), without the spaces and dashes
    people paste with an account id."""
    return re.sub(r"[\s\-]", "", clean_identifier(raw))


def format_account_id(account_id: str) -> str:
    if ACCOUNT_ID_RE.match(account_id or ""):
        return f"{account_id[:4]}-{account_id[4:8]}-{account_id[8:]}"
    return account_id


class CustomerAccount(HistoryNote, models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FROZEN = "frozen", "Frozen"
        IN_ARREARS = "in_arrears", "In arrears"
        DEREGISTERED = "deregistered", "Deregistered"

    account_id = models.CharField(max_length=12, unique=True, help_text="12 digits.")
    display_name = models.CharField(max_length=200)
    contact_email = models.EmailField(blank=True)
    site = models.CharField(max_length=10, choices=Site.choices, default=Site.INTERNATIONAL)
    regions = models.ManyToManyField(Region, blank=True, related_name="customers")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    is_partner = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[regions])

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
                condition=Q(account_id__regex=r"^[0-9]{12}$"), name="customer_account_id_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({format_account_id(self.account_id)})"

    @property
    def formatted_id(self) -> str:
        return format_account_id(self.account_id)


class CustomerAccountUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE)


class CustomerAccountGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE)
