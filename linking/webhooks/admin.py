"""The webhook endpoints and deliveries of every reseller, for staff and auditors: read-only,
never the secret. Only a reseller's admins change an endpoint, on its pages (step-up, audit)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import HistoryAdmin, ReadOnlyAdminMixin
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ["url", "reseller", "enabled", "failing_since", "created_at"]
    list_filter = ["enabled"]
    list_select_related = ["reseller"]
    search_fields = ["url", "reseller__partner_id", "reseller__name"]
    # Everything but the encrypted secret.
    fields = [
        "reseller",
        "url",
        "description",
        "events",
        "secret_hint",
        "enabled",
        "disabled_reason",
        "failing_since",
        "created_at",
        "created_by",
    ]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What was owed and how each delivery went: written by the services and the worker."""

    list_display = [
        "event_type",
        "endpoint",
        "object_type",
        "object_id",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["endpoint"]
    search_fields = ["event_id", "event_type", "object_id"]
    raw_id_fields = ["endpoint"]
