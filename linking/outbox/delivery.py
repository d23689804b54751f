"""Delivery of the outbox: claim a row, render its e-mail, send it over SMTP, mark it sent.

A row moves queued → sending → sent. A temporary failure (mail server or network down, a 4xx)
moves it to retrying with `next_attempt_at`; the task retries then and the beat sweep picks up
whatever the broker lost. A permanent failure (address refused, a 5xx) moves it to failed, puts
the stage and code on the request and tells the initiator. A 'sending' claim older than
`PORTAL_OUTBOX_CLAIM_SECONDS` is taken to have died with its worker and is delivered again.

Delivery is at least once: a worker that dies after the mail server accepted a message and
before its commit leaves the row claimed, and it is sent again. Every delivery of one row
renders the same links (consent, withdrawal), so the copy already in the mailbox keeps working;
only a new row (a reminder, a resend) carries a new link and kills the old one.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django_guid import set_guid

from accounts.models import User
from linking import wording
from linking.checks.catalog import sensitive_services
from linking.models import ConsentRecord, LinkRequest, Notification, Region, Service
from portal.codes import CODES
from portal.emails import absolute_url, build_message
from portal.languages import recipient_language
from portal.metrics import count_email_delivery

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status

UNPUBLISHED_AFTER = timedelta(minutes=1)
# A retry that arrives a moment before its time (two hosts' clocks) is still taken.
EARLY_TOLERANCE = timedelta(seconds=5)
CONSENT_KINDS = (Kind.CONSENT_REQUEST, Kind.CONSENT_REMINDER)
CONSENT_REFUSED = "LNK-C007"
OBSOLETE = "no longer needed"
OUTBOX_STATUSES = (Status.QUEUED, Status.RETRYING, Status.FAILED)
# Owed and not yet delivered: what the outbox command counts and lists by default.
UNDELIVERED_STATUSES = (Status.QUEUED, Status.SENDING, Status.RETRYING, Status.FAILED)


class TemporaryDeliveryError(Exception):
    """The mail server or network failed in a way worth retrying, in `retry_in` seconds."""

    def __init__(self, reason: str, retry_in: int = 30):
        super().__init__(reason)
        self.retry_in = retry_in


def claim_timeout() -> timedelta:
    # Read at call time, so a test (or an operator with a slow mail server) can change it.
    return timedelta(seconds=settings.PORTAL_OUTBOX_CLAIM_SECONDS)


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt after `attempts` failed ones: 30, 60, 120 … at most 600.

    Read at call time from the settings, so tests and fault drills can shorten it.
    """
    base = settings.PORTAL_OUTBOX_RETRY_SECONDS
    cap = settings.PORTAL_OUTBOX_RETRY_MAX_SECONDS
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


def _claim(notification_id: int) -> Notification | None:
    with transaction.atomic():
        qs = Notification.objects.select_for_update(skip_locked=True).filter(pk=notification_id)
        notification = qs.first()
        if notification is None:
            return None
        now = timezone.now()
        status = notification.status
        reason = f"delivery attempt {notification.attempts + 1}"
        if status == Status.SENDING:
            if notification.claimed_at and notification.claimed_at > now - claim_timeout():
                return None  # another worker is on it
            reason += " (the previous claim expired with its worker)"
        elif status == Status.RETRYING:
            due = notification.next_attempt_at
            if due is not None and due > now + EARLY_TOLERANCE:
                return None  # too early; the retry or the sweep comes back when it is due
        elif status != Status.QUEUED:
            return None
        notification.status = Status.SENDING
        notification.claimed_at = now
        notification.next_attempt_at = None
        notification.attempts += 1
        notification._change_reason = reason
        notification.save(update_fields=["status", "claimed_at", "next_attempt_at", "attempts"])
        return notification


def _finish(notification: Notification, status: str, *, error: str = "", subject: str = ""):
    notification.status = status
    notification.last_error = error[:300]
    update = ["status", "last_error"]
    if subject:
        notification.subject = subject[:300]
        update.append("subject")
    if status == Status.SENT:
        notification.sent_at = timezone.now()
        update.append("sent_at")
    notification._change_reason = status if not error else f"{status}: {error[:200]}"
    notification.save(update_fields=update)
    count_email_delivery(status)


def _retry_later(notification: Notification, error: str) -> TemporaryDeliveryError:
    delay = retry_delay(notification.attempts)
    notification.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    notification.status = Status.RETRYING
    notification.last_error = error[:300]
    notification._change_reason = f"retrying in {delay} s: {error[:200]}"
    notification.save(update_fields=["status", "last_error", "next_attempt_at"])
    count_email_delivery(Status.RETRYING)
    return TemporaryDeliveryError(error, retry_in=delay)


@transaction.atomic
def _fail(notification: Notification, error: str) -> None:
    _finish(notification, Status.FAILED, error=error)
    _report_failure(notification, error)


def _report_failure(notification: Notification, error: str) -> None:
    """Put the failure on the request and tell the initiator what to do."""
    from linking.services._common import _lock_request, _notify, _save

    # A notice about a notice that failed would loop; the ops page shows those.
    if notification.kind == Kind.DELIVERY_FAILED or notification.request_id is None:
        return
    req = _lock_request(notification.request_id)
    code = ""
    if notification.kind in CONSENT_KINDS:
        if req.effective_status != LinkRequest.Status.PENDING_CONSENT:
            return  # the request has moved on; nobody needs that e-mail any more
        code = CONSENT_REFUSED
        req.failure_stage = "consent"
        req.failure_code = code
        _save(
            req,
            actor=None,
            reason=f"consent e-mail to {notification.to_email} refused by the mail server ({code})",
            fields=["failure_stage", "failure_code"],
        )
    initiator_email = req.initiator.email
    if not initiator_email or initiator_email.lower() == notification.to_email.lower():
        return  # the same address would refuse the notice too
    _notify(
        Kind.DELIVERY_FAILED,
        initiator_email,
        request=req,
        failed_id=notification.pk,
        failed_kind=notification.get_kind_display(),
        failed_to=notification.to_email,
        error=notification.last_error,
        code=code,
    )


def _mark_consent_delivered(request_id: int) -> None:
    from linking.services._common import _lock_request, _save

    req = _lock_request(request_id)
    fields = []
    if req.consent_sent_at is None:
        req.consent_sent_at = timezone.now()
        fields.append("consent_sent_at")
    if req.failure_code == CONSENT_REFUSED:
        # The customer has a working link again: the earlier refusal no longer blocks anything.
        req.failure_stage = req.failure_code = ""
        fields += ["failure_stage", "failure_code"]
    if fields:
        _save(req, actor=None, reason="consent e-mail delivered", fields=fields)


def _request_context(req: LinkRequest, region_names: dict[str, str]) -> dict:
    sensitive = sensitive_services()
    names = dict(Service.objects.values_list("code", "name"))
    items = []
    decisions = []
    for item in req.items.all():
        decisions.append(item.decision)
        items.append(
            {
                "type": item.get_link_type_display(),
                "link_type": item.link_type,
                "services": [
                    {"code": c, "name": names.get(c, c), "sensitive": c in sensitive}
                    for c in item.services
                ],
                "regions": item.regions,
                "regions_in_words": wording.named(
                    wording.regions_in_words(item.regions, region_names)
                ),
                "access_level": item.get_access_level_display() if item.access_level else "",
                "access_level_code": item.access_level,
                "duration_days": item.duration_days,
                "decision": item.get_decision_display(),
                "decision_code": item.decision,
                "decline_reason": item.decline_reason,
            }
        )
    return {
        "req": req,
        "reference": req.reference,
        "reseller": req.reseller,
        "customer": req.customer,
        "items": items,
        "outcome": wording.decision_outcome(decisions),
        "request_url": absolute_url(reverse("linking:request-detail", args=[req.pk])),
    }


def _receipt_setup_context(req: LinkRequest, receipt: str, region_names: dict) -> dict:
    """The cloud-side steps of the accepted items, and the receipt page that has them too."""
    from linking.consent.setup import receipt_sandbox_console, receipt_setup
    from linking.consent.views import receipt_sign

    records = list(ConsentRecord.objects.filter(request=req, receipt_reference=receipt))
    rows = receipt_setup(req, records, region_names=region_names, now=timezone.now())
    return {
        "setup_rows": rows,
        "sandbox_console": receipt_sandbox_console(rows),
        "receipt_url": absolute_url(reverse("consent:receipt", args=[receipt_sign(receipt)]))
        if rows
        else "",
    }


def _superseded(notification: Notification, req: LinkRequest) -> bool:
    """A consent e-mail overtaken by a resend (newer row, or another address) must not go out:
    its fresh token would kill the link the customer was just sent."""
    if notification.to_email.lower() != (req.consent_email or "").lower():
        return True
    return Notification.objects.filter(
        request_id=req.pk, kind__in=CONSENT_KINDS, pk__gt=notification.pk
    ).exists()


def _request_of(notification: Notification) -> LinkRequest:
    """The request an e-mail about a request is written with, by the request's services."""
    if notification.request is None:
        raise ValueError(f"Notification {notification.pk} ({notification.kind}) has no request.")
    return notification.request


def _build(notification: Notification) -> EmailMultiAlternatives | None:
    """The message of a notification, or None if there is nothing to send any more."""
    from linking.consent.services import consent_issue_token
    from linking.services.revocation import link_issue_withdrawal_tokens

    req = notification.request
    context = dict(notification.context)
    # Regions are named as the pages name them ("AP-Singapore (ap-southeast-1)").
    region_names = dict(Region.objects.values_list("code", "name"))
    context["region_names"] = region_names
    if req is not None:
        context.update(_request_context(req, region_names))
    # A message made from an error code is written again in the recipient's language.
    message_code = CODES.get(context.get("message_code", ""))
    if message_code is not None:
        context["message"], context["hint"] = message_code.render(
            **context.get("message_params", {})
        )
    kind = notification.kind
    now = timezone.now()
    if kind in CONSENT_KINDS:
        req = _request_of(notification)
        if _superseded(notification, req):
            return None
        # A reminder carries a fresh link exactly like the first e-mail and the old link dies;
        # a second delivery of the same row carries the same link as the first.
        token = consent_issue_token(request_id=req.pk, notification=notification)
        if token is None:
            return None
        context["consent_url"] = absolute_url(reverse("consent:page", args=[token]))
        context["deadline"] = req.consent_deadline
    elif kind == Kind.APPROVAL_REMINDER:
        req = _request_of(notification)
        if req.effective_status != LinkRequest.Status.PENDING_APPROVAL:
            return None
        since = req.submitted_at or req.status_changed_at
        context["waited_hours"] = int((now - since).total_seconds() // 3600)
        context["deadline"] = req.approval_deadline
    elif kind == Kind.REQUEST_EXPIRED:
        # The sweep says which wait ran out; an older row without it is told by its deadlines.
        req = _request_of(notification)
        stage = context.get("stage") or ("consent" if req.consent_deadline else "approval")
        context["stage"] = stage
        context["expired_at"] = (
            req.consent_deadline if stage == "consent" else req.approval_deadline
        )
        context["new_request_url"] = absolute_url(reverse("linking:request-list"))
    elif kind == Kind.CUSTOMER_CODE:
        from linking.centre.codes import code_for_delivery, decision_code_context

        # Derived here, never stored: a code expired or spent before delivery is not sent.
        sign_in_code = code_for_delivery(notification)
        if sign_in_code is None:
            return None
        context["code"] = sign_in_code
        context["centre_url"] = absolute_url(reverse("customer:code"))
        if context.get("purpose", "sign_in") != "sign_in":
            # A code confirming a decision on a link: its own words, naming the partner.
            context.update(decision_code_context(notification))
            return build_message("decision-code", notification.to_email, context)
    elif kind == Kind.MEMBER_INVITATION:
        from accounts.invitations import invitation_token_for_delivery
        from accounts.models import Invitation, Role

        # Derived here, never stored: an invitation resent, revoked or used is not sent.
        token = invitation_token_for_delivery(notification)
        if token is None:
            return None
        invitation = Invitation.objects.get(notification_id=notification.pk)
        context["invitation_url"] = absolute_url(reverse("accounts:invitation-open", args=[token]))
        context["role_label"] = Role(invitation.role).label
        context["expires_at"] = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        context["has_account"] = User.objects.filter(email__iexact=invitation.email).exists()
    elif kind == Kind.DELIVERY_FAILED:
        code = CODES.get(context.get("code", ""))
        if code is not None:
            context["code_message"] = code.message.format(email=context.get("failed_to", ""))
            context["code_hint"] = code.hint
        context["error_in_words"] = Notification.describe_error(context.get("error", ""))
    elif kind == Kind.CONSENT_RECEIPT and req is not None:
        # Minted at delivery, like the consent token, so only the hash is ever stored; a later
        # receipt for the same link (an amendment) kills the withdrawal link of the earlier one,
        # a second delivery of the same receipt does not.
        tokens = link_issue_withdrawal_tokens(request_id=req.pk, notification=notification)
        context["withdraw_urls"] = [
            {"link": link, "url": absolute_url(reverse("consent:withdraw", args=[token]))}
            for link, token in tokens
        ]
        context["withdrawal_note"] = wording.withdrawal_note(
            reseller_name=req.reseller.name, self_service=bool(context["withdraw_urls"])
        )
        context.update(_receipt_setup_context(req, context.get("receipt", ""), region_names))
    if (
        kind in (Kind.LINK_REVOKED, Kind.LINK_EXPIRED, Kind.SETUP_EXPIRED)
        and context.get("audience") == "customer"
        and notification.link is not None
    ):
        from linking.consent.setup import link_cleanup_instructions

        # What to delete in the cloud, named exactly as the setup named it.
        context["cleanup"] = link_cleanup_instructions(notification.link)
    if notification.link_id:
        context["link"] = notification.link
        context["link_url"] = absolute_url(
            reverse("linking:link-detail", args=[notification.link_id])
        )
        if context.get("audience") == "customer":
            # The customer has no portal login: their links go to the customer centre, where a
            # code sent to this address signs them in; withdrawing asks for it too, so a
            # forwarded e-mail ends nothing.
            context["centre_url"] = absolute_url(reverse("customer:home"))
            context["centre_withdraw_url"] = absolute_url(
                reverse("customer:withdraw", args=[notification.link_id])
            )
    return build_message(kind.replace("_", "-"), notification.to_email, context)


def _language_of(notification: Notification) -> str:
    """The language the recipient reads: the operator's, or the customer contact's."""
    holder = notification.request or notification.link
    customer = holder.customer if holder is not None else None
    return recipient_language(email=notification.to_email, customer=customer)


def notification_deliver(*, notification_id: int) -> str:
    """Claim, render and send one notification. Safe to run twice: one claim, one message."""
    notification = _claim(notification_id)
    if notification is None:
        return "skipped"
    if notification.correlation_id:
        # The delivery's log lines carry the id of the request that wrote the row, also when a
        # sweep (with an id of its own) published the delivery.
        set_guid(notification.correlation_id)
    # Subject, bodies and every sentence put into the context speak the recipient's language.
    language = _language_of(notification)
    try:
        with transaction.atomic(), translation.override(language):
            message = _build(notification)
            if message is None:
                # Not a failure: the request moved on before its e-mail went out.
                _finish(notification, Status.NOT_NEEDED, error=OBSOLETE)
                return "obsolete"
            message.send()
            if notification.kind in CONSENT_KINDS:
                # `_build` sends no consent e-mail without its request.
                assert notification.request_id is not None
                _mark_consent_delivered(notification.request_id)
            _finish(notification, Status.SENT, subject=str(message.subject))
    except smtplib.SMTPRecipientsRefused as exc:
        # A 4xx at RCPT (greylisting, a full mailbox) is worth retrying; a 5xx is final.
        codes = sorted({code for code, _ in exc.recipients.values()})
        if codes and all(400 <= code < 500 for code in codes):
            raise _retry_later(notification, f"temporary: {codes[0]}") from None
        _fail(notification, f"address refused: {exc}")
        return "failed"
    except smtplib.SMTPResponseException as exc:
        # A rejected login is the portal's configuration, not the recipient: keep retrying so
        # it goes out once the credentials are fixed.
        if 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError):
            _fail(notification, f"refused: {exc.smtp_code}")
            return "failed"
        raise _retry_later(notification, f"temporary: {exc.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise _retry_later(notification, f"temporary: {type(exc).__name__}") from None
    logger.info("notification %s (%s) sent", notification.pk, notification.kind)
    return "sent"


def notification_ids_to_requeue() -> list[int]:
    """Rows to publish again: never published, due for a retry, or claimed by a dead worker."""
    now = timezone.now()
    due = (
        Q(status=Status.QUEUED, created_at__lte=now - UNPUBLISHED_AFTER)
        | Q(status=Status.RETRYING, next_attempt_at__lte=now)
        | Q(status=Status.RETRYING, next_attempt_at__isnull=True)
        | Q(status=Status.SENDING, claimed_at__lte=now - claim_timeout())
    )
    limit = settings.PORTAL_SWEEP_BATCH
    return list(
        Notification.objects.filter(due)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def notification_requeue(
    *, actor: User | None, notification_ids: Iterable[int], via: str = ""
) -> list[int]:
    """Put failed (or retrying) notifications back in the queue and publish them. Staff only.

    Attempts are kept, so the history shows how often a message was tried. Queued, sending and
    sent rows are left alone: requeuing twice publishes nothing twice.
    """
    from linking.services._common import _on_commit
    from linking.tasks import notification_deliver_task

    who = via or (actor.email if actor is not None else "the system")
    rows = (
        Notification.objects.select_for_update()
        .filter(pk__in=list(notification_ids), status__in=[Status.FAILED, Status.RETRYING])
        .order_by("id")
    )
    requeued = []
    for notification in rows:
        notification.status = Status.QUEUED
        notification.next_attempt_at = None
        notification.claimed_at = None
        notification._history_user = actor
        notification._change_reason = f"requeued by {who}"
        notification.save(update_fields=["status", "next_attempt_at", "claimed_at"])
        _on_commit(notification_deliver_task, notification.pk)
        requeued.append(notification.pk)
    return requeued


def notification_ids_failed() -> list[int]:
    """Every failed notification, oldest first: what "re-queue all failed" acts on."""
    return list(
        Notification.objects.filter(status=Status.FAILED)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )


def outbox_counts() -> dict[str, int]:
    """How many notifications are in each status; every status present, zero if none."""
    counts = dict.fromkeys(Status.values, 0)
    for row in Notification.objects.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    return counts


def outbox_claims_expired() -> int:
    """How many deliveries are claimed by a worker that is taken to have died (the sweep sends
    them again)."""
    return Notification.objects.filter(
        status=Status.SENDING, claimed_at__lte=timezone.now() - claim_timeout()
    ).count()


def outbox_rows(*, statuses: Iterable[str] = OUTBOX_STATUSES) -> QuerySet[Notification]:
    """Notifications in the given statuses, oldest first, with their request."""
    return (
        Notification.objects.filter(status__in=list(statuses))
        .select_related("request")
        .order_by("created_at", "id")
    )
