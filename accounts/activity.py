"""The reseller's activity log: every history row of its objects and every audit event of it,
newest first, as one list.

Each source is read by its own query, scoped to the reseller, filtered, ordered by the keyset
(`when`, kind, row id) and limited to one page; the pages are merged here. So a page costs one
query per source (seven), whatever the number of rows, each served by an index on
(reseller, date); a UNION of the same querysets would need a LIMIT inside each branch to stay
flat, which SQLite (the embedded default) refuses. Only common columns are read (when, who,
which object, what kind of change, the reason): never a field of the objects themselves, so no
secret, token or hash can reach a row or the export.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet, Value
from django.db.models.fields import CharField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, Membership, Reseller, User

# Object kinds, in the order of the filter; the keyset orders kinds by these codes.
KINDS: dict[str, Any] = {
    "settings": _("Settings"),
    "member": _("Member"),
    "request": _("Request"),
    "link": _("Link"),
    "connection": _("Cloud connection"),
    "webhook": _("Webhook endpoint"),
    "access": _("Access (audit event)"),
}
CHANGES: dict[str, Any] = {
    "created": _("Created"),
    "changed": _("Changed"),
    "deleted": _("Deleted"),
    "access": _("Access granted or removed"),
}
_HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    person: int | None = None
    kinds: tuple[str, ...] = ()
    change: str = ""


@dataclass(frozen=True)
class Cursor:
    """The last row of a page: the next page starts strictly after it."""

    when: datetime
    kind: str
    row_id: int

    def encode(self) -> str:
        return f"{self.when.isoformat()}|{self.kind}|{self.row_id}"

    @classmethod
    def decode(cls, raw: str) -> Cursor | None:
        try:
            when, kind, row_id = raw.split("|")
            moment = datetime.fromisoformat(when)
            if moment.tzinfo is None or kind not in KINDS:
                return None
            return cls(moment, kind, int(row_id))
        except ValueError:
            return None


def _sources(reseller: Reseller) -> dict[str, QuerySet]:
    """Per kind, the reseller's rows with the common columns: when, row_id, actor_id, object_id,
    label, history_type, reason."""
    from linking.cloud.models import CloudConnection
    from linking.models import Link, LinkRequest
    from linking.webhooks.models import WebhookEndpoint

    def history(qs: QuerySet, label) -> QuerySet:
        return qs.values(
            at=F("history_date"),
            rid=F("history_id"),
            who=F("history_user_id"),
            oid=Cast("id", CharField()),
            what=label,
            op=F("history_type"),
            why=F("history_change_reason"),
        )

    return {
        "settings": history(
            Reseller.history.filter(id=reseller.pk), Value(str(reseller.partner_id))
        ),
        "member": history(Membership.history.filter(reseller_id=reseller.pk), F("user__email")),
        "request": history(LinkRequest.history.filter(reseller_id=reseller.pk), Value("")),
        "link": history(Link.history.filter(reseller_id=reseller.pk), Value("")),
        "connection": history(CloudConnection.history.filter(reseller_id=reseller.pk), Value("")),
        "webhook": history(WebhookEndpoint.history.filter(reseller_id=reseller.pk), F("url")),
        "access": AuditEvent.objects.filter(reseller_id=reseller.pk).values(
            at=F("created_at"),
            rid=F("id"),
            who=F("actor_id"),
            oid=F("object_id"),
            what=F("object_repr"),
            op=F("action"),
            why=F("reason"),
        ),
    }


def _after(qs: QuerySet, kind: str, cursor: Cursor | None, *, field: str, id_field: str):
    """Rows strictly after the cursor in the order (when desc, kind desc, row id desc)."""
    if cursor is None:
        return qs
    if kind > cursor.kind:
        return qs.filter(**{f"{field}__lt": cursor.when})
    if kind < cursor.kind:
        return qs.filter(**{f"{field}__lte": cursor.when})
    return qs.filter(
        Q(**{f"{field}__lt": cursor.when})
        | Q(**{field: cursor.when, f"{id_field}__lt": cursor.row_id})
    )


def _filtered(reseller: Reseller, filters: Filters, cursor: Cursor | None, limit: int | None):
    for kind, qs in _sources(reseller).items():
        if filters.kinds and kind not in filters.kinds:
            continue
        audit = kind == "access"
        field, id_field, actor = (
            ("created_at", "id", "actor_id")
            if audit
            else ("history_date", "history_id", "history_user_id")
        )
        if filters.change:
            if audit != (filters.change == "access"):
                continue
            if not audit:
                code = {v: k for k, v in _HISTORY_TYPES.items()}[filters.change]
                qs = qs.filter(history_type=code)
        if filters.since:
            qs = qs.filter(**{f"{field}__gte": filters.since})
        if filters.until:
            qs = qs.filter(**{f"{field}__lt": filters.until})
        if filters.person:
            qs = qs.filter(**{actor: filters.person})
        qs = _after(qs, kind, cursor, field=field, id_field=id_field)
        qs = qs.order_by(f"-{field}", f"-{id_field}")
        yield kind, (qs[:limit] if limit else qs)


def _rows(kind: str, rows) -> Iterator[dict]:
    # The aliases differ from every column name (the ORM refuses an alias that shadows one).
    for row in rows:
        yield {
            "when": row["at"],
            "kind": kind,
            "row_id": row["rid"],
            "actor_id": row["who"],
            "object_id": row["oid"],
            "label": row["what"],
            "change": row["op"],
            "reason": row["why"],
        }


def _key(row: dict) -> tuple:
    return (row["when"], row["kind"], row["row_id"])


def _describe(row: dict, users: dict[int, str]) -> dict:
    kind = row["kind"]
    if kind == "access":
        change = "access"
        actions = dict(AuditEvent.Action.choices)
        action = actions.get(row["change"], row["change"])
        what = f"{action}: {row['label']}".strip(": ")
    else:
        change = _HISTORY_TYPES.get(row["change"], "changed")
        prefix = {"request": "LR", "link": "LK"}.get(kind)
        what = (
            f"{prefix}-{int(row['object_id']):06d}"
            if prefix
            else (row["label"] or row["object_id"])
        )
    return {
        **row,
        "kind_label": KINDS[kind],
        "change_code": change,
        "change_label": CHANGES[change],
        "object": what,
        "actor": users.get(row["actor_id"], "") if row["actor_id"] else "",
        "reason": row["reason"] or "",
    }


def _user_labels(ids: set[int]) -> dict[int, str]:
    rows = User.objects.filter(pk__in=ids).values_list(
        "pk", "first_name", "last_name", "email", "username"
    )
    return {pk: User.label(first, last, email, name) for pk, first, last, email, name in rows}


def activity_page(
    *, reseller: Reseller, filters: Filters, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> tuple[list[dict], Cursor | None]:
    """One page of the reseller's activity, newest first, and the cursor of the next page (None
    on the last). One query per source and one for the people named, whatever the data."""
    streams = [list(_rows(kind, qs)) for kind, qs in _filtered(reseller, filters, cursor, size + 1)]
    merged = list(heapq.merge(*streams, key=_key, reverse=True))
    page, more = merged[:size], len(merged) > size
    users = _user_labels({r["actor_id"] for r in page if r["actor_id"]})
    rows = [_describe(r, users) for r in page]
    last = page[-1] if page and more else None
    return rows, (Cursor(last["when"], last["kind"], last["row_id"]) if last else None)


def activity_iter(*, reseller: Reseller, filters: Filters, chunk: int = 500) -> Iterator[dict]:
    """Every row of the reseller's activity under the filters, newest first, a page at a time
    (for the CSV export: memory stays flat)."""
    cursor: Cursor | None = None
    while True:
        rows, cursor = activity_page(reseller=reseller, filters=filters, cursor=cursor, size=chunk)
        yield from rows
        if cursor is None:
            return


def activity_people(*, reseller: Reseller) -> list[tuple[int, str]]:
    """The reseller's members, for the person filter."""
    rows = Membership.objects.filter(reseller=reseller).values_list(
        "user_id", "user__first_name", "user__last_name", "user__email", "user__username"
    )
    return sorted(
        ((pk, User.label(f, last, e, u)) for pk, f, last, e, u in rows), key=lambda p: p[1]
    )
