"""Index types the portal's models share."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import (
    AddIndexConcurrently as PostgresAddIndexConcurrently,
)
from django.db import models
from django.db.migrations.operations import AddIndex


class CoveringIndex(models.Index):
    """An index that carries non-key columns (INCLUDE) where the database can: PostgreSQL, the
    reference, answers a list's count from the index alone; SQLite has no such columns.

    A plain `Index(include=...)` makes every command on SQLite print models.W040, which a
    newcomer cannot act on. This index keeps its non-key columns to itself and adds them only
    when the database supports them; to migrations it is the plain Index it replaces, so the
    schema and its migrations are unchanged.
    """

    def __init__(self, *args, include, **kwargs):
        super().__init__(*args, **kwargs)
        self.covering = tuple(include)

    def deconstruct(self):
        _, args, kwargs = super().deconstruct()
        kwargs["include"] = self.covering
        return "django.db.models.Index", args, kwargs

    def __eq__(self, other):
        if isinstance(other, models.Index):
            return self.deconstruct() == other.deconstruct()
        return NotImplemented

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.features.supports_covering_indexes:
            index = models.Index(
                fields=self.fields, name=self.name, include=self.covering, **self._extra()
            )
            return index.create_sql(model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def _extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.db_tablespace:
            extra["db_tablespace"] = self.db_tablespace
        if self.opclasses:
            extra["opclasses"] = self.opclasses
        if self.condition is not None:
            extra["condition"] = self.condition
        return extra


class AddIndexConcurrently(PostgresAddIndexConcurrently):
    """`AddIndexConcurrently` on PostgreSQL (no lock on the table's writes while it builds);
    a plain index elsewhere (SQLite, the embedded default, has no concurrent build). Its
    migration needs `atomic = False`, as PostgreSQL's operation asks."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
