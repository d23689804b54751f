"""ORM queries that every page runs, compiled to SQL once per process.

Building a queryset and compiling it costs more than running it when the query is small and
the database is near: the role's permissions or the members of a reseller are a fraction of a
millisecond in PostgreSQL and a millisecond or more in Python. A `PreparedQuery` keeps the
query written with the ORM (its single source of truth) and compiles it the first time it runs
on a database, with a placeholder integer for each named argument; later calls run the same SQL
with the arguments put in the placeholders' places.

Only integer arguments (ids) can be named; anything else belongs in the query itself.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

from django.db import connections
from django.db.models import QuerySet

# Placeholders no real id reaches; each prepared query draws its own.
_placeholders = count(-(2**62), -1)


class PreparedQuery:
    """`PreparedQuery(build, "user_id", "reseller_id")` runs `build(user_id=…, reseller_id=…)`
    (which returns a values or values_list queryset) and returns its rows as tuples."""

    def __init__(self, build: Callable[..., QuerySet], *names: str):
        self.build = build
        self.names = names
        self._compiled: dict[tuple[str, str], tuple[str, list]] = {}

    def _compile(self, using: str) -> tuple[str, list]:
        placeholders = {name: next(_placeholders) for name in self.names}
        by_value = {value: name for name, value in placeholders.items()}
        queryset = self.build(**placeholders)
        sql, params = queryset.query.get_compiler(using).as_sql()
        # Each parameter is either one of the named arguments or a constant of the query.
        slots = [(True, by_value[p]) if p in by_value else (False, p) for p in params]
        missing = set(self.names) - {value for named, value in slots if named}
        if missing:
            raise ValueError(f"the query never uses {sorted(missing)}")
        return sql, slots

    def rows(self, using: str = "default", **values: int) -> list[tuple]:
        connection = connections[using]
        key = (using, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(using)
        sql, slots = compiled
        params = [values[value] if named else value for named, value in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
