"""Drift: every active link re-verified in the cloud on a schedule, and what a run decides.

The schedule. Each active (or broken) link has `next_verification_at`, a moment of the period
(`PORTAL_REVERIFY_HOURS`, a day by default) fixed by its id, so 100,000 links make about 70
runs a minute at every hour of the day instead of 100,000 at midnight. A beat sweep every two
minutes claims the due links in bounded batches (`FOR UPDATE SKIP LOCKED` on a partial index),
moves each one's next run a lease ahead and hands the ids to workers; the workers call the
cloud outside any transaction (`link_verify`, trigger `schedule`), then `link_drift_record`
writes the outcome under the row lock. "Verify now" on an active link keeps its meaning
(passing or failing, nothing more) but a failure brings the scheduled run forward, which then
judges the drift; on a broken link it is judged as drift (and may reopen it).

What a run decides, from the codes of the checks that failed:

- every check passed: the link stays active, passing, on its next slot (a flag of too broad
  access clears);
- a refusal that says the customer's side is gone or narrower (stage *propagation*: the agency
  not found, a consented region or service refused, a write refused at manage, the association
  not reported): checked again after 30 s, 60 s, 120 s …, and only when `PORTAL_VERIFY_ATTEMPTS`
  runs in a row say so does the link break (`link_break`: broken, access removed, both sides
  told) or, for billing, end (`link_billing_lost`: revoked, the association is gone);
- a consented call answers and an unconsented one too (a region outside the consent, a write at
  read-only): the link stays active and is flagged over-privileged (`link_flag_over_privileged`)
  at once, since an answer the cloud gave is no transient;
- anything else failed (the cloud unreachable, throttling, 5xx, the reseller's own key or
  connection): nothing is concluded about the customer. The link keeps its state and its
  verification status and is asked again after 5, 10, 20 … minutes, at most a period apart, so
  an outage of the cloud breaks no link and does not multiply the calls.

A broken link keeps its slot: a run that passes again reopens it (broken → awaiting_setup →
active, proven by that very run), and the customer's "I have done it" reopens it at once as a
new setup (`link_reopen_setup`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from linking.cloud.proof import calls_made
from linking.models import Link, Notification, VerificationRun, VerificationStatus
from linking.services._common import (
    _customer_contact,
    _lock_link,
    _move_link,
    _notify,
    _reseller_recipients,
    _save,
)
from linking.webhooks.services import link_data, webhook_emit

PASSED, GONE, OVER_PRIVILEGED, INCONCLUSIVE = "passed", "gone", "over_privileged", "inconclusive"
# Least-privilege probes that answered where they should have been refused.
OVER_PRIVILEGED_CODES = ("LNK-Y008", "LNK-Y009")
# The cloud refused or did not show what the customer set up: their side changed.
GONE_STAGE = "propagation"
# The statuses the schedule re-verifies.
DRIFT_STATUSES = (Link.Status.ACTIVE, Link.Status.BROKEN)
# One sweep claims at most this many links: at a sweep every two minutes, 720,000 a day.
REVERIFY_BATCH = 1000
# A claimed run that did not happen within this long (a lost task) is due again.
REVERIFY_LEASE = timedelta(minutes=15)
# Knuth's multiplicative hash: consecutive ids land far apart in the period.
_SPREAD = 2654435761


def reverify_period() -> timedelta:
    """How often each link is re-verified (PORTAL_REVERIFY_HOURS)."""
    return timedelta(hours=settings.PORTAL_REVERIFY_HOURS)


def reverify_offset(link_id: int) -> int:
    """The link's moment in the period, in seconds from its start: fixed by its id."""
    return (link_id * _SPREAD) % int(reverify_period().total_seconds())


def next_reverification_at(link_id: int, *, after: datetime) -> datetime:
    """The link's first slot strictly after `after`: the same moment of every period."""
    period = int(reverify_period().total_seconds())
    offset = reverify_offset(link_id)
    moment = int(after.timestamp())
    slot = (moment - offset) // period * period + offset + period
    return datetime.fromtimestamp(slot, tz=UTC)


def inconclusive_delay(runs: int) -> timedelta:
    """The wait after the `runs`-th run in a row the cloud could not answer: 5, 10, 20 …
    minutes, at most a period."""
    return min(timedelta(minutes=5 * 2 ** max(0, runs - 1)), reverify_period())


@dataclass(frozen=True)
class Drift:
    """What a run says about the customer's cloud side."""

    kind: str
    found: str = ""  # the failed checks, in words with their codes
    too_broad: str = ""  # what answers that should not (over-privileged)


def drift_of(checks: list[dict]) -> Drift:
    """Judge a run's checks: passed, gone (or narrowed), over-privileged, or inconclusive."""
    failed = [c for c in checks if c["outcome"] == "failed"]
    if not failed:
        return Drift(PASSED)
    found = "; ".join(f"{c['label']} ({c['code']})" for c in failed)
    if any(c["stage"] != GONE_STAGE and c["code"] not in OVER_PRIVILEGED_CODES for c in failed):
        return Drift(INCONCLUSIVE, found)
    if any(c["stage"] == GONE_STAGE for c in failed):
        return Drift(GONE, found)
    too_broad = " ".join(c["detail"] for c in failed)
    return Drift(OVER_PRIVILEGED, found, too_broad[:500])


def is_drift_run(link: Link, trigger: str) -> bool:
    """Whether a run of `link` is judged as drift: every scheduled run, and any run of a broken
    link (its "verify now" may reopen it). Other runs of an active link keep their own meaning
    (`link_verify`: passing or failing, the retries of activation and resumption)."""
    if link.status == Link.Status.BROKEN:
        return trigger in (VerificationRun.Trigger.SCHEDULE, VerificationRun.Trigger.MANUAL)
    return link.status == Link.Status.ACTIVE and trigger == VerificationRun.Trigger.SCHEDULE


def link_drift_expedite(link: Link, *, at: datetime) -> None:
    """Another run of a locked active link failed ("verify now", a retry): its scheduled
    re-verification comes forward, so drift is judged within a minute, not a day later."""
    soon = at + timedelta(seconds=30)
    if link.next_verification_at is None or link.next_verification_at > soon:
        link.next_verification_at = soon
        link.save_without_historical_record(update_fields=["next_verification_at"])


# --- the sweep ---------------------------------------------------------------------------------


def link_reverify_claim_due(
    *, limit: int = REVERIFY_BATCH, now: datetime | None = None
) -> list[int]:
    """Claim the links whose re-verification is due (active or broken), oldest due first,
    and give a slot to any such link that has none (proven before drift was scheduled); each
    claimed link's next run moves a lease ahead, so the next sweep does not ask again while
    this one runs. Concurrent sweeps skip each other's rows. The beat sweep's only work."""
    now = now or timezone.now()
    with transaction.atomic():
        links = list(
            Link.objects.select_for_update(skip_locked=True)
            .filter(status__in=DRIFT_STATUSES, next_verification_at__lte=now)
            .order_by("next_verification_at", "id")
            .only("id", "next_verification_at")[:limit]
        )
        for link in links:
            link.next_verification_at = now + REVERIFY_LEASE
            link.save_without_historical_record(update_fields=["next_verification_at"])
        unscheduled = list(
            Link.objects.select_for_update(skip_locked=True)
            .filter(status__in=DRIFT_STATUSES, next_verification_at__isnull=True)
            .only("id", "next_verification_at")[:limit]
        )
        for link in unscheduled:
            link.next_verification_at = next_reverification_at(link.pk, after=now)
            link.save_without_historical_record(update_fields=["next_verification_at"])
    return [link.pk for link in links]


# --- what a run decides ----------------------------------------------------------------------


def link_drift_record(
    link: Link,
    checks: list[dict],
    *,
    trigger: str,
    actor: User | None,
    partner: str,
    started: datetime,
    finished: datetime,
) -> VerificationRun:
    """Record a re-verification run of a locked active or broken link and act on its drift.
    Called by `link_verify` inside its transaction, after the cloud answered."""
    drift = drift_of(checks)
    run = VerificationRun.objects.create(
        link=link,
        trigger=trigger,
        triggered_by=actor,
        attempt=link.drift_failures + 1,
        outcome=VerificationRun.Outcome.PASSED
        if drift.kind == PASSED
        else VerificationRun.Outcome.FAILED,
        checks=checks,
        partner_domain_id=partner,
        cloud_calls=calls_made(checks),
        started_at=started,
        finished_at=finished,
    )
    link.verified_at = finished
    if link.status == Link.Status.BROKEN:
        _record_broken(link, drift, actor=actor, at=finished)
    elif drift.kind == INCONCLUSIVE:
        _record_inconclusive(link, at=finished)
    elif drift.kind == GONE:
        _record_gone(link, drift, run, actor=actor, at=finished)
    else:
        _record_answered(link, drift, actor=actor, at=finished)
    return run


def _save_quietly(link: Link, fields: list[str]) -> None:
    # Only the schedule's bookkeeping and the time of the run changed: the run row is the
    # evidence, a history row per link and day would say nothing.
    link.save_without_historical_record(update_fields=[*fields, "updated_at"])


def _record_inconclusive(link: Link, *, at: datetime) -> None:
    link.drift_inconclusive += 1
    link.next_verification_at = at + inconclusive_delay(link.drift_inconclusive)
    _save_quietly(link, ["verified_at", "drift_inconclusive", "next_verification_at"])


def _record_answered(link: Link, drift: Drift, *, actor: User | None, at: datetime) -> None:
    """Passed, or over-privileged: the consented access works; the flag follows the run."""
    was = (link.verification_status, link.over_privileged, link.over_privileged_detail)
    link.drift_failures = link.drift_inconclusive = 0
    link.next_verification_at = next_reverification_at(link.pk, after=at)
    link.verification_status = VerificationStatus.PASSING
    fields = [
        "verified_at",
        "drift_failures",
        "drift_inconclusive",
        "next_verification_at",
        "verification_status",
    ]
    if drift.kind == OVER_PRIVILEGED:
        if was[1:] != (True, drift.too_broad):
            link_flag_over_privileged(link, too_broad=drift.too_broad, actor=actor, fields=fields)
            return
    elif link.over_privileged:
        link_clear_over_privileged(link, actor=actor, fields=fields)
        return
    if was[0] != link.verification_status:
        _save(link, actor=actor, reason="re-verified: passing", fields=fields)
    else:
        _save_quietly(link, fields)


def _record_gone(
    link: Link, drift: Drift, run: VerificationRun, *, actor: User | None, at: datetime
) -> None:
    from linking.services.verification import verify_attempts, verify_retry_delay

    link.drift_failures += 1
    link.drift_inconclusive = 0
    if link.drift_failures >= verify_attempts():
        if link.link_type == "billing":
            link_billing_lost(link, run=run, drift=drift, actor=actor)
        else:
            link_break(link, run=run, drift=drift, actor=actor)
        return
    # Not yet: what the customer changed may be a moment of the cloud's, so ask again soon.
    delay = verify_retry_delay(link.drift_failures)
    link.next_verification_at = at + timedelta(seconds=delay)
    link.verification_status = VerificationStatus.VERIFYING
    _save(
        link,
        actor=actor,
        reason=(
            f"re-verification failed: {drift.found} (check {link.drift_failures} of "
            f"{verify_attempts()}, again in {delay} s)"
        ),
        fields=[
            "verified_at",
            "drift_failures",
            "drift_inconclusive",
            "next_verification_at",
            "verification_status",
        ],
    )


def _record_broken(link: Link, drift: Drift, *, actor: User | None, at: datetime) -> None:
    """A broken link's run: proven again reopens it and makes it active; else its next slot."""
    from linking.services.links import link_setup_proven

    if drift.kind == PASSED:
        link_reopen_locked(link, actor=actor, reason="reopened: the cloud side answers again")
        link.verification_status = VerificationStatus.PASSING
        _save(link, actor=actor, reason="setup proven again", fields=["verification_status"])
        link_setup_proven(link, actor=actor)
        return
    if drift.kind == INCONCLUSIVE:
        _record_inconclusive(link, at=at)
        return
    link.next_verification_at = next_reverification_at(link.pk, after=at)
    _save_quietly(link, ["verified_at", "next_verification_at"])


# --- the state changes (one function each, for events to hook into) ---------------------------


def _failures(run: VerificationRun) -> list[dict]:
    return [
        {"label": c["label"], "detail": c["detail"], "code": c["code"], "hint": c["hint"]}
        for c in run.checks
        if c["outcome"] == "failed"
    ]


def _tell_both(kind: str, link: Link, *, reseller_emails: list[str], **context) -> None:
    for email in reseller_emails:
        _notify(kind, email, link=link, audience="reseller", **context)
    if contact := _customer_contact(link):
        _notify(kind, contact, link=link, audience="customer", **context)


def _tell_reseller(kind: str, link: Link, emails: list[str], context: dict) -> None:
    # The customer's copy of a move is written by `_move_link`.
    for email in emails:
        _notify(kind, email, link=link, audience="reseller", **context)


def link_break(
    link: Link, *, run: VerificationRun, drift: Drift, actor: User | None = None
) -> None:
    """A locked active link whose cloud side is gone or narrowed (confirmed): broken, the
    operators' access removed, both sides told. Called by `link_drift_record`."""
    from linking.services.links import link_sync_grants
    from portal.codes import CODES

    broken_params = {
        "reference": link.reference,
        "found": drift.found,
        "checks": link.drift_failures,
    }
    message, _ = CODES["LNK-Y011"].render(**broken_params)
    link.broken_at = timezone.now()
    link.verification_status = VerificationStatus.FAILING
    link.status_reason = f"LNK-Y011: {drift.found}"[:200]
    link.over_privileged, link.over_privileged_detail = False, ""
    # Still checked once a period: the customer may repair it without saying so.
    link.next_verification_at = next_reverification_at(link.pk, after=link.broken_at)
    link.drift_failures = 0
    context = {
        "message": message,
        "message_code": "LNK-Y011",
        "message_params": broken_params,
        "failures": _failures(run),
    }
    _move_link(
        link,
        Link.Status.BROKEN,
        actor=actor,
        reason=f"broken: {drift.found}",
        customer_notice=(Notification.Kind.LINK_BROKEN, context),
        extra=[
            "broken_at",
            "verification_status",
            "status_reason",
            "over_privileged",
            "over_privileged_detail",
            "next_verification_at",
            "drift_failures",
            "verified_at",
        ],
    )
    link_sync_grants(
        actor=actor,
        reseller_id=link.reseller_id,
        customer_id=link.customer_id,
        reason=f"{link.reference} broken: the cloud side is gone",
    )
    _tell_reseller(Notification.Kind.LINK_BROKEN, link, _reseller_recipients(link), context)


def link_billing_lost(
    link: Link, *, run: VerificationRun, drift: Drift, actor: User | None = None
) -> None:
    """A locked active billing link whose association the cloud no longer reports
    (confirmed): revoked at once, by nobody but the cloud; both sides told."""
    from linking.services.links import link_sync_grants
    from portal.codes import CODES

    lost_params = {
        "reference": link.reference,
        "account_id": link.customer.account_id,
        "found": drift.found,
        "checks": link.drift_failures,
    }
    message, _ = CODES["LNK-Y012"].render(**lost_params)
    now = timezone.now()
    link.revoked_at = link.billing_ends_at = now
    link.revoked_by = None
    link.revoke_reason = message
    link.status_reason = f"LNK-Y012: {drift.found}"[:200]
    link.verification_status = VerificationStatus.FAILING
    link.next_verification_at = None
    link.drift_failures = 0
    context = {
        "message": message,
        "message_code": "LNK-Y012",
        "message_params": lost_params,
        "failures": _failures(run),
    }
    _move_link(
        link,
        Link.Status.REVOKED,
        actor=actor,
        reason="billing association ended in the cloud",
        customer_notice=(Notification.Kind.BILLING_LOST, context),
        extra=[
            "revoked_at",
            "billing_ends_at",
            "revoked_by",
            "revoke_reason",
            "status_reason",
            "verification_status",
            "next_verification_at",
            "drift_failures",
            "verified_at",
        ],
    )
    link_sync_grants(
        actor=actor,
        reseller_id=link.reseller_id,
        customer_id=link.customer_id,
        reason=f"{link.reference} billing association ended in the cloud",
    )
    _tell_reseller(Notification.Kind.BILLING_LOST, link, _reseller_recipients(link), context)


def link_flag_over_privileged(
    link: Link, *, too_broad: str, actor: User | None = None, fields: Sequence[str] = ()
) -> None:
    """Flag a locked active link whose cloud side allows more than consented (it stays active)
    and tell the reseller's admins and the customer what is too broad."""
    from linking.services.suspension import _reseller_admins
    from portal.codes import CODES

    message, hint = CODES["LNK-Y013"].render(reference=link.reference, too_broad=too_broad)
    link.over_privileged, link.over_privileged_detail = True, too_broad[:500]
    _save(
        link,
        actor=actor,
        reason="flagged over-privileged (LNK-Y013)",
        fields=[*fields, "over_privileged", "over_privileged_detail"],
    )
    webhook_emit(
        link.reseller_id,
        "link.over_privileged",
        ("link", link.pk),
        lambda: {**link_data(link), "too_broad": link.over_privileged_detail},
    )
    _tell_both(
        Notification.Kind.LINK_OVER_PRIVILEGED,
        link,
        reseller_emails=_reseller_admins(link.reseller_id),
        message=message,
        hint=hint,
        message_code="LNK-Y013",
        message_params={"reference": link.reference, "too_broad": too_broad},
    )


def link_clear_over_privileged(
    link: Link, *, actor: User | None = None, fields: Sequence[str] = ()
) -> None:
    """A locked flagged link whose cloud side is back within the consent: the flag clears."""
    link.over_privileged, link.over_privileged_detail = False, ""
    _save(
        link,
        actor=actor,
        reason="no longer over-privileged",
        fields=[*fields, "over_privileged", "over_privileged_detail"],
    )


def link_reopen_locked(link: Link, *, actor: User | None, reason: str) -> None:
    """A locked broken link waits for its setup again: a fresh window, checked at once and then
    with the setup's backoff; nothing is granted until it is proven."""
    from linking.services.links import setup_window_days

    now = timezone.now()
    link.setup_deadline = now + timedelta(days=setup_window_days(link))
    link.next_setup_check_at = now
    link.setup_checks = 0
    link.status_reason = ""
    link.verification_status = VerificationStatus.UNVERIFIED
    _move_link(
        link,
        Link.Status.AWAITING_SETUP,
        actor=actor,
        reason=reason,
        extra=[
            "setup_deadline",
            "next_setup_check_at",
            "setup_checks",
            "status_reason",
            "verification_status",
        ],
    )


@transaction.atomic
def link_reopen_setup(*, link_id: int, actor: User | None = None) -> Link | None:
    """The customer says the broken link's cloud side is repaired (from their receipt): it
    waits for its setup again, not a new request. A no-op (None) unless the link is broken."""
    link = _lock_link(link_id)
    if link is None or link.status != Link.Status.BROKEN:
        return None
    link_reopen_locked(link, actor=actor, reason="reopened: the customer repaired the cloud side")
    return link
