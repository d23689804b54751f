"""Reads of links: lists and their filters, a link's timeline, evidence and runs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Field,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from accounts.models import Reseller, User
from linking.models import (
    ConsentRecord,
    CustomerAccount,
    Link,
    Notification,
    RequestItem,
    VerificationStatus,
)
from linking.selectors.catalog import catalog_names
from linking.selectors.customers import customers_matching
from linking.selectors.search import is_reference_number, narrowed
from portal.dates import local_moment


def link_notice_audiences(*, link: Link, kind: str) -> set[str]:
    """Who the link's e-mails of `kind` went to: "customer", "reseller" or both."""
    return {
        n.context.get("audience", "")
        for n in Notification.objects.filter(link=link, kind=kind).only("context")
    }


def _link_lapsed_q(now: datetime) -> Q:
    # Expired at read time, before the sweep moves it: the rule of `Link.has_ended`.
    return Q(
        status__in=[
            Link.Status.ACTIVE,
            Link.Status.REVOKING,
            Link.Status.SUSPENDED,
            Link.Status.BROKEN,
        ],
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
    cleanup: str = "",
    over_privileged_only: bool = False,
    visible: Q | None = None,
) -> QuerySet[Link]:
    """The reseller's links, newest first, filtered as the links list offers (and, with
    `visible`, to the links whose teams let the reader see them)."""
    now = timezone.now()
    qs = Link.objects.filter(visible or Q(), reseller=reseller).select_related("customer")
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
            if text is q and is_reference_number(ref):
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
    if cleanup:
        qs = qs.filter(cleanup_status=cleanup)
    if over_privileged_only:
        qs = qs.filter(over_privileged=True)  # the partial index link_reseller_over_privileged
    return qs.order_by("-created_at", "-id")


def link_get_for_reseller(*, reseller: Reseller, pk: int, visible: Q | None = None) -> Link | None:
    link = (
        Link.objects.filter(visible or Q(), reseller=reseller, pk=pk)
        .select_related("customer", "source_item__request", "revoked_by")
        .first()
    )
    if link is not None:
        # Its reseller is the one asked for: the predicates of the page read it without a query.
        link.reseller = reseller
    return link


def _in_words(codes: Iterable[Any] | None, names: dict[str, str]) -> str:
    return ", ".join(f"{names[c]} ({c})" if c in names else str(c) for c in codes or [])


# Fields that never change on a link or that the page says elsewhere.
_LINK_TIMELINE_HIDDEN = ["reseller", "customer", "link_type", "created_at", "expiry_reminders_sent"]


def _link_field(name: str) -> Field:
    field = Link._meta.get_field(name)
    # A history diff names the link's own columns, never a reverse relation.
    assert isinstance(field, Field)
    return field


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
    "cleanup_status": "Clean-up in the cloud",
    "cleanup_started_at": "Clean-up started",
    "cleanup_deadline": "Clean-up due by",
    "cleanup_checks": "Clean-up checks",
    "cleanup_checked_at": "Clean-up last checked",
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

    def words(field: str, value: Any) -> str:
        if value in (None, "", []):
            return ""
        model_field = _link_field(field)
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
        changes: list[tuple[str, str, str]] = []
        if previous is not None:
            delta = row.diff_against(previous, excluded_fields=_LINK_TIMELINE_HIDDEN)
            for change in delta.changes:
                label = (
                    _LINK_FIELD_LABELS.get(change.field)
                    or str(_link_field(change.field).verbose_name).capitalize()
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


def link_list_for_customer(
    *, reseller: Reseller, customer: CustomerAccount, visible: Q | None = None
) -> QuerySet[Link]:
    """Every link of the reseller on the customer, whatever its state, with the receipt
    reference of the decision that last shaped it."""
    receipt = ConsentRecord.objects.filter(item_id=OuterRef("source_item_id")).values(
        "receipt_reference"
    )[:1]
    return (
        Link.objects.filter(visible or Q(), reseller=reseller, customer=customer)
        .select_related("customer", "source_item__request")
        .annotate(receipt_reference=Subquery(receipt))
        .order_by("-created_at", "-id")
    )


def link_ids_waiting_for_activation() -> list[int]:
    return list(
        Link.objects.filter(status=Link.Status.ACTIVATING).values_list("pk", flat=True)[:500]
    )


def link_verification_runs(*, link: Link, limit: int = 20) -> list:
    """The link's latest verification runs, newest first, with who started them: one query."""
    runs = link.verification_runs.select_related("triggered_by").order_by("-started_at", "-id")
    return list(runs[:limit])
