"""Parallel test processes (pytest-xdist) share the test Redis: each keeps to keys of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings
from django.db import connection

PROBE = """
import json

from django.conf import settings

print(json.dumps({
    "prefix": settings.CACHES["default"]["KEY_PREFIX"],
}))
"""


def settings_of(worker: str | None, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_XDIST_WORKER", "DATABASE_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings_test", PORTAL_VAR_DIR=str(tmp_path))
    if worker:
        env["PYTEST_XDIST_WORKER"] = worker
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_each_test_process_has_a_cache_key_prefix_of_its_own(tmp_path):
    alone = settings_of(None, tmp_path)
    first = settings_of("gw0", tmp_path)
    second = settings_of("gw1", tmp_path)
    assert alone["prefix"] == "portal-test"
    assert first["prefix"] == "portal-test-gw0"
    assert second["prefix"] == "portal-test-gw1"
    # The autouse fixture deletes "<prefix>:*": no prefix is another's followed by a colon.
    prefixes = {alone["prefix"], first["prefix"], second["prefix"]}
    assert not any(a != b and b.startswith(f"{a}:") for a in prefixes for b in prefixes)


def test_this_process_uses_the_prefix_of_its_worker():
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    expected = f"portal-test-{worker}" if worker else "portal-test"
    assert settings.CACHES["default"]["KEY_PREFIX"] == expected


def test_this_process_has_a_test_database_of_its_own(db):
    # pytest-django names each worker's database after it; for SQLite the file's name too.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    suffix = f"_{worker}" if worker else ""
    url = os.environ.get("DATABASE_URL")
    if url:
        expected = f"test_{dj_database_url.parse(url)['NAME']}{suffix}"
    else:
        expected = f"{Path(settings.VAR_DIR) / 'test-portal.sqlite3'}{suffix}"
    assert str(connection.settings_dict["NAME"]) == expected


def test_commits_of_the_tests_do_not_wait_for_the_disk_on_postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"
