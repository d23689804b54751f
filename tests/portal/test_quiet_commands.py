"""A newcomer's commands on SQLite print nothing they cannot act on: no models.W040 (a covering
index SQLite cannot build) and no kombu "No hostname was supplied" (the filesystem broker)."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

from linking.models import LinkRequest
from portal.indexes import CoveringIndex

ROOT = Path(__file__).resolve().parents[2]


def _manage(tmp_path, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"DJANGO_DEBUG": "1", "PORTAL_VAR_DIR": str(tmp_path)})
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(  # noqa: S603 (this interpreter and manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_system_check_on_sqlite_prints_no_warning(tmp_path):
    done = _manage(tmp_path, "check", "--database", "default")
    assert done.returncode == 0, done.stderr
    assert "W040" not in done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_connecting_to_the_filesystem_broker_prints_no_warning(tmp_path):
    for name in ("queue", "processed", "control"):
        (tmp_path / "celery" / name).mkdir(parents=True)
    code = (
        "from portal.celery import app\n"
        "with app.connection_for_write() as c:\n"
        "    c.ensure_connection(max_retries=1)\n"
        "    print(c.clone().as_uri())\n"
    )
    done = _manage(tmp_path, "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    assert "filesystem://" in done.stdout
    assert "No hostname" not in done.stderr and "WARNING" not in done.stderr


def test_the_covering_indexes_keep_their_columns_where_the_database_can(db):
    covering = [i for i in LinkRequest._meta.indexes if isinstance(i, CoveringIndex)]
    assert covering
    # Only the statement is built: SQLite's editor cannot be entered inside the test's
    # transaction, and nothing is executed.
    editor = connection.schema_editor(collect_sql=True)
    for index in covering:
        sql = str(index.create_sql(LinkRequest, editor))
        assert ("INCLUDE" in sql) == connection.features.supports_covering_indexes, sql
