"""Migration operations that keep a running portal writing while its schema changes, on
PostgreSQL; on SQLite (the embedded default, small by nature) each is its plain counterpart.

See docs/operations.md, "Migrations on a running portal", and the test that refuses the unsafe
statements (tests/portal/test_migrations_safe.py).
"""

from __future__ import annotations

from django.contrib.postgres.operations import (
    AddConstraintNotValid as PostgresAddConstraintNotValid,
)
from django.contrib.postgres.operations import (
    AddIndexConcurrently as PostgresAddIndexConcurrently,
)
from django.contrib.postgres.operations import ValidateConstraint as PostgresValidateConstraint
from django.db.migrations.operations import AddConstraint, AddIndex


def _postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexConcurrently(PostgresAddIndexConcurrently):
    """An index built without blocking the table's writes (`atomic = False` on the migration)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _postgres(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _postgres(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddConstraintNotValid(PostgresAddConstraintNotValid):
    """A CHECK constraint that holds for new rows at once and is not checked against the old
    ones while the table is locked; `ValidateConstraint` checks them later without blocking."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _postgres(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddConstraint.database_forwards(self, app_label, schema_editor, from_state, to_state)


class ValidateConstraint(PostgresValidateConstraint):
    """Check the old rows against a NOT VALID constraint (PostgreSQL; nothing to do elsewhere)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
