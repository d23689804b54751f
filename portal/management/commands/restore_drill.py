"""`manage.py restore_drill`: prove that a backup of the portal's database can be restored.

Dumps the database (`pg_dump` custom format, as the documented backup does), restores the file
into a new database and checks the copy: `migrate --check` and `manage.py check` against it, the
append-only triggers present and enabled on every history, audit and evidence table, and the row
count of every table equal to the original's. Prints each step's time (the restore's share is the
recovery time to expect) and exits non-zero on the first difference. See docs/operations.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from psycopg import sql

from accounts.append_only import TRIGGER, append_only_tables


class Command(BaseCommand):
    help = "Dump the database, restore it into a new one and check the copy against it."

    def add_arguments(self, parser):
        parser.add_argument("--dump", help="the dump file to write (default: under the var dir)")
        parser.add_argument("--target", help="the database to restore into (default: <name>_drill)")
        parser.add_argument("--keep", action="store_true", help="keep the restored database")

    def handle(self, *args, **options):
        db = connections["default"].settings_dict
        if connections["default"].vendor != "postgresql":
            raise CommandError("The restore drill needs PostgreSQL (DATABASE_URL).")
        source = db["NAME"]
        target = options["target"] or f"{source}_drill"
        if target == source:
            raise CommandError("The target database must not be the source.")
        dump = Path(options["dump"] or settings.VAR_DIR / "backups" / f"{source}.dump")
        dump.parent.mkdir(parents=True, exist_ok=True)
        env = _pg_env(db)
        timings: list[tuple[str, float]] = []

        def step(name: str, fn):
            started = time.perf_counter()
            result = fn()
            timings.append((name, time.perf_counter() - started))
            self.stdout.write(f"{name}: {timings[-1][1]:.1f} s")
            return result

        connections["default"].close()
        step(
            "dump",
            lambda: _run(
                ["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(dump), source], env
            ),
        )
        step("list", lambda: _run(["pg_restore", "--list", str(dump)], env, quiet=True))
        _run(["dropdb", "--if-exists", target], env)
        _run(["createdb", target], env)
        try:
            step(
                "restore",
                lambda: _run(
                    ["pg_restore", "--no-owner", "--exit-on-error", "-d", target, str(dump)], env
                ),
            )
            manage_env = {**os.environ, "DATABASE_URL": _url(db, target)}
            step("migrate --check", lambda: _manage(["migrate", "--check"], manage_env))
            step("check", lambda: _manage(["check"], manage_env))
            step("triggers", lambda: self._check_triggers(db, target))
            step("row counts", lambda: self._check_counts(db, source, target))
        finally:
            if not options["keep"]:
                _run(["dropdb", "--if-exists", target], env)
        total = sum(seconds for _, seconds in timings)
        self.stdout.write(self.style.SUCCESS(f"restore drill passed in {total:.1f} s"))

    def _check_triggers(self, db: dict, target: str) -> None:
        with _connect(db, target) as conn:
            rows = conn.execute(
                "SELECT c.relname, t.tgenabled FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s",
                [TRIGGER],
            ).fetchall()
            existing = {
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            }
        enabled = {table for table, state in rows if state in ("O", "A")}
        missing = sorted(t for t in append_only_tables() if t in existing and t not in enabled)
        if missing:
            raise CommandError(f"append-only trigger missing or disabled on: {', '.join(missing)}")
        self.stdout.write(f"  append-only trigger on {len(enabled)} tables")

    def _check_counts(self, db: dict, source: str, target: str) -> None:
        counts = {name: _row_counts(db, name) for name in (source, target)}
        if set(counts[source]) != set(counts[target]):
            raise CommandError("the restored database does not have the same tables")
        different = [
            f"{table}: {counts[source][table]} != {counts[target][table]}"
            for table in sorted(counts[source])
            if counts[source][table] != counts[target][table]
        ]
        if different:
            raise CommandError("row counts differ: " + "; ".join(different))
        rows = sum(counts[source].values())
        self.stdout.write(f"  {len(counts[source])} tables, {rows} rows, all equal")


def _pg_env(db: dict) -> dict[str, str]:
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _url(db: dict, name: str) -> str:
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{name}"


def _connect(db: dict, name: str) -> psycopg.Connection:
    return psycopg.connect(
        dbname=name,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        autocommit=True,
    )


def _row_counts(db: dict, name: str) -> dict[str, int]:
    with _connect(db, name) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        counts = {}
        for table in tables:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()
            counts[table] = row[0] if row else 0
        return counts


def _run(args: list[str], env: dict[str, str], *, quiet: bool = False) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise CommandError(f"{args[0]} failed: {result.stderr.strip()[:500]}")


def _manage(args: list[str], env: dict[str, str]) -> None:
    manage = Path(settings.BASE_DIR) / "manage.py"
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(manage), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-500:]
        raise CommandError(f"manage.py {' '.join(args)} failed on the restored database: {output}")
