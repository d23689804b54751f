"""A reseller's connection to the cloud: its partner account, access key pair and endpoints.

Registered in the `linking` app (imported at the end of `linking.models`). The access key pair
is stored only encrypted (`linking.cloud.encryption`), in one field that simple-history does not
track: history rows, the audit trail and its exports show that the key changed (its last four
characters and when), never the key. The last test's outcome is an observation, not a change,
so it is kept beside the connection without history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, Reseller

# A test still without a result after this long was lost (a broker outage, a dead worker): the
# page says so, and the button asks again. Above the task's hard time limit.
TEST_OVERDUE = timedelta(minutes=2)
# A sync still unfinished after this long died with its worker (above the task's time limit).
SYNC_OVERDUE = timedelta(minutes=30)

# Fields of the connection that are not history: the encrypted pair, and the last test.
UNTRACKED_FIELDS = [
    "credentials_encrypted",
    "test_status",
    "test_revision",
    "test_requested_at",
    "tested_at",
    "test_code",
    "test_message",
    "test_hint",
    "sync_status",
    "sync_started_at",
    "synced_at",
    "sync_ok_at",
    "sync_code",
    "sync_message",
    "sync_hint",
    "sync_summary",
]


class CloudConnection(HistoryNote, models.Model):
    class TestStatus(models.TextChoices):
        UNTESTED = "untested", "Not tested"
        TESTING = "testing", "Testing"
        OK = "ok", "Working"
        FAILED = "failed", "Failed"

    class SyncStatus(models.TextChoices):
        NEVER = "never", "Never synced"
        OK = "ok", "Synced"
        FAILED = "failed", "Failed"

    reseller = models.OneToOneField(
        Reseller, on_delete=models.CASCADE, related_name="cloud_connection"
    )
    partner_domain_id = models.CharField(
        "partner account id", max_length=32, help_text="32 hexadecimal characters."
    )
    partner_account_name = models.CharField("partner account name", max_length=64)
    # Fernet token of {"access_key", "secret_key"}; never shown, logged or tracked.
    credentials_encrypted = models.TextField(editable=False)
    access_key_hint = models.CharField(
        "access key", max_length=8, help_text="Its last four characters, to tell keys apart."
    )
    credentials_set_at = models.DateTimeField("access key set at")
    bss_endpoint = models.CharField("BSS endpoint", max_length=200)
    iam_endpoint = models.CharField("IAM endpoint", max_length=200)
    ecs_endpoint = models.CharField("ECS endpoint", max_length=200)
    invitation_url = models.CharField(
        "customer-association invitation link", max_length=500, blank=True
    )
    # Counts the changes, so a test's result is stored only for the settings it tested.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    test_status = models.CharField(
        max_length=10, choices=TestStatus.choices, default=TestStatus.UNTESTED
    )
    test_revision = models.PositiveIntegerField(null=True, blank=True)
    test_requested_at = models.DateTimeField(null=True, blank=True)
    tested_at = models.DateTimeField(null=True, blank=True)
    test_code = models.CharField(max_length=20, blank=True)
    test_message = models.TextField(blank=True)
    test_hint = models.TextField(blank=True)

    # The last sync of the associated customers (`linking.cloud.sync`): an observation, like
    # the test, so not history. `sync_ok_at` stays at the last success while later runs fail.
    sync_status = models.CharField(
        max_length=10, choices=SyncStatus.choices, default=SyncStatus.NEVER
    )
    sync_started_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField("last sync", null=True, blank=True)
    sync_ok_at = models.DateTimeField("last successful sync", null=True, blank=True)
    sync_code = models.CharField(max_length=20, blank=True)
    sync_message = models.TextField(blank=True)
    sync_hint = models.TextField(blank=True)
    sync_summary = models.JSONField(default=dict, blank=True)

    history = HistoricalRecords(excluded_fields=UNTRACKED_FIELDS)
    # Added by simple-history at class creation: saves without writing a history row (used for
    # the untracked test-result and re-encryption writes). A bare annotation for the type checker.
    save_without_historical_record: Callable[..., None]

    class Meta:
        app_label = "linking"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(test_status__in=["untested", "testing", "ok", "failed"]),
                name="cloudconnection_test_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(sync_status__in=["never", "ok", "failed"]),
                name="cloudconnection_sync_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Cloud connection of {self.reseller}"

    @property
    def test_overdue(self) -> bool:
        return (
            self.test_status == self.TestStatus.TESTING
            and self.test_requested_at is not None
            and timezone.now() - self.test_requested_at > TEST_OVERDUE
        )

    @property
    def sync_running(self) -> bool:
        """A sync started after the last one finished (it runs, or its worker died)."""
        started = self.sync_started_at
        return started is not None and (self.synced_at is None or started > self.synced_at)

    @property
    def sync_overdue(self) -> bool:
        return (
            self.sync_running
            and self.sync_started_at is not None
            and timezone.now() - self.sync_started_at > SYNC_OVERDUE
        )

    @property
    def endpoints(self) -> dict[str, str]:
        return {
            "bss_endpoint": self.bss_endpoint,
            "iam_endpoint": self.iam_endpoint,
            "ecs_endpoint": self.ecs_endpoint,
        }


class CloudAssociation(models.Model):
    """A customer the cloud reports as associated with a reseller's partner account.

    Written only by the sync (`linking.cloud.sync`), one row per reseller and customer. An
    association the cloud no longer reports keeps its row with `ended_at` set (and clears it
    when the cloud reports it again): when it ended is a fact too. `confirmed_at` is the last
    sync that saw it. Rows are observations of the cloud, rewritten at every sync, so they keep
    no history of their own; `first_seen_at` and `ended_at` say when it came and went.
    """

    reseller = models.ForeignKey(
        Reseller, on_delete=models.CASCADE, related_name="cloud_associations"
    )
    customer = models.ForeignKey(
        "linking.CustomerAccount", on_delete=models.CASCADE, related_name="cloud_associations"
    )
    # As the cloud sent it ("1", "2", "3"): see linking.cloud.types.ASSOCIATION_LABELS.
    association_type = models.CharField(max_length=8, blank=True)
    associated_at = models.DateTimeField("associated on (cloud)", null=True, blank=True)
    first_seen_at = models.DateTimeField()
    confirmed_at = models.DateTimeField("last confirmed")
    ended_at = models.DateTimeField("no longer reported since", null=True, blank=True)

    class Meta:
        app_label = "linking"
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "customer"], name="cloudassociation_one_per_customer"
            ),
        ]
        indexes = [
            # The end of a sync looks for the reseller's current rows it did not confirm.
            models.Index(fields=["reseller", "confirmed_at"], name="cloudassoc_confirmed"),
        ]

    def __str__(self) -> str:
        return f"{self.reseller} ↔ {self.customer_id}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None

    @property
    def type_label(self) -> str:
        from linking.cloud.types import association_label

        return association_label(self.association_type) if self.association_type else ""
