"""Benchmark of the customer sync: N associated customers in the sandbox cloud, read over HTTP
through the official SDK and written into the directory, at several sizes."""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.models import Reseller
from accounts.services import reseller_create
from linking.cloud.models import CloudAssociation, CloudConnection
from linking.cloud.sandbox.control import SandboxControl
from linking.cloud.services import cloud_connection_save
from linking.cloud.sync import PageResult, SyncSummary, cloud_sync
from linking.models import CustomerAccount
from portal.bench.sandbox import running_sandbox
from portal.errors import PortalError


@dataclass
class _Run:
    """One sync, timed, with the queries each page cost."""

    summary: SyncSummary
    seconds: float
    page_queries: list[int] = field(default_factory=list)

    @property
    def per_thousand(self) -> float:
        return self.seconds / max(1, self.summary.listed) * 1000

    @property
    def steady_pages(self) -> list[int]:
        # The first page also pays for the start of the sync (the connection, its start mark).
        return self.page_queries[1:] or self.page_queries


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _timed_sync(reseller: Reseller) -> _Run:
    counter = _QueryCounter()
    marks: list[int] = []

    def on_page(page: PageResult) -> None:
        marks.append(counter.count)

    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        summary = cloud_sync(reseller=reseller, on_page=on_page)
        seconds = time.perf_counter() - started
    if summary.outcome != "ok":
        raise CommandError(f"The sync failed: {summary.line()}")
    per_page = [b - a for a, b in zip([0, *marks], marks, strict=False)]
    return _Run(summary, seconds, per_page)


def _setup(url: str, control: SandboxControl, count: int) -> Reseller:
    tag = uuid.uuid4().hex[:8]
    partner = control.create_account(f"bench-partner-{tag}", display_name=f"Bench {tag}")
    control.bulk_customers(partner["domain_id"], count, name_prefix=f"b{tag}-")
    reseller = reseller_create(
        actor=None, partner_id=f"B-{tag}", name=f"Sync benchmark {tag}", reason="benchmark"
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
        purge(reseller)
        raise CommandError(error.as_text()) from None
    return reseller


@transaction.atomic
def purge(reseller: Reseller) -> None:
    """Delete what the benchmark wrote, history rows included (append-only on PostgreSQL: the
    triggers are switched off for this transaction, which only a superuser may do)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    customer_ids = list(
        CloudAssociation.objects.filter(reseller=reseller).values_list("customer_id", flat=True)
    )
    CloudAssociation.objects.filter(reseller=reseller).delete()
    for start in range(0, len(customer_ids), 2000):
        chunk = customer_ids[start : start + 2000]
        CustomerAccount.objects.filter(pk__in=chunk).delete()
        CustomerAccount.history.model.objects.filter(id__in=chunk).delete()
    connection_ids = list(
        CloudConnection.objects.filter(reseller=reseller).values_list("pk", flat=True)
    )
    CloudConnection.objects.filter(pk__in=connection_ids).delete()
    CloudConnection.history.model.objects.filter(id__in=connection_ids).delete()
    groups = list(
        Group.objects.filter(reseller_role__reseller=reseller).values_list("pk", flat=True)
    )
    Reseller.objects.filter(pk=reseller.pk).delete()
    Reseller.history.model.objects.filter(id=reseller.pk).delete()
    Group.objects.filter(pk__in=groups).delete()


class Command(BaseCommand):
    help = (
        "Time the customer sync against the sandbox cloud: for each size, N customers "
        "associated with a new partner account are synced twice (all new, then all unchanged). "
        "Prints the seconds, the seconds per 1,000 customers and the queries per page. Starts "
        "its own sandbox unless --sandbox-url is given. Run on a scratch database; it deletes "
        "its data at the end (which needs a superuser on PostgreSQL) unless --keep."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="1000,10000", help="comma-separated counts")
        parser.add_argument("--sandbox-url", default="")
        parser.add_argument("--sandbox-token", default="")
        parser.add_argument("--keep", action="store_true", help="keep the synced rows")

    def handle(self, *args, sizes, sandbox_url, sandbox_token, keep, **options):
        try:
            counts = [int(s) for s in sizes.split(",") if s.strip()]
        except ValueError:
            raise CommandError("--sizes: comma-separated whole numbers.") from None
        if not counts or min(counts) < 1:
            raise CommandError("--sizes: at least one count, each at least 1.")
        sandbox: contextlib.AbstractContextManager[tuple[str, SandboxControl]]
        if sandbox_url:
            sandbox = contextlib.nullcontext(
                (sandbox_url, SandboxControl(sandbox_url, sandbox_token, timeout=300))
            )
        else:
            sandbox = running_sandbox()
        with sandbox as (url, control):
            for count in counts:
                self._bench(url, control, count, keep)

    def _bench(self, url: str, control: SandboxControl, count: int, keep: bool) -> None:
        reseller = _setup(url, control, count)
        try:
            for label in ("first sync", "second sync"):
                run = _timed_sync(reseller)
                s = run.summary
                steady = run.steady_pages
                self.stdout.write(
                    f"N={count} {label}: {s.pages} pages, {s.new} new, {s.changed} changed, "
                    f"{s.unchanged} unchanged; seconds: {run.seconds:.2f}; "
                    f"seconds per 1000 customers: {run.per_thousand:.2f}; "
                    f"queries per page: {max(steady)} (min {min(steady)}, first page "
                    f"{run.page_queries[0]})"
                )
                self.stdout.flush()
        finally:
            if keep:
                self.stdout.write(f"kept: reseller {reseller.partner_id}")
            else:
                purge(reseller)
