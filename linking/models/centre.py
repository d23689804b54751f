"""Codes e-mailed to a customer's contact address: one row per code, for signing in to the
customer centre or for confirming a decision taken from an e-mailed link."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CustomerSignInCode(models.Model):
    """A six-digit code sent to `email`; only its keyed hash is stored.

    Not in simple-history: a row is a short-lived credential, not a domain object, and its
    history would only multiply copies of the hash. Sign-ins and withdrawals are audited on the
    objects they change (consent records, link history).
    """

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", _("Sign in to the customer centre")
        CONSENT = "consent", _("Confirm a decision on a request")
        WITHDRAW = "withdraw", _("Confirm the withdrawal of a link")

    email = models.EmailField()
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.SIGN_IN)
    # The request (consent) or the link (withdraw) the code confirms; none for signing in.
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    wrong_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["email", "-created_at"], name="customer_code_email_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=["sign_in", "consent", "withdraw"]),
                name="customer_code_purpose_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code {self.pk} ({'used' if self.used_at else 'open'})"
