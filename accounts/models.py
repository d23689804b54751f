"""Users, resellers, memberships (a member's role) and the role groups that links grant to."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords


class HistoryNote:
    """What simple-history reads off an instance when `save()` or `delete()` writes its history
    row: who made the change and why. Services set both before saving a tracked model; neither
    is a column. A tracked model inherits this for the type checker: a bare annotation, nothing
    changes at runtime. `_history_date` backdates the row (bulk loads); `history` is the
    manager simple-history adds to the class (`register()` for User)."""

    _history_user: User | None
    _change_reason: str
    _history_date: datetime
    history: ClassVar[Any]


class User(HistoryNote, AbstractUser):
    email = models.EmailField("e-mail address", unique=True)
    # The language of the person's pages and e-mails; blank follows the browser's (pages) and
    # the portal's default, English (e-mails).
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.label(self.first_name, self.last_name, self.email, self.username)

    @staticmethod
    def label(first_name: str, last_name: str, email: str, username: str) -> str:
        """How the portal names a user (`str(user)`), from the four columns alone."""
        full = f"{first_name} {last_name}".strip()
        return f"{full} <{email}>" if full else email or username


def validate_reminder_schedule(value: str) -> None:
    from portal.schedules import parse_reminder_schedule

    try:
        parse_reminder_schedule(value)
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid") from exc


def default_setup_window_days() -> int:
    """A new reseller's setup window: the platform's (PORTAL_SETUP_WINDOW_DAYS)."""
    from django.conf import settings

    return settings.PORTAL_SETUP_WINDOW_DAYS


class Site(models.TextChoices):
    INTERNATIONAL = "intl", "International"
    CHINA = "cn", "China"


class LinkType(models.TextChoices):
    BILLING = "billing", _("Billing association")
    PROVISIONING = "provisioning", _("Service provisioning")
    DELEGATION = "delegation", _("Delegated administration")


class Reseller(HistoryNote, models.Model):
    class Tier(models.TextChoices):
        DISTRIBUTOR = "distributor", "Distributor"
        RESELLER = "reseller", "Reseller"

    class ApprovalPolicy(models.TextChoices):
        ALWAYS = "always", "Always: every request needs a second person"
        BEYOND_READ_ONLY = "beyond_read_only", "Beyond read-only: all but read-only delegation"
        NEVER = "never", "Never: requests go straight to the customer"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        CLOSED = "closed", "Closed"

    # The one definition of a reseller that may work: its people reach its pages, its requests
    # go on and its links grant access. Suspended and closed resellers do none of this.
    LIVE_STATUSES = (Status.ACTIVE,)

    partner_id = models.CharField(
        max_length=20, unique=True, help_text="The platform's partner id, e.g. P-100234."
    )
    name = models.CharField(max_length=200)
    site = models.CharField(max_length=10, choices=Site.choices, default=Site.INTERNATIONAL)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.RESELLER)
    allow_billing = models.BooleanField(default=True)
    allow_provisioning = models.BooleanField(default=True)
    allow_delegation = models.BooleanField(default=True)
    approval_policy = models.CharField(
        max_length=20, choices=ApprovalPolicy.choices, default=ApprovalPolicy.BEYOND_READ_ONLY
    )
    consent_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days a customer has to decide (1 to 30)."
    )
    consent_reminders = models.CharField(
        max_length=60,
        default="50%,1d",
        validators=[validate_reminder_schedule],
        help_text="When to remind the customer, comma-separated: a share of the consent window "
        "(50%) or a time before the deadline (1d, 4h). Empty: no reminders.",
    )
    approval_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days a request may wait for approval before it expires (1 to 30)."
    )
    approval_reminder_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Remind the approvers after a request has waited this many hours."
    )
    # Were platform-wide (PORTAL_SETUP_WINDOW_DAYS, a fixed 90 days); the reseller's admins own
    # them now, starting from the platform's values (accounts.governance).
    setup_window_days = models.PositiveSmallIntegerField(
        default=default_setup_window_days,
        help_text="Days a customer has, after accepting, for the cloud-side setup.",
    )
    delegation_days = models.PositiveSmallIntegerField(
        default=90, help_text="Duration a new delegation item starts with, in days."
    )
    # Admins, approvers, staff and auditors always need a second factor (accounts.mfa); with
    # this on, every member of the reseller does.
    require_mfa = models.BooleanField(
        default=False, help_text="Every member must sign in with a second factor."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        permissions = [
            ("initiate_requests", "Can start, fix and cancel link requests"),
            ("approve_requests", "Can approve or reject link requests"),
            ("manage_members", "Can manage members and roles"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "suspended", "closed"]),
                name="reseller_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(site__in=["intl", "cn"]), name="reseller_site_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(approval_policy__in=["always", "beyond_read_only", "never"]),
                name="reseller_approval_policy_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(consent_days__gte=1, consent_days__lte=30),
                name="reseller_consent_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(approval_days__gte=1, approval_days__lte=30),
                name="reseller_approval_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(approval_reminder_hours__gte=1),
                name="reseller_approval_reminder_hours_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(setup_window_days__gte=1, setup_window_days__lte=60),
                name="reseller_setup_window_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(delegation_days__gte=1, delegation_days__lte=730),
                name="reseller_delegation_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.partner_id})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    @property
    def allowed_link_types(self) -> list[str]:
        allowed: list[str] = []
        if self.allow_billing:
            allowed.append(LinkType.BILLING)
        if self.allow_provisioning:
            allowed.append(LinkType.PROVISIONING)
        if self.allow_delegation:
            allowed.append(LinkType.DELEGATION)
        return allowed


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    INITIATOR = "initiator", "Initiator"
    APPROVER = "approver", "Approver"
    VIEWER = "viewer", "Viewer"


# What each role may do in its reseller: the one answer, read from the membership's role
# (accounts.permissions). The codenames are the reseller's model permissions by name only.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: ["view_reseller", "initiate_requests", "approve_requests", "manage_members"],
    Role.INITIATOR: ["view_reseller", "initiate_requests"],
    Role.APPROVER: ["view_reseller", "approve_requests"],
    Role.VIEWER: ["view_reseller"],
}


class ResellerRoleGroup(models.Model):
    """The guardian group of one role of one reseller: its members are exactly the reseller's
    members in that role (accounts.services keeps them so, accounts.checks verifies it), and
    live links grant it permissions on customer accounts. It holds nothing on the reseller."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="role_groups")
    role = models.CharField(max_length=20, choices=Role.choices)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="reseller_role")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reseller", "role"], name="one_group_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.reseller.partner_id} {self.role}"


class Membership(HistoryNote, models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "reseller"], name="one_membership_per_reseller"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["admin", "initiator", "approver", "viewer"]),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.reseller.partner_id} as {self.role}"


class ResellerUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Reseller, on_delete=models.CASCADE)


class ResellerGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Reseller, on_delete=models.CASCADE)


class AuditEvent(models.Model):
    """A change of access that simple-history cannot see: a guardian object permission granted
    to or removed from a role group, or a user put into or taken out of a role group.

    Append-only evidence like the history tables. Every reference is kept as a plain id (no
    database constraint, nothing done on delete), as simple-history does: deleting a user, a
    group or a reseller must never rewrite or remove what happened to them.
    """

    APPEND_ONLY = True

    class Action(models.TextChoices):
        PERMISSION_GRANTED = "permission_granted", "Object permission granted"
        PERMISSION_REMOVED = "permission_removed", "Object permission removed"
        GROUP_JOINED = "group_joined", "Added to a role group"
        GROUP_LEFT = "group_left", "Removed from a role group"
        # The reseller's cloud connection: its history row never holds the access key pair,
        # so the event records who changed which parts of it.
        CLOUD_CONNECTION_CHANGED = "cloud_connection_changed", "Cloud connection changed"
        # A webhook endpoint: where the reseller's events go; its secret is never written down.
        WEBHOOK_ENDPOINT_CHANGED = "webhook_endpoint_changed", "Webhook endpoint changed"
        # An API key acts for the admin who made it, with a role: who made or revoked which.
        API_KEY_CREATED = "api_key_created", "API key created"
        API_KEY_REVOKED = "api_key_revoked", "API key revoked"
        # A reseller's admin ended a member's sign-in sessions (the sessions hold no history).
        SESSIONS_ENDED = "sessions_ended", "Sessions ended"
        # The reseller's identity provider (single sign-on); its client secret is never written.
        SSO_PROVIDER_CHANGED = "sso_provider_changed", "Single sign-on provider changed"
        # Second factors: which kind was added or removed, never a secret or a code.
        MFA_FACTOR_ADDED = "mfa_factor_added", "Second factor added"
        MFA_FACTOR_REMOVED = "mfa_factor_removed", "Second factor removed"
        MFA_RESET = "mfa_reset", "Second factors reset by an admin"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who caused the change; empty for the system (a sweep, an activation task).",
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    permission = models.CharField(
        max_length=150, blank=True, help_text="app_label.codename of the permission."
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    group_name = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        help_text="The member who joined or left the group.",
    )
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["reseller", "created_at"], name="auditevent_reseller_when"),
            models.Index(fields=["actor", "created_at"], name="auditevent_actor_when"),
            models.Index(fields=["action", "created_at"], name="auditevent_action_when"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    action__in=[
                        "permission_granted",
                        "permission_removed",
                        "group_joined",
                        "group_left",
                        "cloud_connection_changed",
                        "webhook_endpoint_changed",
                        "api_key_created",
                        "api_key_revoked",
                        "sessions_ended",
                        "sso_provider_changed",
                        "mfa_factor_added",
                        "mfa_factor_removed",
                        "mfa_reset",
                    ]
                ),
                name="auditevent_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.describe()}"

    def save(self, *args, **kwargs):
        # Evidence is written once (PostgreSQL refuses it too, with a trigger).
        if not self._state.adding:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")

    def describe(self) -> str:
        """One line saying what changed, from the snapshots (no query)."""
        if self.action in (self.Action.GROUP_JOINED, self.Action.GROUP_LEFT):
            return f"{self.object_repr} in group {self.group_name}"
        if self.action in (
            self.Action.CLOUD_CONNECTION_CHANGED,
            self.Action.WEBHOOK_ENDPOINT_CHANGED,
            self.Action.API_KEY_CREATED,
            self.Action.API_KEY_REVOKED,
            self.Action.SESSIONS_ENDED,
            self.Action.SSO_PROVIDER_CHANGED,
            self.Action.MFA_FACTOR_ADDED,
            self.Action.MFA_FACTOR_REMOVED,
            self.Action.MFA_RESET,
        ):
            return f"{self.object_repr}: {self.reason}"
        on = f" on {self.object_repr}" if self.object_repr else ""
        return f"{self.permission} for group {self.group_name}{on}"


class ApiKey(HistoryNote, models.Model):
    """A reseller's key for `/api/v1/`: it acts for the admin who made it, limited to its role.

    Only the SHA-256 of the secret is stored; the whole key is shown once, when it is made. The
    prefix is what people see to recognise a key (lists, history, logs). History rows never
    hold the hash, nor every last use (that is a column updated without history).
    """

    class KeyRole(models.TextChoices):
        VIEWER = Role.VIEWER.value, "Viewer"
        INITIATOR = Role.INITIATOR.value, "Initiator"
        APPROVER = Role.APPROVER.value, "Approver"

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text="What the key is for, e.g. “CRM sync”.")
    prefix = models.CharField(max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64)
    role = models.CharField(max_length=20, choices=KeyRole.choices)
    expires_at = models.DateTimeField(null=True, blank=True)
    allowed_networks = models.JSONField(
        default=list, blank=True, help_text="IP addresses or networks; empty: any address."
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["hashed_key", "last_used_at"])

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reseller", "-created_at"], name="apikey_reseller_new")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["viewer", "initiator", "approver"]),
                name="apikey_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} “{self.name}”"

    def is_active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotencyRecord(models.Model):
    """The first answer to a POST of the API sent with an `Idempotency-Key`, per API key.

    Written in the same transaction as the service's change, so a retried call finds either
    nothing (the first one rolled back: it runs again) or the change and its answer together.
    Records older than a day are ignored and purged (`idempotency_purge_task`).
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    response_location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="one_answer_per_key"),
        ]


# Invitations, sessions and teams live in modules of their own; imported here so Django finds
# the models of the app (and `accounts.models.X` keeps working).
from accounts.member_models import Invitation, PortalSession  # noqa: E402, F401
from accounts.team_models import Team, TeamMember  # noqa: E402, F401
