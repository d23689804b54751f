"""Append-only tables on PostgreSQL: every history table, the audit events and the consent
evidence refuse UPDATE and DELETE in the database itself, whatever code (or SQL) asks.

The triggers are installed after every `migrate` (and every flush) by a post_migrate handler
that finds the tables through the app registry, so a history-tracked model added later gets its
trigger without anyone writing a migration for it. Migration accounts 0003 installs them too.
TRUNCATE is not a row operation and stays possible for the owner (test flushes use it).

A maintenance job that really must rewrite these tables (retention, a benchmark's cleanup on a
scratch database) runs as a role allowed to `SET LOCAL session_replication_role = replica`,
which PostgreSQL grants to superusers only; the application's own role cannot.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from simple_history.models import HistoricalChanges

FUNCTION = "portal_append_only"
TRIGGER = "portal_append_only"

_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'History, audit events and consent evidence are never edited or '
                     'deleted; record a new row instead. Users are deactivated, not deleted.';
END
$$
"""


def append_only_models() -> list[type[Model]]:
    """Every model whose rows are evidence: simple-history's historical models (including the
    m2m ones) and any model that says `APPEND_ONLY = True`."""
    return [
        model
        for model in global_apps.get_models(include_auto_created=True)
        if issubclass(model, HistoricalChanges) or getattr(model, "APPEND_ONLY", False)
    ]


def append_only_tables() -> list[str]:
    return sorted({model._meta.db_table for model in append_only_models()})


def tables_with_trigger(connection) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE t.tgname = %s AND n.nspname = current_schema()",
            [TRIGGER],
        )
        return {row[0] for row in cursor.fetchall()}


def install_append_only_triggers(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create the refusing trigger on every append-only table that exists and lacks it.
    Idempotent; a no-op on other databases than PostgreSQL. Returns the tables it changed."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    existing = set(connection.introspection.table_names())
    wanted = [table for table in append_only_tables() if table in existing]
    missing = [table for table in wanted if table not in tables_with_trigger(connection)]
    if not missing:
        return []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(_FUNCTION_SQL)
        for table in missing:
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}")
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {quote(table)} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )
    return missing


def append_only_on_post_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    # Connected for the accounts app only: post_migrate comes after every migration of the run
    # has been applied, so the tables of the apps after accounts exist already.
    install_append_only_triggers(using)
