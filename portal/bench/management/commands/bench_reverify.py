"""Benchmark of drift: N active links re-verified against the sandbox cloud, as the schedule
hands them out over a period, through the official SDK over HTTP."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Reseller, Site
from accounts.services import reseller_create
from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.names import agency_name
from linking.cloud.sandbox.control import SandboxControl
from linking.cloud.services import cloud_connection_save
from linking.models import AccessLevel, CustomerAccount, Link, VerificationRun
from linking.services.drift import (
    link_reverify_claim_due,
    next_reverification_at,
    reverify_period,
)
from linking.services.verification import link_verify
from portal.bench.management.commands.bench_cloud_sync import purge as purge_reseller
from portal.bench.sandbox import running_sandbox
from portal.bench.scale_data import new_account_ids
from portal.bench.scale_links import bulk_insert
from portal.errors import PortalError

REGION = "ap-southeast-1"
ID_PREFIX = "be7e0000"
# What the customer created for each link type: the roles of a read-only ECS delegation.
READ_ONLY_ROLES = {REGION: ["ECS ReadOnlyAccess"]}
TYPES = ("delegation", "billing")
SWEEP = timedelta(minutes=2)  # the beat schedule's link-reverify-sweep


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@dataclass
class _Figures:
    links: int = 0
    seconds: float = 0.0
    cloud_calls: int = 0
    queries: int = 0
    outcomes: Counter = field(default_factory=Counter)

    def line(self, label: str) -> str:
        n = max(1, self.links)
        outcomes = ", ".join(f"{v} {k}" for k, v in sorted(self.outcomes.items()))
        return (
            f"{label}: {self.links} links re-verified ({outcomes}); seconds: {self.seconds:.2f}; "
            f"seconds per 1000 links: {self.seconds / n * 1000:.2f}; "
            f"cloud calls per link: {self.cloud_calls / n:.2f}; queries per link: "
            f"{self.queries / n:.1f}"
        )


def _setup(url: str, control: SandboxControl, counts: dict[str, int]) -> Reseller:
    """A partner account in the sandbox, a reseller connected to it, and per type N customers
    whose cloud side is done (the association accepted, the agency created) and whose links
    are active, each on its slot of the period."""
    tag = uuid.uuid4().hex[:8]
    partner = control.create_account(f"bench-drift-{tag}", display_name=f"Drift {tag}")
    reseller = reseller_create(
        actor=None, partner_id=f"D-{tag}", name=f"Drift benchmark {tag}", reason="benchmark"
    )
    try:
        cloud_connection_save(
            actor=None,
            reseller=reseller,
            partner_domain_id=partner["domain_id"],
            partner_account_name=partner["name"],
            access_key=partner["access_key"],
            secret_key=partner["secret_key"],
            bss_endpoint=url,
            iam_endpoint=url,
            ecs_endpoint=url,
            check_actor=False,
            reason="benchmark",
        )
    except PortalError as error:
        purge_reseller(reseller)
        raise CommandError(error.as_text()) from None
    now = timezone.now()
    for link_type, count in counts.items():
        identities = new_account_ids(ID_PREFIX, count)
        customers = bulk_insert(
            CustomerAccount,
            [
                CustomerAccount(
                    account_id=account_id,
                    account_name=name,
                    display_name=name,
                    contact_email=f"it-{account_id[-12:]}@drift.example",
                    site=Site.INTERNATIONAL,
                )
                for account_id, name in identities
            ],
        )
        delegation = link_type == "delegation"
        links = bulk_insert(
            Link,
            [
                Link(
                    reseller=reseller,
                    customer=customer,
                    link_type=link_type,
                    status=Link.Status.ACTIVE,
                    services=["ECS"] if delegation else [],
                    regions=[REGION] if delegation else [],
                    access_level=AccessLevel.READ_ONLY if delegation else "",
                    starts_at=now,
                    activated_at=now,
                    verification_status="passing",
                )
                for customer in customers
            ],
        )
        for link, customer in zip(links, customers, strict=True):
            link.next_verification_at = next_reverification_at(link.pk, after=now)
            control.create_account(customer.account_name, domain_id=customer.account_id)
            if delegation:
                name = agency_name(reseller.partner_id, link.reference)
                control.create_agency(
                    customer.account_id, name, partner["name"], project_roles=READ_ONLY_ROLES
                )
            else:
                control.associate(partner["domain_id"], customer.account_id, "2")
        Link.objects.bulk_update(links, ["next_verification_at"], batch_size=1000)
    return reseller


def spread(reseller: Reseller) -> str:
    """How the schedule spreads the reseller's links over the period: per hour and per sweep."""
    slots = [
        slot
        for slot in Link.objects.filter(reseller=reseller).values_list(
            "next_verification_at", flat=True
        )
        if slot is not None
    ]
    start = min(slots)
    hours: Counter[int] = Counter()
    sweeps: Counter[int] = Counter()
    for slot in slots:
        offset = slot - start
        hours[offset // timedelta(hours=1)] += 1
        sweeps[offset // SWEEP] += 1
    period_hours = int(reverify_period() / timedelta(hours=1))
    per_hour = [hours.get(h, 0) for h in range(period_hours)]
    n = len(slots)
    return (
        f"spread over {period_hours} h: {n / period_hours:.1f} links an hour on average, "
        f"busiest hour {max(per_hour)}, quietest {min(per_hour)}; busiest 2-minute sweep "
        f"{max(sweeps.values())} links (a sweep claims at most 1000)"
    )


def reverify_all(reseller: Reseller) -> dict[str, _Figures]:
    """Claim every link as the sweeps of a whole period would, and re-verify each as a worker
    does; per link type, the time, the cloud calls and the queries."""
    figures = {t: _Figures() for t in TYPES}
    types = dict(Link.objects.filter(reseller=reseller).values_list("pk", "link_type"))
    horizon = timezone.now() + reverify_period()
    forget_cached_credentials()
    done: set[int] = set()
    while True:
        claimed = link_reverify_claim_due(now=horizon)
        if not claimed:
            break
        # A link verified in this loop has its next slot before the horizon: claimed once more
        # (its lease then passes the horizon), not verified twice.
        for link_id in (pk for pk in claimed if pk in types and pk not in done):
            done.add(link_id)
            counter = _QueryCounter()
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                run = link_verify(link_id=link_id, trigger=VerificationRun.Trigger.SCHEDULE)
                seconds = time.perf_counter() - started
            f = figures[types[link_id]]
            f.links += 1
            f.seconds += seconds
            f.queries += counter.count
            f.outcomes[run.outcome if run else "skipped"] += 1
            f.cloud_calls += run.cloud_calls if run else 0
    return figures


@transaction.atomic
def purge(reseller: Reseller) -> None:
    """Delete the benchmark's links, runs and customers (history rows included), then the
    reseller and its connection."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    link_ids = list(Link.objects.filter(reseller=reseller).values_list("pk", flat=True))
    customer_ids = list(
        Link.objects.filter(reseller=reseller).values_list("customer_id", flat=True)
    )
    for start in range(0, len(link_ids), 2000):
        chunk = link_ids[start : start + 2000]
        VerificationRun.objects.filter(link_id__in=chunk).delete()
        Link.objects.filter(pk__in=chunk).delete()
        Link.history.model.objects.filter(id__in=chunk).delete()
    for start in range(0, len(customer_ids), 2000):
        chunk = customer_ids[start : start + 2000]
        CustomerAccount.objects.filter(pk__in=chunk).delete()
        CustomerAccount.history.model.objects.filter(id__in=chunk).delete()
    purge_reseller(reseller)


class Command(BaseCommand):
    help = (
        "Time the scheduled re-verification (drift) against the sandbox cloud: N active links "
        "(split evenly between delegation and billing by default) whose customers did their "
        "cloud side, each re-verified once as the sweeps of a period hand them out. Prints per "
        "link type the seconds per 1,000 links, the cloud calls and queries per link, and how "
        "the schedule spreads the links over the period. Starts its own sandbox unless "
        "--sandbox-url is given. Run on a scratch database; it deletes its data at the end "
        "(which needs a superuser on PostgreSQL) unless --keep."
    )

    def add_arguments(self, parser):
        parser.add_argument("--links", type=int, default=100_000, help="active links (N)")
        parser.add_argument(
            "--types", default=",".join(TYPES), help="comma-separated: delegation, billing"
        )
        parser.add_argument("--sandbox-url", default="")
        parser.add_argument("--sandbox-token", default="")
        parser.add_argument("--keep", action="store_true", help="keep the links")

    def handle(self, *args, links, types, sandbox_url, sandbox_token, keep, **options):
        chosen = [t.strip() for t in types.split(",") if t.strip()]
        if not chosen or any(t not in TYPES for t in chosen):
            raise CommandError("--types: delegation, billing or both, comma-separated.")
        if links < len(chosen):
            raise CommandError("--links: at least one link of each type.")
        counts = {t: links // len(chosen) for t in chosen}
        counts[chosen[0]] += links - sum(counts.values())
        sandbox: contextlib.AbstractContextManager[tuple[str, SandboxControl]]
        if sandbox_url:
            sandbox = contextlib.nullcontext(
                (sandbox_url, SandboxControl(sandbox_url, sandbox_token, timeout=300))
            )
        else:
            sandbox = running_sandbox()
        with sandbox as (url, control):
            started = time.perf_counter()
            reseller = _setup(url, control, counts)
            self.stdout.write(
                f"N={links}: set up in {time.perf_counter() - started:.1f} s; {spread(reseller)}"
            )
            try:
                figures = reverify_all(reseller)
                for link_type in chosen:
                    self.stdout.write(f"N={links} " + figures[link_type].line(link_type))
                total = _Figures(
                    links=sum(f.links for f in figures.values()),
                    seconds=sum(f.seconds for f in figures.values()),
                    cloud_calls=sum(f.cloud_calls for f in figures.values()),
                    queries=sum(f.queries for f in figures.values()),
                    outcomes=sum((f.outcomes for f in figures.values()), Counter()),
                )
                self.stdout.write(f"N={links} " + total.line("all"))
            finally:
                if keep:
                    self.stdout.write(f"kept: reseller {reseller.partner_id}")
                else:
                    purge(reseller)
