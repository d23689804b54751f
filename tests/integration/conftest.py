"""Fixtures of the integration tests: a real SMTP server on loopback, a real Celery worker on
Redis in a thread of the test process, and for the fault tests a Redis of the test's own, an
SMTP server that can go down and worker processes. The servers themselves, and the helper that
waits for a condition, are in servers.py.

Both the worker thread and pytest-django's live server reach the database from other threads,
so these tests run with ``transaction=True`` and, on SQLite, a file test database
(portal/settings_test.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.integration.servers import (
    RedisServer,
    SmtpServer,
    SmtpSwitch,
    WorkerProcess,
    _free_port,
    celery_app_on,
    database_url_of_test_db,
    thread_worker,
)


def pytest_configure(config):
    # The SQLite test database is a file under PORTAL_VAR_DIR, which may not exist yet.
    from django.conf import settings

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and test_name:
        Path(test_name).parent.mkdir(parents=True, exist_ok=True)


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


@pytest.fixture
def celery_worker_redis(transactional_db):
    """A solo Celery worker in a thread, consuming a queue of its own on the real Redis.

    The portal's app publishes to that queue for the length of the test (on_commit hooks of
    the services included); its configuration is restored afterwards.
    """
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: the worker test needs a real Redis broker")

    # Under pytest-xdist the workers share this Redis: each one's keys (queues, bindings, the
    # unacknowledged messages, remote control) carry its own prefix, so tasks never cross.
    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "main")
    queue = f"test-{worker_id}-{uuid.uuid4().hex[:12]}"
    options = {"visibility_timeout": 3600, "global_keyprefix": f"portal-test-{worker_id}:"}
    with (
        celery_app_on(redis_url, queue=queue, transport_options=options) as app,
        thread_worker(app, queue) as running,
    ):
        yield running


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of the test's own, started; the shared Redis is never touched."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not on PATH: the fault tests start and stop their own Redis")
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisServer(binary=binary, port=_free_port("127.0.0.1"), workdir=workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_switch(settings):
    """Like ``smtp_server`` but not started: connections are refused until ``start()``."""
    host = "127.0.0.1"
    switch = SmtpSwitch(SmtpServer(host=host, port=_free_port(host)))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = host
    settings.EMAIL_PORT = switch.server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield switch
    finally:
        switch.stop()


@pytest.fixture
def worker_processes(transactional_db, tmp_path, settings):
    """Start worker processes with ``start(redis_url=..., queue=..., smtp_port=..., **env)``
    (``wait=False``: return at once, call ``wait_ready()`` later); every one still alive at the
    end of the test is killed."""
    started: list[WorkerProcess] = []
    celery = Path(sys.executable).with_name("celery")
    var_dir = tmp_path / "worker-var"
    var_dir.mkdir()

    def start(
        *, redis_url: str, queue: str, smtp_port: int, wait: bool = True, **extra: str
    ) -> WorkerProcess:
        name = f"w{len(started) + 1}-{uuid.uuid4().hex[:6]}"
        logfile = tmp_path / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            DJANGO_SECRET_KEY=settings.SECRET_KEY,
            DJANGO_DEBUG="0",
            DATABASE_URL=database_url_of_test_db(),
            REDIS_URL=redis_url,
            PORTAL_VAR_DIR=str(var_dir),
            PORTAL_BASE_URL=settings.PORTAL_BASE_URL,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            EMAIL_TIMEOUT="5",
            **extra,
        )
        args = [str(celery), "-A", "portal", "worker", "--pool=solo", "-Q", queue]
        args += ["-n", f"{name}@%h", "--loglevel=INFO", f"--logfile={logfile}"]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        stderr = open(tmp_path / f"{name}.stderr", "wb")  # noqa: SIM115 (closed by kill())
        process = subprocess.Popen(  # noqa: S603 (our own venv's celery, fixed arguments)
            args, env=env, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=stderr
        )
        worker = WorkerProcess(name=name, process=process, logfile=logfile, stderr=stderr)
        started.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()
