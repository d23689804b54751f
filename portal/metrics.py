"""The portal's metrics in Prometheus' format, for an operations team to watch and be paged on.

Two kinds:
- **Events**, counted where they happen (cloud calls, verifications, sweeps, e-mail and webhook
  deliveries, batch rows). Under gunicorn and Celery on one host, every process writes them to
  `PROMETHEUS_MULTIPROC_DIR` (set by the start script, never by the settings: prometheus-client
  decides when it is imported) and `/metrics` adds them up.
- **State**, read from the database when `/metrics` is scraped: outbox rows by state and the age
  of the oldest waiting e-mail, requests by status, links by state. A handful of grouped counts
  on indexed columns, cached for `PORTAL_METRICS_CACHE_SECONDS` so that several scrapers cost the
  database one read.

Names and the alerts that should watch them: docs/operations.md.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models import Count, Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CLOUD_CALL_SECONDS = Histogram(
    "portal_cloud_call_seconds",
    "Cloud calls by provider, operation and outcome (ok, denied, not_found, throttled, "
    "unreachable, failed), retries included.",
    ["provider", "operation", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
VERIFICATIONS = Counter(
    "portal_verifications_total",
    "Verification runs of links by trigger and outcome (passed, failed, waiting).",
    ["trigger", "outcome"],
)
TASK_SECONDS = Histogram(
    "portal_task_seconds",
    "Celery task runs by task and final state (SUCCESS, FAILURE, RETRY), and their duration.",
    ["task", "state"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300),
)
SWEEP_ROWS = Counter(
    "portal_sweep_rows_total",
    "Rows the beat sweeps handled (what each run returned).",
    ["sweep"],
)
EMAIL_DELIVERIES = Counter(
    "portal_email_deliveries_total",
    "Outbox e-mail delivery attempts by outcome (sent, retrying, failed, not_needed).",
    ["outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "portal_webhook_deliveries_total",
    "Webhook delivery attempts by outcome (delivered, retrying, failed).",
    ["outcome"],
)
BATCH_ROWS = Counter(
    "portal_batch_rows_total",
    "Rows of batch imports processed, by outcome; rate() gives rows per second.",
    ["outcome"],
)


def observe_cloud_call(provider: str, operation: str, outcome: str, seconds: float) -> None:
    CLOUD_CALL_SECONDS.labels(provider, operation, outcome).observe(seconds)


def count_verification(trigger: str, outcome: str) -> None:
    VERIFICATIONS.labels(trigger, outcome).inc()


def count_email_delivery(outcome: str) -> None:
    EMAIL_DELIVERIES.labels(outcome).inc()


def count_webhook_delivery(outcome: str) -> None:
    WEBHOOK_DELIVERIES.labels(outcome).inc()


def count_batch_rows(outcome: str, rows: int = 1) -> None:
    if rows:
        BATCH_ROWS.labels(outcome).inc(rows)


def observe_task(name: str, state: str, seconds: float, result: Any) -> None:
    """One finished task run; a beat sweep's rows are the number it returns."""
    short = name.rsplit(".", 1)[-1]
    TASK_SECONDS.labels(short, state or "").observe(seconds)
    if short.endswith("_sweep_task") and isinstance(result, int) and not isinstance(result, bool):
        SWEEP_ROWS.labels(short.removesuffix("_task")).inc(result)


# --- state, read on scrape ----------------------------------------------------------------------


def _state() -> dict[str, Any]:
    """The figures of the state gauges: grouped counts on indexed columns, a few queries."""
    from linking.models import Link, LinkRequest, Notification
    from linking.webhooks.models import WebhookDelivery

    now = timezone.now()
    outbox = dict(
        Notification.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    oldest = Notification.objects.filter(
        status__in=[Notification.Status.QUEUED, Notification.Status.RETRYING]
    ).aggregate(
        queued=Min("created_at", filter=Q(status=Notification.Status.QUEUED)),
        retrying=Min("created_at", filter=Q(status=Notification.Status.RETRYING)),
        consent=Min(
            "created_at",
            filter=Q(status=Notification.Status.QUEUED, kind=Notification.Kind.CONSENT_REQUEST),
        ),
    )
    requests = dict(
        LinkRequest.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    links = dict(
        Link.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    flags = Link.objects.filter(status__in=Link.LIVE_STATUSES).aggregate(
        failing=Count("id", filter=Q(verification_status="failing")),
        over_privileged=Count("id", filter=Q(over_privileged=True)),
        still_reachable=Count("id", filter=Q(cleanup_status="still_reachable")),
    )
    webhooks = dict(
        WebhookDelivery.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )

    def age(value) -> float:
        return (now - value).total_seconds() if value else 0.0

    return {
        "outbox": outbox,
        "oldest": {key: age(value) for key, value in oldest.items()},
        "requests": requests,
        "links": links,
        "flags": flags,
        "webhooks": webhooks,
    }


class StateCollector(Collector):
    """Gauges of the portal's state, computed at scrape time (cached a few seconds)."""

    def collect(self):
        state = cache.get("portal:metrics:state")
        if state is None:
            state = _state()
            cache.set("portal:metrics:state", state, settings.PORTAL_METRICS_CACHE_SECONDS)
        from linking.models import Link, LinkRequest, Notification

        outbox = GaugeMetricFamily(
            "portal_outbox_rows", "Outbox e-mails by state.", labels=["state"]
        )
        for status in Notification.Status.values:
            outbox.add_metric([status], state["outbox"].get(status, 0))
        yield outbox
        oldest = GaugeMetricFamily(
            "portal_outbox_oldest_age_seconds",
            "Age of the oldest waiting outbox e-mail: queued, retrying, queued consent request.",
            labels=["state"],
        )
        oldest.add_metric(["queued"], state["oldest"]["queued"])
        oldest.add_metric(["retrying"], state["oldest"]["retrying"])
        oldest.add_metric(["consent_queued"], state["oldest"]["consent"])
        yield oldest
        requests = GaugeMetricFamily(
            "portal_requests",
            "Link requests by status and whose move it is.",
            labels=["status", "waiting_on"],
        )
        for status in LinkRequest.Status.values:
            requests.add_metric(
                [status, _REQUEST_WAITING_ON.get(status, "")], state["requests"].get(status, 0)
            )
        yield requests
        links = GaugeMetricFamily("portal_links", "Links by state.", labels=["state"])
        for status in Link.Status.values:
            links.add_metric([status], state["links"].get(status, 0))
        yield links
        flags = GaugeMetricFamily(
            "portal_links_flagged",
            "Live links failing verification, over-privileged, or ended and still reachable.",
            labels=["flag"],
        )
        for flag, value in state["flags"].items():
            flags.add_metric([flag], value)
        yield flags
        webhooks = GaugeMetricFamily(
            "portal_webhook_deliveries", "Webhook deliveries by state.", labels=["state"]
        )
        for status, value in sorted(state["webhooks"].items()):
            webhooks.add_metric([status], value)
        yield webhooks


# Whose move a request in each status waits for (the request's own `waiting_on`, by status only).
_REQUEST_WAITING_ON = {
    "draft": "initiator",
    "pending_approval": "approver",
    "pending_consent": "customer",
}


# --- the page -----------------------------------------------------------------------------------


def _allowed(request: HttpRequest) -> bool:
    token = settings.PORTAL_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    networks = settings.PORTAL_METRICS_ALLOWED_NETWORKS
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(n, strict=False) for n in networks)
    return False


def registry() -> CollectorRegistry:
    """A fresh registry per scrape: every process's files under multiprocess mode, else this
    process's own metrics; plus the state read from the database."""
    if settings.PORTAL_METRICS_MULTIPROCESS:
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
    else:
        reg = CollectorRegistry()
        reg.register(_ProcessMetrics())
    reg.register(StateCollector())
    return reg


class _ProcessMetrics(Collector):
    """This process's own metrics (the default registry), for a single-process server."""

    def collect(self):
        yield from REGISTRY.collect()


@require_GET
@login_not_required
@never_cache
def metrics_page(request: HttpRequest) -> HttpResponse:
    """`/metrics`: for a scraper with the bearer token or from an allowed network; anyone else
    gets the not-found page, as if there were none (nothing about the portal is told)."""
    if not _allowed(request):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
