"""Admin for platform staff (full) and auditors (view only, through model permissions).

Memberships are view-only here: a membership change moves guardian groups, so it goes through
accounts.services from the member pages.
"""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from guardian.admin import ReinforcedGuardedModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from accounts import services
from accounts.models import Membership, Reseller, ResellerRoleGroup, User
from portal.dates import local_day, local_moment


class _HistoryChanges(HistoricalRecordContextHelper):
    """A history page's changes write dates and moments as every page does."""

    def prepare_delta_change_value(self, change, value):
        if isinstance(value, datetime):
            return local_moment(value)
        if isinstance(value, date):
            return local_day(value)
        return super().prepare_delta_change_value(change, value)


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose historical-version page can never write.

    simple-history still saves a POST to the version page even with
    SIMPLE_HISTORY_REVERT_DISABLED (it only hides the button), and for a view-only user that
    save writes the old values back to the live row. History is read-only here, for everyone.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        return _HistoryChanges(self.model, historical_record)


class ReadOnlyAdminMixin:
    """Visible to anyone with the view permission; nobody adds, changes or deletes here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(HistoryAdmin, DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["username", "email", "first_name", "last_name"]
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def has_delete_permission(self, request, obj=None):
        # Users are deactivated, never deleted: a deletion would rewrite the actor of every
        # history row they wrote (simple-history's SET NULL), which the append-only history
        # tables refuse on PostgreSQL, and attribution would be lost everywhere else.
        return False


class MembershipInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "reseller")


@admin.register(Reseller)
class ResellerAdmin(ReinforcedGuardedModelAdminMixin, HistoryAdmin):
    list_display = ["partner_id", "name", "site", "tier", "approval_policy", "status"]
    list_filter = ["status", "site", "tier", "approval_policy"]
    search_fields = ["partner_id", "name"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A reseller without its role groups cannot have members; repeating this is a no-op.
        services.reseller_ensure_role_groups(
            reseller=obj, actor=request.user, reason="reseller saved in the admin"
        )


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ["user", "reseller", "role", "created_at"]
    list_filter = ["role", "reseller"]
    list_select_related = ["user", "reseller"]
    search_fields = ["user__email", "user__username", "reseller__partner_id", "reseller__name"]
    readonly_fields = ["user", "reseller", "role", "created_at"]


@admin.register(ResellerRoleGroup)
class ResellerRoleGroupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["reseller", "role", "group"]
    list_filter = ["role"]
    list_select_related = ["reseller", "group"]
    search_fields = ["reseller__partner_id", "reseller__name", "group__name"]


# The audit pages register themselves; imported here so the admin's autodiscovery finds them.
from accounts import audit_admin  # noqa: E402,F401
