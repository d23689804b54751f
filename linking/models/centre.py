"""The customer centre's sign-in codes: one row per code e-mailed to a contact address."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class CustomerSignInCode(models.Model):
    """A six-digit code sent to `email`; only its keyed hash is stored.

    Not in simple-history: a row is a short-lived credential, not a domain object, and its
    history would only multiply copies of the hash. Sign-ins and withdrawals are audited on the
    objects they change (consent records, link history).
    """

    email = models.EmailField()
    code_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    wrong_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["email", "-created_at"], name="customer_code_email_created"),
        ]

    def __str__(self) -> str:
        return f"sign-in code {self.pk} ({'used' if self.used_at else 'open'})"
