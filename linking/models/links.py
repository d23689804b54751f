"""Links, the live relationships accepted request items create, and their verification.

A link's states move only through `Link.TRANSITIONS` (`linking.services._common._move_link`):

    activating ──activated──▶ awaiting_setup ──proven in the cloud──▶ active
        │                        │  │  └── setup window ends ──▶ setup_expired
        │                        │  └── revoke ──▶ revoked
        │                        └── suspend ──▶ suspended
    active ──revoke (billing)──▶ revoking ──month end──▶ revoked
      │   ▲                            │
      │   └──── resume ─────┐          │ suspend (resume: revoking)
      │ suspend             │          ▼
      └───────────────▶ suspended ──revoke──▶ revoked
    activating ── suspend, revoke ──▶ suspended, revoked
    active, suspended ──end date──▶ expired
    active, awaiting_setup, revoking, suspended, revoked, expired, setup_expired, broken
        ──a new accepted item──▶ activating

Drift (the scheduled re-verification of an active link, `linking.services.drift`):

    active ──the agency deleted or narrowed, seen on several checks in a row──▶ broken
      │  ▲                                                                     │ │
      │  └──── proven again (awaiting_setup ──▶ active) ◀── the customer fixed ─┘ │
      │                                                                          ├ suspend, revoke
      │                                                                          └ end date
      └── billing association no longer reported (several checks) ──▶ revoked
    active ──an unconsented region or a write at read-only answers──▶ active, flagged
        `over_privileged` (a flag with what is too broad, not a state)

`awaiting_setup`: the customer accepted; the link waits for their cloud-side step (accept the
association, create the agency). Checks against the cloud run with backoff, and at once when
the customer says it is done; the first passing run makes the link active and only then are
the reseller's people granted anything. `setup_expired`: the setup was not done within the
reseller's window; nothing was granted, and only a new accepted request starts the link again.

`broken`: the customer's cloud side of a proven link is gone or narrower than consented (the
agency deleted, a consented region or service refused); the reseller's people lose what the
link granted, and both sides are told. The consent still stands, so the link keeps its place
and reopens as a new setup (awaiting_setup, a fresh window), never as a new request. A billing
association the cloud stops reporting cannot be "broken": the customer (or the cloud) ended it,
so the billing link ends as `revoked` at once (no month to run out: the association is gone),
with `revoke_reason` saying the cloud ended it and no `revoked_by`.

`revoking`: revoked, but a billing association is settled per calendar month, so it stays in
force (and the customer's one billing partner) until `billing_ends_at`; nothing can be done
with it any more except let it run out. `suspended`: the customer account left `active`, or
the reseller was suspended or closed; access is withdrawn until the cause is gone.

Clean-up is tracked beside the status, not as one: when a link ends (revoked, withdrawn, expired,
a billing association past its month end, setup expired) the portal's own access goes at once,
and the cloud side the customer made (the agency, the association) is checked until it is gone:

    "" ──link ends──▶ pending ──agency refused / association gone──▶ cleaned_up
                         │  ▲
       window passes,    ▼  │ gone later
       still reachable  still_reachable

A new accepted request for the same link clears it (`cleanup_status` back to "").
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, LinkType, Reseller
from linking.models.catalog import AccessLevel
from linking.models.directory import CustomerAccount
from linking.models.requests import RequestItem


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Not verified yet"
    VERIFYING = "verifying", "Verifying"
    PASSING = "passing", "Verified"
    FAILING = "failing", "Failing verification"


class CleanupStatus(models.TextChoices):
    PENDING = "pending", "Clean-up pending"
    CLEANED_UP = "cleaned_up", "Cleaned up"
    STILL_REACHABLE = "still_reachable", "Still reachable"


class Link(HistoryNote, models.Model):
    """The live relationship an accepted item creates; one per reseller, customer and type.

    Its states and moves are drawn at the top of this module.
    """

    class Status(models.TextChoices):
        ACTIVATING = "activating", "Activating"
        AWAITING_SETUP = "awaiting_setup", "Awaiting the customer's setup"
        ACTIVE = "active", "Active"
        REVOKING = "revoking", "Revoked, billing runs to the month's end"
        SUSPENDED = "suspended", "Suspended"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"
        SETUP_EXPIRED = "setup_expired", "Setup not done in time"
        BROKEN = "broken", "Broken: the cloud side is gone"

    # Live: the link still holds its place (one per triple, one billing partner per customer).
    LIVE_STATUSES = (
        Status.ACTIVATING,
        Status.AWAITING_SETUP,
        Status.ACTIVE,
        Status.REVOKING,
        Status.SUSPENDED,
        Status.BROKEN,
    )
    # Granting: the reseller's people hold the link's permissions (`link_sync_grants`).
    GRANTING_STATUSES = (Status.ACTIVE, Status.REVOKING)
    # The only moves a link can make; every service checks its transition against it.
    TRANSITIONS: dict[str, set[str]] = {
        # activating → activating: a newer accepted scope replaces one still being applied.
        # activating → active: only a link that was proven before (a resumed one's amendment).
        Status.ACTIVATING: {
            Status.ACTIVATING,
            Status.AWAITING_SETUP,
            Status.ACTIVE,
            Status.SUSPENDED,
            Status.REVOKED,
        },
        # The customer's cloud-side step: proven (active), or not done in time.
        Status.AWAITING_SETUP: {
            Status.ACTIVATING,
            Status.ACTIVE,
            Status.SETUP_EXPIRED,
            Status.SUSPENDED,
            Status.REVOKED,
        },
        Status.ACTIVE: {
            Status.ACTIVATING,
            Status.REVOKING,
            Status.SUSPENDED,
            Status.REVOKED,
            Status.EXPIRED,
            Status.BROKEN,
        },
        # revoking → activating: the customer accepted a new request of the same reseller.
        Status.REVOKING: {Status.ACTIVATING, Status.SUSPENDED, Status.REVOKED},
        # suspended → activating: a change of scope the customer accepted before the suspension;
        # its activation checks the customer and the reseller again.
        Status.SUSPENDED: {
            Status.AWAITING_SETUP,
            Status.ACTIVE,
            Status.REVOKING,
            Status.ACTIVATING,
            Status.REVOKED,
            Status.EXPIRED,
            Status.BROKEN,
        },
        # broken → awaiting_setup: the customer fixed the cloud side (a new setup, same consent).
        Status.BROKEN: {
            Status.AWAITING_SETUP,
            Status.ACTIVATING,
            Status.SUSPENDED,
            Status.REVOKED,
            Status.EXPIRED,
        },
        Status.REVOKED: {Status.ACTIVATING},
        Status.EXPIRED: {Status.ACTIVATING},
        Status.SETUP_EXPIRED: {Status.ACTIVATING},
    }

    class SuspendedFor(models.TextChoices):
        # The customer's account left `active`: returning to `active` resumes the link.
        CUSTOMER = "customer", "The customer account is not active"
        # The reseller was suspended or closed, or the type left its program: only platform
        # staff resume the link (`link_resume`), never a status change by itself.
        RESELLER = "reseller", "The partner program is not active"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="links")
    customer = models.ForeignKey(CustomerAccount, on_delete=models.PROTECT, related_name="links")
    link_type = models.CharField(max_length=20, choices=LinkType.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVATING)
    services = models.JSONField(default=list, blank=True)
    regions = models.JSONField(default=list, blank=True)
    access_level = models.CharField(max_length=20, choices=AccessLevel.choices, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    source_item = models.ForeignKey(
        RequestItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status_reason = models.CharField(max_length=200, blank=True)
    suspended_for = models.CharField(max_length=20, choices=SuspendedFor.choices, blank=True)
    verification_status = models.CharField(
        max_length=20, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # The customer's cloud-side setup: done by this moment, or the link ends as setup_expired.
    setup_deadline = models.DateTimeField(null=True, blank=True)
    # When the next automatic check of the setup is due, and how many ran (the backoff).
    next_setup_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    setup_checks = models.PositiveSmallIntegerField(default=0)
    # Drift: when the next scheduled re-verification is due (a slot of the day fixed by the
    # link's id), and how many runs in a row found the cloud side gone or could not ask it.
    next_verification_at = models.DateTimeField(null=True, blank=True)
    drift_failures = models.PositiveSmallIntegerField(default=0)
    drift_inconclusive = models.PositiveSmallIntegerField(default=0)
    broken_at = models.DateTimeField(null=True, blank=True)
    # The cloud side grants more than was consented: the link stays active, flagged, with what.
    over_privileged = models.BooleanField(default=False)
    over_privileged_detail = models.CharField(max_length=500, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.TextField(blank=True, max_length=2000)
    billing_ends_at = models.DateTimeField(
        null=True, blank=True, help_text="A revoked billing association ends here (month end)."
    )
    expiry_reminders_sent = models.PositiveSmallIntegerField(default=0)
    # Clean-up of the cloud side after the link ended ("": nothing to clean up, or a live link).
    cleanup_status = models.CharField(max_length=20, choices=CleanupStatus.choices, blank=True)
    cleanup_started_at = models.DateTimeField(null=True, blank=True)
    # Still reachable in the cloud after this moment: the link shows "still reachable".
    cleanup_deadline = models.DateTimeField(null=True, blank=True)
    next_cleanup_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cleanup_checks = models.PositiveSmallIntegerField(default=0)
    cleanup_checked_at = models.DateTimeField(null=True, blank=True)
    withdrawal_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Who may act on the customer through this link: these teams, or (none) the reseller's
    # role groups as every link did before teams. Billing links name none.
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="links")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The checks' schedules are bookkeeping, not a change a person made or reads back.
    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "withdrawal_token_hash",
            "next_setup_check_at",
            "next_cleanup_check_at",
            "next_verification_at",
            "drift_failures",
            "drift_inconclusive",
        ]
    )

    # Added by simple-history: saves without a history row (the setup checks' schedule).
    save_without_historical_record: Callable[..., None]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "customer", "link_type"],
                name="one_link_per_reseller_customer_type",
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(
                    link_type="billing",
                    status__in=["activating", "awaiting_setup", "active", "revoking", "suspended"],
                ),
                name="one_billing_partner_per_customer",
                violation_error_code="LNK-V008",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "activating",
                        "awaiting_setup",
                        "active",
                        "revoking",
                        "suspended",
                        "revoked",
                        "expired",
                        "setup_expired",
                        "broken",
                    ]
                ),
                name="link_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(suspended_for__in=["", "customer", "reseller"]),
                name="link_suspended_for_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    verification_status__in=["unverified", "verifying", "passing", "failing"]
                ),
                name="link_verification_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(link_type__in=["billing", "provisioning", "delegation"]),
                name="link_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(cleanup_status__in=["", "pending", "cleaned_up", "still_reachable"]),
                name="link_cleanup_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["reseller", "status", "-created_at"], name="link_reseller_status"),
            models.Index(fields=["reseller", "-created_at"], name="link_reseller_created"),
            models.Index(fields=["created_at"], name="link_created"),
            models.Index(fields=["reseller", "ends_at"], name="link_reseller_ends"),
            models.Index(fields=["status", "ends_at"], name="link_status_ends"),
            models.Index(
                fields=["reseller", "verification_status"], name="link_reseller_verification"
            ),
            models.Index(
                fields=["reseller", "link_type", "-created_at"], name="link_reseller_type"
            ),
            models.Index(
                fields=["reseller", "cleanup_status", "-created_at"], name="link_reseller_cleanup"
            ),
            # The re-verification sweep's claim: due links in order, only those it checks.
            models.Index(
                fields=["next_verification_at"],
                condition=Q(status__in=["active", "broken"]),
                name="link_reverify_due",
            ),
            # The over-privileged filter of the links list and the dashboard's count.
            models.Index(
                fields=["reseller", "-created_at"],
                condition=Q(over_privileged=True),
                name="link_reseller_over_privileged",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reseller.partner_id} → {self.customer.account_id} ({self.link_type})"

    @property
    def reference(self) -> str:
        return f"LK-{self.pk:06d}" if self.pk else "LK-new"

    @property
    def has_ended(self) -> bool:
        """A time-bound link past its end date, even if the expiry sweep has not run yet."""
        return (
            self.status
            in (self.Status.ACTIVE, self.Status.REVOKING, self.Status.SUSPENDED, self.Status.BROKEN)
            and self.ends_at is not None
            and self.ends_at <= timezone.now()
        )

    @property
    def effective_status(self) -> str:
        if self.has_ended:
            # A revoked billing association ends at its month end; any other end date expires.
            return self.Status.REVOKED if self.revoked_at else self.Status.EXPIRED
        return self.status

    @property
    def is_live(self) -> bool:
        """Still in force, read at this moment: not ended, revoked or expired (suspended and
        revoking links are live). The one answer to "is this link live" for pages and guards."""
        return self.effective_status in self.LIVE_STATUSES

    @property
    def is_granting(self) -> bool:
        """Its permissions are in force at this moment (active, or revoking to its month end):
        what guardian holds for it, `link_sync_grants` keeps in step."""
        return self.effective_status in self.GRANTING_STATUSES

    @property
    def waiting_on(self) -> str:
        """Whose move it is: the customer's cloud-side setup (or its repair), the activation
        worker, or nobody."""
        if self.status in (self.Status.AWAITING_SETUP, self.Status.BROKEN):
            return "customer"
        if self.status == self.Status.ACTIVATING:
            return "activation"
        return ""

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())

    def get_effective_status_display(self) -> str:
        return self.Status(self.effective_status).label


class VerificationRun(models.Model):
    """One run of a link's checklist against the cloud; runs are kept, never changed afterwards.

    Each entry of `checks` is the evidence an auditor asks for: the check's outcome (passed,
    failed, or unproven when the portal has no probe), its code, stage, message and what to do,
    its time, and every cloud call it made (operation, where, HTTP status, a short answer, the
    cloud's error code and request id, and when) — never a key or a token.
    """

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        # The setup is not visible in the cloud yet (propagation), within its window.
        WAITING = "waiting", "Waiting for the customer's setup"

    class Trigger(models.TextChoices):
        ACTIVATION = "activation", "After activation"
        RETRY = "retry", "Automatic retry"
        MANUAL = "manual", "Re-run on demand"
        RESUME = "resume", "After resumption"
        AMEND = "amend", "After a change of scope"
        SETUP = "setup", "Waiting for the customer's setup"
        CUSTOMER = "customer", "The customer said the setup is done"
        CLEANUP = "cleanup", "Clean-up check after the link ended"
        SCHEDULE = "schedule", "Scheduled re-verification"

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="verification_runs")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    checks = models.JSONField(default=list, blank=True)
    # The partner account whose connection made the calls ("" when there was none).
    partner_domain_id = models.CharField(max_length=32, blank=True)
    cloud_calls = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["link", "-started_at"], name="verification_link_started"),
            # The funnel's period of runs.
            models.Index(fields=["started_at"], name="verification_started"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["running", "passed", "failed", "waiting"]),
                name="verification_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.link.reference} run {self.pk} ({self.outcome})"
