"""Reads, always scoped to one reseller, with their related rows already fetched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.utils import timezone

from accounts.models import Reseller, User
from linking.models import (
    ConsentRecord,
    CustomerAccount,
    Link,
    LinkRequest,
    Notification,
    Preset,
    Refusal,
    Region,
    RequestItem,
    Service,
    VerificationStatus,
    normalise_account_id,
)
from portal.dates import local_moment

Status = LinkRequest.Status


def _overdue_q(now) -> Q:
    return LinkRequest.overdue_q(now)


def request_filter_by_status(qs: QuerySet, status: str, now=None) -> QuerySet:
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
}


def _activating_links():
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


def with_waiting_on(qs: QuerySet[LinkRequest]) -> QuerySet[LinkRequest]:
    """Annotate what `LinkRequest.waiting_on` needs, so a list shows it without a query a row."""
    return qs.annotate(has_activating_links=_activating_links())


def request_filter_by_waiting_on(qs: QuerySet, waiting_on: str, now=None) -> QuerySet:
    """Requests whose move it is of `waiting_on` (one of WAITING_ON_STATUS), as the page shows."""
    qs = request_filter_by_status(qs, WAITING_ON_STATUS[waiting_on], now)
    if waiting_on == "delivery":
        return qs.filter(consent_sent_at__isnull=True)
    if waiting_on == "customer":
        return qs.filter(consent_sent_at__isnull=False)
    if waiting_on == "activation":
        return with_waiting_on(qs).filter(has_activating_links=True)
    return qs


def customers_matching(text: str, *, by_account_id: bool = True) -> QuerySet:
    """Ids of the customers whose name contains `text` (or whose account id it is), as a
    subquery the trigram index on the name answers."""
    match = Q(display_name__icontains=text)
    if by_account_id:
        match |= Q(account_id=normalise_account_id(text))
    return CustomerAccount.objects.filter(match).order_by().values("pk")


# A search matches a few hundred rows among hundreds of thousands. Read in the list's order,
# the planner hopes to meet a page of matches early and walks the whole index when they are
# rare; asked for the matches alone, each condition reads its own index. Past this many
# matches the term is common and the ordered read does meet a page at once.
SEARCH_ID_LIMIT = 2000


def narrowed(qs: QuerySet, *matches: Q) -> QuerySet:
    """`qs` filtered by any of `matches`, with the matching ids found first when they are few:
    one query, a union of one index read per condition."""
    parts = [qs.filter(match).order_by().values_list("pk", flat=True) for match in matches]
    union = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    ids = list(union[: SEARCH_ID_LIMIT + 1])
    if len(ids) > SEARCH_ID_LIMIT:
        any_match = Q()
        for match in matches:
            any_match |= match
        return qs.filter(any_match)
    return qs.filter(pk__in=ids)


# What the dashboard groups the oldest waiting requests by; drafts wait only on their author.
WAITING_ON_LABELS = {
    "approver": "Approver",
    "delivery": "Delivery of the consent e-mail",
    "customer": "Customer",
    "activation": "Activation of the links",
}


def _is_reference_number(text: str) -> bool:
    """ASCII digits that fit a bigint: "²".isdigit() is true, yet int() refuses it."""
    return text.isascii() and text.isdigit() and len(text) < 19


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
    if _is_reference_number(ref):
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
    "customer__display_name",
    "initiator__username",
    "initiator__first_name",
    "initiator__last_name",
    "initiator__email",
)


class _JoinedLinkTypes(Aggregate):
    """The link types of a request's items, comma-joined in item order."""

    output_field = CharField()

    def __init__(self):
        super().__init__(F("link_type"), F("id"))

    def as_sql(self, compiler, connection, **extra_context):
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


# Past this many, the dashboard says "1,000+": counting every one of hundreds of
# thousands of rows would cost more than the rest of the page.
DASHBOARD_COUNT_CAP = 1_000


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


def requests_nobody_can_approve(*, reseller: Reseller, now=None) -> int:
    """How many requests wait for an approval nobody else can give: none when the reseller has
    two approvers, those of the only approver when it has one, all when it has none. Two
    queries at most, whatever the number of requests."""
    now = now or timezone.now()
    approver_ids = list(
        approvers_for_reseller(reseller=reseller).values_list("user_id", flat=True)[:2]
    )
    if len(approver_ids) >= 2:
        return 0
    waiting = LinkRequest.objects.filter(reseller=reseller, status=Status.PENDING_APPROVAL).exclude(
        _overdue_q(now)
    )
    if approver_ids:
        waiting = waiting.filter(initiator_id=approver_ids[0])
    return waiting.count()


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
    )
    return {accepted[link.link_type]: link for link in links}


def notification_count(*, request: LinkRequest, kind: str) -> int:
    """How many e-mails of `kind` the request has queued (e.g. to its approvers)."""
    return Notification.objects.filter(request=request, kind=kind).count()


def link_notice_audiences(*, link: Link, kind: str) -> set[str]:
    """Who the link's e-mails of `kind` went to: "customer", "reseller" or both."""
    return {
        n.context.get("audience", "")
        for n in Notification.objects.filter(link=link, kind=kind).only("context")
    }


def capped_counts(qs: QuerySet, field: str, values: list[str]) -> dict[str, int]:
    """How many rows of `qs` hold each value of `field`, each counted up to the cap plus one:
    one query, each part an index range that stops at the cap."""
    parts, params = [], []
    for i, value in enumerate(values):
        sub = qs.filter(**{field: value}).order_by().values(field)[: DASHBOARD_COUNT_CAP + 1]
        sql, sub_params = sub.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS part_{i})")  # noqa: S608 (ORM SQL)
        params.extend(sub_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return dict(zip(values, row, strict=True))


def dashboard_for_reseller(*, reseller: Reseller) -> dict:
    """Counts by status (as seen, overdue counted as expired), oldest pending, recent failures."""
    now = timezone.now()
    base = LinkRequest.objects.filter(reseller=reseller)
    counts = capped_counts(base, "status", Status.values)
    capped = {status for status, n in counts.items() if n > DASHBOARD_COUNT_CAP}
    # Overdue requests are shown as expired even before the sweep moves them.
    for row in base.filter(_overdue_q(now)).values("status").annotate(n=Count("id")):
        counts[row["status"]] -= row["n"]
        counts[Status.EXPIRED] += row["n"]
    oldest = list(
        base.filter(status__in=LinkRequest.OPEN_STATUSES)
        .exclude(consent_deadline__lte=now)
        .select_related("customer", "initiator")
        .order_by("status_changed_at", "id")[:10]
    )
    # The oldest few per whose move it is: one small query each, whatever the number of rows.
    oldest_by_waiting_on = []
    for waiting_on, label in WAITING_ON_LABELS.items():
        since = "consent_sent_at" if waiting_on == "customer" else "status_changed_at"
        rows = list(
            with_waiting_on(request_filter_by_waiting_on(base, waiting_on, now))
            .select_related("customer", "initiator")
            .order_by(since, "id")[:5]
        )
        oldest_by_waiting_on.append((waiting_on, label, rows))
    failures = list(
        base.exclude(failure_code="").select_related("customer").order_by("-status_changed_at")[:5]
    )
    failed_notifications = list(
        Notification.objects.filter(request__reseller=reseller, status=Notification.Status.FAILED)
        .select_related("request")
        .order_by("-created_at")[:5]
    )
    links = capped_counts(Link.objects.filter(reseller=reseller), "status", Link.Status.values)
    capped |= {f"link-{status}" for status, n in links.items() if n > DASHBOARD_COUNT_CAP}
    return {
        "counts": counts,
        "capped": capped,
        "count_cap": DASHBOARD_COUNT_CAP,
        "oldest": oldest,
        "oldest_by_waiting_on": oldest_by_waiting_on,
        "failures": failures,
        "failed_notifications": failed_notifications,
        "links": links,
        "nobody_can_approve": requests_nobody_can_approve(reseller=reseller, now=now),
        "now": now,
    }


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


def _readable_change(field: str, old, new) -> tuple[str, object, object]:
    model_field = LinkRequest._meta.get_field(field)
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
        changes = []
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


def _link_lapsed_q(now) -> Q:
    # Expired at read time, before the sweep moves it: the rule of `Link.has_ended`.
    return Q(
        status__in=[Link.Status.ACTIVE, Link.Status.REVOKING, Link.Status.SUSPENDED],
        ends_at__lte=now,
    )


def link_list_for_reseller(
    *,
    reseller: Reseller,
    status: str = "",
    link_type: str = "",
    q: str = "",
    customer: str = "",
    expiring_within_days: int | None = None,
    failing_only: bool = False,
) -> QuerySet[Link]:
    """The reseller's links, newest first, filtered as the links list offers."""
    now = timezone.now()
    qs = Link.objects.filter(reseller=reseller).select_related("customer")
    # A revoked billing association past its month end reads as revoked, any other as expired.
    if status == Link.Status.EXPIRED:
        qs = qs.filter(Q(status=status) | (_link_lapsed_q(now) & Q(revoked_at__isnull=True)))
    elif status == Link.Status.REVOKED:
        qs = qs.filter(Q(status=status) | (_link_lapsed_q(now) & Q(revoked_at__isnull=False)))
    elif status in Link.LIVE_STATUSES:
        qs = qs.filter(status=status).exclude(_link_lapsed_q(now))
    elif status:
        qs = qs.filter(status=status)
    if link_type:
        qs = qs.filter(link_type=link_type)
    for text in (q, customer):
        if text:
            matches = [Q(customer__in=customers_matching(text))]
            ref = text.upper().removeprefix("LK-")
            if text is q and _is_reference_number(ref):
                matches.append(Q(pk=int(ref)))
            if text is q:
                # The ticket of the request that created the link or last changed its scope.
                matches.append(Q(source_item__request__ticket_reference__icontains=text))
            qs = narrowed(qs, *matches)
    if expiring_within_days is not None:
        qs = qs.filter(
            link_type="delegation",
            status__in=Link.LIVE_STATUSES,
            ends_at__gt=now,
            ends_at__lte=now + timedelta(days=expiring_within_days),
        )
    if failing_only:
        qs = qs.filter(verification_status=VerificationStatus.FAILING)
    return qs.order_by("-created_at", "-id")


def link_get_for_reseller(*, reseller: Reseller, pk: int) -> Link | None:
    link = (
        Link.objects.filter(reseller=reseller, pk=pk)
        .select_related("customer", "source_item__request", "revoked_by")
        .first()
    )
    if link is not None:
        # Its reseller is the one asked for: the predicates of the page read it without a query.
        link.reseller = reseller
    return link


def region_names() -> dict[str, str]:
    """Region names by code (one small query): pages name regions as the e-mails do."""
    return dict(Region.objects.values_list("code", "name"))


def catalog_names() -> tuple[dict[str, str], dict[str, str]]:
    """Service and region names by code, to say a scope in words (two small queries)."""
    return (
        dict(Service.objects.values_list("code", "name")),
        dict(Region.objects.values_list("code", "name")),
    )


def _in_words(codes, names: dict[str, str]) -> str:
    return ", ".join(f"{names[c]} ({c})" if c in names else str(c) for c in codes or [])


# Fields that never change on a link or that the page says elsewhere.
_LINK_TIMELINE_HIDDEN = ["reseller", "customer", "link_type", "created_at", "expiry_reminders_sent"]
_LINK_FIELD_LABELS = {
    "source_item": "From request",
    "status_reason": "Reason shown",
    "verification_status": "Verification",
    "verified_at": "Last verified",
    "revoked_by": "Revoked by",
    "revoke_reason": "Reason for revoking",
    "billing_ends_at": "Billing association ends",
    "starts_at": "Starts",
    "ends_at": "Ends",
    "activated_at": "Activated",
    "revoked_at": "Revoked at",
}


def link_timeline(*, link: Link, names: tuple[dict, dict] | None = None) -> list[dict]:
    """Who changed the link, when, why and what, in words; oldest first, a constant number of
    queries whatever the length of the history."""
    rows = list(
        Link.history.filter(id=link.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    service_names, region_names = names or catalog_names()
    item_ids = {row.source_item_id for row in rows if row.source_item_id}
    request_of_item = (
        dict(RequestItem.objects.filter(pk__in=item_ids).values_list("pk", "request_id"))
        if item_ids
        else {}
    )
    user_ids = {row.revoked_by_id for row in rows if row.revoked_by_id}
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}

    def words(field: str, value) -> str:
        if value in (None, "", []):
            return ""
        model_field = Link._meta.get_field(field)
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if field == "services":
            return _in_words(value, service_names)
        if field == "regions":
            return _in_words(value, region_names)
        if field == "source_item":
            request_id = request_of_item.get(value)
            return f"LR-{request_id:06d}" if request_id else "an earlier request"
        if field == "revoked_by":
            return users.get(value, "a former user")
        if hasattr(value, "astimezone"):
            return local_moment(value)
        return str(value)

    entries = []
    previous = None
    for row in rows:
        changes = []
        if previous is not None:
            delta = row.diff_against(previous, excluded_fields=_LINK_TIMELINE_HIDDEN)
            for change in delta.changes:
                label = (
                    _LINK_FIELD_LABELS.get(change.field)
                    or str(Link._meta.get_field(change.field).verbose_name).capitalize()
                )
                changes.append(
                    (label, words(change.field, change.old), words(change.field, change.new))
                )
        entries.append(
            {
                "when": row.history_date,
                "who": row.history_user,
                "what": row.history_change_reason or row.get_history_type_display(),
                "status": row.get_status_display(),
                "changes": changes,
            }
        )
        previous = row
    return entries


def link_consent_records(*, link: Link) -> list[ConsentRecord]:
    """The customer's decisions behind the link: on every item that ever shaped it (creation,
    amendments, renewals) and the withdrawals of the link itself; oldest first."""
    item_ids = Link.history.filter(id=link.pk, source_item__isnull=False).values("source_item_id")
    # A union, not an OR: each half reads its own index instead of the whole evidence table.
    by_item = ConsentRecord.objects.filter(item_id__in=item_ids).order_by()
    by_link = ConsentRecord.objects.filter(link=link).order_by()
    return list(by_item.union(by_link).order_by("created_at", "id"))


def link_list_for_customer(*, reseller: Reseller, customer: CustomerAccount) -> QuerySet[Link]:
    """Every link of the reseller on the customer, whatever its state, with the receipt
    reference of the decision that last shaped it."""
    receipt = ConsentRecord.objects.filter(item_id=OuterRef("source_item_id")).values(
        "receipt_reference"
    )[:1]
    return (
        Link.objects.filter(reseller=reseller, customer=customer)
        .select_related("customer", "source_item__request")
        .annotate(receipt_reference=Subquery(receipt))
        .order_by("-created_at", "-id")
    )


def _link_count(reseller: Reseller, **filters) -> Coalesce:
    counted = (
        Link.objects.filter(reseller=reseller, customer=OuterRef("pk"), **filters)
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def customer_list_linked(*, reseller: Reseller, q: str = "") -> QuerySet[CustomerAccount]:
    """Customers on which the reseller holds at least one link, with the count of live ones.

    A semi-join, not a join with DISTINCT: the directory is read in name order and each row
    probes the reseller's links, so a page costs its own rows, and the counts are subqueries
    computed for the rows shown only.
    """
    qs = CustomerAccount.objects.filter(
        Exists(Link.objects.filter(reseller=reseller, customer=OuterRef("pk")))
    )
    if q:
        qs = qs.filter(Q(display_name__icontains=q) | Q(account_id=normalise_account_id(q)))
    return qs.annotate(
        live_links=_link_count(reseller, status__in=Link.LIVE_STATUSES),
        all_links=_link_count(reseller),
    ).order_by("display_name", "id")


def customer_get_linked(*, reseller: Reseller, pk: int) -> CustomerAccount | None:
    return CustomerAccount.objects.filter(
        Exists(Link.objects.filter(reseller=reseller, customer=OuterRef("pk"))), pk=pk
    ).first()


def consent_records_for_request(*, req: LinkRequest) -> list[ConsentRecord]:
    return list(ConsentRecord.objects.filter(request=req).select_related("item"))


def link_ids_waiting_for_activation() -> list[int]:
    return list(
        Link.objects.filter(status=Link.Status.ACTIVATING).values_list("pk", flat=True)[:500]
    )


def link_verification_runs(*, link: Link, limit: int = 20) -> list:
    """The link's latest verification runs, newest first, with who started them: one query."""
    runs = link.verification_runs.select_related("triggered_by").order_by("-started_at", "-id")
    return list(runs[:limit])


# --- Batches ----------------------------------------------------------------------------------


def batch_list_for_reseller(*, reseller: Reseller) -> QuerySet:
    """The reseller's batches, newest first, with the uploader."""
    from linking.models import Batch

    return Batch.objects.filter(reseller=reseller).select_related("uploaded_by", "run_by")


def batch_get_for_reseller(*, reseller: Reseller, pk: int):
    """One batch of the reseller, or None (another reseller's batch does not exist for you)."""
    return batch_list_for_reseller(reseller=reseller).filter(pk=pk).first()


def batch_rows(*, batch, outcome: str = "") -> QuerySet:
    """The rows of a batch in file order, optionally of one outcome."""
    qs = batch.rows.all()
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("row_number")


def batch_result_rows(*, batch):
    """Row number, key, account, outcome, request id and codes of every row, for the CSV."""
    return (
        batch.rows.order_by("row_number")
        .values_list("row_number", "key", "account_id", "outcome", "request_id", "codes", "reasons")
        .iterator(chunk_size=2000)
    )


def preset_list_for_reseller(*, reseller: Reseller) -> QuerySet[Preset]:
    """The reseller's presets by name, with who created them."""
    return (
        Preset.objects.filter(reseller=reseller).select_related("created_by").order_by("name", "id")
    )


def preset_get_for_reseller(*, reseller: Reseller, pk: int) -> Preset | None:
    return Preset.objects.filter(reseller=reseller, pk=pk).select_related("created_by").first()
