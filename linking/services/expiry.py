"""Time-bound links: reminders 30, 7 and 1 days before the end, and expiry when it passes.

Reads already treat a link past its end as expired (`Link.effective_status`) and grant nothing
for it (`link_sync_grants`); the sweep makes it so in the rows and tells the reseller. Expiry
only ever takes away: nothing is extended without a renewal the customer accepts.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role
from linking.models import Link, Notification
from linking.services._common import _customer_contact, _lock_link, _move_link, _notify, _save
from linking.services.cleanup import link_cleanup_begin
from linking.services.links import link_sync_grants
from portal.dates import local_moment

logger = logging.getLogger(__name__)

# Reminder stages: `expiry_reminders_sent` counts how far the link got (0 → 1 → 2 → 3).
REMINDER_DAYS = (30, 7, 1)
# What an end date ends: a revoking billing association too, at its month end.
_TIME_BOUND = (
    Link.Status.ACTIVE,
    Link.Status.REVOKING,
    Link.Status.SUSPENDED,
    Link.Status.BROKEN,
)
# What is reminded of its end: nobody needs a reminder of a revocation they made.
_REMINDED = (Link.Status.ACTIVE, Link.Status.SUSPENDED)


def _batch() -> int:
    return settings.PORTAL_SWEEP_BATCH


def _human_date(moment: datetime) -> str:
    return local_moment(moment)


def _reseller_contacts(link: Link) -> list[str]:
    """Who hears about the link's end: the initiator of its request while still a member,
    else the reseller's admins."""
    item = link.source_item
    if item is not None:
        initiator = item.request.initiator
        if (
            initiator.is_active
            and initiator.email
            and Membership.objects.filter(reseller_id=link.reseller_id, user=initiator).exists()
        ):
            return [initiator.email]
    return sorted(
        {
            m.user.email
            for m in Membership.objects.filter(
                reseller_id=link.reseller_id, role=Role.ADMIN, user__is_active=True
            ).select_related("user")
            if m.user.email
        }
    )


def due_reminder_stage(link: Link, now: datetime) -> int:
    """The latest reminder stage due at `now` (0 if none). A stage whose moment falls before
    the link started does not apply: a 10-day delegation gets no "30 days left" reminder."""
    if link.ends_at is None:
        return 0
    start = link.starts_at or link.activated_at
    due = 0
    for stage, days in enumerate(REMINDER_DAYS, start=1):
        moment = link.ends_at - timedelta(days=days)
        if start is not None and moment <= start:
            continue
        if moment <= now:
            due = stage
    return due


@transaction.atomic
def link_expiry_remind(*, link_id: int, now: datetime | None = None) -> Link | None:
    """Remind the reseller and the customer's contact that a link ends soon: the latest due
    stage, once. The sweep calls it; a no-op when nothing is due (already reminded, ended,
    renewed)."""
    now = now or timezone.now()
    link = _lock_link(link_id)
    if link is None or link.status not in _REMINDED or link.revoked_at or link.ends_at is None:
        return None
    if link.ends_at <= now:
        return None
    stage = due_reminder_stage(link, now)
    # A late sweep sends only the latest stage: two stale reminders at once help nobody.
    if stage <= link.expiry_reminders_sent:
        return None
    link.expiry_reminders_sent = stage
    ends_on = timezone.localtime(link.ends_at).strftime("%Y-%m-%d")
    _save(
        link,
        actor=None,
        reason=f"reminded: ends on {ends_on} ({REMINDER_DAYS[stage - 1]}-day reminder)",
        fields=["expiry_reminders_sent"],
    )
    days_left = max(1, int((link.ends_at - now).total_seconds() // 86400))
    for email in _reseller_contacts(link):
        _notify(
            Notification.Kind.LINK_EXPIRING,
            email,
            link=link,
            stage=stage,
            days_left=days_left,
            ends_on=_human_date(link.ends_at),
        )
    # The customer hears of the same stage, once, with the same counter: a rerun of the sweep
    # finds the stage sent and writes nothing for either side.
    if contact := _customer_contact(link):
        _notify(
            Notification.Kind.LINK_EXPIRING,
            contact,
            link=link,
            audience="customer",
            stage=stage,
            days_left=days_left,
            ends_on=_human_date(link.ends_at),
        )
    return link


def link_expiry_remind_due(*, now: datetime | None = None) -> int:
    """Send every expiry reminder that is due; returns how many links were reminded."""
    now = now or timezone.now()
    ids = list(
        Link.objects.filter(
            status__in=_REMINDED,
            ends_at__gt=now,
            ends_at__lte=now + timedelta(days=REMINDER_DAYS[0]),
            expiry_reminders_sent__lt=len(REMINDER_DAYS),
            revoked_at__isnull=True,
        )
        .order_by("ends_at", "id")
        .values_list("pk", flat=True)[: _batch()]
    )
    return sum(1 for link_id in ids if link_expiry_remind(link_id=link_id, now=now))


@transaction.atomic
def link_expire(*, link_id: int, now: datetime | None = None) -> Link | None:
    """Expire one link whose end date has passed: status, history (the system), permissions
    removed in the same transaction, the reseller told. A no-op otherwise."""
    now = now or timezone.now()
    link = _lock_link(link_id)
    if link is None or link.status not in _TIME_BOUND:
        return None
    if link.ends_at is None or link.ends_at > now:
        return None
    ends_on = timezone.localtime(link.ends_at).strftime("%Y-%m-%d")
    if link.revoked_at is not None:
        # A revoked billing association ran to its month end; both sides were told then.
        link.status_reason = f"Billing association ended on {ends_on}."
        _move_link(
            link,
            Link.Status.REVOKED,
            actor=None,
            reason=f"billing association ended on {ends_on}",
            extra=["status_reason", *link_cleanup_begin(link, now=now)],
        )
        link_sync_grants(
            actor=None,
            reseller_id=link.reseller_id,
            customer_id=link.customer_id,
            reason=f"{link.reference} billing association ended on {ends_on} (expiry sweep)",
        )
        return link
    link.status_reason = f"Delegation ended on {ends_on}."
    # The customer hears it too: what they made in the cloud for it is theirs to delete.
    _move_link(
        link,
        Link.Status.EXPIRED,
        actor=None,
        reason=f"delegation ended on {ends_on}",
        extra=["status_reason", *link_cleanup_begin(link, now=now)],
        customer_notice=(Notification.Kind.LINK_EXPIRED, {"ends_on": _human_date(link.ends_at)}),
    )
    link_sync_grants(
        actor=None,
        reseller_id=link.reseller_id,
        customer_id=link.customer_id,
        reason=f"{link.reference} expired: delegation ended on {ends_on} (expiry sweep)",
    )
    for email in _reseller_contacts(link):
        _notify(Notification.Kind.LINK_EXPIRED, email, link=link, ends_on=_human_date(link.ends_at))
    logger.info("link %s expired (ended %s)", link.reference, ends_on)
    return link


def link_expire_due(*, now: datetime | None = None) -> int:
    """Expire every time-bound link whose end date has passed; returns how many."""
    now = now or timezone.now()
    ids = list(
        Link.objects.filter(status__in=_TIME_BOUND, ends_at__lte=now)
        .order_by("ends_at", "id")
        .values_list("pk", flat=True)[: _batch()]
    )
    return sum(1 for link_id in ids if link_expire(link_id=link_id, now=now))
