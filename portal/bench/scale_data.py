"""A realistic data set at distributor scale, written through bulk paths that keep the history.

At scale 1.0: 20 resellers (one distributor holding the bulk), a directory of 100,000 customers,
200,000 link requests spread over every state with their items, about 100,000 links, consent
records for every decision, the role groups' object permissions for every active link, members
in every role, and history rows for all of it. Building this through the services would take
hours; the rows here are what the services would have left behind.

This module builds the catalogs, resellers, members and customers and runs the whole;
`portal.bench.scale_links` builds the requests, links and what hangs off them.
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Membership, Reseller, ResellerRoleGroup, Role, Site, User
from accounts.services import reseller_create
from linking.identity import ACCOUNT_ID_LENGTH
from linking.models import (
    CustomerAccount,
    Link,
    LinkRequest,
    Region,
    Service,
)
from portal.bench.scale_links import (
    REASON,
    all_history_rows,
    bulk_insert,
    consent_rows,
    grant_rows,
    link_rows,
    request_rows,
    weighted,
)

EMAIL_DOMAIN = "scale.example"

# fmt: off
_WORDS_A = [
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Cyberdyne", "Soylent", "Tyrell",
    "Hooli", "Vandelay", "Bluth", "Oceanic", "Wonka", "Gringotts", "Monarch", "Nakatomi",
    "Massive", "Aperture", "Black", "Mesa", "Dharma", "Oscorp", "Northwind", "Contoso",
    "Fabrikam", "Litware", "Proseware", "Tailspin", "Wingtip", "Adventure", "Alpine", "Fourth",
    "Coffee", "Blue", "Yonder", "Margie", "Lucerne", "Humongous", "Trey", "Woodgrove",
    "Southridge", "Lamna", "Relecloud",
]
_WORDS_B = [
    "Retail", "Logistics", "Software", "Pharma", "Manufacturing", "Property", "Robotics",
    "Foods", "Biotech", "Media", "Data", "Imports", "Paper", "Airlines", "Energy", "Mining",
    "Travel", "Insurance", "Bank", "Telecom", "Health", "Studios", "Motors", "Textiles",
    "Games", "Analytics", "Security", "Farms", "Shipping", "Chemicals",
]
# fmt: on
_WORDS_C = ("Group", "Ltd", "Inc", "Holdings", "GmbH", "SA", "Co", "Partners", "Pte Ltd", "LLC")

_CUSTOMER_STATES = [
    (CustomerAccount.Status.ACTIVE, 92),
    (CustomerAccount.Status.FROZEN, 3),
    (CustomerAccount.Status.IN_ARREARS, 3),
    (CustomerAccount.Status.DEREGISTERED, 2),
]
_SERVICES = [
    ("ECS", "Elastic Cloud Server", False),
    ("OBS", "Object Storage Service", False),
    ("RDS", "Relational Database Service", False),
    ("VPC", "Virtual Private Cloud", False),
    ("ELB", "Elastic Load Balance", False),
    ("IAM", "Identity and Access Management", True),
]
_REGIONS = [
    ("ap-southeast-1", "AP-Hong Kong", Site.INTERNATIONAL),
    ("ap-southeast-3", "AP-Singapore", Site.INTERNATIONAL),
    ("eu-west-0", "EU-Paris", Site.INTERNATIONAL),
    ("af-south-1", "AF-Johannesburg", Site.INTERNATIONAL),
    ("cn-north-4", "CN North-Beijing4", Site.CHINA),
]
# Members per role: the distributor's operations team, then each smaller reseller's.
DISTRIBUTOR_TEAM = {Role.ADMIN: 2, Role.INITIATOR: 12, Role.APPROVER: 5, Role.VIEWER: 6}
RESELLER_TEAM = {Role.ADMIN: 1, Role.INITIATOR: 2, Role.APPROVER: 1, Role.VIEWER: 1}


@dataclass
class ScaleResult:
    counts: dict[str, int] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)
    distributor: Reseller | None = None


@contextmanager
def _keep_given_dates(*models):
    """Bulk rows carry dates spread over years; auto_now(_add) would stamp them all 'now'."""
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def database_is_empty() -> bool:
    return not (
        CustomerAccount.objects.exists()
        or LinkRequest.objects.exists()
        or Reseller.objects.exists()
    )


def generate(*, scale: float, seed: int = 1, log=None) -> ScaleResult:
    """Write the data set; `log(step, seconds)` hears of each step as it ends."""
    rng = random.Random(seed)
    result = ScaleResult()
    now = timezone.now()
    # Partner ids and user names stay unique when a data set is appended to another.
    tag = f"{seed:03d}{Reseller.objects.count():04d}"

    def step(name: str, started: float) -> None:
        seconds = time.perf_counter() - started
        result.timings.append((name, seconds))
        if log:
            log(name, seconds)

    with _keep_given_dates(CustomerAccount, LinkRequest, Link), transaction.atomic():
        t = time.perf_counter()
        services, regions = _catalogs()
        resellers, members = _resellers_and_members(rng, scale, tag, now)
        distributor = resellers[0]
        result.distributor = distributor
        step("resellers, role groups and members", t)

        t = time.perf_counter()
        customers = _customers(rng, max(10, round(100_000 * scale)), regions, now)
        step("customers", t)

        t = time.perf_counter()
        reqs, items = request_rows(rng, resellers, members, customers, services, regions, now)
        step("requests and items", t)

        t = time.perf_counter()
        links = link_rows(rng, distributor, reqs, items, now)
        step("links", t)

        t = time.perf_counter()
        consents = consent_rows(rng, reqs, items, now)
        grants = grant_rows(distributor, links)
        step("consent records and permissions", t)

        t = time.perf_counter()
        history = all_history_rows(customers, reqs, items, links, now)
        step("history", t)

    t = time.perf_counter()
    if connection.vendor == "postgresql":
        # What autovacuum would have done to tables this old: statistics for the planner and
        # a visibility map for index-only scans. VACUUM cannot run inside a transaction.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    step("vacuum and analyze", t)
    result.counts = {
        "resellers": len(resellers),
        "members": sum(len(m) for m in members.values()),
        "customers": len(customers),
        "requests": len(reqs),
        "items": len(items),
        "links": len(links),
        "consent records": consents,
        "object permissions": grants,
        "history rows": history,
    }
    return result


def _catalogs():
    services = []
    for code, name, sensitive in _SERVICES:
        obj = Service.objects.filter(code=code).first()
        if obj is None:
            obj = Service(code=code, name=name, sensitive=sensitive)
            obj._change_reason = REASON
            obj.save()
        services.append(obj)
    regions = []
    for code, name, site in _REGIONS:
        region = Region.objects.filter(code=code).first()
        if region is None:
            region = Region(code=code, name=name, site=site)
            region._change_reason = REASON
            region.save()
        regions.append(region)
    return services, regions


def _resellers_and_members(rng, scale: float, tag: str, now: datetime):
    count = max(2, round(20 * min(scale, 1.0))) if scale < 1 else 20
    resellers = []
    for i in range(count):
        distributor = i == 0
        resellers.append(
            reseller_create(
                actor=None,
                reason=REASON,
                partner_id=f"S-{tag}{i:03d}",
                name=("Scale Distribution" if distributor else f"Scale Reseller {i:02d}")
                + f" {tag}",
                tier=Reseller.Tier.DISTRIBUTOR if distributor else Reseller.Tier.RESELLER,
                approval_policy=Reseller.ApprovalPolicy.BEYOND_READ_ONLY,
            )
        )
    users, memberships, group_rows = [], [], []
    members: dict[int, list[tuple[User, str]]] = {}
    groups = {
        (rg.reseller_id, rg.role): rg.group_id
        for rg in ResellerRoleGroup.objects.filter(reseller__in=resellers)
    }
    for reseller in resellers:
        team = DISTRIBUTOR_TEAM if reseller.tier == Reseller.Tier.DISTRIBUTOR else RESELLER_TEAM
        members[reseller.pk] = []
        for role, n in team.items():
            for k in range(n):
                user = User(
                    username=f"{role}{k}-{reseller.partner_id}".lower(),
                    email=f"{role}{k}.{reseller.partner_id.lower()}@{EMAIL_DOMAIN}",
                    first_name=rng.choice(["Ana", "Ben", "Chen", "Dara", "Eli", "Femi", "Gus"]),
                    last_name=rng.choice(["Ng", "Ortiz", "Park", "Quinn", "Rossi", "Sato"]),
                )
                user.set_unusable_password()
                users.append((user, reseller, role))
    created = User.objects.bulk_create([u for u, _, _ in users])
    for user, (_, reseller, role) in zip(created, users, strict=True):
        user._change_reason = REASON
        memberships.append(Membership(user=user, reseller=reseller, role=role))
        group_rows.append(
            User.groups.through(user_id=user.pk, group_id=groups[(reseller.pk, role)])
        )
        members[reseller.pk].append((user, role))
    User.history.bulk_history_create(created, default_change_reason=REASON)
    memberships = Membership.objects.bulk_create(memberships)
    for m in memberships:
        m._change_reason = f"added as {m.role}"
    Membership.history.bulk_history_create(memberships)
    User.groups.through.objects.bulk_create(group_rows)
    return resellers, members


# The generated customers' account ids start with this, then count up (see `new_account_ids`).
SCALE_ID_PREFIX = "5ca1e000"


def new_account_ids(prefix: str, count: int) -> list[tuple[str, str]]:
    """`count` (account id, account name) pairs not taken yet: ids `prefix` followed by a
    hexadecimal counter above the highest one with that prefix (one query on the id's index),
    names `bench-<prefix>-<counter>`. Each generator has its own prefix."""
    top = CustomerAccount.objects.filter(account_id__startswith=prefix).aggregate(
        m=Max("account_id")
    )["m"]
    width = ACCOUNT_ID_LENGTH - len(prefix)
    first = int(top[len(prefix) :], 16) + 1 if top else 1
    if first + count > 16**width:
        raise ValueError(f"No free account ids left with the prefix {prefix}.")
    return [(f"{prefix}{n:0{width}x}", f"bench-{prefix}-{n}") for n in range(first, first + count)]


def _customers(rng, count: int, regions, now: datetime) -> list[CustomerAccount]:
    identities = new_account_ids(SCALE_ID_PREFIX, count)
    intl = [r for r in regions if r.site == Site.INTERNATIONAL]
    customers = []
    for i, (account_id, account_name) in enumerate(identities):
        name = f"{rng.choice(_WORDS_A)} {rng.choice(_WORDS_B)} {rng.choice(_WORDS_C)} {i}"
        customers.append(
            CustomerAccount(
                account_id=account_id,
                account_name=account_name,
                display_name=name,
                contact_email=f"it-{account_id[-12:]}@{EMAIL_DOMAIN}",
                site=Site.INTERNATIONAL,
                status=weighted(rng, _CUSTOMER_STATES),
                is_partner=rng.random() < 0.005,
                created_at=now - timedelta(days=rng.uniform(400, 1800)),
            )
        )
    customers = bulk_insert(CustomerAccount, customers)
    through = CustomerAccount.regions.through
    rows = []
    for c in customers:
        for region in rng.sample(intl, rng.randint(2, len(intl))):
            rows.append(through(customeraccount_id=c.pk, region_id=region.pk))
    bulk_insert(through, rows)
    return customers
