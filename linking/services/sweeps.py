"""The expiry sweep: every overdue request moved to `expired` in batches, with its history rows,
its items closed and one notice to its initiator, in a constant number of queries per batch.

Expiry only ever closes: nothing that grants access is decided by a timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from linking.models import LinkRequest, Notification, RequestItem
from linking.services._common import Status
from linking.webhooks.services import webhook_emit_requests_moved

logger = logging.getLogger(__name__)

REQUEST_FIELDS = ["status", "status_changed_at", "consent_token_hash"]
ITEM_REASON = "expired"
NOTIFICATION_REASON = "queued"


def expiry_reason(req: LinkRequest) -> str:
    """The history reason of an expiry, naming the deadline that passed."""
    stage = "approval" if req.status == Status.PENDING_APPROVAL else "consent"
    return f"expired: the {stage} deadline passed"


def link_request_expire_locked(requests: Sequence[LinkRequest], *, now: datetime) -> None:
    """Expire requests the caller has locked and found overdue (initiator selected): status,
    history with no user (the system), items closed, one REQUEST_EXPIRED notice each.

    The notices stay queued for the outbox sweep, which publishes queued rows older than a
    minute: a burst of expiries never floods the broker ahead of consent e-mails, and the sweep
    needs no broker at all.
    """
    if not requests:
        return
    notices = []
    moves = []
    for req in requests:
        if Status.EXPIRED not in LinkRequest.TRANSITIONS.get(req.status, set()):
            raise ValueError(f"{req.reference} cannot expire from {req.status}")
        moves.append((req, req.status))
        stage = "approval" if req.status == Status.PENDING_APPROVAL else "consent"
        # simple-history takes an object's own _change_reason before the default one, so each
        # row names the deadline that passed.
        req._change_reason = expiry_reason(req)
        req.status = Status.EXPIRED
        req.status_changed_at = now
        req.consent_token_hash = ""
        notice = Notification(
            kind=Notification.Kind.REQUEST_EXPIRED,
            to_email=req.initiator.email,
            request=req,
            context={"stage": stage},
            created_at=now,
        )
        notices.append(notice)
    # Every row of the batch gets the same values, so one UPDATE writes them; bulk_update would
    # build a CASE per row and field, which costs more than everything else in the batch
    # together (Python and PostgreSQL alike). The history helper then records the in-memory
    # objects, which hold exactly the values written: `fields=[]` makes it write history only.
    request_ids = [req.pk for req in requests]
    LinkRequest.objects.filter(pk__in=request_ids).update(
        **{field: getattr(requests[0], field) for field in REQUEST_FIELDS}
    )
    bulk_update_with_history(
        requests,
        LinkRequest,
        [],
        default_user=None,
        default_change_reason="expired: the deadline passed",
        default_date=now,
    )
    items = list(RequestItem.objects.filter(request__in=request_ids, is_open=True))
    for item in items:
        item.is_open = False
    if items:
        RequestItem.objects.filter(pk__in=[item.pk for item in items]).update(is_open=False)
        bulk_update_with_history(
            items,
            RequestItem,
            [],
            default_user=None,
            default_change_reason=ITEM_REASON,
            default_date=now,
        )
    bulk_create_with_history(
        notices,
        Notification,
        default_user=None,
        default_change_reason=NOTIFICATION_REASON,
        default_date=now,
    )
    # The resellers' webhooks hear of every expiry: one query for the endpoints of the batch.
    webhook_emit_requests_moved(moves)


@transaction.atomic
def link_request_expire_batch(
    *, now: datetime, batch_size: int = 1000, after: int = 0
) -> list[int]:
    """Expire at most `batch_size` overdue requests with an id above `after`, in one
    transaction; returns their ids in order."""
    # skip_locked: a second sweep running at the same time takes other rows instead of waiting
    # for these, and a service holding a request (the customer deciding) is left alone; the
    # next run takes it if it is still overdue. A no-op on SQLite, which locks the database.
    batch = list(
        LinkRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("initiator")
        .filter(LinkRequest.overdue_q(now), pk__gt=after)
        .order_by("pk")[:batch_size]
    )
    link_request_expire_locked(batch, now=now)
    return [req.pk for req in batch]


def link_request_expire_overdue(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Expire every request whose approval or consent deadline has passed. The beat sweep and
    the benchmark call it; idempotent, and safe with two sweeps at once."""
    now = now or timezone.now()
    total = 0
    after = 0
    while True:
        # One pass in id order: each batch starts after the last, instead of walking again
        # over the rows the previous batches expired (quadratic on a large backlog).
        done = link_request_expire_batch(now=now, batch_size=batch_size, after=after)
        total += len(done)
        if len(done) < batch_size:
            break
        after = done[-1]
    if total:
        logger.info("expired %s overdue requests", total)
    return total
