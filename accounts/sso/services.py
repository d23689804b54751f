"""Every write on a reseller's identity provider, and the rules of a single sign-on.

Admins of the reseller change the provider (the page asks for the password first); each change
writes a history row without the client secret and an audit event naming the parts that
changed. The provider's discovery document is read by the caller before the change, outside
the transaction (`sso.oidc.discover`).
"""

from __future__ import annotations

import re

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import AuditEvent, Membership, Reseller, User
from accounts.permissions import has_reseller_perm
from accounts.sso.models import IdentityProvider, SsoDomain
from accounts.sso.oidc import Discovery
from linking.cloud import encryption
from portal.errors import PortalError

MANAGE = "manage_members"
PART_NAMES = {
    "issuer": "issuer",
    "client_id": "client id",
    "client_secret": "client secret",
    "domains": "e-mail domains",
    "enabled": "sign-in on/off",
    "required": "single sign-on required",
}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def can_manage_provider(*, actor: User | None, reseller: Reseller) -> PortalError | None:
    """None when `actor` may change the reseller's identity provider (its admins)."""
    if has_reseller_perm(user=actor, reseller=reseller, perm=MANAGE):
        return None
    return PortalError("ACC-O012", reseller=reseller.name)


def clean_domains(text: str) -> list[str]:
    """The e-mail domains of a text (one per line or comma-separated), lower-case, sorted
    (ACC-O014 for anything that is not a domain)."""
    domains = sorted({d.strip().lower().lstrip("@") for d in re.split(r"[\s,;]+", text) if d})
    for domain in domains:
        if not _DOMAIN.match(domain):
            raise PortalError("ACC-O014", domain=domain[:100])
    if not domains:
        raise PortalError("ACC-O014", domain="(none)")
    return domains


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


@sensitive_variables("client_secret")
def identity_provider_save(
    *,
    actor: User | None,
    reseller: Reseller,
    discovery: Discovery,
    client_id: str,
    client_secret: str = "",
    domains: list[str],
    enabled: bool = True,
    required: bool = False,
    check_actor: bool = True,
) -> IdentityProvider:
    """Create or change the reseller's provider. An empty secret keeps the stored one (a new
    provider needs one: ACC-O013). A domain of another reseller is refused (ACC-O011)."""
    if check_actor and (refusal := can_manage_provider(actor=actor, reseller=reseller)):
        raise refusal
    with transaction.atomic():
        provider = IdentityProvider.objects.select_for_update().filter(reseller=reseller).first()
        creating = provider is None
        if creating and not client_secret:
            raise PortalError("ACC-O013")
        taken = (
            SsoDomain.objects.filter(domain__in=domains)
            .exclude(provider__reseller=reseller)
            .values_list("domain", flat=True)
            .first()
        )
        if taken:
            raise PortalError("ACC-O011", domain=taken)
        if provider is None:
            provider = IdentityProvider(reseller=reseller, revision=0)
        values = {
            "issuer": discovery.issuer,
            "client_id": client_id,
            "enabled": enabled,
            "required": required,
        }
        changed = [name for name, value in values.items() if getattr(provider, name) != value]
        old_domains = [] if creating else list(provider.domains.values_list("domain", flat=True))
        if sorted(old_domains) != sorted(domains):
            changed.append("domains")
        if client_secret:
            provider.client_secret_encrypted = encryption.encrypt(client_secret)
            provider.secret_set_at = timezone.now()
            changed.append("client_secret")
        for name, value in values.items():
            setattr(provider, name, value)
        # The endpoints are refreshed at every save; they are not a change of their own.
        provider.authorization_endpoint = discovery.authorization_endpoint
        provider.token_endpoint = discovery.token_endpoint
        provider.jwks_uri = discovery.jwks_uri
        provider.userinfo_endpoint = discovery.userinfo_endpoint
        provider.token_auth_method = discovery.token_auth_method
        provider.signing_algorithms = discovery.signing_algorithms
        provider.discovered_at = timezone.now()
        if not changed:
            provider.save_without_historical_record()
            return provider
        provider.revision += 1
        provider.updated_by = actor
        parts = ", ".join(PART_NAMES[name] for name in changed)
        summary = f"{'created' if creating else 'changed'}: {parts}"
        if "domains" in changed:
            summary += f" (domains now {', '.join(domains)})"
        provider._history_user = actor
        provider._change_reason = f"identity provider {summary}"
        provider.save()
        if "domains" in changed:
            provider.domains.exclude(domain__in=domains).delete()
            try:
                with transaction.atomic():
                    SsoDomain.objects.bulk_create(
                        [
                            SsoDomain(provider=provider, domain=d)
                            for d in domains
                            if d not in old_domains
                        ]
                    )
            except IntegrityError:  # another reseller took it meanwhile
                raise PortalError("ACC-O011", domain=", ".join(domains)) from None
        AuditEvent.objects.create(
            actor=actor,
            action=AuditEvent.Action.SSO_PROVIDER_CHANGED,
            content_type=ContentType.objects.get_for_model(IdentityProvider),
            object_id=str(provider.pk),
            object_repr=str(provider)[:200],
            reseller=reseller,
            reason=summary,
        )
        return provider


def client_secret(provider: IdentityProvider) -> str:
    return encryption.decrypt(provider.client_secret_encrypted)


def provider_for_email(email: str) -> IdentityProvider:
    """The enabled provider that signs in the address's domain (ACC-O001 when none does)."""
    domain = email_domain(email)
    provider = (
        IdentityProvider.objects.select_related("reseller")
        .filter(domains__domain=domain, enabled=True, reseller__status=Reseller.Status.ACTIVE)
        .first()
        if domain
        else None
    )
    if provider is None:
        raise PortalError("ACC-O001", domain=domain or email[:100])
    return provider


def member_for_claims(provider: IdentityProvider, claims: dict) -> User:
    """The portal user the provider signed in: an active member of the provider's reseller
    whose e-mail the provider verified, in one of the reseller's domains.

    ACC-O006 unverified address, ACC-O005 a domain the reseller does not own, ACC-O007 no
    active member of the reseller has the address. Nobody is created here.
    """
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is not True:
        raise PortalError("ACC-O006", email=email or "(none)")
    domain = email_domain(email)
    if not provider.domains.filter(domain=domain).exists():
        raise PortalError("ACC-O005", email=email, reseller=provider.reseller.name)
    membership = (
        Membership.objects.select_related("user")
        .filter(reseller=provider.reseller, user__email__iexact=email, user__is_active=True)
        .first()
    )
    if membership is None:
        raise PortalError("ACC-O007", email=email, reseller=provider.reseller.name)
    return membership.user


def password_login_refusal(user: User) -> PortalError | None:
    """ACC-O010 when a reseller of `user` requires single sign-on; platform staff may always
    use their password."""
    if user.is_staff or user.is_superuser:
        return None
    provider = (
        IdentityProvider.objects.filter(
            reseller__memberships__user=user, required=True, enabled=True
        )
        .select_related("reseller")
        .first()
    )
    if provider is None:
        return None
    return PortalError("ACC-O010", reseller=provider.reseller.name)
