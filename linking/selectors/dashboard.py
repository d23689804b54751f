"""The reseller's dashboard: counts by status, the oldest waits, recent failures."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    QuerySet,
)
from django.utils import timezone

from accounts.models import Reseller
from linking.models import (
    Link,
    LinkRequest,
    Notification,
)
from linking.selectors.requests import (
    approval_staffing,
    request_filter_by_waiting_on,
    with_waiting_on,
)

Status = LinkRequest.Status


# What the dashboard groups the oldest waiting requests by; drafts wait only on their author.
WAITING_ON_LABELS = {
    "approver": "Approver",
    "delivery": "Delivery of the consent e-mail",
    "customer": "Customer",
    "activation": "Activation of the links",
}


# Past this many, the dashboard says "1,000+": counting every one of hundreds of
# thousands of rows would cost more than the rest of the page.
DASHBOARD_COUNT_CAP = 1_000


def capped_counts(
    qs: QuerySet, field: str, values: list[str], *, also: dict[str, QuerySet] | None = None
) -> dict[str, int]:
    """How many rows of `qs` hold each value of `field`, each counted up to the cap plus one:
    one query, each part an index range that stops at the cap. `also`: more named counts of
    other filters, in the same query."""
    parts: list[str] = []
    params: list[Any] = []
    subs = [(value, qs.filter(**{field: value}).order_by().values(field)) for value in values] + [
        (name, other.order_by().values("pk")) for name, other in (also or {}).items()
    ]
    for i, (_, rows) in enumerate(subs):
        sub = rows[: DASHBOARD_COUNT_CAP + 1]
        sql, sub_params = sub.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS part_{i})")  # noqa: S608 (ORM SQL)
        params.extend(sub_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return dict(zip([name for name, _ in subs], row, strict=True))


# The dashboard lists this many of the links waiting longest for the customer's setup.
AWAITING_SETUP_SHOWN = 5


def links_awaiting_setup(*, reseller: Reseller, waiting: int) -> list[Link]:
    """The reseller's links waiting longest for the customer's cloud-side setup, nearest
    deadline first, with their customer: one query, none when `waiting` (their count) is 0."""
    if not waiting:
        return []
    return list(
        Link.objects.filter(reseller=reseller, status=Link.Status.AWAITING_SETUP)
        .select_related("customer")
        .only(
            "id",
            "link_type",
            "status",
            "starts_at",
            "setup_deadline",
            "verification_status",
            "verified_at",
            "customer__display_name",
            "customer__account_name",
            "customer__account_id",
        )
        .order_by("setup_deadline", "id")[:AWAITING_SETUP_SHOWN]
    )


def dashboard_for_reseller(*, reseller: Reseller) -> dict:
    """Counts by status (as seen, overdue counted as expired), oldest pending, recent failures."""
    now = timezone.now()
    base = LinkRequest.objects.filter(reseller=reseller)
    counts = capped_counts(base, "status", Status.values)
    capped = {status for status, n in counts.items() if n > DASHBOARD_COUNT_CAP}
    # Overdue requests are shown as expired even before the sweep moves them.
    for row in base.filter(LinkRequest.overdue_q(now)).values("status").annotate(n=Count("id")):
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
    links_qs = Link.objects.filter(reseller=reseller)
    # Drift: links flagged as granting more than consented, counted in the same query.
    links = capped_counts(
        links_qs,
        "status",
        Link.Status.values,
        also={"over_privileged": links_qs.filter(over_privileged=True)},
    )
    capped |= {f"link-{status}" for status, n in links.items() if n > DASHBOARD_COUNT_CAP}
    approvers, nobody_can_approve = approval_staffing(reseller=reseller, now=now)
    return {
        "counts": counts,
        "capped": capped,
        "count_cap": DASHBOARD_COUNT_CAP,
        "oldest": oldest,
        "oldest_by_waiting_on": oldest_by_waiting_on,
        "failures": failures,
        "failed_notifications": failed_notifications,
        "links": links,
        "nobody_can_approve": nobody_can_approve,
        # The policy sends requests to a second person, but fewer than two members can approve:
        # the one approver cannot approve their own requests (maker-checker).
        "approvers_short": approvers < 2
        and reseller.approval_policy != Reseller.ApprovalPolicy.NEVER,
        "awaiting_setup": links_awaiting_setup(
            reseller=reseller, waiting=links[Link.Status.AWAITING_SETUP]
        ),
        "now": now,
    }
