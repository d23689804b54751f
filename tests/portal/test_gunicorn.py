"""The web server as production starts it (`gunicorn --config python:portal.gunicorn_conf`), on a
loopback port: whom it believes about HTTPS, and what its logs contain."""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.servers import _free_port, database_url_of_test_db, wait_for

pytestmark = pytest.mark.django_db

TOKEN = "Z3VuaWNvcm4tdG9rZW4tc2VjcmV0:1xaGv4:Hk9QZFZSIz0r7YvvYTttae"


@dataclass
class Gunicorn:
    port: int
    process: subprocess.Popen
    out: Path
    err: Path

    def request(self, method: str, path: str, headers: dict | None = None) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers={"Host": "127.0.0.1", **(headers or {})})
            return conn.getresponse().status
        finally:
            conn.close()

    def logs(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")


def _production_environment(var_dir: Path, **env: str) -> dict[str, str]:
    from django.conf import settings

    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FORWARDED_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_DEBUG="0",
        DATABASE_URL=database_url_of_test_db(),
        PORTAL_VAR_DIR=str(var_dir),
        **env,
    )
    return environment


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory) -> Path:
    """Production serves hashed static files: its pages (the error pages too) need the manifest
    that a deployment's collectstatic writes. The servers only read it: collected once."""
    from django.conf import settings

    var_dir = tmp_path_factory.mktemp("static-var")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=_production_environment(var_dir),
        cwd=settings.BASE_DIR,
        check=True,
    )
    return var_dir / "static"


@pytest.fixture
def gunicorn(tmp_path, settings, collected_static):
    started: list[Gunicorn] = []

    def start(**env: str) -> Gunicorn:
        port = _free_port("127.0.0.1")
        name = f"gunicorn-{len(started)}"
        out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
        environment = _production_environment(tmp_path / "var", **env)
        (tmp_path / "var").mkdir(exist_ok=True)
        static = tmp_path / "var" / "static"
        if not static.exists():
            static.symlink_to(collected_static, target_is_directory=True)
        args = [str(Path(sys.executable).with_name("gunicorn"))]
        args += ["--config", "python:portal.gunicorn_conf", "portal.wsgi"]
        args += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", "-"]
        process = subprocess.Popen(  # noqa: S603 (our own venv's gunicorn, fixed arguments)
            args,
            env=environment,
            cwd=settings.BASE_DIR,
            stdout=out.open("wb"),
            stderr=err.open("wb"),
        )
        server = Gunicorn(port=port, process=process, out=out, err=err)
        started.append(server)

        def answers():
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.logs()}")
            with contextlib.suppress(OSError):
                return server.request("GET", "/healthz")
            return None

        wait_for(answers, timeout=30, what="gunicorn to answer")
        return server

    try:
        yield start
    finally:
        for server in started:
            server.process.terminate()
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(timeout=10)


# A page like any other: plain HTTP to it is redirected to HTTPS (the probes are not, below).
PAGE = "/accounts/login/"


def test_without_the_proxy_setting_a_forwarded_https_header_from_loopback_is_not_believed(
    gunicorn,
):
    server = gunicorn(DJANGO_BEHIND_PROXY="0")
    # Plain HTTP is redirected to HTTPS; a local process claiming HTTPS is redirected all the same.
    assert server.request("GET", PAGE) == 301
    for header in ("X-Forwarded-Proto", "X-Forwarded-Ssl", "X-Forwarded-Protocol"):
        value = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"}.get(header, "ssl")
        assert server.request("GET", PAGE, {header: value}) == 301, header


def test_the_probes_answer_over_plain_http(gunicorn):
    # The orchestrator and the scraper call the process itself, without TLS.
    server = gunicorn(DJANGO_BEHIND_PROXY="0")
    assert server.request("GET", PAGE) == 301
    assert server.request("GET", "/healthz") == 200
    assert server.request("GET", "/readyz") in (200, 503)
    assert server.request("GET", "/metrics") == 404


def test_behind_the_proxy_only_its_forwarded_proto_header_is_believed(gunicorn):
    server = gunicorn(DJANGO_BEHIND_PROXY="1")
    assert server.request("GET", PAGE, {"X-Forwarded-Proto": "https"}) == 200
    assert server.request("GET", PAGE, {"X-Forwarded-Proto": "http"}) == 301
    # A header the proxy does not set (nor strip) is not a way around it.
    assert server.request("GET", PAGE, {"X-Forwarded-Ssl": "on"}) == 301


def test_gunicorn_logs_no_token(gunicorn):
    server = gunicorn(DJANGO_BEHIND_PROXY="1")
    https = {"X-Forwarded-Proto": "https", "Referer": f"https://127.0.0.1/consent/{TOKEN}/"}
    # Refused by the CSRF check (no cookie): Django's security log and gunicorn's access log.
    assert server.request("POST", f"/consent/{TOKEN}/", https) == 403
    assert server.request("POST", f"/consent/withdraw/{TOKEN}/", https) == 403
    # (Whatever it answers: without collectstatic even its error page fails, and that is logged.)
    server.request("GET", f"/consent/receipt/{TOKEN}/download/", https)
    server.process.terminate()
    server.process.wait(timeout=10)
    time.sleep(0.1)
    logs = server.logs()
    assert "Forbidden (CSRF cookie not set.): /consent/[redacted]/" in logs
    assert '"POST /consent/withdraw/[redacted]/ HTTP/1.1" 403' in logs
    assert "GET /consent/receipt/[redacted]/download/" in logs
    for part in TOKEN.split(":"):
        assert part not in logs
