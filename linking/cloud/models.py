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
]


class CloudConnection(HistoryNote, models.Model):
    class TestStatus(models.TextChoices):
        UNTESTED = "untested", "Not tested"
        TESTING = "testing", "Testing"
        OK = "ok", "Working"
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
    def endpoints(self) -> dict[str, str]:
        return {
            "bss_endpoint": self.bss_endpoint,
            "iam_endpoint": self.iam_endpoint,
            "ecs_endpoint": self.ecs_endpoint,
        }
