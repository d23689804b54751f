"""Migrations safe for a running portal: no new migration may lock a large table for long on
PostgreSQL. Each migration written after the baseline is turned into its SQL (`sqlmigrate`) and
refused when, on a table that grows with the customers, it:

- builds an index without CONCURRENTLY (write it as `AddIndexConcurrently`, `atomic = False`);
- adds a CHECK or UNIQUE constraint that is validated at once (`AddConstraintNotValid`, then
  `ValidateConstraint` in a later migration);
- changes a column's type, or sets NOT NULL on an existing column (both rewrite or scan the table
  under an exclusive lock: add a new column and backfill it in batches instead);
- adds a column whose default is computed by the database for every row (a volatile default).

How to write each kind safely: docs/operations.md, "Migrations on a running portal".
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

pytestmark = pytest.mark.django_db

# Every migration up to these was written before the rule, against small tables, and has run in
# every deployment: it is not re-judged.
BASELINE = {"accounts": 8, "linking": 22}

# The tables whose rows grow with the resellers' customers, requests, links and events.
LARGE_TABLES = {
    "accounts_auditevent",
    "accounts_historicalmembership",
    "accounts_historicaluser",
    "accounts_idempotencyrecord",
    "accounts_user",
    "guardian_userobjectpermission",
    "guardian_groupobjectpermission",
    "linking_batchrow",
    "linking_consentrecord",
    "linking_customeraccount",
    "linking_customeraccount_regions",
    "linking_customeraccountuserobjectpermission",
    "linking_customeraccountgroupobjectpermission",
    "linking_customersignincode",
    "linking_historicalcustomeraccount",
    "linking_historicalcustomeraccount_regions",
    "linking_historicallink",
    "linking_historicallinkrequest",
    "linking_historicalnotification",
    "linking_historicalrequestitem",
    "linking_link",
    "linking_linkrequest",
    "linking_notification",
    "linking_refusal",
    "linking_requestitem",
    "linking_verificationrun",
    "linking_webhookdelivery",
}

_UNSAFE = [
    (
        re.compile(r'CREATE (UNIQUE )?INDEX (?!CONCURRENTLY)\S+ ON "(?P<table>\w+)"'),
        "an index built without CONCURRENTLY",
    ),
    (
        re.compile(
            r'ALTER TABLE "(?P<table>\w+)" ADD CONSTRAINT \S+ (CHECK|UNIQUE)(?!.*NOT VALID)'
        ),
        "a constraint validated at once",
    ),
    (re.compile(r'ALTER TABLE "(?P<table>\w+)" ALTER COLUMN \S+ TYPE'), "a column type change"),
    (
        re.compile(r'ALTER TABLE "(?P<table>\w+)" ALTER COLUMN \S+ SET NOT NULL'),
        "NOT NULL set on an existing column",
    ),
    (
        re.compile(
            r'ALTER TABLE "(?P<table>\w+)" ADD COLUMN .* DEFAULT \(?(now|clock_timestamp|'
            r"random|gen_random_uuid|statement_timestamp)\("
        ),
        "a volatile default",
    ),
]


def unsafe_statements(sql: str) -> list[str]:
    """The statements of a migration's SQL that would lock a large table for long."""
    created = set(re.findall(r'CREATE TABLE "(\w+)"', sql))
    found = []
    for statement in sql.split(";\n"):
        lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
        statement = " ".join(" ".join(lines).split())
        for pattern, what in _UNSAFE:
            match = pattern.search(statement)
            if match and match["table"] in LARGE_TABLES and match["table"] not in created:
                found.append(f"{what}: {statement[:160]}")
    return found


def _new_migrations() -> list[tuple[str, str]]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return sorted(
        (app, name)
        for app, name in loader.disk_migrations
        if app in BASELINE and int(name.split("_", 1)[0]) > BASELINE[app]
    )


# Outside a transaction: the SQL of a concurrent index cannot even be written inside one.
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the locks are PostgreSQL's")
def test_no_new_migration_locks_a_large_table(capsys):
    problems = []
    for app, name in _new_migrations():
        call_command("sqlmigrate", app, name)
        sql = capsys.readouterr().out
        problems += [f"{app}.{name}: {p}" for p in unsafe_statements(sql)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "sql",
    [
        'CREATE INDEX "link_x" ON "linking_link" ("status");',
        'ALTER TABLE "linking_linkrequest" ADD CONSTRAINT "c" CHECK ("n" > 0);',
        'ALTER TABLE "linking_link" ALTER COLUMN "note" TYPE text;',
        'ALTER TABLE "linking_link" ALTER COLUMN "note" SET NOT NULL;',
        'ALTER TABLE "linking_notification" ADD COLUMN "at" timestamptz DEFAULT (now()) NOT NULL;',
    ],
)
def test_each_unsafe_kind_is_refused(sql):
    assert unsafe_statements(sql)


@pytest.mark.parametrize(
    "sql",
    [
        'CREATE INDEX CONCURRENTLY "link_x" ON "linking_link" ("status");',
        'ALTER TABLE "linking_linkrequest" ADD CONSTRAINT "c" CHECK ("n" > 0) NOT VALID;',
        'ALTER TABLE "linking_notification" ADD COLUMN "c" varchar(64) DEFAULT \'\' NOT NULL;',
        'CREATE TABLE "linking_team" ("id" bigint); CREATE INDEX "t" ON "linking_team" ("id");',
        'CREATE INDEX "preset_x" ON "linking_preset" ("name");',
    ],
)
def test_safe_statements_pass(sql):
    assert not unsafe_statements(sql)
