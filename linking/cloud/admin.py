"""The cloud connections of every reseller, for staff and auditors: their state, never their
keys. Read-only: only a reseller's admins change a connection, on its page (step-up, audit)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import HistoryAdmin, ReadOnlyAdminMixin
from linking.cloud.models import CloudConnection


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
        "updated_at",
    ]
    list_filter = ["test_status"]
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
    ]
