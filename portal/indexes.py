"""Index types the portal's models share."""

from __future__ import annotations

from typing import Any

from django.db import models


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
