"""The page benchmark: the portal under gunicorn on loopback, measured over real HTTP.

The runner prepares what it needs in-process (`portal.bench.preparation`: two benchmark members
of the reseller, drafts to submit, consent tokens), starts gunicorn with `portal.bench.settings`
(production settings, DEBUG off, a query count in a response header, the floor views), logs in
with a real session and CSRF, warms up, then times each page and action. Nothing here runs in
a deployment.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import override_settings
from django.urls import reverse

from accounts.models import Reseller
from linking import services
from linking.models import CustomerAccount, Link, LinkRequest, RequestItem
from portal.bench.middleware import DB_MS_HEADER, QUERIES_HEADER
from portal.bench.preparation import Plan, prepare

HOST = "127.0.0.1"
PROJECT_DIR = Path(settings.BASE_DIR)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; exact for the small samples of a benchmark."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Sample:
    seconds: float
    status: int
    queries: int | None
    size: int
    db_ms: float | None = None


@dataclass
class Result:
    name: str
    kind: str  # page, floor, action
    path: str
    samples: list[Sample] = field(default_factory=list)
    floor: Result | None = None

    @property
    def ms(self) -> list[float]:
        return [s.seconds * 1000 for s in self.samples]

    def summary(self) -> dict:
        ms = self.ms
        db = [s.db_ms for s in self.samples if s.db_ms is not None]
        queries = sorted({s.queries for s in self.samples if s.queries is not None})
        out = {
            "name": self.name,
            "kind": self.kind,
            "path": self.path,
            "n": len(ms),
            "median_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(percentile(ms, 95), 1) if ms else None,
            "queries": queries[0] if len(queries) == 1 else queries,
            "bytes": round(statistics.median([s.size for s in self.samples])) if ms else 0,
            "db_median_ms": round(statistics.median(db), 1) if db else None,
            "statuses": sorted({s.status for s in self.samples}),
        }
        if self.floor is not None and self.floor.samples:
            floor = self.floor.summary()
            out["floor"] = floor
            if floor["p95_ms"]:
                out["ratio_p95"] = round(out["p95_ms"] / floor["p95_ms"], 2)
        return out


class Client:
    """One browser: a cookie jar over http.client (gunicorn closes after each response)."""

    def __init__(self, port: int, api_key: str = ""):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.api_key = api_key  # sent as the bearer of `/api/` paths, which take no cookie

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[Sample, bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        headers = {"Host": f"{HOST}:{self.port}", "User-Agent": "bench_pages"}
        if path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.api_key}"
        elif self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        seconds = time.perf_counter() - started
        conn.close()
        for raw in response.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        queries = response.getheader(QUERIES_HEADER)
        db_ms = response.getheader(DB_MS_HEADER)
        sample = Sample(
            seconds=seconds,
            status=response.status,
            queries=int(queries) if queries is not None else None,
            size=len(content),
            db_ms=float(db_ms) if db_ms is not None else None,
        )
        return sample, content

    def csrf(self) -> str:
        return self.cookies.get(settings.CSRF_COOKIE_NAME, "")

    def login(self, username: str, password: str, codes: list[str] | None = None) -> None:
        """The password, then (for an admin or approver) one of `codes` as the second factor."""
        path = reverse("accounts:login")
        self.request("GET", path)
        sample, _ = self.request(
            "POST",
            path,
            {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf()},
        )
        if sample.status != 302:
            raise RuntimeError(f"login of {username} failed (HTTP {sample.status})")
        if not codes:
            return
        verify = reverse("accounts:mfa-verify")
        self.request("GET", verify)
        sample, _ = self.request(
            "POST",
            verify,
            {"code": codes.pop(), "next": "/", "csrfmiddlewaretoken": self.csrf()},
        )
        if sample.status != 302:
            raise RuntimeError(f"second factor of {username} failed (HTTP {sample.status})")


# --- the server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("bench_pages measures PostgreSQL.")
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{db.get('HOST') or 'localhost'}:{port}/{db['NAME']}"


# One secret for the server and for the consent tokens this process signs for it.
SERVER_SECRET = secrets.token_urlsafe(50)


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SERVER_SECRET,
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        DATABASE_URL=_database_url(),
        PORTAL_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    # The consent page's rate limit still runs (its cost is part of the page), with a ceiling
    # that a long run from one loopback address does not reach: 60 timed requests and their
    # warm-up would otherwise be refused (429) by the default 60 per 10 minutes.
    env.setdefault("PORTAL_CONSENT_RATE_PER_ADDRESS", "100000/600")
    env.setdefault("PORTAL_CONSENT_RATE_PER_LINK", "100000/600")
    # Likewise the API key's limit (120 a minute by default) against the API's timed lists.
    env.setdefault("PORTAL_API_RATE", "100000/60")
    return env


class Server:
    def __init__(self, workers: int, log_path: Path):
        self.workers = workers
        self.port = _free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = server_env()
        # Production serves hashed static files from a manifest: it must exist first.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
        )
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "python:portal.gunicorn_conf",
                "portal.wsgi",
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "120",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                sample, _ = Client(self.port).request("GET", "/healthz")
                if sample.status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within a minute; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


# --- measuring --------------------------------------------------------------------------------


def _measure(client: Client, name: str, kind: str, path: str, warmup: int, n: int) -> Result:
    result = Result(name=name, kind=kind, path=path)
    for _ in range(warmup):
        client.request("GET", path)
    for _ in range(n):
        sample, _ = client.request("GET", path)
        result.samples.append(sample)
    return result


def _measure_with_floor(
    client: Client, name: str, path: str, floor_path: str, warmup: int, n: int
) -> Result:
    """The page and its floor in turns, one request each: whatever else the machine is doing
    weighs on both alike, so their ratio holds where back-to-back series drift apart."""
    result = Result(name=name, kind="page", path=path)
    result.floor = Result(name=f"{name} (floor)", kind="floor", path=floor_path)
    for _ in range(warmup):
        client.request("GET", path)
        client.request("GET", floor_path)
    for _ in range(n):
        sample, _ = client.request("GET", path)
        result.samples.append(sample)
        sample, _ = client.request("GET", floor_path)
        result.floor.samples.append(sample)
    return result


def _actions(plan: Plan, port: int) -> list[Result]:
    """Submit each draft (operator), approve it (approver), open the consent page and accept
    (the customer, no login): each a timed POST or GET over HTTP."""
    operator = Client(port)
    operator.login(plan.operator.username, plan.password, plan.codes.get(plan.operator.username))
    approver = Client(port)
    approver.login(plan.approver.username, plan.password, plan.codes.get(plan.approver.username))
    submit = Result("action: submit", "action", reverse("linking:request-submit", args=[0]))
    approve = Result("action: approve", "action", reverse("linking:request-approve", args=[0]))
    page = Result("consent page", "page", "/consent/<token>/")
    accept = Result("action: customer accept", "action", "/consent/<token>/")
    operator.request("GET", reverse("linking:request-list"))
    approver.request("GET", reverse("linking:approval-queue"))
    for pk in plan.drafts:
        sample, _ = operator.request(
            "POST",
            reverse("linking:request-submit", args=[pk]),
            {"csrfmiddlewaretoken": operator.csrf()},
        )
        submit.samples.append(sample)
    for pk in plan.drafts:
        sample, _ = approver.request(
            "POST",
            reverse("linking:request-approve", args=[pk]),
            {"csrfmiddlewaretoken": approver.csrf(), "reason": "checked"},
        )
        approve.samples.append(sample)
    for pk in plan.drafts:
        with transaction.atomic(), override_settings(SECRET_KEY=SERVER_SECRET):
            token = services.consent_issue_token(request_id=pk)
        if token is None:
            continue
        customer = Client(port)
        path = reverse("consent:page", args=[token])
        sample, _ = customer.request("GET", path)
        page.samples.append(sample)
        data = {"csrfmiddlewaretoken": customer.csrf()}
        for item_id in RequestItem.objects.filter(request_id=pk).values_list("pk", flat=True):
            data[f"decision_{item_id}"] = "accept"
        sample, _ = customer.request("POST", path, data)
        accept.samples.append(sample)
    return [submit, approve, page, accept]


def _load(plan: Plan, port: int, clients: int, per_client: int) -> dict:
    """Several operators at once, each going round the list and detail pages."""
    paths = [path for _, path, _ in plan.pages]
    sessions = []
    for _ in range(clients):
        c = Client(port, api_key=plan.api_key)
        c.login(plan.operator.username, plan.password, plan.codes.get(plan.operator.username))
        sessions.append(c)
    samples: list[Sample] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        mine = []
        for k in range(per_client):
            sample, _ = sessions[index].request("GET", paths[(index + k) % len(paths)])
            mine.append(sample)
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    ms = [s.seconds * 1000 for s in samples]
    return {
        "clients": clients,
        "requests": len(samples),
        "seconds": round(seconds, 2),
        "requests_per_second": round(len(samples) / seconds, 1) if seconds else None,
        "median_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(percentile(ms, 95), 1) if ms else None,
        "errors": sum(1 for s in samples if s.status >= 400),
    }


def run(
    *,
    reseller: Reseller | None = None,
    requests: int = 30,
    warmup: int = 3,
    clients: int = 4,
    actions: int = 10,
    workers: int = 3,
    log_path: Path,
) -> dict:
    plan = prepare(reseller=reseller, actions=actions)
    # The server's workers read what this process wrote: commit is implicit (autocommit).
    report: dict = {
        "reseller": plan.reseller.partner_id,
        "rows": {
            "customers": CustomerAccount.objects.count(),
            "requests": LinkRequest.objects.filter(reseller=plan.reseller).count(),
            "links": Link.objects.filter(reseller=plan.reseller).count(),
        },
        "settings": {
            "requests_per_page": requests,
            "warmup": warmup,
            "clients": clients,
            "actions": actions,
            "gunicorn_workers": workers,
            "page_size": settings.PORTAL_PAGE_SIZE,
        },
        "floor_url_names": [
            "bench:floor-requests",
            "bench:floor-approvals",
            "bench:floor-links",
            "bench:floor-customers",
        ],
    }
    results: list[Result] = []
    with Server(workers, log_path) as server:
        client = Client(server.port, api_key=plan.api_key)
        client.login(plan.operator.username, plan.password, plan.codes.get(plan.operator.username))
        for name, path, floor_path in plan.pages:
            if floor_path:
                results.append(
                    _measure_with_floor(client, name, path, floor_path, warmup, requests)
                )
            else:
                results.append(_measure(client, name, "page", path, warmup, requests))
        results.extend(_actions(plan, server.port))
        report["load"] = _load(plan, server.port, clients, requests) if clients > 1 else None
    report["results"] = [r.summary() for r in results]
    return report


def table(report: dict) -> str:
    head = (
        f"{'page':<26} {'median':>8} {'p95':>8} {'db':>6} {'queries':>7} {'bytes':>8} "
        f"{'floor p95':>9} {'ratio':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in report["results"]:
        floor = r.get("floor")
        lines.append(
            f"{r['name']:<26} {r['median_ms']:>8} {r['p95_ms']:>8} {r['db_median_ms'] or '':>6} "
            f"{r['queries']!s:>7} "
            f"{r['bytes']:>8} {floor['p95_ms'] if floor else '':>9} {r.get('ratio_p95') or '':>6}"
        )
    load = report.get("load")
    if load:
        lines.append(
            f"load: {load['clients']} clients, {load['requests']} requests in {load['seconds']} s: "
            f"{load['requests_per_second']} requests/s, median {load['median_ms']} ms, "
            f"p95 {load['p95_ms']} ms, {load['errors']} errors"
        )
    return "\n".join(lines)


def write_json(report: dict, path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
