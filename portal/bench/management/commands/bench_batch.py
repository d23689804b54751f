"""Benchmark of batch linking: dry run and run of a synthetic file, at two sizes."""

from __future__ import annotations

import contextlib
import resource
import time
import tracemalloc
import uuid
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import QuerySet

from accounts.models import Membership, Reseller, Role, User
from accounts.services import membership_add, reseller_create
from linking import services
from linking.models import (
    Batch,
    CustomerAccount,
    LinkRequest,
    Notification,
    Region,
    RequestItem,
    Service,
)
from portal import tabular
from portal.bench.management.commands.bench_expiry_sweep import _created
from portal.bench.scale_data import new_account_ids
from portal.errors import PortalError


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def memory_broker():
    """Publish the run's e-mail tasks to an in-process broker: nothing is sent, nothing is left
    in Redis, and each row still commits as it does under a worker."""
    from kombu import pools

    from portal.celery import app

    saved = {"broker_url": app.conf.broker_url}
    app.conf.update(broker_url="memory://")
    pools.reset()
    app._pool = None
    app.__dict__.pop("amqp", None)
    try:
        yield
    finally:
        app.conf.update(saved)
        pools.reset()
        app._pool = None
        app.__dict__.pop("amqp", None)


@transaction.atomic
def purge(reseller: Reseller, actor: User, customer_ids: list[int], catalog: list) -> None:
    """Delete every row the benchmark made, with their history rows, children first.

    History tables are append-only on PostgreSQL (a trigger refuses UPDATE and DELETE); this
    cleanup of a scratch database switches triggers off for its own transaction, which only a
    superuser may do.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    user_ids = {
        actor.pk,
        *Membership.objects.filter(reseller=reseller).values_list("user_id", flat=True),
    }
    # Tracked models of several classes, each with its `objects` and `history` managers.
    steps: list[tuple[Any, QuerySet]] = [
        (Batch, Batch.objects.filter(reseller=reseller)),
        (Notification, Notification.objects.filter(request__reseller=reseller)),
        (RequestItem, RequestItem.objects.filter(reseller=reseller)),
        (LinkRequest, LinkRequest.objects.filter(reseller=reseller)),
        (CustomerAccount, CustomerAccount.objects.filter(pk__in=customer_ids)),
        (Membership, Membership.objects.filter(reseller=reseller)),
    ]
    for model, qs in steps:
        for chunk in _chunks(list(qs.values_list("pk", flat=True))):
            model.objects.filter(pk__in=chunk).delete()
            # After the rows: deleting them writes one more history row each.
            model.history.model.objects.filter(id__in=chunk).delete()
    groups = list(
        Group.objects.filter(reseller_role__reseller=reseller).values_list("pk", flat=True)
    )
    Reseller.objects.filter(pk=reseller.pk).delete()
    Reseller.history.model.objects.filter(id=reseller.pk).delete()
    Group.objects.filter(pk__in=groups).delete()
    User.objects.filter(pk__in=user_ids).delete()
    User.history.model.objects.filter(id__in=user_ids).delete()
    for obj in catalog:
        type(obj).objects.filter(pk=obj.pk).delete()
        type(obj).history.model.objects.filter(id=obj.pk).delete()


def _chunks(values: list, size: int = 2000):
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Lines(list):
    """Each figure is written as soon as it is known: a long run must not hide the others."""

    def __init__(self, out):
        super().__init__()
        self.out = out

    def append(self, text: str) -> None:
        super().append(text)
        self.out.write(text)
        self.out.flush()


class _Counter:
    def __init__(self):
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)


def _setup(count: int) -> tuple[Reseller, User, list[CustomerAccount], Service, Region]:
    tag = uuid.uuid4().hex[:10]
    reseller = reseller_create(
        actor=None,
        reason="benchmark data",
        partner_id=f"B-{tag}",
        name=f"Benchmark {tag}",
        approval_policy=Reseller.ApprovalPolicy.BEYOND_READ_ONLY,
    )
    actor = User(username=f"bench-{tag}", email=f"initiator-{tag}@bench.invalid")
    actor.set_unusable_password()
    actor.save()
    membership_add(
        actor=None, reseller=reseller, email=actor.email, role=Role.INITIATOR, check_actor=False
    )
    # The policy sends billing rows to approval: a second person who can approve them, or each
    # submit is refused (LNK-A004) as it would be for a real reseller.
    approver = User(username=f"bench-approver-{tag}", email=f"approver-{tag}@bench.invalid")
    approver.set_unusable_password()
    approver.save()
    membership_add(
        actor=None, reseller=reseller, email=approver.email, role=Role.APPROVER, check_actor=False
    )
    service, _ = Service.objects.get_or_create(code=f"BENCH{tag[:6]}", defaults={"name": "Bench"})
    region, _ = Region.objects.get_or_create(
        code=f"bench-{tag[:6]}", defaults={"name": "Bench", "site": reseller.site}
    )
    try:
        identities = new_account_ids("ba7c0000", count)
    except ValueError as error:
        raise CommandError(str(error)) from None
    customers = _created(
        [
            CustomerAccount(
                account_id=account_id,
                account_name=account_name,
                display_name=f"Benchmark customer {i}",
                contact_email=f"customer-{tag}-{i}@bench.invalid",
            )
            for i, (account_id, account_name) in enumerate(identities)
        ],
        CustomerAccount,
    )
    through = CustomerAccount.regions.through
    through.objects.bulk_create(
        [through(customeraccount_id=c.pk, region_id=region.pk) for c in customers],
        batch_size=2000,
    )
    return reseller, actor, customers, service, region


def _file(account_ids: list[str], service: str, region: str, tag: str) -> bytes:
    """Half billing, half read-only delegation (straight to the customer under the policy)."""
    lines = []
    for i, account_id in enumerate(account_ids):
        if i % 2:
            lines.append([f"{tag}-{i}", account_id, "billing", "", "", "", "", f"T-{i}"])
        else:
            lines.append(
                [f"{tag}-{i}", account_id, "delegation", service, region, "read_only", "90", ""]
            )
    header = ["key", "account_id", "link_types", "delegation_services", "delegation_regions"]
    header += ["delegation_access", "delegation_days", "ticket"]
    return tabular.write_csv(header, lines).encode()


class Command(BaseCommand):
    help = (
        "Time batch linking on a synthetic file (PostgreSQL): the dry run and the run, rows per "
        "second, peak memory and database queries per row at two sizes (the size and a twentieth "
        "of it), which must stay flat. Run it on a scratch or staging database after changing "
        "the checks, the request services or their tables; never in production. Each row commits "
        "as under a worker; the e-mail tasks go to an in-process broker (nothing is sent) and "
        "everything it creates is deleted at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=10_000)
        parser.add_argument(
            "--allow-sqlite", action="store_true", help="run on SQLite anyway (for tests)"
        )

    def handle(self, *args, size: int, allow_sqlite: bool, **kw):
        if connection.vendor != "postgresql" and not allow_sqlite:
            raise CommandError(
                "The benchmark measures PostgreSQL: set DATABASE_URL to a scratch PostgreSQL "
                "database (or pass --allow-sqlite for a smoke run)."
            )
        if size < 2:
            raise CommandError("--size must be at least 2.")
        small = max(1, size // 20)
        lines = _Lines(self.stdout)
        # Each row commits on its own, as under a worker: one transaction around thousands of
        # rows would overflow PostgreSQL's subtransaction cache and measure that instead.
        setup = _setup(size + small)
        try:
            with memory_broker():
                self._run(size, small, lines, setup)
        finally:
            reseller, actor, customers, service, region = setup
            purge(reseller, actor, [c.pk for c in customers], [service, region])
        lines.append("data deleted")

    queries: dict[str, list[tuple[int, int]]]

    def _measure(self, label: str, fn, rows: int, lines: list[str], trace: bool = False):
        counter = _Counter()
        if trace:
            tracemalloc.start()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            result = fn()
            seconds = time.perf_counter() - start
        peak = ""
        if trace:
            peak = f"; peak traced memory MB: {tracemalloc.get_traced_memory()[1] / 2**20:.1f}"
            tracemalloc.stop()
        lines.append(
            f"{label} rows: {rows}; seconds: {seconds:.2f}; rows/second: "
            f"{rows / seconds:.0f}; queries: {counter.queries}; "
            f"queries/row: {counter.queries / rows:.3f}{peak}"
        )
        self.queries[label.split(" (")[0]].append((rows, counter.queries))
        return result

    def _run(self, size: int, small: int, lines: list[str], setup) -> None:
        self.queries = {"dry run": [], "dry run traced": [], "run": []}
        reseller, actor, customers, service, region = setup
        account_ids = [c.account_id for c in customers]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE linking_customeraccount")
        batches = {}
        # Dry runs first: a long run must not hold back the figures of the quick part.
        for n, ids in ((small, account_ids[size:]), (size, account_ids[:size])):
            data = _file(ids, service.code, region.code, f"k{n}")
            lines.append(f"file of {n} rows: {len(data)} bytes")

            def upload(data=data):
                return services.batch_upload(
                    actor=actor, reseller=reseller, file_name="bench.csv", data=data
                )

            try:
                batch = self._measure(f"dry run ({n})", upload, n, lines)
                # Memory on its own pass: tracing slows Python down and would skew the timing.
                try:
                    with transaction.atomic():
                        self._measure(f"dry run traced ({n})", upload, n, lines, trace=True)
                        raise _Rollback
                except _Rollback:
                    pass
            except PortalError as error:
                raise CommandError(error.as_text()) from None
            if batch.valid_rows != n:
                refused = batch.rows.exclude(outcome="pending").first()
                raise CommandError(
                    f"{n - batch.valid_rows} benchmark rows were refused, e.g. {refused.reasons}"
                )
            batches[n] = batch
        for n, batch in batches.items():
            services.batch_confirm(actor=actor, batch_id=batch.pk, enqueue=False)
            self._measure(
                f"run ({n})",
                lambda batch=batch: services.batch_run(batch_id=batch.pk),
                n,
                lines,
                trace=n == small,
            )
            batch = Batch.objects.get(pk=batch.pk)
            if batch.created_count != n:
                raise CommandError(f"only {batch.created_count} of {n} requests were created.")
        for label in ("dry run", "run"):
            (n1, q1), (n2, q2) = self.queries[label]
            lines.append(
                f"queries per extra row, {label}: {(q2 - q1) / (n2 - n1):.2f} "
                f"(fixed part: {q1 - n1 * (q2 - q1) / (n2 - n1):.0f} queries)"
            )
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        lines.append(f"peak process memory (ru_maxrss) MB: {maxrss:.0f}")
