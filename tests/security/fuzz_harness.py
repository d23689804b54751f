"""How the property-based tests run their checks: one request as a browser sends it, a client
signed in as one of the world's visitors, and the examples and seconds spent on each target,
written to var/fuzz-report.txt after every test (tests/security/conftest.py)."""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import urlencode

from django.conf import settings
from django.test import Client

from tests.security.fuzz import EXAMPLES, FORM_EXAMPLES, pairs

EXAMPLES_RUN: Counter = Counter()
SECONDS: Counter = Counter()


def _count(target: str) -> None:
    EXAMPLES_RUN[target] += 1


def _timed(target: str, run) -> None:
    started = time.monotonic()
    try:
        run()
    finally:
        SECONDS[target] += time.monotonic() - started


def _report() -> None:
    var = settings.VAR_DIR
    var.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{target}: {n} examples, {SECONDS[target]:.1f} s"
        for target, n in sorted(EXAMPLES_RUN.items())
    ]
    (var / "fuzz-report.txt").write_text(
        f"max_examples per page: {EXAMPLES}, per form: {FORM_EXAMPLES}\n" + "\n".join(lines) + "\n"
    )


def _no_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, list | tuple | set):
        return all(_no_nul(v) for v in value)
    return True


def _send(client, method, url, data=None, **extra):
    """One request, its data form-encoded as a browser sends it (any key, any value). A
    streamed answer (a CSV export) is read to its end, so its rows are produced here."""
    if method == "POST":
        response = client.post(
            url,
            urlencode(pairs(data or {})),
            content_type="application/x-www-form-urlencoded",
            **extra,
        )
    else:
        response = client.get(url, data=pairs(data or {}), **extra)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def _client(world, visitor_name):
    client = Client()
    visitor = next(v for v in world.visitors if v.name == visitor_name)
    if visitor.user is not None:
        client.force_login(visitor.user)
    return client


def _run(check) -> None:
    _timed(check.target_label, check)
