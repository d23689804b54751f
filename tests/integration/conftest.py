"""Fixtures of the integration tests: a real SMTP server on loopback, a real Celery worker on
Redis in a thread of the test process, and a helper that waits for a condition.

Both the worker thread and pytest-django's live server reach the database from other threads,
so these tests run with ``transaction=True`` and, on SQLite, a file test database
(portal/settings_test.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.db import connections
from kombu import pools


def pytest_configure(config):
    # The SQLite test database is a file under PORTAL_VAR_DIR, which may not exist yet.
    from django.conf import settings

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and test_name:
        Path(test_name).parent.mkdir(parents=True, exist_ok=True)


CONSENT_URL_RE = re.compile(r"https?://[^\s\"'<>]+?/consent/(?P<token>[^\s\"'<>/]+)/")


def wait_for(condition, *, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class DeliveredMail:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    def consent_url(self) -> str:
        match = CONSENT_URL_RE.search(self.text)
        assert match, f"no consent link in the message:\n{self.text}"
        return match.group(0)


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[DeliveredMail] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self.messages.append(
                DeliveredMail(envelope.mail_from, list(envelope.rcpt_tos), message)
            )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[DeliveredMail]:
        with self._lock:
            return [m for m in self.messages if address in m.envelope_to]

    def wait_for_message(self, *, to: str, subject: str = "", timeout: float = 20.0):
        """The first message delivered to ``to`` (with exactly that subject, if given)."""

        def found():
            for m in self.to(to):
                if not subject or " ".join(m.subject.split()) == " ".join(subject.split()):
                    return m
            return None

        what = f"an e-mail to {to}" + (f" with subject {subject!r}" if subject else "")
        return wait_for(found, timeout=timeout, what=what)

    def wait_for_notification(self, *, kind: str, request, timeout: float = 20.0):
        """Wait until the worker has sent the request's notification of this kind, and return
        the message the SMTP server received for it."""
        from linking.models import Notification

        def sent():
            return (
                Notification.objects.filter(
                    request=request, kind=kind, status=Notification.Status.SENT
                )
                .order_by("-pk")
                .first()
            )

        notification = wait_for(sent, timeout=timeout, what=f"the {kind} notification sent")
        return self.wait_for_message(
            to=notification.to_email, subject=notification.subject, timeout=5
        )


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 that keeps what it receives; Django sends to it."""
    from aiosmtpd.controller import Controller

    host = "127.0.0.1"
    server = SmtpServer(host=host, port=_free_port(host))
    controller = Controller(server, hostname=host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        controller.stop()


# --- Celery worker ----------------------------------------------------------------------------


def _reset_broker_connections(app) -> None:
    """Close the broker connections and producers and forget the app's cached AMQP setup, so
    the next publish reads the configuration again (broker URL, default queue)."""
    # kombu keeps its pools in a process-wide registry keyed by broker URL; closing one pool
    # by hand would leave a closed pool registered for the next test to acquire from.
    pools.reset()
    app._pool = None
    app.__dict__.pop("amqp", None)  # cached queues, default queue, router, producer pool


def _close_thread_connections(**kwargs) -> None:
    # The worker thread's own database connections must not outlive the test: the flush after
    # the test and DROP DATABASE at the end of the session wait for (or fail on) them.
    connections.close_all()


@dataclass
class RunningWorker:
    app: object
    queue: str
    worker: object


@pytest.fixture
def celery_worker_redis(transactional_db):
    """A solo Celery worker in a thread, consuming a queue of its own on the real Redis.

    The portal's app publishes to that queue for the length of the test (on_commit hooks of
    the services included); its configuration is restored afterwards.
    """
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: the worker test needs a real Redis broker")

    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun, worker_shutdown

    from portal.celery import app

    queue = f"test-{uuid.uuid4().hex[:12]}"
    overrides = {
        "broker_url": redis_url,
        "broker_transport_options": {"visibility_timeout": 3600},
        "task_default_queue": queue,
        "task_default_routing_key": queue,
        "worker_hijack_root_logger": False,
    }
    saved = {key: app.conf.get(key) for key in overrides}
    app.conf.update(overrides)
    _reset_broker_connections(app)
    task_postrun.connect(_close_thread_connections, weak=False)
    worker_shutdown.connect(_close_thread_connections, weak=False)
    try:
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            loglevel="WARNING",
            queues=[queue],
            shutdown_timeout=30,
        ) as worker:
            yield RunningWorker(app=app, queue=queue, worker=worker)
    finally:
        task_postrun.disconnect(_close_thread_connections)
        worker_shutdown.disconnect(_close_thread_connections)
        # Best effort: a leftover empty queue in Redis is harmless.
        with contextlib.suppress(Exception), app.connection_for_write() as conn:
            # kombu deletes only the bindings its channel knows of: declare, then delete.
            bound = app.amqp.queues[queue].bind(conn.default_channel)
            bound.declare()
            bound.delete()
        app.conf.update(saved)
        _reset_broker_connections(app)
