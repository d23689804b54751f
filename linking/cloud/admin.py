"""The cloud connections of every reseller, for staff and auditors: their state, never their
keys. Read-only: only a reseller's admins change a connection, on its page (step-up, audit)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import HistoryAdmin, ReadOnlyAdminMixin
from linking.cloud.models import CloudAssociation, CloudConnection


@admin.register(CloudConnection)
class CloudConnectionAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = [
        "reseller",
        "partner_account_name",
        "partner_domain_id",
        "access_key_hint",
        "test_status",
        "test_code",
        "tested_at",
        "sync_status",
        "sync_code",
        "synced_at",
        "updated_at",
    ]
    list_filter = ["test_status", "sync_status"]
    list_select_related = ["reseller"]
    search_fields = ["reseller__partner_id", "reseller__name", "partner_account_name"]
    # Everything but the encrypted key pair.
    fields = [
        "reseller",
        "partner_domain_id",
        "partner_account_name",
        "access_key_hint",
        "credentials_set_at",
        "bss_endpoint",
        "iam_endpoint",
        "ecs_endpoint",
        "invitation_url",
        "revision",
        "updated_by",
        "test_status",
        "test_requested_at",
        "tested_at",
        "test_code",
        "test_message",
        "test_hint",
        "sync_status",
        "sync_started_at",
        "synced_at",
        "sync_ok_at",
        "sync_code",
        "sync_message",
        "sync_hint",
        "sync_summary",
    ]


@admin.register(CloudAssociation)
class CloudAssociationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the last syncs saw: read-only, written by the sync alone."""

    list_display = [
        "reseller",
        "customer",
        "association_type",
        "associated_at",
        "first_seen_at",
        "confirmed_at",
        "ended_at",
    ]
    list_filter = ["association_type", ("ended_at", admin.EmptyFieldListFilter)]
    list_select_related = ["reseller", "customer"]
    search_fields = ["reseller__partner_id", "customer__account_id", "customer__account_name"]
    raw_id_fields = ["reseller", "customer"]
