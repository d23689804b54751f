"""Link requests, their items (one per link type) and the refused attempts on them.

A request moves only through `LinkRequest.TRANSITIONS`, and only in the services
(`linking.services.requests` and `.decisions`, under a row lock):

    draft ──submit──▶ pending_approval ──approve──▶ pending_consent ──customer accepts──▶ completed
      │                 │  │                           │  │
      │                 │  ├──reject──▶ rejected       │  ├──customer declines──▶ declined
      │                 │  └──deadline──▶ expired      │  └──deadline──▶ expired
      │                 └──cancel──▶ cancelled         └──cancel──▶ cancelled
      ├──submit (no approval needed)──▶ pending_consent
      ├──a narrowing change of scope──▶ completed (applies at once, without consent)
      └──cancel──▶ cancelled

`completed`, `rejected`, `declined`, `cancelled` and `expired` are terminal. A request whose
deadline has passed reads as expired (`effective_status`) before the sweep moves it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, LinkType, Reseller
from linking.models.catalog import AccessLevel
from linking.models.directory import CustomerAccount
from portal.indexes import CoveringIndex

if TYPE_CHECKING:
    from linking.models.links import Link

_UNREAD = object()
_LINK_TYPE_LABELS = dict(LinkType.choices)


class LinkRequest(HistoryNote, models.Model):
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
    # The teams the request's delegation and provisioning links go to; none: the operators
    # (the reseller's role groups), as before teams existed.
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="requests")
    consent_days = models.PositiveSmallIntegerField(default=7)
    consent_deadline = models.DateTimeField(null=True, blank=True)
    approval_deadline = models.DateTimeField(null=True, blank=True)
    # The reseller's settings as they were when the request was started: a change on the
    # Settings page applies to new requests only. Empty on requests started before the settings
    # were kept here; those read the reseller's (linking.checks.policy is the one reader).
    approval_days = models.PositiveSmallIntegerField(null=True, blank=True)
    consent_reminders = models.CharField(max_length=60, null=True, blank=True)
    approval_reminder_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    setup_window_days = models.PositiveSmallIntegerField(null=True, blank=True)
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
            # The funnel's period: by reseller, and across resellers in the admin.
            models.Index(fields=["reseller", "submitted_at"], name="req_reseller_submitted"),
            models.Index(fields=["submitted_at"], name="req_submitted"),
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
        """Whose move it is: initiator, approver, delivery, customer, activation, customer setup
        (the customer's step in the cloud after accepting), or nobody ("").

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
            activating = getattr(self, "has_activating_links", None)
            if activating is None:
                from linking.models.links import Link  # links import requests

                activating = Link.objects.filter(
                    source_item__request=self, status=Link.Status.ACTIVATING
                ).exists()
                # Kept as the annotation would be (an instance attribute, not a model field).
                vars(self)["has_activating_links"] = activating
            if activating:
                return "activation"
            # Accepted: the customer's step in the cloud comes before any access.
            awaiting = getattr(self, "has_links_awaiting_setup", None)
            if awaiting is None:
                from linking.models.links import Link

                awaiting = Link.objects.filter(
                    source_item__request=self, status=Link.Status.AWAITING_SETUP
                ).exists()
                vars(self)["has_links_awaiting_setup"] = awaiting
            return "customer setup" if awaiting else ""
        return ""

    @property
    def link_types_display(self) -> str:
        """The link types of the items, in words, in item order; "" for none. A list reads
        them with the row (`link_type_codes`, see `linking.selectors.requests.request_rows`)."""
        codes = getattr(self, "link_type_codes", _UNREAD)
        if codes is _UNREAD:
            return ", ".join(item.get_link_type_display() for item in self.items.all())
        # The annotation is a comma-joined string aggregate, NULL for a request without items.
        assert codes is None or isinstance(codes, str)
        return ", ".join(str(_LINK_TYPE_LABELS.get(c, c)) for c in (codes or "").split(",") if c)

    @property
    def waiting_since(self):
        """Since when the current wait lasts: the customer's from the delivered e-mail."""
        if self.waiting_on == "customer":
            return self.consent_sent_at
        return self.status_changed_at


class RequestItem(HistoryNote, models.Model):
    class Decision(models.TextChoices):
        PENDING = "pending", _("Not decided")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

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
    # The link the item created or changed, when a page has read it for the item
    # (`linking.selectors.requests.request_item_links`); not a column.
    link: Link | None

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
            models.Index(fields=["reseller", "created_at"], name="refusal_reseller_created"),
            models.Index(fields=["created_at"], name="refusal_created"),
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
