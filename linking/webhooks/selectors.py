"""Reads of the webhook pages, always scoped to the current reseller."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Reseller
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVERY_LIST_FIELDS = (
    "id",
    "endpoint_id",
    "event_id",
    "event_type",
    "object_type",
    "object_id",
    "created_at",
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "last_status_code",
    "last_duration_ms",
    "response_excerpt",
    "last_error",
)


def webhook_endpoint_list_for_reseller(*, reseller: Reseller) -> QuerySet[WebhookEndpoint]:
    """The reseller's endpoints, oldest first, with how many deliveries are still owed."""
    owed = Q(deliveries__status__in=WebhookDelivery.OPEN_STATUSES)
    return (
        WebhookEndpoint.objects.filter(reseller=reseller)
        .defer("secret_encrypted")
        .annotate(owed=Count("deliveries", filter=owed))
        .order_by("created_at", "id")
    )


def access_webhook_endpoint(*, reseller: Reseller, pk: int) -> WebhookEndpoint:
    """The endpoint `pk` of the current reseller; another reseller's is a 404."""
    endpoint = (
        WebhookEndpoint.objects.filter(reseller=reseller, pk=pk).defer("secret_encrypted").first()
    )
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def webhook_delivery_list_for_endpoint(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, the columns the page shows (not the body)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).only(*DELIVERY_LIST_FIELDS)
