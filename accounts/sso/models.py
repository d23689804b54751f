"""A reseller's identity provider (OpenID Connect) and the e-mail domains it signs in.

The client secret is stored only encrypted (`linking.cloud.encryption`, the keys of the cloud
connections), in a field simple-history does not track: history rows, the audit trail and the
pages never hold it. The provider's endpoints are discovered when the configuration is saved
and kept here, so starting a sign-in calls nobody.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, Reseller


class IdentityProvider(HistoryNote, models.Model):
    reseller = models.OneToOneField(
        Reseller, on_delete=models.CASCADE, related_name="identity_provider"
    )
    issuer = models.URLField(
        "issuer URL",
        max_length=300,
        help_text="The provider's issuer, e.g. https://login.example.com/realms/staff.",
    )
    client_id = models.CharField("client id", max_length=200)
    # Fernet token of the client secret; never shown, logged or tracked.
    client_secret_encrypted = models.TextField(editable=False)
    secret_set_at = models.DateTimeField("client secret set at")
    enabled = models.BooleanField(
        default=True, help_text="Members may sign in through the provider."
    )
    required = models.BooleanField(
        "single sign-on required",
        default=False,
        help_text="Members may not sign in with a password (platform staff still may).",
    )
    # Discovered from {issuer}/.well-known/openid-configuration when saved.
    authorization_endpoint = models.CharField(max_length=500)
    token_endpoint = models.CharField(max_length=500)
    jwks_uri = models.CharField("JWKS URI", max_length=500)
    userinfo_endpoint = models.CharField(max_length=500, blank=True)
    token_auth_method = models.CharField(max_length=30, default="client_secret_basic")
    signing_algorithms = models.JSONField(default=list)
    discovered_at = models.DateTimeField()
    # Counts the changes: a sign-in started before a change is not finished after it.
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
    history = HistoricalRecords(excluded_fields=["client_secret_encrypted"])
    # Added by simple-history at class creation (a bare annotation for the type checker): the
    # endpoints refreshed by a save that changes nothing else are not history.
    save_without_historical_record: Callable[..., None]

    class Meta:
        verbose_name = "identity provider"

    def __str__(self) -> str:
        return f"{self.reseller.partner_id} identity provider {self.issuer}"


class SsoDomain(models.Model):
    """An e-mail domain whose people sign in through one reseller's provider: a domain belongs
    to one reseller at most, so the sign-in page finds the provider from the address."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
