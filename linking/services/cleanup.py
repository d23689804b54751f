"""Clean-up after a link ends: the cloud side the customer made is checked until it is gone.

Ending a link (revoked, withdrawn by the customer, expired, a billing association past its month
end, a setup not done in time) removes the portal's own grants in the same transaction
(`link_sync_grants`), and the customer is told exactly what to delete
(`linking.cloud.setup.derive_cleanup`). What the
customer made in the cloud does not go by itself: the agency still lets the partner account in
until the customer deletes it. So the link's clean-up is tracked beside its status:

- `pending`: checked by the beat sweep with backoff (1, 5, 15 and 60 minutes, then every six
  hours): the agency must refuse to be assumed (billing: the customer no longer among the
  partner's associated customers);
- `cleaned_up`: the cloud refused (the run keeps the call as evidence) — `link_cleanup_done`,
  the one function that makes that change;
- `still_reachable`: the window (PORTAL_CLEANUP_WINDOW_DAYS) passed and the agency can still be
  assumed; the reseller's admins are told, and the check goes on daily.

A cloud that does not answer, throttles or refuses the partner's own key proves nothing: the
check is retried and never counted as cleaned up. No cloud call is made inside a transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role
from linking.cloud import provider_for
from linking.cloud.models import CloudConnection
from linking.cloud.proof import (
    GONE,
    STILL_THERE,
    calls_made,
    check_connection_unreadable,
    check_no_connection,
    cleanup_finding,
    prove_cleanup,
)
from linking.cloud.services import cloud_connection_settings
from linking.models import CleanupStatus, Link, Notification, VerificationRun
from linking.services._common import _lock_link, _notify, _save
from linking.webhooks.services import link_data, webhook_emit
from portal.dates import local_moment
from portal.errors import PortalError

logger = logging.getLogger(__name__)
Outcome = VerificationRun.Outcome

# The statuses a link's cloud side is cleaned up from: it ended, nothing grants any more.
ENDED_STATUSES = (Link.Status.REVOKED, Link.Status.EXPIRED, Link.Status.SETUP_EXPIRED)
# Clean-up states the sweep still checks.
CHECKED = (CleanupStatus.PENDING, CleanupStatus.STILL_REACHABLE)
# Minutes between the first checks: a customer who deletes the agency at once sees it soon.
CLEANUP_CHECK_MINUTES = (1, 5, 15, 60)
CLEANUP_CHECK_LATER = timedelta(hours=6)
# After the window a still reachable link is checked once a day, until it is gone.
CLEANUP_CHECK_OVERDUE = timedelta(days=1)
# A claimed check that has not run within this long (a lost task) is due again.
CLEANUP_CHECK_LEASE = timedelta(minutes=5)
_FIELDS = [
    "cleanup_status",
    "cleanup_started_at",
    "cleanup_deadline",
    "next_cleanup_check_at",
    "cleanup_checks",
    "cleanup_checked_at",
]


def cleanup_window_days() -> int:
    """Days the customer has to remove the cloud side of an ended link (the setting)."""
    return settings.PORTAL_CLEANUP_WINDOW_DAYS


def cleanup_check_delay(checks: int) -> timedelta:
    """The wait after the `checks`-th check: 1, 5, 15, 60 minutes, then six hours."""
    if 1 <= checks <= len(CLEANUP_CHECK_MINUTES):
        return timedelta(minutes=CLEANUP_CHECK_MINUTES[checks - 1])
    return CLEANUP_CHECK_LATER


def link_cleanup_begin(link: Link, *, now: datetime) -> list[str]:
    """A locked link that is ending now: its cloud side is to be checked from now on. Sets the
    fields and returns their names, for the caller's save (the one that moves the status)."""
    link.cleanup_status = CleanupStatus.PENDING
    link.cleanup_started_at = now
    link.cleanup_deadline = now + timedelta(days=cleanup_window_days())
    link.next_cleanup_check_at = now + cleanup_check_delay(1)
    link.cleanup_checks = 0
    link.cleanup_checked_at = None
    return list(_FIELDS)


def link_cleanup_clear(link: Link) -> list[str]:
    """A link starting again (a new accepted request): nothing of the old end to clean up."""
    link.cleanup_status = ""
    link.cleanup_started_at = link.cleanup_deadline = link.next_cleanup_check_at = None
    link.cleanup_checks = 0
    link.cleanup_checked_at = None
    return list(_FIELDS)


def link_cleanup_claim_due(*, limit: int = 500) -> list[int]:
    """The ended links whose clean-up check is due, claimed for one check each (the next check
    moves a lease ahead, so the next sweep does not ask again while this one runs). The beat
    sweep's only work; a bounded batch."""
    now = timezone.now()
    with transaction.atomic():
        links = list(
            Link.objects.select_for_update(skip_locked=True)
            .filter(cleanup_status__in=CHECKED, next_cleanup_check_at__lte=now)
            .order_by("next_cleanup_check_at", "id")
            .only("id", "next_cleanup_check_at")[:limit]
        )
        for link in links:
            link.next_cleanup_check_at = now + CLEANUP_CHECK_LEASE
            link.save_without_historical_record(update_fields=["next_cleanup_check_at"])
    return [link.pk for link in links]


def _checked(link: Link) -> bool:
    return link.cleanup_status in CHECKED and link.status in ENDED_STATUSES


def _cleanup_check_in_cloud(link: Link) -> tuple[dict[str, Any], str]:
    """The clean-up check of `link` against the cloud, with the reseller's connection; no
    writes. Returns the check and the partner account that made the call ("" for none)."""
    from linking.services.verification import link_facts

    connection = CloudConnection.objects.filter(reseller_id=link.reseller_id).first()
    if connection is None:
        return check_no_connection(link.reseller.name, link.reference), ""
    try:
        connection_settings = cloud_connection_settings(connection)
    except PortalError as error:
        return check_connection_unreadable(error), connection.partner_domain_id
    provider = provider_for(connection_settings)
    return prove_cleanup(provider, link_facts(link)), connection.partner_domain_id


def link_cleanup_check(*, link_id: int) -> VerificationRun | None:
    """Check in the cloud whether an ended link's cloud side is gone, and record the run. The
    system only (the sweep's task). The cloud is called first, outside any transaction; None
    when the link has nothing to check (any more)."""
    link = Link.objects.select_related("reseller", "customer").filter(pk=link_id).first()
    if link is None or not _checked(link):
        return None
    started = timezone.now()
    check, partner = _cleanup_check_in_cloud(link)
    finished = timezone.now()
    with transaction.atomic():
        return _record(link_id, check, partner=partner, started=started, finished=finished)


def _record(
    link_id: int, check: dict[str, Any], *, partner: str, started: datetime, finished: datetime
) -> VerificationRun | None:
    link = _lock_link(link_id)
    if link is None or not _checked(link):
        return None  # started again, or another check got there first
    finding = cleanup_finding(check)
    link.cleanup_checks += 1
    run = VerificationRun.objects.create(
        link=link,
        trigger=VerificationRun.Trigger.CLEANUP,
        attempt=link.cleanup_checks,
        outcome=Outcome.PASSED if finding == GONE else Outcome.FAILED,
        checks=[check],
        partner_domain_id=partner,
        cloud_calls=calls_made([check]),
        started_at=started,
        finished_at=finished,
    )
    link.cleanup_checked_at = finished
    if finding == GONE:
        link_cleanup_done(link, run=run)
        return run
    assert link.cleanup_deadline is not None
    overdue = finished >= link.cleanup_deadline
    if finding == STILL_THERE and overdue and link.cleanup_status == CleanupStatus.PENDING:
        _still_reachable(link, run=run, check=check)
        return run
    if link.cleanup_status == CleanupStatus.STILL_REACHABLE:
        link.next_cleanup_check_at = finished + CLEANUP_CHECK_OVERDUE
    else:
        due = finished + cleanup_check_delay(link.cleanup_checks)
        # The window's end gets a check of its own, unless it has passed (an unknown answer).
        link.next_cleanup_check_at = due if overdue else min(due, link.cleanup_deadline)
    # A routine check changes no state: its run is the record, the link's history stays quiet.
    link.save_without_historical_record(
        update_fields=["cleanup_checks", "cleanup_checked_at", "next_cleanup_check_at"]
    )
    return run


def link_cleanup_done(link: Link, *, run: VerificationRun) -> None:
    """A locked ended link whose cloud side the cloud refused: cleaned up. The one place this
    change is made (its webhook event belongs here)."""
    was = link.get_cleanup_status_display().lower()
    link.cleanup_status = CleanupStatus.CLEANED_UP
    link.next_cleanup_check_at = None
    what = "association" if link.link_type == "billing" else "agency"
    _save(
        link,
        actor=None,
        reason=f"cleaned up: the {what} is gone in the cloud (check {run.attempt}, was {was})",
        fields=["cleanup_status", "cleanup_checks", "cleanup_checked_at", "next_cleanup_check_at"],
    )
    webhook_emit(
        link.reseller_id,
        "link.cleaned_up",
        ("link", link.pk),
        lambda: {**link_data(link), "cleanup_status": link.cleanup_status, "check_run": run.pk},
    )
    logger.info("link %s cleaned up after %d checks", link.reference, run.attempt)


def _admins(link: Link) -> list[str]:
    return list(
        Membership.objects.filter(
            reseller_id=link.reseller_id, role=Role.ADMIN, user__is_active=True
        )
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def _still_reachable(link: Link, *, run: VerificationRun, check: dict[str, Any]) -> None:
    """The window passed with the cloud side still in place: shown to the auditors and on the
    link's pages, the reseller's admins told; checked daily from now on."""
    assert link.cleanup_started_at is not None
    link.cleanup_status = CleanupStatus.STILL_REACHABLE
    link.next_cleanup_check_at = (run.finished_at or timezone.now()) + CLEANUP_CHECK_OVERDUE
    days = max(1, (timezone.now() - link.cleanup_started_at).days)
    _save(
        link,
        actor=None,
        reason=f"still reachable {days} days after the link ended: {check['code']}",
        fields=["cleanup_status", "cleanup_checks", "cleanup_checked_at", "next_cleanup_check_at"],
    )
    for email in _admins(link):
        _notify(
            Notification.Kind.CLEANUP_OVERDUE,
            email,
            link=link,
            code=check["code"],
            detail=check["detail"],
            ended_on=local_moment(link.cleanup_started_at),
            days=days,
            run_id=run.pk,
        )
    logger.info("link %s still reachable after the clean-up window", link.reference)
