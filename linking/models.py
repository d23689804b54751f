"""Customers, catalogs, link requests, links, consent evidence and the notification outbox."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.models import LinkType, Reseller, Site
from portal.identifiers import clean_identifier
from portal.indexes import CoveringIndex

_UNREAD = object()
_LINK_TYPE_LABELS = dict(LinkType.choices)

ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}$")


def normalise_account_id(raw: str) -> str:
    """The identifier's normal form (see portal.identifiers), without the spaces and dashes
    people paste with an account id."""
    return re.sub(r"[\s\-]", "", clean_identifier(raw))


def format_account_id(account_id: str) -> str:
    if ACCOUNT_ID_RE.match(account_id or ""):
        return f"{account_id[:4]}-{account_id[4:8]}-{account_id[8:]}"
    return account_id


class Region(models.Model):
    code = models.CharField(max_length=40, unique=True, help_text="e.g. ap-southeast-1")
    name = models.CharField(max_length=120)
    site = models.CharField(max_length=10, choices=Site.choices, default=Site.INTERNATIONAL)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Service(models.Model):
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


class CustomerAccount(models.Model):
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


class AccessLevel(models.TextChoices):
    READ_ONLY = "read_only", "Read-only"
    MANAGE = "manage", "Manage"


class LinkRequest(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING_APPROVAL = "pending_approval", "Waiting for approval"
        PENDING_CONSENT = "pending_consent", "Waiting for the customer"
        COMPLETED = "completed", "Completed"
        REJECTED = "rejected", "Rejected"
        DECLINED = "declined", "Declined by the customer"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    OPEN_STATUSES = (Status.PENDING_APPROVAL, Status.PENDING_CONSENT)
    TERMINAL_STATUSES = (
        Status.COMPLETED,
        Status.REJECTED,
        Status.DECLINED,
        Status.CANCELLED,
        Status.EXPIRED,
    )
    # The only moves a request can make; services check every transition against it.
    TRANSITIONS: dict[str, set[str]] = {
        # draft → completed: a narrowing change of scope applies at once, without consent.
        Status.DRAFT: {
            Status.PENDING_APPROVAL,
            Status.PENDING_CONSENT,
            Status.COMPLETED,
            Status.CANCELLED,
        },
        Status.PENDING_APPROVAL: {
            Status.PENDING_CONSENT,
            Status.REJECTED,
            Status.CANCELLED,
            Status.EXPIRED,
        },
        Status.PENDING_CONSENT: {
            Status.COMPLETED,
            Status.DECLINED,
            Status.CANCELLED,
            Status.EXPIRED,
        },
    }

    class Purpose(models.TextChoices):
        NEW = "new", "New link"
        AMEND = "amend", "Change of scope"
        RENEW = "renew", "Renewal"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="requests")
    customer = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.NEW)
    amends_link = models.ForeignKey(
        "Link", on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )
    account_id_input = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    wizard_step = models.PositiveSmallIntegerField(default=1)
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="initiated_requests"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_requests",
    )
    decision_reason = models.TextField(blank=True)
    ticket_reference = models.CharField(max_length=80, blank=True)
    note_to_customer = models.TextField(blank=True, max_length=2000)
    consent_days = models.PositiveSmallIntegerField(default=7)
    consent_deadline = models.DateTimeField(null=True, blank=True)
    approval_deadline = models.DateTimeField(null=True, blank=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    consent_sent_at = models.DateTimeField(null=True, blank=True)
    last_resent_at = models.DateTimeField(null=True, blank=True)
    approval_reminders_sent = models.PositiveSmallIntegerField(default=0)
    consent_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    consent_email = models.EmailField(blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    resend_count = models.PositiveSmallIntegerField(default=0)
    failure_stage = models.CharField(max_length=20, blank=True)
    failure_code = models.CharField(max_length=20, blank=True)
    # The idempotency key of the batch row that created the request; the unique constraint
    # below makes a second request for one key impossible, however the batch is retried.
    batch_key = models.CharField(max_length=100, blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["consent_token_hash"])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "draft",
                        "pending_approval",
                        "pending_consent",
                        "completed",
                        "rejected",
                        "declined",
                        "cancelled",
                        "expired",
                    ]
                ),
                name="request_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(consent_days__gte=1, consent_days__lte=30),
                name="request_consent_days_range",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(customer__isnull=False),
                name="request_submitted_has_customer",
            ),
            models.UniqueConstraint(
                fields=["reseller", "batch_key"],
                condition=~Q(batch_key=""),
                name="one_request_per_batch_key",
                violation_error_code="LNK-B013",
            ),
        ]
        indexes = [
            # The list filtered by status, in its order; the deadlines ride along so that its
            # capped count ("open" excludes the overdue) reads the index alone, not the table.
            CoveringIndex(
                fields=["reseller", "status", "-created_at", "-id"],
                include=["consent_deadline", "approval_deadline"],
                name="req_reseller_status_created",
            ),
            models.Index(fields=["reseller", "-created_at"], name="req_reseller_created"),
            models.Index(fields=["reseller", "ticket_reference"], name="req_reseller_ticket"),
            models.Index(fields=["status", "consent_deadline"], name="req_status_deadline"),
            models.Index(fields=["status", "approval_deadline"], name="req_status_appr_deadline"),
            models.Index(fields=["status", "next_reminder_at"], name="req_status_next_reminder"),
            # The approval queue and the dashboard's oldest waits read in this order; the queue
            # leaves out the user's own and the overdue, which these included columns decide.
            CoveringIndex(
                fields=["reseller", "status", "status_changed_at", "id"],
                include=["initiator", "consent_deadline", "approval_deadline"],
                name="req_reseller_waiting_cover",
            ),
            models.Index(
                fields=["reseller", "initiator", "-created_at"], name="req_reseller_initiator"
            ),
            # The dashboard's oldest waits: open requests by age, whatever their status; those
            # waiting on the customer by the e-mail's date; those whose e-mail is not out yet.
            models.Index(
                fields=["reseller", "status_changed_at", "id"],
                condition=Q(status__in=["pending_approval", "pending_consent"]),
                name="req_reseller_open_age",
            ),
            models.Index(
                fields=["reseller", "status", "consent_sent_at", "id"], name="req_reseller_sent"
            ),
            models.Index(
                fields=["reseller", "status_changed_at", "id"],
                condition=Q(status="pending_consent", consent_sent_at__isnull=True),
                name="req_reseller_undelivered",
            ),
            # The dashboard's recent failures: a handful of rows among hundreds of thousands.
            models.Index(
                fields=["reseller", "-status_changed_at"],
                condition=~Q(failure_code=""),
                name="req_reseller_failures",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"LR-{self.pk:06d}" if self.pk else "LR-new"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def purpose_title(self) -> str:
        """The title of a change of scope or renewal ("Renewal of LK-…"); "" for a new link."""
        if not self.amends_link_id:
            return ""
        return f"{self.get_purpose_display()} of LK-{self.amends_link_id:06d}"

    @classmethod
    def overdue_q(cls, now) -> Q:
        """Open requests whose deadline (approval or consent) has passed at `now`."""
        return Q(status=cls.Status.PENDING_CONSENT, consent_deadline__lte=now) | Q(
            status=cls.Status.PENDING_APPROVAL, approval_deadline__lte=now
        )

    @property
    def deadline(self):
        """The deadline of the current wait: approval or consent; None otherwise."""
        if self.status == self.Status.PENDING_APPROVAL:
            return self.approval_deadline
        if self.status == self.Status.PENDING_CONSENT:
            return self.consent_deadline
        return None

    @property
    def is_overdue(self) -> bool:
        """True when the deadline has passed, even if the sweep has not run yet."""
        deadline = self.deadline
        return deadline is not None and deadline <= timezone.now()

    @property
    def effective_status(self) -> str:
        return self.Status.EXPIRED if self.is_overdue else self.status

    def get_effective_status_display(self) -> str:
        return self.Status(self.effective_status).label

    @property
    def waiting_on(self) -> str:
        """Whose move it is: initiator, approver, delivery, customer, activation, or nobody ("").

        'delivery' is a request whose consent e-mail is not out yet (or was refused).
        'activation' needs the `has_activating_links` annotation of the list selectors; without
        it, one query on first use.
        """
        status = self.effective_status
        if status == self.Status.DRAFT:
            return "initiator"
        if status == self.Status.PENDING_APPROVAL:
            return "approver"
        if status == self.Status.PENDING_CONSENT:
            return "customer" if self.consent_sent_at else "delivery"
        if status == self.Status.COMPLETED:
            if getattr(self, "has_activating_links", None) is None:
                self.has_activating_links = Link.objects.filter(
                    source_item__request=self, status=Link.Status.ACTIVATING
                ).exists()
            return "activation" if self.has_activating_links else ""
        return ""

    @property
    def link_types_display(self) -> str:
        """The link types of the items, in words, in item order; "" for none. A list reads
        them with the row (`link_type_codes`, see `selectors.request_rows`)."""
        codes = getattr(self, "link_type_codes", _UNREAD)
        if codes is _UNREAD:
            return ", ".join(item.get_link_type_display() for item in self.items.all())
        return ", ".join(_LINK_TYPE_LABELS.get(c, c) for c in (codes or "").split(",") if c)

    @property
    def waiting_since(self):
        """Since when the current wait lasts: the customer's from the delivered e-mail."""
        if self.waiting_on == "customer":
            return self.consent_sent_at
        return self.status_changed_at


class RequestItem(models.Model):
    class Decision(models.TextChoices):
        PENDING = "pending", "Not decided"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    request = models.ForeignKey(LinkRequest, on_delete=models.CASCADE, related_name="items")
    # Copies of the request's reseller and customer, so the database can hold "one open request
    # per customer and type per reseller" as a partial unique index.
    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    link_type = models.CharField(max_length=20, choices=LinkType.choices)
    services = models.JSONField(default=list, blank=True)
    regions = models.JSONField(default=list, blank=True)
    access_level = models.CharField(max_length=20, choices=AccessLevel.choices, blank=True)
    duration_days = models.PositiveIntegerField(null=True, blank=True)
    is_open = models.BooleanField(default=False)
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    decline_reason = models.TextField(blank=True, max_length=2000)
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "link_type"], name="one_item_per_type_per_request"
            ),
            models.UniqueConstraint(
                fields=["reseller", "customer", "link_type"],
                condition=Q(is_open=True),
                name="one_open_request_per_customer_and_type",
                violation_error_code="LNK-V012",
            ),
            models.CheckConstraint(
                condition=Q(link_type__in=["billing", "provisioning", "delegation"]),
                name="item_link_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["pending", "accepted", "declined"]),
                name="item_decision_valid",
            ),
            models.CheckConstraint(
                condition=Q(access_level__in=["", "read_only", "manage"]),
                name="item_access_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.reference} {self.link_type}"


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Not verified yet"
    VERIFYING = "verifying", "Verifying"
    PASSING = "passing", "Verified"
    FAILING = "failing", "Failing verification"


class Link(models.Model):
    """The live relationship an accepted item creates; one per reseller, customer and type.

    Its states move only through `TRANSITIONS` (`linking.services._common._move_link`):

        activating ──activated──▶ active ──revoke (billing)──▶ revoking ──month end──▶ revoked
            │                     │   ▲                            │
            │                     │   └──── resume ─────┐          │ suspend (resume: revoking)
            │                     │ suspend             │          ▼
            ├──── suspend ────────┴───────────────▶ suspended ──revoke──▶ revoked
            └──── revoke ──▶ revoked            active, suspended ──end date──▶ expired
        active, revoking, suspended, revoked, expired ──a new accepted item──▶ activating

    `revoking`: revoked, but a billing association is settled per calendar month, so it stays in
    force (and the customer's one billing partner) until `billing_ends_at`; nothing can be done
    with it any more except let it run out. `suspended`: the customer account left `active`, or
    the reseller was suspended or closed; access is withdrawn until the cause is gone.
    """

    class Status(models.TextChoices):
        ACTIVATING = "activating", "Activating"
        ACTIVE = "active", "Active"
        REVOKING = "revoking", "Revoked, billing runs to the month's end"
        SUSPENDED = "suspended", "Suspended"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    # Live: the link still holds its place (one per triple, one billing partner per customer).
    LIVE_STATUSES = (Status.ACTIVATING, Status.ACTIVE, Status.REVOKING, Status.SUSPENDED)
    # Granting: the reseller's people hold the link's permissions (`link_sync_grants`).
    GRANTING_STATUSES = (Status.ACTIVE, Status.REVOKING)
    # The only moves a link can make; every service checks its transition against it.
    TRANSITIONS: dict[str, set[str]] = {
        # activating → activating: a newer accepted scope replaces one still being applied.
        Status.ACTIVATING: {Status.ACTIVATING, Status.ACTIVE, Status.SUSPENDED, Status.REVOKED},
        Status.ACTIVE: {
            Status.ACTIVATING,
            Status.REVOKING,
            Status.SUSPENDED,
            Status.REVOKED,
            Status.EXPIRED,
        },
        # revoking → activating: the customer accepted a new request of the same reseller.
        Status.REVOKING: {Status.ACTIVATING, Status.SUSPENDED, Status.REVOKED},
        # suspended → activating: a change of scope the customer accepted before the suspension;
        # its activation checks the customer and the reseller again.
        Status.SUSPENDED: {
            Status.ACTIVE,
            Status.REVOKING,
            Status.ACTIVATING,
            Status.REVOKED,
            Status.EXPIRED,
        },
        Status.REVOKED: {Status.ACTIVATING},
        Status.EXPIRED: {Status.ACTIVATING},
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
    withdrawal_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at", "withdrawal_token_hash"])

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
                    status__in=["activating", "active", "revoking", "suspended"],
                ),
                name="one_billing_partner_per_customer",
                violation_error_code="LNK-V008",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "activating",
                        "active",
                        "revoking",
                        "suspended",
                        "revoked",
                        "expired",
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
        ]
        indexes = [
            models.Index(fields=["reseller", "status", "-created_at"], name="link_reseller_status"),
            models.Index(fields=["reseller", "-created_at"], name="link_reseller_created"),
            models.Index(fields=["reseller", "ends_at"], name="link_reseller_ends"),
            models.Index(fields=["status", "ends_at"], name="link_status_ends"),
            models.Index(
                fields=["reseller", "verification_status"], name="link_reseller_verification"
            ),
            models.Index(
                fields=["reseller", "link_type", "-created_at"], name="link_reseller_type"
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
            self.status in (self.Status.ACTIVE, self.Status.REVOKING, self.Status.SUSPENDED)
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

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())

    def get_effective_status_display(self) -> str:
        return self.Status(self.effective_status).label


class ConsentRecord(models.Model):
    """Append-only evidence of what the customer saw and decided; never edited or deleted."""

    APPEND_ONLY = True  # PostgreSQL refuses UPDATE and DELETE (accounts.append_only)
    TEXT_VERSION = "consent-text-v1"

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

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


class Refusal(models.Model):
    """One code of a refused action on a request: who tried what, when, and why not.

    A refusal rolls the action back, so it is written afterwards in a transaction of its own
    (`linking.services.refusal_record`); the rows of one attempt share `attempt`. Append-only
    evidence like the consent records; indexed by code for charts of refusals by error code.
    """

    APPEND_ONLY = True  # PostgreSQL refuses UPDATE and DELETE (accounts.append_only)

    class Action(models.TextChoices):
        SUBMIT = "submit", "Submit"
        APPROVE = "approve", "Approval"
        REJECT = "reject", "Rejection"
        CANCEL = "cancel", "Cancellation"
        RESEND = "resend", "Resend"

    # Plain ids as in the audit events: deleting a request or a user never rewrites what
    # was refused.
    request = models.ForeignKey(
        LinkRequest,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="refusals",
    )
    reseller = models.ForeignKey(
        Reseller, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    attempt = models.UUIDField(help_text="Shared by the codes of one refused attempt.")
    code = models.CharField(max_length=20)
    stage = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["code", "created_at"], name="refusal_code_created"),
            models.Index(fields=["request", "created_at"], name="refusal_request_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["submit", "approve", "reject", "cancel", "resend"]),
                name="refusal_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} of request {self.request_id} refused: {self.code}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Refusals are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Refusals are append-only.")


class Notification(models.Model):
    """One e-mail the portal owes someone: written with the change, delivered by a worker."""

    class Kind(models.TextChoices):
        CONSENT_REQUEST = "consent_request", "Consent request to the customer"
        CONSENT_RECEIPT = "consent_receipt", "Receipt to the customer"
        APPROVAL_NEEDED = "approval_needed", "Approval needed"
        REQUEST_REJECTED = "request_rejected", "Request rejected"
        CUSTOMER_DECIDED = "customer_decided", "Customer decided"
        LINK_ACTIVE = "link_active", "Link active"
        CONSENT_REMINDER = "consent_reminder", "Reminder to the customer"
        APPROVAL_REMINDER = "approval_reminder", "Reminder to the approvers"
        REQUEST_EXPIRED = "request_expired", "Request expired"
        DELIVERY_FAILED = "delivery_failed", "E-mail could not be delivered"
        LINK_REVOKED = "link_revoked", "Link revoked"
        LINK_EXPIRING = "link_expiring", "Link about to expire"
        LINK_EXPIRED = "link_expired", "Link expired"
        LINK_SUSPENDED = "link_suspended", "Link suspended"
        LINK_RESUMED = "link_resumed", "Link resumed"
        PARTNER_SUSPENDED = "partner_suspended", "Link suspended with the partner program"
        VERIFICATION_FAILED = "verification_failed", "Link failing verification"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Retrying"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NOT_NEEDED = "not_needed", "Not needed any more"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    to_email = models.EmailField()
    request = models.ForeignKey(
        LinkRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    link = models.ForeignKey(
        Link, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["queued", "sending", "retrying", "sent", "failed", "not_needed"]
                ),
                name="notification_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="notification_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.status})"

    @staticmethod
    def describe_error(error: str) -> str:
        """The `last_error` the delivery writes, in words a reseller understands."""
        if not error:
            return ""
        if error.startswith("address refused"):
            return (
                "The receiving mail server refused the address: it does not exist or does not "
                "accept mail."
            )
        if error.startswith("refused:"):
            code = error.removeprefix("refused:").strip()
            return f"The mail server refused the message for good (SMTP {code})."
        if error.startswith("temporary:"):
            detail = error.removeprefix("temporary:").strip()
            if detail.isdigit():
                return (
                    f"The mail server asked to try again later (SMTP {detail}); "
                    "retried automatically."
                )
            return "The mail server could not be reached; retried automatically."
        if error == "no longer needed":
            return "Not sent: the request had moved on (decided, cancelled or expired) first."
        return error

    @property
    def last_error_in_words(self) -> str:
        return self.describe_error(self.last_error)


class VerificationRun(models.Model):
    """One run of a link's post-activation checklist; runs are kept, never changed afterwards."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        ACTIVATION = "activation", "After activation"
        RETRY = "retry", "Automatic retry"
        MANUAL = "manual", "Re-run on demand"
        RESUME = "resume", "After resumption"
        AMEND = "amend", "After a change of scope"

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="verification_runs")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    checks = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["link", "-started_at"], name="verification_link_started")]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["running", "passed", "failed"]),
                name="verification_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.link.reference} run {self.pk} ({self.outcome})"


BATCH_KEY_MAX = 100


class Batch(models.Model):
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


class DirectoryImport(models.Model):
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


class Preset(models.Model):
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


# The cloud connection lives in its own module; importing it registers it in this app.
from linking.cloud.models import CloudConnection  # noqa: E402,F401
