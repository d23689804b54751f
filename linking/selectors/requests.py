"""Reads of link requests: lists and their filters, approvals, a request's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    Field,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.lookups import IsNull
from django.utils import timezone

from accounts.models import Reseller, User
from linking.models import (
    ConsentRecord,
    Link,
    LinkRequest,
    Notification,
    Refusal,
    RequestItem,
    normalise_account_id,
)
from linking.selectors.customers import customers_matching
from linking.selectors.search import is_reference_number, narrowed

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

Status = LinkRequest.Status


def _overdue_q(now: datetime) -> Q:
    return LinkRequest.overdue_q(now)


def request_filter_by_status(qs: QuerySet, status: str, now: datetime | None = None) -> QuerySet:
    """Filter by the status a person sees: an overdue request is expired before the sweep."""
    now = now or timezone.now()
    if status == Status.EXPIRED:
        return qs.filter(Q(status=Status.EXPIRED) | _overdue_q(now))
    if status in LinkRequest.OPEN_STATUSES:
        # `_overdue_q` for this one status: only its own deadline can have passed.
        deadline = "approval_deadline" if status == Status.PENDING_APPROVAL else "consent_deadline"
        return qs.filter(status=status).exclude(**{f"{deadline}__lte": now})
    return qs.filter(status=status)


@dataclass
class RequestFilters:
    status: str = ""
    link_type: str = ""
    waiting_on: str = ""
    customer: str = ""
    initiator: int | None = None
    q: str = ""
    ticket: str = ""


WAITING_ON_STATUS = {
    "initiator": Status.DRAFT,
    "approver": Status.PENDING_APPROVAL,
    "delivery": Status.PENDING_CONSENT,
    "customer": Status.PENDING_CONSENT,
    "activation": Status.COMPLETED,
    "customer setup": Status.COMPLETED,
}


def _activating_links() -> Case:
    # Only a completed request can wait on activation; other rows skip the subquery. A scalar
    # subquery, not EXISTS: PostgreSQL turns an EXISTS in the select list into a hash of every
    # activating link of every request, while this one runs for the rows of the page only.
    first_activating = Link.objects.filter(
        source_item__request=OuterRef("pk"), status=Link.Status.ACTIVATING
    ).values("pk")[:1]
    return Case(
        When(status=Status.COMPLETED, then=IsNull(Subquery(first_activating), False)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _links_awaiting_setup() -> Case:
    # As `_activating_links`: one scalar subquery, for completed rows only.
    first_waiting = Link.objects.filter(
        source_item__request=OuterRef("pk"), status=Link.Status.AWAITING_SETUP
    ).values("pk")[:1]
    return Case(
        When(status=Status.COMPLETED, then=IsNull(Subquery(first_waiting), False)),
        default=Value(False),
        output_field=BooleanField(),
    )


def with_waiting_on(qs: QuerySet[LinkRequest]) -> QuerySet[LinkRequest]:
    """Annotate what `LinkRequest.waiting_on` needs, so a list shows it without a query a row."""
    return qs.annotate(
        has_activating_links=_activating_links(),
        has_links_awaiting_setup=_links_awaiting_setup(),
    )


def request_filter_by_waiting_on(
    qs: QuerySet, waiting_on: str, now: datetime | None = None
) -> QuerySet:
    """Requests whose move it is of `waiting_on` (one of WAITING_ON_STATUS), as the page shows."""
    qs = request_filter_by_status(qs, WAITING_ON_STATUS[waiting_on], now)
    if waiting_on == "delivery":
        return qs.filter(consent_sent_at__isnull=True)
    if waiting_on == "customer":
        return qs.filter(consent_sent_at__isnull=False)
    if waiting_on == "activation":
        return qs.annotate(has_activating_links=_activating_links()).filter(
            has_activating_links=True
        )
    if waiting_on == "customer setup":
        return qs.annotate(
            has_activating_links=_activating_links(),
            has_links_awaiting_setup=_links_awaiting_setup(),
        ).filter(has_activating_links=False, has_links_awaiting_setup=True)
    return qs


def request_search_matches(text: str) -> list[Q]:
    """The text search of requests, one condition per index: ticket reference, customer,
    account id, note, LR-number. Callers combine them with `narrowed`."""
    text = text.strip()
    matches = [
        Q(ticket_reference__icontains=text),
        Q(customer__in=customers_matching(text, by_account_id=False)),
        Q(account_id_input__icontains=normalise_account_id(text) or text),
        Q(note_to_customer__icontains=text),
    ]
    ref = text.upper().removeprefix("LR-")
    if is_reference_number(ref):
        matches.append(Q(pk=int(ref)))
    return matches


def link_request_list_for_reseller(
    *, reseller: Reseller, filters: RequestFilters | None = None
) -> QuerySet[LinkRequest]:
    """The reseller's requests, newest first, filtered as the list page offers."""
    filters = filters or RequestFilters()
    qs = LinkRequest.objects.filter(reseller=reseller).select_related(
        "customer", "initiator", "approver"
    )
    if filters.status:
        qs = request_filter_by_status(qs, filters.status)
    if filters.waiting_on in WAITING_ON_STATUS:
        qs = request_filter_by_waiting_on(qs, filters.waiting_on)
    if filters.link_type:
        qs = qs.filter(
            Exists(RequestItem.objects.filter(request=OuterRef("pk"), link_type=filters.link_type))
        )
    if filters.customer:
        qs = narrowed(qs, Q(customer__in=customers_matching(filters.customer)))
    if filters.initiator:
        qs = qs.filter(initiator_id=filters.initiator)
    if filters.ticket:
        # A prefix, as people type the ticket number from its start: the index
        # req_reseller_ticket_prefix serves it. The text search (q) also matches inside it.
        qs = qs.filter(ticket_reference__istartswith=filters.ticket)
    if filters.q:
        qs = narrowed(qs, *request_search_matches(filters.q))
    return with_waiting_on(qs).prefetch_related("items").order_by("-created_at", "-id")


# What a list of requests shows of each row (reference, customer, types, status as seen, whose
# move and since when, ticket, initiator, created): a page reads and builds only these columns,
# not the forty of a request, its customer and its initiator.
REQUEST_ROW_FIELDS = (
    "id",
    "status",
    "approval_deadline",
    "consent_deadline",
    "consent_sent_at",
    "status_changed_at",
    "ticket_reference",
    "created_at",
    "customer__account_id",
    "customer__account_name",
    "customer__display_name",
    "initiator__username",
    "initiator__first_name",
    "initiator__last_name",
    "initiator__email",
)


class _JoinedLinkTypes(Aggregate):
    """The link types of a request's items, comma-joined in item order."""

    output_field = CharField()

    def __init__(self) -> None:
        super().__init__(F("link_type"), F("id"))

    # django-stubs types the params as a tuple; Django's own `Func.as_sql` returns a list, and
    # the compiler extends and concatenates it as one.
    def as_sql(  # type: ignore[override]
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        (kind, kind_params), (pk, pk_params) = (
            compiler.compile(e) for e in self.get_source_expressions()[:2]
        )
        if connection.vendor == "postgresql":
            return f"STRING_AGG({kind}, ',' ORDER BY {pk})", [*kind_params, *pk_params]
        # SQLite reads a request's items by its index, in id order.
        return f"GROUP_CONCAT({kind}, ',')", list(kind_params)


def request_rows(qs: QuerySet[LinkRequest]) -> QuerySet[LinkRequest]:
    """`qs` as a list page shows it: the row columns only, and each row's link types read in
    the same query (`link_type_codes`) instead of a prefetch of the items."""
    link_types = (
        RequestItem.objects.filter(request=OuterRef("pk"))
        .order_by()
        .values("request")
        .annotate(codes=_JoinedLinkTypes())
        .values("codes")
    )
    return (
        qs.select_related(None)
        .select_related("customer", "initiator")
        .only(*REQUEST_ROW_FIELDS)
        .prefetch_related(None)
        .annotate(link_type_codes=Subquery(link_types, output_field=CharField()))
    )


def link_request_get_for_reseller(*, reseller: Reseller, pk: int) -> LinkRequest | None:
    return (
        with_waiting_on(LinkRequest.objects.filter(reseller=reseller, pk=pk))
        .select_related("customer", "initiator", "approver", "reseller")
        .prefetch_related("items")
        .first()
    )


def approval_queue_for_user(
    *, reseller: Reseller, user: User, q: str = ""
) -> QuerySet[LinkRequest]:
    """Requests waiting for approval that this user may decide (never their own); `q` searches
    them as the request list does (ticket reference, customer, LR-number)."""
    qs = LinkRequest.objects.filter(reseller=reseller)
    if q.strip():
        qs = narrowed(qs, *request_search_matches(q))
    return (
        request_filter_by_status(qs, Status.PENDING_APPROVAL)
        .exclude(initiator=user)
        .select_related("customer", "initiator")
        .prefetch_related("items")
        .order_by("status_changed_at", "id")
    )


def approvers_for_reseller(*, reseller: Reseller, exclude: User | None = None) -> QuerySet:
    """The memberships of who can approve the reseller's requests (active approvers and
    admins), without `exclude` (the initiator: nobody approves their own request)."""
    from accounts.models import Membership, Role

    qs = Membership.objects.filter(
        reseller=reseller, role__in=[Role.APPROVER, Role.ADMIN], user__is_active=True
    )
    return qs.exclude(user=exclude) if exclude is not None else qs


def nobody_else_can_approve(*, reseller: Reseller, initiator: User) -> bool:
    """True when a request of `initiator` that needs approval would wait for nobody."""
    return not approvers_for_reseller(reseller=reseller, exclude=initiator).exists()


def requests_nobody_can_approve(*, reseller: Reseller, now: datetime | None = None) -> int:
    """How many requests wait for an approval nobody else can give: none when the reseller has
    two approvers, those of the only approver when it has one, all when it has none. Two
    queries at most, whatever the number of requests."""
    return approval_staffing(reseller=reseller, now=now)[1]


def approval_staffing(*, reseller: Reseller, now: datetime | None = None) -> tuple[int, int]:
    """(how many members can approve, capped at 2; how many requests wait for an approval
    nobody else can give). Two queries at most, whatever the number of rows."""
    now = now or timezone.now()
    approver_ids = list(
        approvers_for_reseller(reseller=reseller).values_list("user_id", flat=True)[:2]
    )
    if len(approver_ids) >= 2:
        return 2, 0
    waiting = LinkRequest.objects.filter(reseller=reseller, status=Status.PENDING_APPROVAL).exclude(
        _overdue_q(now)
    )
    if approver_ids:
        waiting = waiting.filter(initiator_id=approver_ids[0])
    return len(approver_ids), waiting.count()


def request_item_links(*, req: LinkRequest, items: list[RequestItem]) -> dict[int, Link]:
    """The link each accepted item created or changed, by item id, in one query. A reseller
    has one link row per customer and type (revoked or not), which every later change of scope
    or renewal updates: that row is the item's link."""
    accepted = {
        item.link_type: item.pk for item in items if item.decision == RequestItem.Decision.ACCEPTED
    }
    if not accepted or req.customer_id is None:
        return {}
    links = Link.objects.filter(
        reseller_id=req.reseller_id, customer_id=req.customer_id, link_type__in=list(accepted)
    ).only(
        "reseller_id",
        "customer_id",
        "link_type",
        "status",
        "ends_at",
        "revoked_at",
        "over_privileged",  # the state badge flags it
        "over_privileged_detail",
    )
    return {accepted[link.link_type]: link for link in links}


def notification_count(*, request: LinkRequest, kind: str) -> int:
    """How many e-mails of `kind` the request has queued (e.g. to its approvers)."""
    return Notification.objects.filter(request=request, kind=kind).count()


# Fields that the reason line and the page already say in words (who approved, which customer).
_TIMELINE_HIDDEN = [
    "status_changed_at",
    "wizard_step",
    "customer",
    "approver",
    "submitted_at",
    "consent_deadline",
    "account_id_input",
    "consent_token_hash",
]


def _readable_change(field: str, old: object, new: object) -> tuple[str, object, object]:
    model_field = LinkRequest._meta.get_field(field)
    # A history diff names the request's own columns, never a reverse relation.
    assert isinstance(model_field, Field)
    if model_field.choices:
        labels = dict(model_field.flatchoices)
        old, new = labels.get(old, old), labels.get(new, new)
    return str(model_field.verbose_name), old, new


def request_timeline(*, req: LinkRequest) -> list[dict]:
    """Who did what, when and why: the history of the request and its items, oldest first."""
    entries = []
    rows = list(
        LinkRequest.history.filter(id=req.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    previous = None
    for row in rows:
        changes: list[tuple[str, object, object]] = []
        if previous is not None:
            delta = row.diff_against(previous, excluded_fields=_TIMELINE_HIDDEN)
            changes = [_readable_change(c.field, c.old, c.new) for c in delta.changes]
        entries.append(
            {
                "when": row.history_date,
                "who": row.history_user,
                "what": row.history_change_reason or row.get_history_type_display(),
                "status": row.status,
                "changes": changes,
            }
        )
        previous = row
    item_rows = (
        RequestItem.history.filter(request_id=req.pk)
        .exclude(history_change_reason__in=["submitted", "customer chosen"])
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    for row in item_rows:
        if row.history_change_reason and (" by " in row.history_change_reason):
            entries.append(
                {
                    "when": row.history_date,
                    "who": row.history_user,
                    "what": f"{row.get_link_type_display()}: {row.history_change_reason}",
                    "status": "",
                    "changes": [],
                }
            )
    # Refused attempts (every code of each), which left no other trace: the action rolled back.
    attempts: dict = {}
    for refusal in Refusal.objects.filter(request_id=req.pk).select_related("actor"):
        attempts.setdefault(refusal.attempt, []).append(refusal)
    for rows in attempts.values():
        first = rows[0]
        entries.append(
            {
                "when": first.created_at,
                "who": first.actor,
                "what": f"{first.get_action_display()} refused: " + ", ".join(r.code for r in rows),
                "status": "",
                "changes": [],
                "refusal": rows,
            }
        )
    entries.sort(key=lambda e: e["when"])
    return entries


def consent_records_for_request(*, req: LinkRequest) -> list[ConsentRecord]:
    return list(ConsentRecord.objects.filter(request=req).select_related("item"))
