"""Helpers every service uses: locking, the transition table, history and the outbox."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from django.core import signing
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import Membership, Reseller, Role, User
from accounts.permissions import has_reseller_perm
from linking.checks.policy import request_consent_reminders
from linking.checks.reasons import type_label
from linking.models import (
    Link,
    LinkRequest,
    Notification,
    RequestItem,
)
from linking.webhooks.services import webhook_emit_link_moved, webhook_emit_request_moved
from portal.errors import PortalError
from portal.publish import publish_many_on_commit, publish_on_commit
from portal.schedules import next_reminder

logger = logging.getLogger(__name__)

# The kind of a customer's e-mail about a link's move and its details (`_move_link`).
CustomerNotice = tuple[str, dict[str, Any]]

TOKEN_SALT = "linking.consent.v1"  # noqa: S105 (a signing salt, not a secret)
Status = LinkRequest.Status


def _on_commit(task: Task, *args: Any) -> None:
    # A broker that is down or hung must not turn a committed change into an error page or a
    # long wait: bounded, logged, and the beat sweeps pick up whatever was not published.
    publish_on_commit(task, *args)


def _delivery_nonce(purpose: str, notification: Notification | None, object_id: int) -> str:
    """The nonce of a link that an outbox row carries: the same for every delivery of that row,
    another for any other row, derived from the secret key and never stored.

    Delivery is at least once: a worker that dies between the mail server's answer and its
    commit sends the row again, and the copy already in the customer's mailbox must keep
    working. A new row (a reminder, a resend) carries a new link, and the old one dies.
    """
    if notification is None:
        return secrets.token_urlsafe(32)  # no row to stay the same for: a fresh random nonce
    value = f"{notification.pk}:{object_id}"
    return salted_hmac(f"linking.delivery.{purpose}", value, algorithm="sha256").hexdigest()


class _SignerAt(signing.TimestampSigner):
    """A timestamp signer that signs as of a fixed moment, so that a row's link is the same
    text in every copy of its e-mail; the token's age counts from the row's creation."""

    def __init__(self, *, at: datetime, salt: str):
        super().__init__(salt=salt)
        self._at = at

    def timestamp(self) -> str:
        return signing.b62_encode(int(self._at.timestamp()))


def _link_signer(salt: str, notification: Notification | None) -> signing.TimestampSigner:
    if notification is None:
        return signing.TimestampSigner(salt=salt)
    return _SignerAt(at=notification.created_at, salt=salt)


def _lock_request(request_id: int) -> LinkRequest:
    return (
        LinkRequest.objects.select_for_update(of=("self",))
        .select_related("reseller", "customer", "initiator")
        .get(pk=request_id)
    )


def _save(obj: Any, *, actor: User | None, reason: str, fields: list[str]) -> None:
    obj._history_user = actor
    obj._change_reason = reason
    obj.save(update_fields=fields)


def _refuse_state(req: LinkRequest, action: str) -> PortalError:
    return PortalError(
        "LNK-S001",
        reference=req.reference,
        status=req.get_effective_status_display().lower(),
        action=action,
    )


def _move(
    req: LinkRequest, to: str, *, actor: User | None, reason: str, extra: Sequence[str] = ()
) -> None:
    if to not in LinkRequest.TRANSITIONS.get(req.status, set()):
        raise _refuse_state(req, reason)
    previous = req.status
    req.status = to
    req.status_changed_at = timezone.now()
    _save(req, actor=actor, reason=reason, fields=["status", "status_changed_at", *extra])
    # The reseller's webhooks hear of it in the same transaction (the outbox).
    webhook_emit_request_moved(req, previous=previous)
    # One line per move: with the request id of the page or task that made it (portal.logconfig).
    logger.info("request %s: %s -> %s", req.reference, previous, to)


def _lock_link(link_id: int) -> Link | None:
    return (
        Link.objects.select_for_update(of=("self",))
        .select_related("reseller", "customer", "source_item__request__initiator")
        .filter(pk=link_id)
        .first()
    )


def _refuse_link(link: Link, action: str) -> PortalError:
    status = link.get_effective_status_display().lower()
    return PortalError("LNK-L001", reference=link.reference, status=status, action=action)


def _move_link(
    link: Link,
    to: str,
    *,
    actor: User | None,
    reason: str,
    extra: Sequence[str] = (),
    action: str = "",
    save: bool = True,
    customer_notice: CustomerNotice | None = None,
) -> None:
    """The one place a link's status changes: checked against `Link.TRANSITIONS`.

    `save=False`: the caller saves the whole row itself (a link being created or upserted).
    `customer_notice`: the e-mail (kind and details) that tells the account's contact of this
    move, written here in the same transaction: one move, at most one e-mail to the customer.
    Which moves tell the customer is in docs/customer-centre.md; suspension and resumption
    tell them per cause (`linking.services.suspension`).
    """
    if not link.can_move_to(to):
        raise _refuse_link(link, action or f"made {Link.Status(to).label.lower()}")
    previous = link.status
    link.status = to
    if save:
        _save(link, actor=actor, reason=reason, fields=["status", *extra])
    # The reseller's webhooks hear of it in the same transaction (the outbox); a link not yet
    # saved is only ever activating, which makes no event.
    webhook_emit_link_moved(link, previous=previous)
    if customer_notice is not None and (contact := _customer_contact(link)):
        kind, context = customer_notice
        _notify(kind, contact, link=link, audience="customer", **context)


def _set_items_open(
    req: LinkRequest,
    is_open: bool,
    *,
    actor: User | None,
    reason: str,
    items: Iterable[RequestItem] | None = None,
) -> None:
    for item in req.items.all() if items is None else items:
        if item.is_open != is_open or item.customer_id != req.customer_id:
            item.is_open = is_open
            item.customer_id = req.customer_id
            _save(item, actor=actor, reason=reason, fields=["is_open", "customer"])


def _notify(
    kind: str,
    to_email: str,
    *,
    request: LinkRequest | None = None,
    link: Link | None = None,
    **context: Any,
) -> Notification:
    from linking.tasks import notification_deliver_task

    notification = Notification(
        kind=kind, to_email=to_email, request=request, link=link, context=context
    )
    notification._change_reason = "queued"
    notification.save()
    _on_commit(notification_deliver_task, notification.pk)
    return notification


def _notify_all(kind: str, to_emails: list[str], *, request: LinkRequest) -> list[Notification]:
    """`_notify` for several recipients of the same request: the rows and their history rows
    in one insert each, and the delivery tasks published after the commit over one broker
    connection, instead of two inserts and a publish of its own per recipient."""
    from simple_history.utils import bulk_create_with_history

    from linking.tasks import notification_deliver_task

    if not to_emails:
        return []
    notifications = bulk_create_with_history(
        [
            Notification(kind=kind, to_email=email, request=request, context={})
            for email in to_emails
        ],
        Notification,
        default_change_reason="queued",
    )
    # One producer (one pooled connection) for every task; if the broker fails, the rest stay
    # queued in the outbox and the beat sweep publishes them.
    publish_many_on_commit(notification_deliver_task, [(n.pk,) for n in notifications])
    return notifications


def _holds(actor: User, reseller: Reseller, perm: str, perms: set[str] | None = None) -> bool:
    """Whether the actor's role in the reseller holds `perm`; `perms`: the codenames a page has
    read already (`request.reseller_perms`), so a predicate costs no query there."""
    if perms is not None:
        return perm in perms
    return has_reseller_perm(user=actor, reseller=reseller, perm=perm)


def _initiator_refusal(
    actor: User, reseller: Reseller, perms: set[str] | None = None
) -> PortalError | None:
    if not _holds(actor, reseller, "initiate_requests", perms):
        return PortalError("LNK-V013", reseller=reseller.name, role="initiator")
    return None


def _require_initiator_role(actor: User, reseller: Reseller) -> None:
    if refusal := _initiator_refusal(actor, reseller):
        raise refusal


def can_link(reseller: Reseller, *, link_types: Iterable[str] = ()) -> PortalError | None:
    """Whether the reseller may still link: its program active (LNK-P003) and allowing each of
    `link_types` (LNK-P004). Asked again at every step after submit (approval, the customer's
    consent, activation, verification, amend and renewal): a suspension or a type taken out of
    the program stops the journey wherever it is."""
    if not reseller.is_live:
        return PortalError(
            "LNK-P003", reseller=reseller.name, status=reseller.get_status_display().lower()
        )
    allowed = set(reseller.allowed_link_types)
    for link_type in link_types:
        if link_type not in allowed:
            return PortalError("LNK-P004", reseller=reseller.name, link_type=type_label(link_type))
    return None


def _locked(link_id: int) -> Link:
    link = _lock_link(link_id)
    if link is None:
        raise Link.DoesNotExist(f"No link {link_id}.")
    return link


def _reseller_recipients(link: Link) -> list[str]:
    """Who on the reseller's side hears about a link: its initiator, else the admins."""
    item = link.source_item
    initiator = item.request.initiator if item else None
    if initiator is not None and initiator.is_active and initiator.email:
        return [initiator.email]
    return list(
        Membership.objects.filter(
            reseller_id=link.reseller_id, role=Role.ADMIN, user__is_active=True
        )
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def _customer_contact(link: Link) -> str:
    """The address the customer's side hears at: the directory's contact, else the consent one."""
    if link.customer.contact_email:
        return link.customer.contact_email
    item = link.source_item
    return item.request.consent_email if item else ""


def _name(user: User) -> str:
    full = user.get_full_name()
    return f"{full} <{user.email}>" if full else user.email


def _enter_consent(
    req: LinkRequest, *, actor: User | None, reason: str, extra: Sequence[str] = ()
) -> None:
    # Only a submitted request waits for consent, and it has its customer (a constraint).
    assert req.customer is not None
    now = timezone.now()
    req.consent_deadline = now + timedelta(days=req.consent_days)
    req.consent_email = req.customer.contact_email
    req.next_reminder_at = next_reminder(
        request_consent_reminders(req), start=now, end=req.consent_deadline, now=now
    )
    _move(
        req,
        Status.PENDING_CONSENT,
        actor=actor,
        reason=reason,
        extra=["consent_deadline", "consent_email", "next_reminder_at", *extra],
    )
    _notify(Notification.Kind.CONSENT_REQUEST, req.consent_email, request=req)
