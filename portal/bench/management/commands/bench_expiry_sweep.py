"""Benchmark of the expiry sweep on synthetic overdue requests."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import Reseller, User
from linking.models import CustomerAccount, LinkRequest, Notification, RequestItem
from linking.services.sweeps import link_request_expire_overdue
from portal.bench.scale_data import new_account_ids

SETUP_REASON = "benchmark data"
CHUNK = 5000


@dataclass
class BenchData:
    reseller: Reseller
    initiator: User
    request_ids: list[int]


def _created(objs, model) -> list:
    out = []
    for start in range(0, len(objs), CHUNK):
        out += bulk_create_with_history(
            objs[start : start + CHUNK],
            model,
            batch_size=1000,
            default_change_reason=SETUP_REASON,
        )
    return out


def create_bench_requests(
    *,
    count: int,
    now: datetime,
    consent_deadline: datetime,
    approval_every: int = 0,
    email_domain: str = "bench.invalid",
) -> BenchData:
    """Synthetic pending requests of a dedicated reseller, one customer each, with an open item
    and their initial history rows; every `approval_every`-th one waits for approval instead,
    overdue. Bulk inserts: building 100,000 requests through the services would take hours."""
    tag = uuid.uuid4().hex[:10]
    reseller = _created([Reseller(partner_id=f"B-{tag}", name=f"Benchmark {tag}")], Reseller)[0]
    initiator = User(username=f"bench-{tag}", email=f"initiator-{tag}@{email_domain}")
    initiator.set_unusable_password()
    initiator._change_reason = SETUP_REASON
    initiator.save()
    # The benchmark's customers have account ids of their own prefix, above every earlier one.
    try:
        identities = new_account_ids("e4a10000", count)
    except ValueError as error:
        raise CommandError(str(error)) from None
    customers = _created(
        [
            CustomerAccount(
                account_id=account_id,
                account_name=account_name,
                display_name=f"Benchmark customer {i}",
                contact_email=f"customer-{tag}-{i}@{email_domain}",
            )
            for i, (account_id, account_name) in enumerate(identities)
        ],
        CustomerAccount,
    )
    past = now - timedelta(hours=1)
    requests = []
    for i, customer in enumerate(customers):
        waits_for_approval = bool(approval_every) and i % approval_every == 0
        requests.append(
            LinkRequest(
                reseller=reseller,
                customer=customer,
                account_id_input=customer.account_id,
                status=LinkRequest.Status.PENDING_APPROVAL
                if waits_for_approval
                else LinkRequest.Status.PENDING_CONSENT,
                wizard_step=5,
                initiator=initiator,
                consent_days=7,
                submitted_at=now - timedelta(days=8),
                approval_deadline=past if waits_for_approval else None,
                consent_deadline=None if waits_for_approval else consent_deadline,
                consent_email=customer.contact_email,
                status_changed_at=now - timedelta(days=8),
            )
        )
    requests = _created(requests, LinkRequest)
    _created(
        [
            RequestItem(
                request=req,
                reseller=reseller,
                customer_id=req.customer_id,
                link_type="delegation",
                services=["ECS"],
                regions=["ap-southeast-1"],
                access_level="read_only",
                duration_days=90,
                is_open=True,
            )
            for req in requests
        ],
        RequestItem,
    )
    return BenchData(reseller=reseller, initiator=initiator, request_ids=[r.pk for r in requests])


def overdue_requests(*, count: int, now: datetime) -> BenchData:
    """Overdue pending_consent requests, every tenth one overdue in pending_approval."""
    return create_bench_requests(
        count=count, now=now, consent_deadline=now - timedelta(hours=1), approval_every=10
    )


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Time the expiry sweep on N synthetic overdue requests (PostgreSQL). Run it on a scratch "
        "or staging database after changing the sweep, the request tables or their indexes; "
        "never in production. Everything it creates is rolled back unless --keep."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--keep", action="store_true", help="commit the benchmark data")
        parser.add_argument(
            "--allow-sqlite", action="store_true", help="run on SQLite anyway (for tests)"
        )

    def handle(self, *args, count: int, batch_size: int, keep: bool, allow_sqlite: bool, **kw):
        if connection.vendor != "postgresql" and not allow_sqlite:
            raise CommandError(
                "The benchmark measures PostgreSQL: set DATABASE_URL to a scratch PostgreSQL "
                "database (or pass --allow-sqlite for a smoke run)."
            )
        if count < 1 or batch_size < 1:
            raise CommandError("--count and --batch-size must be positive.")
        result: dict = {}
        try:
            with transaction.atomic():
                self._run(count, batch_size, result)
                if not keep:
                    raise _Rollback
        except _Rollback:
            pass
        seconds = result["seconds"]
        self.stdout.write(
            f"requests expired: {result['expired']}; seconds: {seconds:.2f}; "
            f"requests/second: {result['expired'] / seconds:.0f}; "
            f"history rows written: {result['history']} (requests) + {result['item_history']} "
            f"(items) + {result['notification_history']} (notices); "
            f"notifications written: {result['notifications']}; "
            f"queries per batch: {result['per_batch']} ({result['queries']} queries in "
            f"{result['batches']} batches of at most {batch_size}); "
            f"setup seconds: {result['setup']:.1f}; "
            f"data {'kept' if keep else 'rolled back'}"
        )

    def _run(self, count: int, batch_size: int, result: dict) -> None:
        started = time.perf_counter()
        now = timezone.now()
        data = overdue_requests(count=count, now=now)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE linking_linkrequest")
                cursor.execute("ANALYZE linking_requestitem")
        result["setup"] = time.perf_counter() - started
        history = LinkRequest.history.model.objects
        item_history = RequestItem.history.model.objects
        notification_history = Notification.history.model.objects
        before = (history.count(), item_history.count(), notification_history.count())
        notifications_before = Notification.objects.count()
        # Queries counted per batch: a new batch starts with the select of its requests.
        batches = [0]

        def counter(execute, sql, params, many, context):
            if sql.startswith("SELECT") and '"linking_linkrequest"' in sql and "LIMIT" in sql:
                batches.append(0)
            batches[-1] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            expired = link_request_expire_overdue(now=now, batch_size=batch_size)
            result["seconds"] = time.perf_counter() - start
        mine = LinkRequest.objects.filter(pk__in=data.request_ids)
        if mine.exclude(status=LinkRequest.Status.EXPIRED).exists():
            raise CommandError("The sweep left overdue benchmark requests behind.")
        result.update(
            expired=expired,
            history=history.count() - before[0],
            item_history=item_history.count() - before[1],
            notification_history=notification_history.count() - before[2],
            notifications=Notification.objects.count() - notifications_before,
            batches=len(batches) - 1,
            queries=sum(batches),
            per_batch=max(batches),
        )
