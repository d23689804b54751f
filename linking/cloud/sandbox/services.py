"""Every change of the sandbox's state, shared by the control API, the console and the API."""

import re
import secrets
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import clock
from .models import AccessKey, Account, Agency, Association, Fault, Server
from .roles import REGIONS, ROLES

DOMAIN_ID_RX = re.compile(r"^[0-9a-f]{32}$")
ACCESS_KEY_RX = re.compile(r"^[A-Z0-9]{16,64}$")
SECRET_KEY_RX = re.compile(r"^[A-Za-z0-9]{20,64}$")
NAME_RX = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
AGENCY_NAME_RX = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
DURATION_RX = re.compile(r"^(FOREVER|ONEDAY|[1-9][0-9]{0,3})$")
OPERATIONS = {
    "ListSubCustomers",
    "CreateTemporaryAccessKeyByAgency",
    "KeystoneListAuthProjects",
    "ListServersDetails",
    "CreateServers",
    "*",
}
FAULT_KINDS = {"throttle", "error", "delay", "broaden"}
VERIFIED_STATUSES = {"-1", "0", "1", "2", "3"}


class SandboxError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


def reset():
    clock.real_time()
    with transaction.atomic():
        for model in (AccessKey, Association, Agency, Server, Fault, Account):
            model.objects.all().delete()


def create_account(
    *,
    name,
    display_name="",
    email="",
    domain_id=None,
    frozen=False,
    verified_status="2",
    password=None,
    access_key=None,
    secret_key=None,
):
    """Create an account and its AK/SK pair (given ones keep a demo's keys stable)."""
    if not isinstance(name, str) or not NAME_RX.match(name):
        raise SandboxError("name: 1 to 64 letters, digits, '_', '.' or '-'.")
    if domain_id is not None and not (isinstance(domain_id, str) and DOMAIN_ID_RX.match(domain_id)):
        raise SandboxError("domain_id: 32 lowercase hexadecimal characters.")
    if access_key is not None and not ACCESS_KEY_RX.match(str(access_key)):
        raise SandboxError("access_key: 16 to 64 uppercase letters or digits.")
    if secret_key is not None and not SECRET_KEY_RX.match(str(secret_key)):
        raise SandboxError("secret_key: 20 to 64 letters or digits.")
    if str(verified_status) not in VERIFIED_STATUSES:
        raise SandboxError("verified_status: one of -1, 0, 1, 2, 3.")
    account = Account(
        name=name,
        display_name=str(display_name or ""),
        email=str(email or ""),
        frozen=bool(frozen),
        verified_status=str(verified_status),
        password=make_password(password) if password else "",
    )
    if domain_id:
        account.domain_id = domain_id
    try:
        with transaction.atomic():
            account.save()
            key = AccessKey(account=account)
            key.access_key = access_key or key.access_key
            key.secret_key = secret_key or key.secret_key
            key.save()
    except IntegrityError:
        raise SandboxError("An account with this name or domain_id exists.", 409) from None
    return account, key


def update_account(account: Account, **changes) -> Account:
    """Change what the partner API reports of an account: frozen, verification, e-mail, name."""
    if "verified_status" in changes and str(changes["verified_status"]) not in VERIFIED_STATUSES:
        raise SandboxError("verified_status: one of -1, 0, 1, 2, 3.")
    for name, value in changes.items():
        if name == "frozen":
            value = bool(value)
        elif name in ("verified_status", "email", "display_name"):
            value = str(value or "")
        else:
            raise TypeError(f"unexpected field {name!r}")
        setattr(account, name, value)
    account.save()
    return account


def account_by_domain(domain_id) -> Account:
    account = Account.objects.filter(domain_id=str(domain_id)).first()
    if account is None:
        raise SandboxError(f"No account with domain_id {domain_id}.", 404)
    return account


def associate(partner: Account, customer: Account, association_type="1"):
    if partner.pk == customer.pk:
        raise SandboxError("An account cannot be its own partner.")
    association, _ = Association.objects.update_or_create(
        partner=partner,
        customer=customer,
        defaults={"association_type": str(association_type)},
        create_defaults={
            "association_type": str(association_type),
            "associated_at": clock.now(),
        },
    )
    return association


def set_budget(partner: Account, customer: Account, **values) -> Association:
    """What the partner API reports of an associated customer's budget and its use."""
    association = Association.objects.filter(partner=partner, customer=customer).first()
    if association is None:
        raise SandboxError("The customer is not associated with this partner.", 404)
    for name in ("budget_amount", "used_amount"):
        if name in values:
            try:
                amount = Decimal(str(values[name]))
            except ArithmeticError:
                raise SandboxError(f"{name} must be a number.") from None
            if not amount.is_finite() or amount < 0:
                raise SandboxError(f"{name} must be a number, 0 or more.")
            setattr(association, name, amount.quantize(Decimal("0.01")))
    if "currency" in values:
        association.currency = str(values["currency"])[:3]
    association.save()
    return association


def dissociate(partner: Account, customer: Account) -> int:
    deleted, _ = Association.objects.filter(partner=partner, customer=customer).delete()
    return deleted


def bulk_customers(partner: Account, *, count, name_prefix, association_type="1"):
    """Create and associate ``count`` customers in a few bulk inserts."""
    if not isinstance(count, int) or not 1 <= count <= 100_000:
        raise SandboxError("count: an integer from 1 to 100000.")
    if not isinstance(name_prefix, str) or not NAME_RX.match(name_prefix + "0"):
        raise SandboxError("name_prefix: letters, digits, '_', '.' or '-'.")
    now = timezone.now()
    width = len(str(count))
    accounts = [
        Account(name=f"{name_prefix}{i:0{width}d}", display_name=f"{name_prefix.strip('-_.')} {i}")
        for i in range(1, count + 1)
    ]
    try:
        with transaction.atomic():
            Account.objects.bulk_create(accounts, batch_size=2000)
            Association.objects.bulk_create(
                [
                    Association(
                        partner=partner,
                        customer_id=account.pk,
                        association_type=str(association_type),
                        associated_at=now,
                    )
                    for account in accounts
                ],
                batch_size=2000,
            )
    except IntegrityError:
        raise SandboxError(
            "Some of these account names exist; choose another prefix.", 409
        ) from None
    return count


def _clean_roles(project_roles, domain_roles):
    if not isinstance(project_roles, dict) or not isinstance(domain_roles, list):
        raise SandboxError("project_roles: {region: [role, ...]}; domain_roles: [role, ...].")
    cleaned = {}
    for region, roles in project_roles.items():
        if region not in REGIONS:
            raise SandboxError(f"Unknown region {region!r}; known: {', '.join(REGIONS)}.")
        if not isinstance(roles, list):
            raise SandboxError(f"project_roles[{region!r}] must be a list of role names.")
        if roles:
            cleaned[region] = sorted(set(roles))
    for role in [r for roles in cleaned.values() for r in roles] + list(domain_roles):
        if role not in ROLES:
            raise SandboxError(f"Unknown role {role!r}.")
    if not cleaned and not domain_roles:
        raise SandboxError("An agency needs at least one role.")
    return cleaned, sorted(set(domain_roles))


def save_agency(
    customer: Account,
    *,
    name,
    trusted_domain_name,
    project_roles,
    domain_roles=(),
    duration="FOREVER",
    description="",
    agency: Agency | None = None,
):
    """Create an agency, or change ``agency`` (its name cannot change, as in IAM)."""
    if agency is None and not (isinstance(name, str) and AGENCY_NAME_RX.match(name)):
        raise SandboxError("name: 1 to 64 letters, digits, '_', '.' or '-'.")
    if not isinstance(trusted_domain_name, str) or not NAME_RX.match(trusted_domain_name):
        raise SandboxError("trusted_domain_name: the trusted partner's account name.")
    if trusted_domain_name == customer.name:
        raise SandboxError("An agency must trust another account.")
    if not DURATION_RX.match(str(duration)):
        raise SandboxError('duration: "FOREVER", "ONEDAY" or a number of days.')
    roles, domain = _clean_roles(project_roles, list(domain_roles))
    target = agency or Agency(customer=customer, name=name)
    target.trusted_domain_name = trusted_domain_name
    target.project_roles = roles
    target.domain_roles = domain
    target.duration = str(duration)
    target.description = str(description or "")[:255]
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise SandboxError(f"The agency {name!r} exists.", 409) from None
    return target


def delete_agency(customer: Account, name) -> int:
    deleted, _ = Agency.objects.filter(customer=customer, name=name).delete()
    return deleted


def agency_expired(agency: Agency, now=None) -> bool:
    if agency.duration == "FOREVER":
        return False
    days = 1 if agency.duration == "ONEDAY" else int(agency.duration)
    return (now or clock.now()) >= agency.created_at + timedelta(days=days)


def create_server(customer: Account, *, region, name, status="ACTIVE", flavor="s6.small.1"):
    if region not in REGIONS:
        raise SandboxError(f"Unknown region {region!r}.")
    if not isinstance(name, str) or not name:
        raise SandboxError("name is required.")
    return Server.objects.create(
        account=customer, region=region, name=name, status=str(status), flavor=str(flavor)[:32]
    )


def add_fault(*, operation, kind, times=1, seconds=0, status=503):
    if operation not in OPERATIONS:
        raise SandboxError(f"operation: one of {', '.join(sorted(OPERATIONS))}.")
    if kind not in FAULT_KINDS:
        raise SandboxError(f"kind: one of {', '.join(sorted(FAULT_KINDS))}.")
    if not isinstance(times, int) or times < 1:
        raise SandboxError("times: a positive integer.")
    if not isinstance(seconds, int | float) or not 0 <= seconds <= 600:
        raise SandboxError("seconds: a number from 0 to 600.")
    if status not in (500, 502, 503, 504):
        raise SandboxError("status: 500, 502, 503 or 504.")
    return Fault.objects.create(
        operation=operation, kind=kind, times=times, seconds=seconds, status=status
    )


def issue_temporary_credentials(agency: Agency, *, duration_seconds, broadened):
    return AccessKey.objects.create(
        account=agency.customer,
        agency=agency,
        security_token=secrets.token_urlsafe(96),
        expires_at=clock.now() + timedelta(seconds=duration_seconds),
        broadened=broadened,
    )


def clear_faults():
    Fault.objects.all().delete()
