"""The audit trail: every history row of every tracked model and every audit event, as one list
ordered by time, with each row's changed fields (old → new), its actor, reason and reseller.

The tracked models are found through the app registry, so a model another app starts tracking
appears here by itself. Reads only; auditors and staff reach it through the admin.

Queries per page do not grow with the rows: one for the count, one for the page (a UNION ALL
over the history tables and the audit events), then two per kind of row on the page (the rows
with their related objects and actor, and the versions before them) and one for the resellers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import (
    BigIntegerField,
    CharField,
    F,
    ForeignKey,
    ManyToManyField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.urls import NoReverseMatch, reverse
from simple_history.models import DeletedObject, HistoricalChanges
from simple_history.template_utils import HistoricalRecordContextHelper

from accounts.models import AuditEvent, Reseller
from portal.dates import local_day, local_moment

HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
EMPTY_VALUE = "(empty)"


class HistoryChangesDisplay(HistoricalRecordContextHelper):
    """The old → new values of the admin's history page, as an auditor reads them.

    simple-history shows an empty foreign key as "Deleted user (pk=None)", which reads as if a
    user had been deleted; an empty value is "(empty)", and a related row deleted since is
    named by its id.
    """

    def prepare_delta_change_value(self, change, value):
        if isinstance(value, DeletedObject):
            if value.pk is None:
                return EMPTY_VALUE
            return f"{value.model._meta.verbose_name} #{value.pk} (deleted since)"
        if value is None or value == "":
            return EMPTY_VALUE
        # Dates and moments written as every page writes them.
        if isinstance(value, dt.datetime):
            return local_moment(value)
        if isinstance(value, dt.date):
            return local_day(value)
        return super().prepare_delta_change_value(change, value)


EVENT_LABEL = AuditEvent._meta.label_lower


@dataclass(frozen=True)
class Source:
    """One table of the trail: a historical model, or the audit events."""

    label: str  # the tracked model's label, e.g. "linking.link"
    model: type[Model]  # the historical model, or AuditEvent
    base: type[Model]  # the tracked model, or AuditEvent
    # Lookup of the reseller id on `model`, or several (one step away) of which one is set;
    # None: no reseller's row.
    reseller: str | list[str] | None

    @property
    def reseller_lookups(self) -> list[str]:
        if self.reseller is None:
            return []
        return self.reseller if isinstance(self.reseller, list) else [self.reseller]

    @property
    def is_event(self) -> bool:
        return self.model is AuditEvent

    @property
    def name(self) -> str:
        return str(self.base._meta.verbose_name)

    @property
    def view_perm(self) -> str:
        return f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"


def _reseller_lookup(historical: type[Model], base: type[Model]) -> str | list[str] | None:
    if base is Reseller:
        return "id"
    fks = [f for f in historical._meta.fields if isinstance(f, ForeignKey)]
    for fk in fks:
        if fk.name == "reseller":
            return "reseller_id"
    # One step away, e.g. a notification's request or link.
    hops = []
    for fk in fks:
        related = fk.related_model
        if fk.name != "history_user" and any(f.name == "reseller" for f in related._meta.fields):
            hops.append(f"{fk.name}__reseller_id")
    return hops or None


def trail_sources() -> list[Source]:
    """Every history-tracked model of the registry (m2m history rows are shown on their
    object's history page) and the audit events, ordered by label."""
    sources = [Source(EVENT_LABEL, AuditEvent, AuditEvent, "reseller_id")]
    for model in apps.get_models():
        if not issubclass(model, HistoricalChanges):
            continue
        if not any(f.name == "history_date" for f in model._meta.fields):
            continue
        # The tracked model of a historical one; simple-history ships no types.
        base = model.instance_type  # type: ignore[attr-defined]
        sources.append(Source(base._meta.label_lower, model, base, _reseller_lookup(model, base)))
    return sorted(sources, key=lambda source: source.label)


def kind_choices() -> list[tuple[str, str]]:
    return [*HISTORY_TYPES.items(), *AuditEvent.Action.choices]


@dataclass
class TrailFilter:
    start: dt.datetime | None = None  # inclusive
    end: dt.datetime | None = None  # exclusive
    actor_ids: list[int] | None = None  # None: anyone
    reseller_id: int | None = None
    label: str = ""  # one source only
    kind: str = ""


def _reseller_expression(source: Source):
    lookup = source.reseller
    if lookup is None:
        return Value(None, output_field=BigIntegerField())
    if isinstance(lookup, list):
        if len(lookup) == 1:
            return Cast(F(lookup[0]), BigIntegerField())
        return Coalesce(*[F(hop) for hop in lookup], output_field=BigIntegerField())
    return Cast(F(lookup), BigIntegerField())


def _source_index(source: Source, flt: TrailFilter) -> QuerySet | None:
    if source.is_event:
        when, pk, actor, kind = "created_at", "id", "actor_id", "action"
        kinds = set(AuditEvent.Action.values)
    else:
        when, pk, actor, kind = "history_date", "history_id", "history_user_id", "history_type"
        kinds = set(HISTORY_TYPES)
    if flt.kind and flt.kind not in kinds:
        return None
    if flt.reseller_id is not None and source.reseller is None:
        return None
    qs = source.model._default_manager.order_by()
    if flt.start:
        qs = qs.filter(**{f"{when}__gte": flt.start})
    if flt.end:
        qs = qs.filter(**{f"{when}__lt": flt.end})
    if flt.actor_ids is not None:
        qs = qs.filter(**{f"{actor}__in": flt.actor_ids})
    if flt.kind:
        qs = qs.filter(**{kind: flt.kind})
    if flt.reseller_id is not None:
        # On the column itself, not the annotation, so that its index serves the filter.
        match = Q()
        for hop in source.reseller_lookups:
            match |= Q(**{hop: flt.reseller_id})
        qs = qs.filter(match)
    qs = qs.annotate(
        t_when=F(when),
        t_label=Value(source.label, output_field=CharField()),
        t_pk=Cast(F(pk), BigIntegerField()),
        t_reseller=_reseller_expression(source),
    )
    return qs.values("t_when", "t_label", "t_pk", "t_reseller")


def trail_index(*, sources: list[Source], flt: TrailFilter, newest_first: bool = True):
    """The trail's rows as (when, label, pk, reseller id) dicts, one query; None if the filter
    leaves no table to read."""
    parts = [
        qs
        for source in sources
        if (not flt.label or source.label == flt.label)
        and (qs := _source_index(source, flt)) is not None
    ]
    if not parts:
        return None
    index = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    if newest_first:
        return index.order_by("-t_when", "t_label", "-t_pk")
    return index.order_by("t_when", "t_label", "t_pk")


@dataclass
class TrailEntry:
    when: dt.datetime
    label: str
    model_name: str
    object_id: str
    object_repr: str
    kind: str  # created / changed / deleted, or the audit event's action
    actor: object  # a User or None (the system)
    reason: str
    changes: list[dict] = field(default_factory=list)  # field, old, new
    reseller: Reseller | None = None
    url: str = ""

    @property
    def changes_text(self) -> str:
        return "; ".join(
            f"{c['field']}: {_text(c['old'])} → {_text(c['new'])}" for c in self.changes
        )


def _text(value) -> str:
    return "" if value is None else str(value)


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _history_entries(source: Source, pks: list[int]) -> dict[int, TrailEntry]:
    model, base = source.model, source.base
    id_name = base._meta.pk.attname
    fks = [
        f.name for f in model._meta.fields if isinstance(f, ForeignKey) and f.name != "history_user"
    ]
    before = (
        model._default_manager.filter(
            **{id_name: OuterRef(id_name), "history_date__lt": OuterRef("history_date")}
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    rows = list(
        model._default_manager.filter(history_id__in=pks)
        .select_related("history_user", *fks)
        .annotate(t_before=Subquery(before))
    )
    previous = model._default_manager.in_bulk([r.t_before for r in rows if r.t_before])
    opts = base._meta
    fields = {
        f.name: f
        for f in opts.concrete_fields
        if f.editable
        and not f.primary_key
        and not isinstance(f, ManyToManyField)
        and hasattr(model, f.attname)
    }
    entries = {}
    for row in rows:
        object_id = getattr(row, id_name)
        if row.history_type == "+":
            changes = [
                (name, None, getattr(row, f.attname))
                for name, f in fields.items()
                if not _empty(getattr(row, f.attname))
            ]
        elif row.t_before in previous:
            delta = row.diff_against(previous[row.t_before], included_fields=list(fields))
            changes = [(c.field, c.old, c.new) for c in delta.changes]
        else:
            changes = []
        entries[row.history_id] = TrailEntry(
            when=row.history_date,
            label=source.label,
            model_name=source.name,
            object_id=str(object_id),
            object_repr=_repr(row, fks, source),
            kind=HISTORY_TYPES.get(row.history_type, row.history_type),
            actor=row.history_user,
            reason=row.history_change_reason or "",
            changes=[
                {"field": str(fields[name].verbose_name), "old": old, "new": new}
                for name, old, new in changes
            ],
            url=_url(
                f"admin:{opts.app_label}_{opts.model_name}_simple_history",
                object_id,
                row.history_id,
            ),
        )
    return entries


def _repr(row, fks: list[str], source: Source) -> str:
    # From the history row alone: `row.instance` reads the fields the history leaves out
    # (hashes, secrets, none of them shown by a __str__) with a query a row.
    instance = row.instance_type(**{f.attname: getattr(row, f.attname) for f in row.tracked_fields})
    # The related rows were joined with the history row: no query per __str__.
    for name in fks:
        if name in row._state.fields_cache:
            instance._state.fields_cache[name] = row._state.fields_cache[name]
    try:
        return str(instance)[:200]
    except Exception:  # a related row deleted since: the id still identifies it
        return f"{source.name} {row.pk}"


def _event_entries(pks: list[int]) -> dict[int, TrailEntry]:
    opts = AuditEvent._meta
    return {
        event.pk: TrailEntry(
            when=event.created_at,
            label=EVENT_LABEL,
            model_name=str(opts.verbose_name),
            object_id=event.object_id,
            object_repr=event.object_repr,
            kind=event.action,
            actor=event.actor,
            reason=event.reason,
            changes=_event_changes(event),
            url=_url(f"admin:{opts.app_label}_{opts.model_name}_change", event.pk),
        )
        for event in AuditEvent.objects.filter(pk__in=pks).select_related("actor")
    }


def _event_changes(event: AuditEvent) -> list[dict]:
    """An access change in the trail's old → new form: what the group (or user) held before
    and after."""
    Action = AuditEvent.Action
    if event.action in (Action.GROUP_JOINED, Action.GROUP_LEFT):
        joined = event.action == Action.GROUP_JOINED
        name = event.group_name
        return [
            {
                "field": "role group",
                "old": None if joined else name,
                "new": name if joined else None,
            }
        ]
    if event.action == Action.CLOUD_CONNECTION_CHANGED:
        # Which parts changed is all there is: the access key pair is never written down.
        return [{"field": "cloud connection", "old": None, "new": event.reason}]
    if event.action == Action.WEBHOOK_ENDPOINT_CHANGED:
        return [{"field": "webhook endpoint", "old": None, "new": event.reason}]
    if event.action == Action.SSO_PROVIDER_CHANGED:
        # The client secret is never written down: which parts changed is all there is.
        return [{"field": "single sign-on provider", "old": None, "new": event.reason}]
    if event.action in (Action.MFA_FACTOR_ADDED, Action.MFA_FACTOR_REMOVED, Action.MFA_RESET):
        # Which kind of factor and its name; never a key or a code.
        removed = event.action != Action.MFA_FACTOR_ADDED
        return [
            {
                "field": "second factors",
                "old": event.reason if removed else None,
                "new": None if removed else event.reason,
            }
        ]
    granted = event.action == Action.PERMISSION_GRANTED
    perm = event.permission
    return [
        {
            "field": f"permission of group {event.group_name}",
            "old": None if granted else perm,
            "new": perm if granted else None,
        }
    ]


def trail_entries(rows: list[dict], sources: list[Source]) -> list[TrailEntry]:
    """The page's rows of `trail_index` made whole, in the same order."""
    by_label = {source.label: source for source in sources}
    wanted: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        wanted[row["t_label"]].append(row["t_pk"])
    found: dict[tuple[str, int], TrailEntry] = {}
    for label, pks in wanted.items():
        source = by_label[label]
        entries = _event_entries(pks) if source.is_event else _history_entries(source, pks)
        found.update({(label, pk): entry for pk, entry in entries.items()})
    reseller_ids = {row["t_reseller"] for row in rows if row["t_reseller"] is not None}
    resellers = Reseller.objects.in_bulk(reseller_ids) if reseller_ids else {}
    result = []
    for row in rows:
        entry = found.get((row["t_label"], row["t_pk"]))
        if entry is not None:
            entry.reseller = resellers.get(row["t_reseller"])
            result.append(entry)
    return result


def trail_iter(*, sources: list[Source], flt: TrailFilter, chunk: int = 500):
    """Every entry of the filter, oldest first, read in chunks (for the CSV export)."""
    index = trail_index(sources=sources, flt=flt, newest_first=False)
    if index is None:
        return
    batch = []
    for row in index.iterator(chunk_size=chunk):
        batch.append(row)
        if len(batch) == chunk:
            yield from trail_entries(batch, sources)
            batch = []
    if batch:
        yield from trail_entries(batch, sources)
