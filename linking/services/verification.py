"""Verification: the checklist that proves a link in the cloud, and its retries.

A run does not read the portal's own rows back: it calls the cloud through the provider layer
with the reseller's connection (`linking.cloud.proof`) and keeps, per check, what was called,
the answer and its time. What the customer did in the cloud can take a moment to propagate, so
an automatic run that fails is retried with backoff (the task owns the scheduling,
`link_verify_retry_in` decides it); only the last failed attempt marks the link failing and
tells the initiator.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, User
from accounts.permissions import has_reseller_perm
from linking.checks.reasons import type_label
from linking.cloud import provider_for
from linking.cloud.models import CloudConnection
from linking.cloud.names import agency_name_for, customer_domain_id
from linking.cloud.proof import (
    LinkFacts,
    calls_made,
    check_connection_unreadable,
    check_no_connection,
    prove_link,
)
from linking.cloud.services import cloud_connection_settings
from linking.models import Link, Notification, VerificationRun, VerificationStatus
from linking.services._common import (
    _lock_link,
    _move_link,
    _notify,
    _reseller_recipients,
    _save,
    can_link,
)
from linking.services.cleanup import link_cleanup_begin
from linking.services.drift import (
    DRIFT_STATUSES,
    is_drift_run,
    link_drift_expedite,
    link_drift_record,
)
from linking.services.links import TEAM_LINK_TYPES
from linking.services.teams import check_who_acts
from linking.webhooks.services import webhook_emit_link_failing
from portal.dates import local_moment
from portal.errors import PortalError
from portal.metrics import count_verification
from portal.publish import publish_many_on_commit

Trigger = VerificationRun.Trigger
Outcome = VerificationRun.Outcome
# Runs the system starts by itself; only these are retried and only these tell the initiator.
AUTOMATIC_TRIGGERS = (Trigger.ACTIVATION, Trigger.RETRY, Trigger.RESUME, Trigger.AMEND)
# Runs that check a link awaiting its setup; they do nothing once it has moved on.
SETUP_TRIGGERS = (Trigger.SETUP, Trigger.CUSTOMER)
# While the setup is awaited, a failure of these stages is "not visible yet", not failing.
WAITING_STAGES = ("propagation", "connection")
# Minutes between the setup checks: often at first, then less, then hourly.
SETUP_CHECK_MINUTES = (1, 2, 5, 10, 30)


def verify_attempts() -> int:
    """How many automatic runs in a row may fail before the link is marked failing."""
    return settings.PORTAL_VERIFY_ATTEMPTS


def verify_retry_delay(attempt: int) -> int:
    """Seconds before the run after failed `attempt`: 30, 60, 120 … at most 600.

    Far below the Redis visibility timeout, so a waiting retry is never handed out twice.
    """
    return int(min(30 * 2 ** max(0, attempt - 1), 600))


def setup_check_delay(checks: int) -> timedelta:
    """The wait after the `checks`-th automatic setup check: 1, 2, 5, 10, 30 minutes, then
    hourly."""
    if 1 <= checks <= len(SETUP_CHECK_MINUTES):
        return timedelta(minutes=SETUP_CHECK_MINUTES[checks - 1])
    return timedelta(hours=1)


def link_verify_retry_in(run: VerificationRun | None) -> int | None:
    """The countdown of the next automatic attempt after `run`, or None when none is due."""
    if run is None or run.outcome != Outcome.FAILED or run.trigger not in AUTOMATIC_TRIGGERS:
        return None
    if run.attempt >= verify_attempts():
        return None
    return verify_retry_delay(run.attempt)


def _check_program(link: Link) -> dict[str, Any]:
    """The portal's own rule, no call to the cloud: its record names the rule and what it read
    (the reseller's program and its link types) as its evidence, never counted as a call."""
    reseller = link.reseller
    refusal = can_link(reseller, link_types=[link.link_type])
    at = timezone.now()
    allowed = ", ".join(type_label(t) for t in reseller.allowed_link_types) or "none"
    return {
        "name": "program",
        "label": "The partner program allows the link",
        "passed": refusal is None,
        "outcome": "failed" if refusal else "passed",
        "detail": refusal.message
        if refusal
        else (
            f"{reseller.name}'s program is active and allows {type_label(link.link_type)} links."
        ),
        "code": refusal.code if refusal else "",
        "hint": refusal.hint if refusal else "",
        "stage": refusal.stage if refusal else "",
        "checked_at": at.isoformat(),
        "evidence": [],
        "rule": {
            "source": "portal",
            "statement": (
                "The portal's own rule, no call to the cloud: the reseller's partner program "
                "must be active and allow the link's type."
            ),
            "read": [
                {
                    "what": f"Partner program of {reseller.name} ({reseller.partner_id})",
                    "value": reseller.get_status_display().lower(),
                },
                {"what": "Link types the program allows", "value": allowed},
                {"what": f"Type of {link.reference}", "value": type_label(link.link_type)},
            ],
            "at": at.isoformat(),
            "when": local_moment(at),
        },
    }


def link_facts(link: Link) -> LinkFacts:
    """What the cloud checks of `link` need, as plain values."""
    return LinkFacts(
        reference=link.reference,
        link_type=link.link_type,
        customer_domain_id=customer_domain_id(link.customer),
        agency_name=agency_name_for(link),
        services=tuple(link.services or ()),
        regions=tuple(link.regions or ()),
        access_level=link.access_level,
    )


def link_checklist(link: Link) -> tuple[list[dict], str]:
    """Run every check of the link against the cloud, with the reseller's connection; no
    writes. Returns the checks and the partner account that made the calls ("" for none).

    Calls the cloud: never inside a transaction (the provider refuses).
    """
    checks = [_check_program(link)]
    if link.link_type in TEAM_LINK_TYPES:
        checks.append(check_who_acts(link))
    connection = CloudConnection.objects.filter(reseller_id=link.reseller_id).first()
    if connection is None:
        return [*checks, check_no_connection(link.reseller.name, link.reference)], ""
    try:
        settings = cloud_connection_settings(connection)
    except PortalError as error:  # a stored key pair no configured key reads
        return [*checks, check_connection_unreadable(error)], connection.partner_domain_id
    checks += prove_link(provider_for(settings), link_facts(link))
    return checks, connection.partner_domain_id


def _moved_on(link: Link, trigger: str, attempt: int) -> bool:
    """An automatic run that nobody needs any more: the link is not live, or (for a retry)
    another run has happened since the attempt this one follows."""
    if link.status in (
        Link.Status.REVOKED,
        Link.Status.EXPIRED,
        Link.Status.SUSPENDED,
        Link.Status.SETUP_EXPIRED,
    ):
        return True
    if can_link(link.reseller, link_types=[link.link_type]) is not None:
        # Its reseller's program stopped it; suspending the link is `reseller_set_status`'s.
        return True
    if trigger != Trigger.RETRY:
        return False
    last = link.verification_runs.order_by("-id").first()
    return (
        last is None
        or last.outcome != Outcome.FAILED
        or last.trigger not in AUTOMATIC_TRIGGERS
        or last.attempt != attempt - 1
    )


def _schedule_moved_on(link: Link) -> bool:
    """A scheduled re-verification nobody needs: the link is neither active nor broken any
    more, or its reseller's program stopped it (suspending it is `reseller_set_status`'s)."""
    if link.status not in DRIFT_STATUSES:
        return True
    return can_link(link.reseller, link_types=[link.link_type]) is not None


def _tell_initiator(link: Link, run: VerificationRun) -> None:
    req = link.source_item.request if link.source_item else None
    if req is not None:
        emails = [req.initiator.email]
    else:
        # A link made without a request has no initiator; its admins answer for it.
        emails = list(
            Membership.objects.filter(
                reseller_id=link.reseller_id, role=Role.ADMIN, user__is_active=True
            ).values_list("user__email", flat=True)
        )
    failures = [
        {"label": c["label"], "detail": c["detail"], "code": c["code"], "hint": c["hint"]}
        for c in run.checks
        if not c["passed"]
    ]
    for email in filter(None, emails):
        _notify(
            Notification.Kind.VERIFICATION_FAILED,
            email,
            request=req,
            link=link,
            run_id=run.pk,
            attempts=run.attempt,
            failures=failures,
        )


def link_verify(
    *, link_id: int, trigger: str, actor: User | None = None, attempt: int = 1
) -> VerificationRun | None:
    """Prove a link in the cloud and record the run; anyone in the reseller, or the system.

    The cloud is called first, outside any transaction; the run and the link's verification
    status (passing, verifying while an automatic retry follows, or failing) are then written
    in one transaction. The last failed automatic attempt tells the initiator. Returns None
    when an automatic run finds the link gone or moved on (nothing is recorded then).
    """
    link = Link.objects.select_related("reseller", "customer").filter(pk=link_id).first()
    if link is None:
        return None
    if actor is not None and not has_reseller_perm(
        user=actor, reseller=link.reseller, perm="view_reseller"
    ):
        raise PortalError("LNK-V013", reseller=link.reseller.name, role="viewer")
    if trigger in AUTOMATIC_TRIGGERS and _moved_on(link, trigger, attempt):
        return None
    if trigger in SETUP_TRIGGERS and link.status != Link.Status.AWAITING_SETUP:
        return None
    if trigger == Trigger.SCHEDULE and _schedule_moved_on(link):
        return None
    started = timezone.now()
    checks, partner = link_checklist(link)
    finished = timezone.now()
    with transaction.atomic():
        return _record(
            link_id,
            checks,
            trigger=trigger,
            actor=actor,
            attempt=attempt,
            partner=partner,
            started=started,
            finished=finished,
        )


def _record(
    link_id: int,
    checks: list[dict],
    *,
    trigger: str,
    actor: User | None,
    attempt: int,
    partner: str,
    started: datetime,
    finished: datetime,
) -> VerificationRun | None:
    link = _lock_link(link_id)
    if link is None:
        return None
    if trigger in AUTOMATIC_TRIGGERS and _moved_on(link, trigger, attempt):
        return None  # moved on while the cloud answered
    if trigger in SETUP_TRIGGERS and link.status != Link.Status.AWAITING_SETUP:
        return None
    if trigger == Trigger.SCHEDULE and _schedule_moved_on(link):
        return None
    if is_drift_run(link, trigger):
        return link_drift_record(
            link,
            checks,
            trigger=trigger,
            actor=actor,
            partner=partner,
            started=started,
            finished=finished,
        )
    if link.status == Link.Status.AWAITING_SETUP:
        return _record_setup(
            link,
            checks,
            trigger=trigger,
            actor=actor,
            partner=partner,
            started=started,
            finished=finished,
        )
    failed_codes = [c["code"] for c in checks if c["outcome"] == "failed"]
    run = VerificationRun.objects.create(
        link=link,
        trigger=trigger,
        triggered_by=actor,
        attempt=attempt,
        outcome=Outcome.FAILED if failed_codes else Outcome.PASSED,
        checks=checks,
        partner_domain_id=partner,
        cloud_calls=calls_made(checks),
        started_at=started,
        finished_at=finished,
    )
    count_verification(run.trigger, run.outcome)
    was = link.verification_status
    if not failed_codes:
        link.verification_status = VerificationStatus.PASSING
        reason = f"verification passed ({len(checks)} checks)"
    else:
        retry_in = link_verify_retry_in(run)
        reason = f"verification failed: {', '.join(failed_codes)}"
        if retry_in is not None:
            link.verification_status = VerificationStatus.VERIFYING
            reason += f" (attempt {attempt} of {verify_attempts()}, retry in {retry_in} s)"
        else:
            link.verification_status = VerificationStatus.FAILING
    link.verified_at = run.finished_at
    _save(link, actor=actor, reason=reason, fields=["verification_status", "verified_at"])
    if link.verification_status == VerificationStatus.FAILING and was != VerificationStatus.FAILING:
        webhook_emit_link_failing(link, codes=failed_codes)
        if trigger in AUTOMATIC_TRIGGERS:
            _tell_initiator(link, run)
    if failed_codes and link.status == Link.Status.ACTIVE:
        link_drift_expedite(link, at=finished)
    return run


def _record_setup(
    link: Link,
    checks: list[dict],
    *,
    trigger: str,
    actor: User | None,
    partner: str,
    started: datetime,
    finished: datetime,
) -> VerificationRun:
    """The run of a locked link awaiting its setup: proven (active, granted), waiting (what
    fails is still propagating, within the window), failing (the cloud side grants more than
    consented, or there is no connection), or past the window (setup expired)."""
    from linking.services.links import link_setup_proven

    failed = [c for c in checks if c["outcome"] == "failed"]
    waiting = bool(failed) and all(c["stage"] in WAITING_STAGES for c in failed)
    expired = bool(failed) and link.setup_deadline is not None and finished >= link.setup_deadline
    if not failed:
        outcome = Outcome.PASSED
    elif waiting and not expired:
        outcome = Outcome.WAITING
    else:
        outcome = Outcome.FAILED
    run = VerificationRun.objects.create(
        link=link,
        trigger=trigger,
        triggered_by=actor,
        attempt=link.setup_checks + 1,
        outcome=outcome,
        checks=checks,
        partner_domain_id=partner,
        cloud_calls=calls_made(checks),
        started_at=started,
        finished_at=finished,
    )
    count_verification(run.trigger, run.outcome)
    link.verified_at = finished
    codes = ", ".join(c["code"] for c in failed)
    if not failed:
        link.verification_status = VerificationStatus.PASSING
        _save(
            link,
            actor=actor,
            reason=f"setup proven ({len(checks)} checks)",
            fields=["verification_status", "verified_at"],
        )
        link_setup_proven(link, actor=actor)
        return run
    if expired:
        link.verification_status = VerificationStatus.FAILING
        link.status_reason = f"setup not done by the deadline: {codes}"[:200]
        link.next_setup_check_at = None
        # Whatever the customer made in the cloud in the meantime is checked until it is gone.
        cleanup = link_cleanup_begin(link, now=finished)
        notice = _setup_expired_notice(link, run)
        _move_link(
            link,
            Link.Status.SETUP_EXPIRED,
            actor=None,
            reason=f"setup not done in time: {codes}",
            extra=[
                "verification_status",
                "verified_at",
                "status_reason",
                "next_setup_check_at",
                *cleanup,
            ],
            customer_notice=(Notification.Kind.SETUP_EXPIRED, notice),
        )
        for email in _reseller_recipients(link):
            _notify(
                Notification.Kind.SETUP_EXPIRED, email, link=link, audience="reseller", **notice
            )
        return run
    was = link.verification_status
    link.verification_status = (
        VerificationStatus.VERIFYING if waiting else VerificationStatus.FAILING
    )
    if link.verification_status == VerificationStatus.FAILING and was != VerificationStatus.FAILING:
        webhook_emit_link_failing(link, codes=[c["code"] for c in failed])
    fields = ["verification_status", "verified_at"]
    if trigger == Trigger.SETUP:
        link.setup_checks += 1
        fields.append("setup_checks")
    # The next automatic check: by the backoff, and at the latest when the window ends.
    due = finished + setup_check_delay(max(link.setup_checks, 1))
    assert link.setup_deadline is not None
    link.next_setup_check_at = min(due, link.setup_deadline)
    fields.append("next_setup_check_at")
    word = "waiting" if waiting else "failing"
    _save(link, actor=actor, reason=f"setup check {word}: {codes}", fields=fields)
    return run


def _setup_expired_notice(link: Link, run: VerificationRun) -> dict:
    """What both sides read when the link ended unset: the deadline and the failed checks."""
    failures = [
        {"label": c["label"], "detail": c["detail"], "code": c["code"]}
        for c in run.checks
        if c["outcome"] == "failed"
    ]
    deadline = local_moment(link.setup_deadline) if link.setup_deadline else ""
    return {"deadline": deadline, "failures": failures}


# A claimed check that has not run within this long (a lost task) is due again.
SETUP_CHECK_LEASE = timedelta(minutes=5)


def link_setup_claim_due(*, limit: int = 500) -> list[int]:
    """The links awaiting their setup whose next check is due (or whose window has ended),
    claimed for one check each: their next check moves a lease ahead, so the next sweep does
    not ask again while this one runs. The beat sweep's only work."""
    now = timezone.now()
    with transaction.atomic():
        links = list(
            Link.objects.select_for_update(skip_locked=True)
            .filter(status=Link.Status.AWAITING_SETUP, next_setup_check_at__lte=now)
            .order_by("next_setup_check_at", "id")
            .only("id", "next_setup_check_at")[:limit]
        )
        for link in links:
            link.next_setup_check_at = now + SETUP_CHECK_LEASE
            link.save_without_historical_record(update_fields=["next_setup_check_at"])
    return [link.pk for link in links]


def links_awaiting_setup_of_receipt(receipt_reference: str) -> list[Link]:
    """The links of a receipt's accepted items that still wait for the customer's setup."""
    from linking.models import ConsentRecord

    items = ConsentRecord.objects.filter(
        receipt_reference=receipt_reference, decision=ConsentRecord.Decision.ACCEPTED
    ).values("item_id")
    # A broken link is the customer's to set up again, from the same receipt.
    return list(
        Link.objects.filter(
            source_item_id__in=items,
            status__in=[Link.Status.AWAITING_SETUP, Link.Status.BROKEN],
        )
        .select_related("reseller")
        .order_by("id")
    )


def link_setup_check_now(*, receipt_reference: str) -> list[Link]:
    """The customer says the setup is done (from their receipt): each link of the receipt still
    awaiting its setup is checked at once by a worker; a broken one first waits for its setup
    again (`link_reopen_setup`). Returns those links."""
    from linking.services.drift import link_reopen_setup
    from linking.tasks import link_setup_check_task

    links = links_awaiting_setup_of_receipt(receipt_reference)
    for link in links:
        if link.status == Link.Status.BROKEN:
            link_reopen_setup(link_id=link.pk)
    publish_many_on_commit(
        link_setup_check_task, [(link.pk, Trigger.CUSTOMER.value) for link in links]
    )
    return links
