"""Operability against real services: /readyz of a gunicorn process whose PostgreSQL and Redis
are stopped, two beats against one Redis, one request id from the page into the worker's log and
the outbox row, Sentry's events scrubbed (a local receiver stands in for the DSN), and the backup
restore drill."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from linking.models import Notification
from portal.logconfig import ContextFilter, JsonFormatter
from tests.conftest import login, make_draft, read_only_delegation
from tests.integration.servers import _free_port, database_url_of_test_db, wait_for

pytestmark = [pytest.mark.worker]

BASE_DIR = Path(__file__).resolve().parents[2]
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def _venv_bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


# --- a PostgreSQL of the test's own ---------------------------------------------------------------


class OwnPostgres:
    """A throwaway PostgreSQL cluster on a loopback port: stop() and start() it at will."""

    def __init__(self, directory: Path, port: int):
        self.directory, self.port = directory, port
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True)  # noqa: S603

    def init(self) -> None:
        self.directory.mkdir(parents=True)
        if self.as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.directory / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.directory / "data"),
            "-o",
            options,
            "-l",
            str(self.directory / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop"
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def own_postgres(tmp_path):
    if PG_BIN is None or not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL's server programs are not installed")
    directory = Path("/tmp") / f"portal-pg-{os.getpid()}-{_free_port('127.0.0.1')}"
    server = OwnPostgres(directory, _free_port("127.0.0.1"))
    server.init()
    server.start()
    try:
        yield server
    finally:
        subprocess.run(  # noqa: S603 (the cluster's own pg_ctl)
            [
                *server.as_postgres,
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(directory / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(directory, ignore_errors=True)


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "operations-test-secret-key-0123456789-abcdefghijklmnop",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PORTAL_VAR_DIR": str(tmp_path / "var"),
            **extra,
        }
    )
    (tmp_path / "var").mkdir(exist_ok=True)
    return env


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_readyz_names_postgresql_and_redis_when_they_stop(own_postgres, own_redis, tmp_path):
    port = _free_port("127.0.0.1")
    env = _production_env(tmp_path, DATABASE_URL=own_postgres.url, REDIS_URL=own_redis.url)
    web = subprocess.Popen(  # noqa: S603 (our own venv's gunicorn, fixed arguments)
        [
            _venv_bin("gunicorn"),
            "--config",
            "python:portal.gunicorn_conf",
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/readyz"
    try:

        def answers():
            try:
                return _get(url)[0] in (200, 503)
            except OSError:
                return False

        wait_for(answers, timeout=60, what="gunicorn to answer")
        # A database nobody migrated: the parts that serve are not named.
        assert _get(url) == (503, {"status": "unavailable", "failing": ["migrations"]})
        own_redis.stop()
        assert _get(url) == (503, {"status": "unavailable", "failing": ["migrations", "redis"]})
        own_redis.start()
        own_postgres.stop()
        status, body = _get(url)
        assert (status, body) == (
            503,
            {"status": "unavailable", "failing": ["database", "migrations"]},
        )
        own_postgres.start()
        assert _get(url)[1]["failing"] == ["migrations"]
    finally:
        web.terminate()
        web.wait(timeout=20)


# --- one beat at a time -------------------------------------------------------------------------


def _ticks(client) -> int:
    count = 0
    for raw in client.lrange("celery", 0, -1):
        if json.loads(raw)["headers"]["task"] == "portal.tick":
            count += 1
    return count


def test_two_beats_publish_each_job_once(own_redis, tmp_path):
    env = _production_env(
        tmp_path, REDIS_URL=own_redis.url, DJANGO_SETTINGS_MODULE="tests.integration.beat_settings"
    )
    beats: list[subprocess.Popen] = []

    def start_beat(name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        beat = subprocess.Popen(  # noqa: S603 (our own venv's celery, fixed arguments)
            [_venv_bin("celery"), "-A", "portal", "beat", "--loglevel=INFO"],
            env=env,
            cwd=BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        beats.append(beat)
        return beat

    def log_of(name: str) -> str:
        return (tmp_path / f"{name}.log").read_text(errors="replace")

    client = own_redis.client()
    try:
        first = start_beat("first")
        wait_for(lambda: _ticks(client) >= 2, timeout=60, what="the first beat to publish")
        start_beat("second")
        # Beat logs this just before it asks for the lock, which it then waits on.
        wait_for(
            lambda: "beat: Starting..." in log_of("second"),
            timeout=60,
            what="the second beat to start",
        )
        before = _ticks(client)
        time.sleep(5)
        during = _ticks(client) - before
        # Two ticks a second: one beat publishes about ten, two would publish about twenty.
        assert 6 <= during <= 13, f"{during} ticks in 5 s with two beats"
        assert "beat: Acquired lock" not in log_of("second")
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=20)
        after_stop = _ticks(client)
        wait_for(
            lambda: _ticks(client) >= after_stop + 3,
            timeout=30,
            what="the second beat to take over",
        )
    finally:
        for beat in beats:
            if beat.poll() is None:
                beat.kill()
            beat.wait(timeout=10)
        client.close()


# --- one request id from the page to the worker ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_request_id_in_the_web_log_the_worker_log_and_the_outbox(
    cast, client, celery_worker_redis
):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        login(client, cast.initiator)
        req = make_draft(cast, specs=[read_only_delegation(cast)])
        response = client.post(reverse("linking:request-submit", args=[req.pk]))
        assert response.status_code in (200, 302)
        request_id = response["X-Request-ID"]
        notification = Notification.objects.filter(request=req).latest("id")
        assert notification.correlation_id == request_id
        wait_for(
            lambda: Notification.objects.get(pk=notification.pk).status == "sent",
            timeout=60,
            what="the worker to deliver the e-mail",
        )
        lines = [json.loads(line) for line in stream.getvalue().splitlines() if line]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    delivery = [
        line for line in lines if line["message"].startswith(f"notification {notification.pk} ")
    ]
    assert delivery, lines
    assert delivery[0]["request_id"] == request_id
    assert delivery[0]["task_id"]  # written by the worker, inside the task
    # And the page's own line: the move it made, with the same id and no task.
    web = [line for line in lines if line["message"].startswith(f"request {req.reference}: ")]
    assert web and web[0]["request_id"] == request_id and web[0]["task_id"] == ""


# --- Sentry, scrubbed ----------------------------------------------------------------------------


class _Envelopes(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        type(self).received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.django_db
def test_sentry_gets_the_error_with_the_request_id_and_nothing_secret(tmp_path):
    _Envelopes.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Envelopes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **{k: v for k, v in os.environ.items() if k != "SENTRY_DSN"},
        "DJANGO_SETTINGS_MODULE": "tests.integration.sentry_settings",
        # The session cookie is looked up in the session store: the test's database.
        "DATABASE_URL": database_url_of_test_db(),
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{server.server_address[1]}/42",
    }
    # Through the WSGI application, as gunicorn calls it (the test client skips that layer).
    script = (
        "import io, wsgiref.util\n"
        "from django.core.wsgi import get_wsgi_application\n"
        "app = get_wsgi_application()\n"
        "environ = {'PATH_INFO': '/consent/tok-5ecret-value/boom/', 'QUERY_STRING': 'code=123456',"
        " 'HTTP_COOKIE': 'sessionid=session-5ecret', 'HTTP_AUTHORIZATION': 'Bearer key-5ecret',"
        " 'wsgi.errors': io.StringIO()}\n"
        "wsgiref.util.setup_testing_defaults(environ)\n"
        "answer = {}\n"
        "def start_response(status, headers, exc_info=None):\n"
        "    answer.update(status=status, headers=dict(headers))\n"
        "b''.join(app(environ, start_response))\n"
        "assert answer['status'].startswith('500'), answer\n"
        "print(answer['headers']['X-Request-ID'])\n"
        "import sentry_sdk; sentry_sdk.flush(10)\n"
    )
    try:
        result = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
            [sys.executable, "-c", script],
            env=env,
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        request_id = result.stdout.strip().splitlines()[-1]
        wait_for(lambda: _Envelopes.received, timeout=10, what="the event to arrive")
    finally:
        server.shutdown()
    raw = b"".join(_Envelopes.received).decode()
    assert "ValueError" in raw
    for secret in ("tok-5ecret-value", "session-5ecret", "key-5ecret", "123456", "hunter2"):
        assert secret not in raw, secret
    events = [
        json.loads(line)
        for body in _Envelopes.received
        for line in body.decode().splitlines()
        if line.startswith("{") and '"exception"' in line
    ]
    assert events
    event = events[0]
    assert event["tags"]["request_id"] == request_id
    assert "/consent/[redacted]/" in event["request"]["url"]
    assert "user" not in event or not event["user"].get("email")


# --- backups -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore")
def test_the_restore_drill_passes_on_a_database_filled_by_the_scale_generator(tmp_path):
    call_command("generate_scale_data", scale=0.001, stdout=io.StringIO())
    out = io.StringIO()
    call_command(
        "restore_drill",
        dump=str(tmp_path / "portal.dump"),
        target=f"{connection.settings_dict['NAME']}_drill",
        stdout=out,
    )
    text = out.getvalue()
    assert "restore drill passed" in text
    assert "append-only trigger on" in text
    assert "all equal" in text
