"""Batch linking (an uploaded file of requests, row by row) and the customer directory import."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, Reseller
from linking.models.requests import LinkRequest

BATCH_KEY_MAX = 100


class Batch(HistoryNote, models.Model):
    """An uploaded file of link requests: checked row by row, run once confirmed.

    checked ──confirm──▶ queued ──worker──▶ running ──▶ done ──retry failed rows──▶ queued
    """

    class Status(models.TextChoices):
        CHECKED = "checked", "Checked, waiting for confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    TRANSITIONS: dict[str, set[str]] = {
        Status.CHECKED: {Status.QUEUED},
        Status.QUEUED: {Status.RUNNING},
        Status.RUNNING: {Status.DONE},
        Status.DONE: {Status.QUEUED},
    }

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="batches")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CHECKED)
    warnings = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    existing_rows = models.PositiveIntegerField(default=0)
    to_run = models.PositiveIntegerField(default=0, help_text="Rows queued in the current run.")
    processed = models.PositiveIntegerField(default=0, help_text="Rows of the current run done.")
    created_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "batches"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["checked", "queued", "running", "done"]),
                name="batch_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["reseller", "-created_at"], name="batch_reseller_created"),
            models.Index(fields=["reseller", "status"], name="batch_reseller_status"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"LB-{self.pk:06d}" if self.pk else "LB-new"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if not self.to_run:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed / self.to_run))


class BatchRow(models.Model):
    """One row of a batch file: its values, the dry run's reasons and its outcome.

    Not tracked by simple-history on purpose: a row is the file's content plus the result of
    running it, written only by the batch services; the request it creates carries the full
    audit trail, and the batch's own history records who uploaded, confirmed and retried.
    Tracking 10,000 rows per file would double the writes of a run for no extra evidence.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Ready to run"
        INVALID = "invalid", "Refused by the checks"
        EXISTING = "existing", "Already done (key used)"
        CREATED = "created", "Request created"
        FAILED = "failed", "Failed when run"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    key = models.CharField(max_length=BATCH_KEY_MAX, blank=True)
    account_id = models.CharField(max_length=40, blank=True)
    values = models.JSONField(default=dict, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    request = models.ForeignKey(
        LinkRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    codes = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="one_row_per_number"),
            models.CheckConstraint(
                condition=Q(outcome__in=["pending", "invalid", "existing", "created", "failed"]),
                name="batch_row_outcome_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "outcome", "row_number"], name="batch_row_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.batch.reference} row {self.row_number}"


class DirectoryImport(HistoryNote, models.Model):
    """A customer directory file uploaded by platform staff: checked, then applied on confirm.

    Its rows live in `rows` (a list of dicts: row number, values, reasons, action, outcome):
    an import is read and written as a whole by one staff member, and every account it changes
    gets its own history row.
    """

    class Status(models.TextChoices):
        CHECKED = "checked", "Checked, waiting for confirmation"
        APPLIED = "applied", "Applied"

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CHECKED)
    warnings = models.JSONField(default=list, blank=True)
    rows = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    to_create = models.PositiveIntegerField(default=0)
    to_update = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["rows"])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["checked", "applied"]),
                name="directory_import_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"DI-{self.pk:06d}" if self.pk else "DI-new"
