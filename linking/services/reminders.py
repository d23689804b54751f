"""Time-driven writes of a waiting request: reminders to the customer and the approvers, resend.

Nothing here moves a status, and nothing grants access: a reminder only writes an outbox row.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import User
from accounts.permissions import has_reseller_perm
from linking.checks.policy import request_approval_reminder_hours, request_consent_reminders
from linking.models import LinkRequest, Notification
from linking.services._common import (
    Status,
    _lock_request,
    _notify,
    _refuse_state,
    _require_initiator_role,
    _save,
    can_link,
)
from linking.services.requests import _approvers
from portal.dates import local_moment
from portal.errors import PortalError
from portal.schedules import next_reminder, reminder_times

logger = logging.getLogger(__name__)

# The smallest approval_reminder_hours a reseller can have; narrows the sweep's query to requests
# that could be due for some reseller before the per-reseller interval is applied.
_MIN_APPROVAL_REMINDER = timedelta(hours=1)


def consent_next_reminder_at(req: LinkRequest, *, now: datetime) -> datetime | None:
    """The next customer reminder of a request waiting for the customer, after `now`; or None.

    The window runs from when the request started waiting for the customer to its deadline, so
    an extended deadline moves the reminders with it.
    """
    if req.consent_deadline is None:
        return None
    try:
        return next_reminder(
            request_consent_reminders(req),
            start=req.status_changed_at,
            end=req.consent_deadline,
            now=now,
        )
    except ValueError:
        # The model validates the schedule; a bad value slipped in by hand must not stop a
        # request, it only costs the reminders.
        logger.warning("reseller %s has an invalid reminder schedule", req.reseller_id)
        return None


def _remaining_reminders(req: LinkRequest, *, now: datetime) -> int:
    if req.consent_deadline is None:
        return 0
    try:
        times = reminder_times(
            request_consent_reminders(req), start=req.status_changed_at, end=req.consent_deadline
        )
    except ValueError:
        return 0
    return sum(1 for t in times if t > now)


# --- customer reminders -------------------------------------------------------------------


def link_request_ids_due_customer_reminder(*, now: datetime | None = None) -> list[int]:
    """Requests waiting for the customer whose next reminder is due (by the index)."""
    now = now or timezone.now()
    limit = settings.PORTAL_SWEEP_BATCH
    return list(
        LinkRequest.objects.filter(
            status=Status.PENDING_CONSENT, next_reminder_at__lte=now, consent_deadline__gt=now
        )
        .order_by("next_reminder_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def link_request_remind_customer(*, request_id: int) -> LinkRequest | None:
    """Queue the customer's reminder when one is due; a no-op otherwise. The sweep calls it.

    The reminder's delivery mints a fresh consent link, like the first e-mail.
    """
    req = _lock_request(request_id)
    now = timezone.now()
    if (
        req.status != Status.PENDING_CONSENT
        or req.is_overdue
        or req.next_reminder_at is None
        or req.next_reminder_at > now
    ):
        return None
    number = req.reminders_sent + 1
    # A sweep that ran late sends one reminder for all the moments it missed, not one each.
    total = number + _remaining_reminders(req, now=now)
    req.reminders_sent = number
    req.next_reminder_at = consent_next_reminder_at(req, now=now)
    _save(
        req,
        actor=None,
        reason=f"reminder {number} of {total} sent to the customer ({req.consent_email})",
        fields=["reminders_sent", "next_reminder_at"],
    )
    _notify(
        Notification.Kind.CONSENT_REMINDER,
        req.consent_email,
        request=req,
        number=number,
        total=total,
    )
    return req


# --- approver reminders -------------------------------------------------------------------


def _approval_reminder_due_at(req_changed_at: datetime, hours: int, sent: int) -> datetime:
    # The n-th reminder is due n intervals after the request started waiting for approval.
    return req_changed_at + timedelta(hours=hours) * (sent + 1)


def link_request_ids_due_approver_reminder(*, now: datetime | None = None) -> list[int]:
    """Requests waiting for approval longer than their reseller's reminder interval allows."""
    now = now or timezone.now()
    limit = settings.PORTAL_SWEEP_BATCH
    # The index on (status, approval_deadline) narrows to open approvals, which expire within
    # 30 days; the per-reseller interval is applied here, not in SQL, to stay portable.
    rows = (
        LinkRequest.objects.filter(
            status=Status.PENDING_APPROVAL,
            approval_deadline__gt=now,
            status_changed_at__lte=now - _MIN_APPROVAL_REMINDER,
        )
        .order_by("status_changed_at")
        .values_list(
            "pk",
            "status_changed_at",
            Coalesce("approval_reminder_hours", "reseller__approval_reminder_hours"),
            "approval_reminders_sent",
        )
    )
    due = [
        pk
        for pk, changed_at, hours, sent in rows
        if _approval_reminder_due_at(changed_at, hours, sent) <= now
    ]
    return due[:limit]


@transaction.atomic
def link_request_remind_approvers(*, request_id: int) -> LinkRequest | None:
    """Remind the approvers (never the initiator) of a request waiting too long; else a no-op."""
    req = _lock_request(request_id)
    now = timezone.now()
    if req.status != Status.PENDING_APPROVAL or req.is_overdue:
        return None
    due_at = _approval_reminder_due_at(
        req.status_changed_at, request_approval_reminder_hours(req), req.approval_reminders_sent
    )
    if due_at > now:
        return None
    number = req.approval_reminders_sent + 1
    recipients = _approvers(req.reseller, exclude=req.initiator)
    req.approval_reminders_sent = number
    waited = int((now - req.status_changed_at).total_seconds() // 3600)
    who = (
        ngettext("%(n)d approver", "%(n)d approvers", len(recipients)) % {"n": len(recipients)}
        if recipients
        else "nobody: no other approver"
    )
    hours = ngettext("%(n)d hour", "%(n)d hours", waited) % {"n": waited}
    _save(
        req,
        actor=None,
        reason=f"approval reminder {number} sent to {who} after {hours} of waiting",
        fields=["approval_reminders_sent"],
    )
    for approver in recipients:
        _notify(Notification.Kind.APPROVAL_REMINDER, approver.email, request=req, number=number)
    return req


# --- resend -------------------------------------------------------------------------------


def _require_resender(actor: User, req: LinkRequest) -> None:
    _require_initiator_role(actor, req.reseller)
    is_admin = has_reseller_perm(user=actor, reseller=req.reseller, perm="manage_members")
    if req.initiator_id != actor.pk and not is_admin:
        raise PortalError(
            "LNK-V013",
            message=f"Only the initiator of {req.reference} or an admin can resend its consent "
            "e-mail.",
            hint=f"Ask {req.initiator} or an admin of {req.reseller.name}.",
        )


def resend_allowed_at(req: LinkRequest) -> datetime:
    """When the next resend of the consent e-mail is allowed.

    The cooldown counts from the last resend or, before the first one, from when the request
    started waiting for the customer (its first consent e-mail was queued then).
    """
    since = req.last_resent_at or req.status_changed_at
    return since + timedelta(minutes=settings.PORTAL_RESEND_COOLDOWN_MINUTES)


@transaction.atomic
def link_request_resend(
    *,
    actor: User,
    request_id: int,
    contact_email: str = "",
    extend_days: int | None = None,
) -> LinkRequest:
    """Resend the consent e-mail with a new link; the old link dies at once. Initiator, admins.

    Optionally to the directory's corrected contact address and with a later deadline, within
    the policy maximum counted from when the request started waiting for the customer.
    """
    req = _lock_request(request_id)
    _require_resender(actor, req)
    if req.effective_status != Status.PENDING_CONSENT:
        raise _refuse_state(req, "resent")
    # Waiting for consent: submitted, so with its customer (a constraint), and given its
    # deadline when the wait began.
    assert req.customer is not None and req.consent_deadline is not None
    if refusal := can_link(
        req.reseller, link_types=list(req.items.values_list("link_type", flat=True))
    ):
        raise refusal
    now = timezone.now()
    if req.resend_count >= settings.PORTAL_RESEND_MAX:
        raise PortalError("LNK-R002", reference=req.reference, count=req.resend_count)
    allowed_at = resend_allowed_at(req)
    if now < allowed_at:
        raise PortalError(
            "LNK-R001",
            reference=req.reference,
            minutes=settings.PORTAL_RESEND_COOLDOWN_MINUTES,
            next_at=local_moment(allowed_at),
        )
    fields = [
        "consent_token_hash",
        "consent_sent_at",
        "resend_count",
        "last_resent_at",
        "next_reminder_at",
    ]
    contact_email = (contact_email or "").strip()
    if contact_email:
        directory = req.customer.contact_email
        if not directory or contact_email.lower() != directory.lower():
            raise PortalError("LNK-R003", email=contact_email, account_id=req.customer.label)
        # The directory's spelling, not the typed one: it is the address of record.
        req.consent_email = directory
        fields.append("consent_email")
    extended = ""
    if extend_days is not None:
        max_days = settings.PORTAL_CONSENT_DAYS_MAX
        latest = req.status_changed_at + timedelta(days=max_days)
        wanted = now + timedelta(days=extend_days)
        if extend_days < 1 or wanted > latest:
            raise PortalError(
                "LNK-R004",
                max_date=local_moment(latest),
                max_days=max_days,
            )
        # A resend never shortens the customer's time: "extend" by fewer days than are left
        # keeps the current deadline.
        if wanted > req.consent_deadline:
            req.consent_deadline = wanted
            fields.append("consent_deadline")
            extended = f" (deadline extended to {timezone.localtime(wanted):%Y-%m-%d})"
    # The old link must stop working now, not when the new e-mail is delivered.
    req.consent_token_hash = ""
    req.consent_sent_at = None
    req.resend_count += 1
    req.last_resent_at = now
    req.next_reminder_at = consent_next_reminder_at(req, now=now)
    _save(
        req,
        actor=actor,
        reason=f"consent e-mail resent to {req.consent_email}{extended}",
        fields=fields,
    )
    _notify(
        Notification.Kind.CONSENT_REQUEST, req.consent_email, request=req, resend=req.resend_count
    )
    return req
