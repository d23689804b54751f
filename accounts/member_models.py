"""A reseller's invitations of new members, and the portal's session store: who is asked in,
and where each person is signed in (docs/members.md)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, Reseller, Role, User


class Invitation(HistoryNote, models.Model):
    """A reseller's invitation of a person, by e-mail, to become a member in a role.

    Only the SHA-256 of the link's token is stored (and never in history); a resend replaces it,
    so the earlier e-mail's link stops working. Pending until accepted or revoked; past
    `expires_at` it is expired whatever its status says (read time, no sweep needed).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    token_hash = models.CharField(max_length=64, unique=True)
    # The e-mail that carries the current token: its delivery derives the token again.
    notification_id = models.BigIntegerField(null=True, blank=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    times_sent = models.PositiveSmallIntegerField(default=1)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["token_hash", "notification_id"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reseller", "status"], name="invitation_reseller_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "revoked"]),
                name="invitation_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["admin", "initiator", "approver", "viewer"]),
                name="invitation_role_valid",
            ),
            models.UniqueConstraint(
                "reseller",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.reseller.partner_id} as {self.role}"

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    def effective_status(self, now: datetime | None = None) -> str:
        if self.status == self.Status.PENDING and self.is_expired(now):
            return "expired"
        return self.status


class PortalSession(AbstractBaseSession):
    """The portal's session store (SESSION_ENGINE accounts.sessions): Django's database session
    with what a person needs to recognise and end their sessions. The key itself is the store's
    primary key and is never shown; pages, logs and audit events name a session by the SHA-256
    of its key. The columns are written when the session is (at most once a minute for activity,
    accounts.sessions.SessionActivityMiddleware), never on every request."""

    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    key_hash = models.CharField(max_length=64, db_index=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_portal_session"

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore
