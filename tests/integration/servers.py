"""The real servers the integration tests run against, and how they wait for them: an SMTP
server on loopback, a Redis of a test's own, the portal's Celery app pointed at a queue of the
test's own with a worker in a thread or in child processes, and a helper that waits for a
condition. The fixtures that start them are in conftest.py."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connections
from kombu import pools

CONSENT_URL_RE = re.compile(r"https?://[^\s\"'<>]+?/consent/(?P<token>[^\s\"'<>/]+)/")


def wait_for(
    condition,
    *,
    timeout: float = 20.0,
    interval: float = 0.1,
    what: str = "condition",
    detail=None,
):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds,
    with what ``detail()`` says (e.g. a worker's log) to explain the wait."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            explanation = f"\n{detail()}" if detail is not None else ""
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}{explanation}")
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
    # Fault tests: awaited before a message is accepted; a reply it returns (e.g. "451 ...")
    # is sent instead and the message is not kept.
    before_accept: object = None
    data_seen: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.data_seen += 1
        if self.before_accept is not None:
            reply = await self.before_accept(envelope)
            if reply:
                return reply
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


def type_emailed_code(page, smtp_server: SmtpServer, *, to: str, background=None) -> str:
    """On a consent or withdrawal page: press "Send me a code", read the code in the e-mail the
    worker sends over SMTP to `to`, and type it. Returns the code."""
    before = len(smtp_server.to(to))
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_text("We sent a code to").wait_for()
    if background is not None:
        background()

    def newest_code_email():
        fresh = [m for m in smtp_server.to(to)[before:] if "code" in m.subject]
        return fresh[-1] if fresh else None

    message = wait_for(newest_code_email, what=f"a code e-mail to {to}")
    code = re.search(r"\s(\d{6})\s", message.text).group(1)
    page.get_by_label("Six-digit code from the e-mail").fill(code)
    return code


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


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


@contextlib.contextmanager
def celery_app_on(redis_url: str, *, queue: str, transport_options: dict):
    """Point the portal's Celery app (publishing included) at ``redis_url`` and ``queue``;
    its configuration and connections are restored afterwards."""
    from portal.celery import app

    overrides = {
        "broker_url": redis_url,
        "broker_transport_options": transport_options,
        "task_default_queue": queue,
        "task_default_routing_key": queue,
        "worker_hijack_root_logger": False,
    }
    saved = {key: app.conf.get(key) for key in overrides}
    app.conf.update(overrides)
    _reset_broker_connections(app)
    try:
        yield app
    finally:
        app.conf.update(saved)
        _reset_broker_connections(app)


@contextlib.contextmanager
def thread_worker(app, queue: str):
    """A solo worker of ``app`` in a thread of the test process, consuming ``queue``."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun, worker_shutdown

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


# --- Fault tests: a Redis of our own, an SMTP server that can go down, worker processes ------


@dataclass
class RedisServer:
    """A throwaway ``redis-server`` on a loopback port, without persistence: stop() loses
    everything it held, start() brings it back empty on the same port."""

    binary: str
    port: int
    workdir: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self) -> None:
        assert self.process is None, "already running"
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(  # noqa: S603 (a fixed binary found on PATH)
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

        def answers():
            with contextlib.suppress(Exception), self.client() as client:
                return client.ping()
            return False

        wait_for(answers, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@dataclass
class SmtpSwitch:
    """An SMTP server on a fixed loopback port that the test starts and stops."""

    server: SmtpServer
    controller: object = None

    @property
    def running(self) -> bool:
        return self.controller is not None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        assert self.controller is None, "already running"
        self.controller = Controller(self.server, hostname=self.server.host, port=self.server.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def database_url_of_test_db() -> str:
    """A DATABASE_URL that opens the database this test runs on (for worker processes)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"].endswith("postgresql"):
        auth = db["USER"] or ""
        if db["PASSWORD"]:
            auth += f":{quote(db['PASSWORD'], safe='')}"
        host = db["HOST"] or "127.0.0.1"
        port = db["PORT"] or 5432
        return f"postgres://{auth}@{host}:{port}/{db['NAME']}"
    raise NotImplementedError(db["ENGINE"])


@dataclass
class WorkerProcess:
    """``celery -A portal worker`` as a child process, with the production settings module."""

    name: str
    process: subprocess.Popen
    logfile: Path
    stderr: object

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def tail(self, chars: int = 3000) -> str:
        """The end of the worker's log and of its standard error, for a failure message."""
        stderr = self.logfile.with_suffix(".stderr")
        err = stderr.read_text(errors="replace") if stderr.exists() else ""
        return (
            f"--- {self.name} log:\n{self.log()[-chars:]}\n--- {self.name} stderr:\n{err[-chars:]}"
        )

    def results(self) -> list[str]:
        """What each finished task returned, in order (from the worker's log)."""
        return re.findall(r"succeeded in [0-9.]+s: '([^']*)'", self.log())

    def wait_ready(self, timeout: float = 30.0) -> None:
        def ready():
            if self.process.poll() is not None:
                output = self.logfile.with_suffix(".stderr").read_text(errors="replace")[-3000:]
                pytest.fail(f"worker {self.name} exited with {self.process.returncode}:\n{output}")
            return " ready." in self.log()

        wait_for(ready, timeout=timeout, what=f"worker {self.name} to be ready")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.stderr.close()


def broker_idle(redis: RedisServer, queue: str) -> bool:
    """Nothing waits in ``queue`` and no worker holds an unacknowledged message."""
    with redis.client() as client:
        return client.llen(queue) == 0 and client.hlen("unacked") == 0
