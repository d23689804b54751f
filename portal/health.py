"""Liveness and readiness: what an orchestrator asks before it sends a process traffic or work.

`/healthz` answers without any I/O: the process is alive. `/readyz` (web) and
`manage.py check_ready --worker` (worker) check what the process needs to do its job, each part
within a short time budget, and name the parts that fail: never an error text, an address or a
version, which an anonymous caller has no business knowing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

# Once a process has seen the database at the code's latest migration, it stays there: the
# migration files do not change under a running process. Loading them costs ~100 ms.
_migrated: set[str] = set()


def check_database() -> bool:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def check_migrations() -> bool:
    """The database is at the code's latest migration: nothing left to apply."""
    if DEFAULT_DB_ALIAS in _migrated:
        return True
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return False
    _migrated.add(DEFAULT_DB_ALIAS)
    return True


def check_redis() -> bool:
    """The cache and broker (one Redis) answers; without REDIS_URL the filesystem queue's
    folder is what the broker needs, and is checked instead."""
    if not settings.REDIS_URL:
        return _writable(settings.CELERY_FS_DIR / "queue")
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=settings.PORTAL_READY_TIMEOUT,
        socket_connect_timeout=settings.PORTAL_READY_TIMEOUT,
    )
    try:
        return bool(client.ping())
    finally:
        client.close()


def check_var_dir() -> bool:
    return _writable(settings.VAR_DIR)


def _writable(directory) -> bool:
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".ready-"):
        return True


WEB_CHECKS: dict[str, Callable[[], bool]] = {
    "database": check_database,
    "migrations": check_migrations,
    "redis": check_redis,
    "var_dir": check_var_dir,
}


def failing_parts(checks: dict[str, Callable[[], bool]] = WEB_CHECKS) -> list[str]:
    """The names of the parts that fail, in order; a part that raises fails. The migrations
    are not asked when the database cannot be reached (they would fail the same way)."""
    failing = []
    for name, check in checks.items():
        if name == "migrations" and "database" in failing:
            failing.append(name)
            continue
        try:
            ok = check()
        except Exception:  # robust: any failure of a part is that part failing
            ok = False
        if not ok:
            failing.append(name)
    return failing
