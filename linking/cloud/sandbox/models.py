import secrets
import string
import uuid

from django.db import models

_AK_ALPHABET = string.ascii_uppercase + string.digits


def new_domain_id() -> str:
    return uuid.uuid4().hex


def new_server_id() -> str:
    return str(uuid.uuid4())


def new_access_key() -> str:
    return "".join(secrets.choice(_AK_ALPHABET) for _ in range(20))


def new_secret_key() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))


class Account(models.Model):
    """A Huawei Cloud account (domain): a partner or a customer."""

    domain_id = models.CharField(max_length=32, unique=True, default=new_domain_id)
    name = models.CharField(max_length=64, unique=True)
    display_name = models.CharField(max_length=128, blank=True)
    email = models.CharField(max_length=254, blank=True)
    frozen = models.BooleanField(default=False)
    verified_status = models.CharField(max_length=2, default="2")
    password = models.CharField(max_length=256, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class AccessKey(models.Model):
    """A permanent AK/SK of an account, or temporary credentials assumed through an agency."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="access_keys")
    access_key = models.CharField(max_length=64, unique=True, default=new_access_key)
    secret_key = models.CharField(max_length=64, default=new_secret_key)
    security_token = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    agency = models.ForeignKey("Agency", null=True, blank=True, on_delete=models.SET_NULL)
    broadened = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)


class Association(models.Model):
    """A partner's billing association with a customer (the customer accepted the invitation)."""

    partner = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="customers")
    customer = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="partners")
    association_type = models.CharField(max_length=8, default="1")
    associated_at = models.DateTimeField()
    # What the partner API reports of the customer's money (ShowSubCustomerBudget): the
    # budget the partner gives the customer this month and how much of it is used.
    budget_amount = models.DecimalField(max_digits=14, decimal_places=2, default=1000)
    used_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "customer"], name="sandbox_assoc_unique")
        ]
        # ListSubCustomers pages a partner's associations by id.
        indexes = [models.Index(fields=["partner", "id"], name="sandbox_assoc_page")]


class Agency(models.Model):
    """An IAM agency of a customer account trusting another account (by its name)."""

    customer = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="agencies")
    agency_id = models.CharField(max_length=32, unique=True, default=new_domain_id)
    name = models.CharField(max_length=64)
    trusted_domain_name = models.CharField(max_length=64)
    description = models.CharField(max_length=255, blank=True)
    duration = models.CharField(max_length=16, default="FOREVER")
    project_roles = models.JSONField(default=dict)
    domain_roles = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="sandbox_agency_unique")
        ]


class Server(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="servers")
    region = models.CharField(max_length=32)
    server_id = models.CharField(max_length=36, unique=True, default=new_server_id)
    name = models.CharField(max_length=64)
    status = models.CharField(max_length=16, default="ACTIVE")
    flavor = models.CharField(max_length=32, default="s6.small.1")
    created_at = models.DateTimeField(auto_now_add=True)


class Fault(models.Model):
    """A fault injected for tests and demos, consumed by the next `times` matching calls."""

    operation = models.CharField(max_length=64)
    kind = models.CharField(max_length=16)
    times = models.PositiveIntegerField(default=1)
    seconds = models.FloatField(default=0)
    status = models.PositiveSmallIntegerField(default=503)
