"""Benchmark of consent e-mail delivery: a real worker on Redis, a real SMTP server on loopback."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import Reseller, User
from linking.models import CustomerAccount, LinkRequest, Notification, RequestItem
from portal.bench.management.commands.bench_expiry_sweep import BenchData, create_bench_requests

DELIVER_TASK = "linking.tasks.notification_deliver_task"


class _Recorder:
    """aiosmtpd handler that counts the messages per recipient."""

    def __init__(self):
        self.recipients: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def snapshot(self) -> Counter[str]:
        with self.lock:
            return Counter(self.recipients)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{quote(db['NAME'], safe='')}"


@transaction.atomic
def purge(data: BenchData) -> None:
    """Delete the benchmark's rows and every history row they have, children first.

    History tables are append-only on PostgreSQL (a trigger refuses UPDATE and DELETE); this
    cleanup of a scratch database switches triggers off for its own transaction, which only a
    superuser may do. The application's role cannot, and neither can this command there.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    requests = LinkRequest.objects.filter(pk__in=data.request_ids)
    customer_ids = list(requests.values_list("customer_id", flat=True))
    # Tracked models of several classes, each with its `objects` and `history` managers.
    steps: list[tuple[Any, QuerySet]] = [
        (Notification, Notification.objects.filter(request_id__in=data.request_ids)),
        (RequestItem, RequestItem.objects.filter(request_id__in=data.request_ids)),
        (LinkRequest, requests),
        (CustomerAccount, CustomerAccount.objects.filter(pk__in=customer_ids)),
        (User, User.objects.filter(pk=data.initiator.pk)),
        (Reseller, Reseller.objects.filter(pk=data.reseller.pk)),
    ]
    for model, qs in steps:
        pks = list(qs.values_list("pk", flat=True))
        model.objects.filter(pk__in=pks).delete()
        # After the rows: deleting them writes one more history row each.
        model.history.model.objects.filter(id__in=pks).delete()


class Command(BaseCommand):
    help = (
        "Time the delivery of N consent e-mails through a real Celery worker on Redis to an "
        "SMTP server on loopback, and count duplicates. Needs REDIS_URL and a PostgreSQL "
        "DATABASE_URL. Run it on a scratch or staging database after changing the delivery "
        "task, the worker settings or the e-mail templates; never in production. It removes "
        "everything it created."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=1000)
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument("--pool", choices=["prefork", "solo"], default="prefork")
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")

    def handle(self, *args, count: int, concurrency: int, pool: str, timeout: float, **kw):
        redis_url = os.environ.get("REDIS_URL", "")
        if not redis_url.startswith(("redis://", "rediss://")):
            raise CommandError("Set REDIS_URL to the Redis the worker should consume from.")
        if connection.vendor != "postgresql":
            raise CommandError("The worker needs a shared database: set a PostgreSQL DATABASE_URL.")
        if count < 1:
            raise CommandError("--count must be positive.")
        from aiosmtpd.controller import Controller

        # aiosmtpd logs every SMTP command at INFO.
        logging.getLogger("mail.log").setLevel(logging.WARNING)

        host = "127.0.0.1"
        recorder = _Recorder()
        smtp = Controller(recorder, hostname=host, port=_free_port(host))
        smtp.start()
        tag = uuid.uuid4().hex[:10]
        queue = f"bench-{tag}"
        data = None
        worker = None
        # Append mode: the worker writes to the same file while this process reads it.
        with tempfile.TemporaryFile(mode="a+") as log:
            try:
                now = timezone.now()
                data = create_bench_requests(
                    count=count, now=now, consent_deadline=now + timedelta(days=7)
                )
                ids = self._queue_notifications(data, now)
                worker = self._start_worker(
                    queue, tag, pool, concurrency, redis_url, smtp.port, log
                )
                seconds, delivered = self._deliver(
                    worker, ids, queue, tag, redis_url, recorder, timeout, log
                )
            finally:
                if worker is not None:
                    self._stop_worker(worker)
                smtp.stop()
                self._delete_queue(queue, redis_url)
                if data is not None:
                    purge(data)
        received = recorder.snapshot()
        duplicates = sum(n - 1 for n in received.values() if n > 1)
        self.stdout.write(
            f"e-mails delivered: {delivered} of {count}; duplicates: {duplicates}; "
            f"seconds: {seconds:.2f}; e-mails/second: {delivered / seconds:.1f}; "
            f"worker: {pool}, concurrency {concurrency}"
        )
        if duplicates or delivered < count:
            raise CommandError("Delivery was incomplete or duplicated; see the figures above.")

    def _queue_notifications(self, data: BenchData, now) -> list[int]:
        requests = LinkRequest.objects.filter(pk__in=data.request_ids).order_by("pk")
        notices = bulk_create_with_history(
            [
                Notification(
                    kind=Notification.Kind.CONSENT_REQUEST,
                    to_email=email,
                    request_id=pk,
                    created_at=now,
                )
                for pk, email in requests.values_list("pk", "consent_email")
            ],
            Notification,
            batch_size=1000,
            default_change_reason="queued",
        )
        return [n.pk for n in notices]

    def _start_worker(self, queue, tag, pool, concurrency, redis_url, smtp_port, log):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": redis_url,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": "0",
            "EMAIL_USE_SSL": "0",
            "PORTAL_BASE_URL": settings.PORTAL_BASE_URL,
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--queues",
            queue,
            "--hostname",
            f"bench-{tag}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",  # its "ready." line says when to start the clock
        ]
        return subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def _deliver(self, worker, ids, queue, tag, redis_url, recorder, timeout, log):
        from portal.celery import app

        deadline = time.monotonic() + timeout
        with app.connection_for_write(redis_url) as conn:
            # Declared here so that nothing published before the worker is up is dropped.
            app.amqp.queues[queue].bind(conn.default_channel).declare()
            # The clock starts when the worker answers, so its start-up is not counted.
            while not re.search(rf"bench-{tag}@\S+ ready\.", self._log_tail(log)):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise CommandError(f"The worker did not start: {self._log_tail(log)}")
                time.sleep(0.1)
            started = time.perf_counter()
            for pk in ids:
                app.send_task(DELIVER_TASK, args=[pk], queue=queue, connection=conn)
        pending = Notification.objects.filter(pk__in=ids).exclude(status=Notification.Status.SENT)
        while True:
            delivered = sum(recorder.snapshot().values())
            if delivered >= len(ids) and not pending.exists():
                break
            if time.monotonic() > deadline:
                self.stderr.write(self._log_tail(log))
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        # A moment more, so that a duplicate still on its way is counted.
        time.sleep(1.0)
        return seconds, min(len(recorder.snapshot()), len(ids))

    @staticmethod
    def _log_tail(log) -> str:
        log.flush()
        log.seek(0)
        return log.read()[-5000:]

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    def _delete_queue(self, queue: str, redis_url: str) -> None:
        from portal.celery import app

        try:
            with app.connection_for_write(redis_url) as conn:
                # kombu deletes only the bindings its channel knows of: declare, then delete.
                bound = app.amqp.queues[queue].bind(conn.default_channel)
                bound.declare()
                bound.delete()
        except Exception as exc:  # a leftover empty queue is harmless
            self.stderr.write(f"could not delete the queue {queue}: {exc}")
