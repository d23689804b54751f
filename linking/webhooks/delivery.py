"""Delivery of webhooks: claim a row, check the address again, sign, POST, record the answer.

A row moves pending → sending → delivered. Any failure (no answer in time, a refused
connection, an address that is no longer public, an answer other than 2xx) moves it to
retrying with `next_attempt_at` (30 s doubling, at most an hour; the last one when the retry
window ends, PORTAL_WEBHOOK_RETRY_WINDOW_HOURS after the event, three days): a failure then
is final.
An endpoint whose deliveries have failed for the whole window, with no success in between, is
disabled and the reseller's admins get an e-mail.

Events of one object reach an endpoint in order: a row is not sent while an earlier row of the
same object and endpoint is still open; when a row finishes, the next one is published. The
HTTP call is made outside any transaction, to the address the check resolved (never resolving
the name again), without redirects or proxies, with short timeouts.

Delivery is at least once: a worker that dies after the receiver answered sends the row again
after its claim expires, with the same `webhook-id`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.models import Membership, Role
from linking.models import Notification
from linking.webhooks.addresses import Target, check_url
from linking.webhooks.models import BODY_EXCERPT_CHARS, WebhookDelivery, WebhookEndpoint
from linking.webhooks.services import endpoint_secret
from portal.emails import absolute_url
from portal.errors import PortalError
from portal.metrics import count_webhook_delivery
from portal.publish import publish_on_commit

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
UNPUBLISHED_AFTER = timedelta(minutes=1)
EARLY_TOLERANCE = timedelta(seconds=5)
USER_AGENT = "PartnerPortal-Webhooks/1"


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Result:
    outcome: str  # delivered, retrying, failed, waiting, skipped
    retry_in: int | None = None


def retry_window() -> timedelta:
    return timedelta(hours=settings.PORTAL_WEBHOOK_RETRY_WINDOW_HOURS)


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt after `attempts` failed ones (read at call time)."""
    base = settings.PORTAL_WEBHOOK_RETRY_SECONDS
    cap = settings.PORTAL_WEBHOOK_RETRY_MAX_SECONDS
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


def claim_timeout() -> timedelta:
    return timedelta(seconds=settings.PORTAL_OUTBOX_CLAIM_SECONDS)


def _earlier_open(delivery: WebhookDelivery) -> bool:
    return WebhookDelivery.objects.filter(
        endpoint_id=delivery.endpoint_id,
        object_type=delivery.object_type,
        object_id=delivery.object_id,
        id__lt=delivery.pk,
        status__in=WebhookDelivery.OPEN_STATUSES,
    ).exists()


def _claim(delivery_id: int) -> WebhookDelivery | Result:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return Result("skipped")
        now = timezone.now()
        if delivery.status == Status.SENDING:
            if delivery.claimed_at and delivery.claimed_at > now - claim_timeout():
                return Result("skipped")  # another worker is on it
        elif delivery.status == Status.RETRYING:
            due = delivery.next_attempt_at
            if due is not None and due > now + EARLY_TOLERANCE:
                return Result("skipped")  # the retry or the sweep comes back when it is due
        elif delivery.status != Status.PENDING:
            return Result("skipped")
        if not delivery.endpoint.enabled:
            return Result("skipped")  # kept owed: enabling the endpoint sends it
        if _earlier_open(delivery):
            return Result("waiting")  # published again when the earlier one finishes
        delivery.status = Status.SENDING
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.save(update_fields=["status", "claimed_at", "attempts"])
    return delivery


def _excerpt(data: bytes) -> str:
    return data.decode("utf-8", "replace")[:BODY_EXCERPT_CHARS]


def _pool(target: Target, address: str) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(
        connect=settings.PORTAL_WEBHOOK_CONNECT_TIMEOUT, read=settings.PORTAL_WEBHOOK_READ_TIMEOUT
    )
    if target.scheme == "https":
        # Connected to the checked address; the certificate is still checked against the name.
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False)


def post(target: Target, body: bytes, headers: dict[str, str]) -> Attempt:
    """POST `body` to the checked addresses of `target` in turn until one connects. No
    redirect is followed (a 3xx is a failed attempt) and no proxy of the environment is used."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    error = "no address to connect to"
    for address in target.addresses:
        with _pool(target, address) as pool:
            try:
                response = pool.urlopen(
                    "POST",
                    target.path,
                    body=body,
                    headers={"Host": target.host_header, **headers},
                    redirect=False,
                    assert_same_host=False,
                    preload_content=False,
                )
            except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError):
                error = f"could not connect to {address}"
                continue  # the next checked address, if the name has several
            except urllib3.exceptions.ReadTimeoutError:
                return Attempt(None, "", "no answer in time", took())
            except urllib3.exceptions.SSLError:
                return Attempt(None, "", "TLS failed (certificate or protocol)", took())
            except urllib3.exceptions.HTTPError as exc:
                return Attempt(None, "", f"connection failed: {type(exc).__name__}", took())
            try:
                data = response.read(BODY_EXCERPT_CHARS * 4, decode_content=False)
            except urllib3.exceptions.HTTPError:
                data = b""
            finally:
                response.release_conn()
            return Attempt(response.status, _excerpt(data), "", took())
    return Attempt(None, "", error, took())


def _attempt(delivery: WebhookDelivery) -> Attempt:
    endpoint = delivery.endpoint
    try:
        target = check_url(endpoint.url)
        secret = endpoint_secret(endpoint)
    except PortalError as error:
        return Attempt(None, "", f"{error.code}: {error.message}"[:200], 0)
    body = delivery.body.encode()
    now = timezone.now()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery.event_id, now, body),
    }
    return post(target, body, headers)


def _admins(reseller_id: int) -> list[str]:
    return list(
        Membership.objects.filter(reseller_id=reseller_id, role=Role.ADMIN, user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def _disable(endpoint: WebhookEndpoint, since: str) -> None:
    from linking.services._common import _notify
    from linking.webhooks.services import webhook_endpoint_set_enabled

    reason = f"every delivery failed since {since}"
    webhook_endpoint_set_enabled(
        actor=None,
        reseller=endpoint.reseller,
        endpoint_id=endpoint.pk,
        enabled=False,
        reason=reason,
    )
    for email in _admins(endpoint.reseller_id):
        _notify(
            Notification.Kind.WEBHOOK_DISABLED,
            email,
            endpoint_url=endpoint.url,
            reseller_name=endpoint.reseller.name,
            since=since,
            hours=settings.PORTAL_WEBHOOK_RETRY_WINDOW_HOURS,
            webhooks_url=absolute_url(reverse("webhooks:list")),
        )


def _next_of_same_object(delivery: WebhookDelivery) -> int | None:
    return (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            object_type=delivery.object_type,
            object_id=delivery.object_id,
            id__gt=delivery.pk,
            status__in=WebhookDelivery.OPEN_STATUSES,
        )
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )


def _record(delivery_id: int, attempt: Attempt) -> Result:
    from linking.webhooks.tasks import webhook_deliver_task

    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint__reseller")
            .get(pk=delivery_id)
        )
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        endpoint.reseller = delivery.endpoint.reseller
        now = timezone.now()
        delivery.last_attempt_at = now
        delivery.last_status_code = attempt.status_code
        delivery.last_duration_ms = attempt.duration_ms
        delivery.response_excerpt = attempt.excerpt
        delivery.last_error = attempt.error or (
            "" if attempt.ok else f"answered {attempt.status_code}"
        )
        delivery.claimed_at = None
        retry_in = None
        if attempt.ok:
            delivery.status = Status.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save_without_historical_record(update_fields=["failing_since"])
        else:
            ends = delivery.window_ends_at()
            if now >= ends:
                delivery.status = Status.FAILED
                delivery.next_attempt_at = None
            else:
                # The last attempt is made when the window ends: an endpoint that fails it
                # too has failed for the whole window.
                delivery.status = Status.RETRYING
                delivery.next_attempt_at = min(
                    now + timedelta(seconds=retry_delay(delivery.attempts)), ends
                )
                retry_in = max(1, int((delivery.next_attempt_at - now).total_seconds()))
            if endpoint.failing_since is None:
                endpoint.failing_since = now
                endpoint.save_without_historical_record(update_fields=["failing_since"])
        delivery.save(
            update_fields=[
                "status",
                "claimed_at",
                "next_attempt_at",
                "last_attempt_at",
                "last_status_code",
                "last_duration_ms",
                "response_excerpt",
                "last_error",
                "delivered_at",
            ]
        )
        since = endpoint.failing_since
        if since is not None and endpoint.enabled and now - since >= retry_window():
            _disable(endpoint, since.strftime("%Y-%m-%d %H:%M UTC"))
        if not delivery.is_open and (following := _next_of_same_object(delivery)):
            publish_on_commit(webhook_deliver_task, following)
    count_webhook_delivery(delivery.status)
    return Result(delivery.status, retry_in)


def webhook_deliver(*, delivery_id: int) -> Result:
    """Claim, sign and send one delivery, and record the answer. Safe to run twice: one claim,
    one attempt. No transaction is open during the HTTP call."""
    claimed = _claim(delivery_id)
    if isinstance(claimed, Result):
        return claimed
    attempt = _attempt(claimed)
    result = _record(delivery_id, attempt)
    logger.info(
        "webhook delivery %s (%s) to endpoint %s: %s",
        claimed.pk,
        claimed.event_type,
        claimed.endpoint_id,
        attempt.status_code or attempt.error,
    )
    return result


def webhook_delivery_ids_due() -> list[int]:
    """Rows to publish again: never published, due for a retry, or claimed by a dead worker."""
    now = timezone.now()
    due = (
        Q(status=Status.PENDING, created_at__lte=now - UNPUBLISHED_AFTER)
        | Q(status=Status.RETRYING, next_attempt_at__lte=now)
        | Q(status=Status.SENDING, claimed_at__lte=now - claim_timeout())
    )
    return list(
        WebhookDelivery.objects.filter(due, endpoint__enabled=True)
        .order_by("id")
        .values_list("pk", flat=True)[: settings.PORTAL_SWEEP_BATCH]
    )
