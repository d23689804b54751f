"""Every write on a reseller's webhook endpoints, and `webhook_emit`, which the domain services
call in the transaction of each change that makes an event.

Admins of the reseller manage endpoints (the page asks for the password before an endpoint is
made or its address changes); each change writes a history row without the secret and an audit
event. The URL is checked (`addresses.check_url`) before the transaction: it resolves a name.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import AuditEvent, Reseller, User
from accounts.permissions import has_reseller_perm
from linking.cloud import encryption
from linking.webhooks.addresses import check_url
from linking.webhooks.events import EVENT_TYPES, LINK_EVENTS, REQUEST_EVENTS
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint
from portal.errors import PortalError
from portal.publish import publish_many_on_commit, publish_on_commit

if TYPE_CHECKING:
    from linking.models import Batch, Link, LinkRequest

MANAGE = "manage_members"
SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix the Standard Webhooks libraries strip)


def can_manage_webhooks(*, actor: User | None, reseller: Reseller) -> PortalError | None:
    """None when `actor` may manage the reseller's webhook endpoints (its admins)."""
    if has_reseller_perm(user=actor, reseller=reseller, perm=MANAGE):
        return None
    return PortalError("WHK-P001", reseller=reseller.name)


def _require_admin(actor: User, reseller: Reseller) -> None:
    if refusal := can_manage_webhooks(actor=actor, reseller=reseller):
        raise refusal


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = [name for name in EVENT_TYPES if name in set(events)]
    if not chosen:
        raise PortalError("WHK-E002")
    return chosen


def new_secret() -> str:
    """A signing secret as the Standard Webhooks libraries take it: whsec_ and base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


@sensitive_variables()
def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    """The endpoint's secret in clear (for signing, in memory only)."""
    return encryption.decrypt(endpoint.secret_encrypted)


def _audit(actor: User | None, endpoint: WebhookEndpoint, summary: str) -> None:
    AuditEvent.objects.create(
        actor=actor,
        action=AuditEvent.Action.WEBHOOK_ENDPOINT_CHANGED,
        content_type=ContentType.objects.get_for_model(WebhookEndpoint),
        object_id=str(endpoint.pk),
        object_repr=str(endpoint)[:200],
        reseller_id=endpoint.reseller_id,
        reason=summary,
    )


@sensitive_variables("secret")
def webhook_endpoint_create(
    *, actor: User, reseller: Reseller, url: str, events: Iterable[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint (the reseller's admins): its URL checked, a new secret made. Returns
    the endpoint and the secret, which is never shown again."""
    _require_admin(actor, reseller)
    chosen = _clean_events(events)
    check_url(url)  # resolves the name: before the transaction, never inside it
    secret = new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint(
            reseller=reseller,
            url=url.strip(),
            description=description,
            events=chosen,
            secret_encrypted=encryption.encrypt(secret),
            secret_hint=secret[-4:],
            created_by=actor,
        )
        endpoint._history_user = actor
        endpoint._change_reason = "webhook endpoint registered"
        endpoint.save()
        _audit(actor, endpoint, f"registered: {endpoint.url} ({', '.join(chosen)})")
    return endpoint, secret


def _lock(reseller: Reseller, endpoint_id: int) -> WebhookEndpoint:
    endpoint = (
        WebhookEndpoint.objects.select_for_update()
        .filter(reseller=reseller, pk=endpoint_id)
        .first()
    )
    if endpoint is None:
        raise WebhookEndpoint.DoesNotExist(f"No webhook endpoint {endpoint_id}.")
    return endpoint


def webhook_endpoint_update(
    *,
    actor: User,
    reseller: Reseller,
    endpoint_id: int,
    url: str,
    events: Iterable[str],
    description: str = "",
) -> WebhookEndpoint:
    """Change an endpoint's address, events or description (the reseller's admins; a new
    address is checked like a new endpoint's). The secret stays."""
    _require_admin(actor, reseller)
    chosen = _clean_events(events)
    url = url.strip()
    current = WebhookEndpoint.objects.filter(reseller=reseller, pk=endpoint_id).first()
    if current is None:
        raise WebhookEndpoint.DoesNotExist(f"No webhook endpoint {endpoint_id}.")
    if current.url != url:
        check_url(url)
    with transaction.atomic():
        endpoint = _lock(reseller, endpoint_id)
        changed = []
        if endpoint.url != url:
            changed.append(f"address {endpoint.url} → {url}")
        if endpoint.events != chosen:
            changed.append(f"events {', '.join(chosen)}")
        if endpoint.description != description:
            changed.append("description")
        if not changed:
            return endpoint
        endpoint.url, endpoint.events, endpoint.description = url, chosen, description
        endpoint._history_user = actor
        endpoint._change_reason = "webhook endpoint changed"
        endpoint.save(update_fields=["url", "events", "description", "updated_at"])
        _audit(actor, endpoint, f"changed: {'; '.join(changed)}")
    return endpoint


@transaction.atomic
def webhook_endpoint_set_enabled(
    *, actor: User | None, reseller: Reseller, endpoint_id: int, enabled: bool, reason: str = ""
) -> WebhookEndpoint:
    """Enable or disable an endpoint (the reseller's admins; `actor=None`: the delivery, after
    the retry window). Enabling starts the failure clock anew and sends what is still owed."""
    if actor is not None:
        _require_admin(actor, reseller)
    endpoint = _lock(reseller, endpoint_id)
    if endpoint.enabled == enabled:
        return endpoint
    endpoint.enabled = enabled
    endpoint.disabled_reason = "" if enabled else (reason or "disabled by an admin")[:200]
    fields = ["enabled", "disabled_reason", "updated_at"]
    if enabled:
        endpoint.failing_since = None
        fields.append("failing_since")
    endpoint._history_user = actor
    endpoint._change_reason = "enabled" if enabled else endpoint.disabled_reason
    endpoint.save(update_fields=fields)
    _audit(actor, endpoint, "enabled" if enabled else f"disabled: {endpoint.disabled_reason}")
    if enabled:
        from linking.webhooks.tasks import webhook_deliver_task

        owed = list(
            endpoint.deliveries.filter(status__in=WebhookDelivery.OPEN_STATUSES)
            .order_by("id")
            .values_list("pk", flat=True)
        )
        publish_many_on_commit(webhook_deliver_task, [(pk,) for pk in owed])
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, actor: User, reseller: Reseller, endpoint_id: int) -> None:
    """Delete an endpoint and its deliveries (the reseller's admins); the audit event stays."""
    _require_admin(actor, reseller)
    endpoint = _lock(reseller, endpoint_id)
    _audit(actor, endpoint, f"deleted: {endpoint.url}")
    endpoint._history_user = actor
    endpoint._change_reason = "webhook endpoint deleted"
    endpoint.delete()


@transaction.atomic
def webhook_delivery_redeliver(
    *, actor: User, reseller: Reseller, delivery_id: int
) -> WebhookDelivery:
    """Send an event again now (the reseller's admins), with the same webhook-id, so a
    receiver that has it already can tell. Refused for a disabled endpoint (WHK-E001)."""
    _require_admin(actor, reseller)
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .filter(pk=delivery_id, endpoint__reseller=reseller)
        .first()
    )
    if delivery is None:
        raise WebhookDelivery.DoesNotExist(f"No webhook delivery {delivery_id}.")
    if not delivery.endpoint.enabled:
        raise PortalError("WHK-E001", url=delivery.endpoint.url)
    if delivery.status != WebhookDelivery.Status.SENDING:
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.next_attempt_at = None
        # One attempt at least; past the event's retry window a failure is final at once.
        delivery.save(update_fields=["status", "next_attempt_at"])
    from linking.webhooks.tasks import webhook_deliver_task

    publish_on_commit(webhook_deliver_task, delivery.pk)
    return delivery


def _body(event_type: str, obj_type: str, obj_id: str, data: dict) -> str:
    payload = {
        "type": event_type,
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
        "data": {"object": obj_type, "id": obj_id, **data},
    }
    # Serialised once: every attempt sends and signs exactly these bytes.
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str)


Data = dict[str, Any] | Callable[[], dict[str, Any]]
Event = tuple[int, str, "tuple[str, Any] | Model", Data]
# What an event calls the objects of the portal (`data.object`).
OBJECT_TYPES = {"LinkRequest": "request", "Link": "link", "Batch": "batch"}


def _object(obj: tuple[str, Any] | Model) -> tuple[str, str]:
    if isinstance(obj, Model):
        name = type(obj).__name__
        return OBJECT_TYPES.get(name, name.lower()), str(obj.pk)
    return obj[0], str(obj[1])


def webhook_emit(
    reseller: Reseller | int, event_type: str, obj: tuple[str, Any] | Model, data: Data
) -> list[WebhookDelivery]:
    """Owe `event_type` to every enabled endpoint of the reseller that subscribed to it. Called
    inside the transaction of the change (the outbox): the rows commit with it or not at all,
    and their deliveries are published after the commit. `obj` is the object (a Link, a
    LinkRequest, a Batch) or (type, id), e.g. ("link", 42); `data` is the event's JSON data,
    without secrets, or a function that makes it (called only when an endpoint wants the
    event: a reseller without one pays one query)."""
    reseller_id = reseller if isinstance(reseller, int) else reseller.pk
    return webhook_emit_many([(reseller_id, event_type, obj, data)])


def webhook_emit_many(events: list[Event]) -> list[WebhookDelivery]:
    """`webhook_emit` for several events at once (a sweep): one query for the endpoints, one
    insert for the deliveries, one publish after the commit."""
    for _reseller_id, event_type, _obj, _data in events:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"Unknown webhook event type {event_type!r}.")
    if not events:
        return []
    by_reseller: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(
        reseller_id__in={event[0] for event in events}, enabled=True
    ).order_by("id"):
        by_reseller.setdefault(endpoint.reseller_id, []).append(endpoint)
    if not by_reseller:
        return []
    from linking.webhooks.tasks import webhook_deliver_task

    now = timezone.now()
    rows = []
    for reseller_id, event_type, obj, data in events:
        endpoints = [e for e in by_reseller.get(reseller_id, []) if e.wants(event_type)]
        if not endpoints:
            continue
        values = data() if callable(data) else data
        obj_type, obj_id = _object(obj)
        event_id = f"msg_{uuid.uuid4().hex}"
        body = _body(event_type, obj_type, obj_id, values)
        rows += [
            WebhookDelivery(
                endpoint=endpoint,
                event_id=event_id,
                event_type=event_type,
                object_type=obj_type,
                object_id=obj_id,
                body=body,
                created_at=now,
            )
            for endpoint in endpoints
        ]
    if not rows:
        return []
    deliveries = WebhookDelivery.objects.bulk_create(rows)
    publish_many_on_commit(webhook_deliver_task, [(d.pk,) for d in deliveries])
    return deliveries


def _when(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def request_data(req: LinkRequest, *, previous: str) -> dict[str, Any]:
    """What an event of a request says about it (its locked row, customer fetched)."""
    return {
        "reference": req.reference,
        "status": req.status,
        "previous_status": previous,
        "customer_account_id": req.customer.account_id if req.customer else None,
        "ticket_reference": req.ticket_reference,
        "changed_at": _when(req.status_changed_at),
    }


def link_data(link: Link, *, previous: str = "") -> dict[str, Any]:
    """What an event of a link says about it (its locked row, customer fetched)."""
    return {
        "reference": link.reference,
        "status": link.status,
        "previous_status": previous or None,
        "link_type": link.link_type,
        "customer_account_id": link.customer.account_id,
        "verification_status": link.verification_status,
        "ends_at": _when(link.ends_at),
    }


def webhook_emit_request_moved(req: LinkRequest, *, previous: str) -> None:
    """The event a request's move makes, if any (called by `_move` and the expiry sweep)."""
    event_type = REQUEST_EVENTS.get((previous, req.status))
    if event_type is None:
        return
    webhook_emit(
        req.reseller_id,
        event_type,
        ("request", req.pk),
        lambda: request_data(req, previous=previous),
    )


def webhook_emit_requests_moved(moves: list[tuple[LinkRequest, str]]) -> None:
    """The events of several requests' moves (the expiry sweep): (request, previous status)."""
    events: list[Event] = []
    for req, previous in moves:
        event_type = REQUEST_EVENTS.get((previous, req.status))
        if event_type is not None:
            events.append(
                (
                    req.reseller_id,
                    event_type,
                    ("request", req.pk),
                    partial(request_data, req, previous=previous),
                )
            )
    webhook_emit_many(events)


def webhook_emit_link_moved(link: Link, *, previous: str) -> None:
    """The event a link's move makes, if any (called by `_move_link`)."""
    event_type = LINK_EVENTS.get(link.status)
    if event_type is None or link.pk is None or previous == link.status:
        return
    webhook_emit(
        link.reseller_id, event_type, ("link", link.pk), lambda: link_data(link, previous=previous)
    )


def webhook_emit_link_failing(link: Link, *, codes: Iterable[str]) -> None:
    """link.verification_failed: the link's verification turned to failing."""
    failed = list(codes)
    webhook_emit(
        link.reseller_id,
        "link.verification_failed",
        ("link", link.pk),
        lambda: {**link_data(link), "failed_codes": failed},
    )


def webhook_emit_batch_finished(batch: Batch) -> None:
    """batch.finished: a batch ran all its rows."""
    webhook_emit(
        batch.reseller_id,
        "batch.finished",
        ("batch", batch.pk),
        lambda: {
            "reference": batch.reference,
            "created_count": batch.created_count,
            "failed_count": batch.failed_count,
            "existing_count": batch.existing_rows,
            "finished_at": _when(batch.finished_at),
        },
    )
