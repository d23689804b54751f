"""Admin for platform staff (full) and auditors (view only, through model permissions).

Roles and teams are read-only here: a role is a membership, changed only through
accounts.services from the member pages (with its role group and an audit event), and a team's
members change only through accounts.teams from the team's page (step-up, audit event). So
memberships are view-only, a user's reseller role groups and team groups cannot be chosen in
the user admin, and guardian's object permission pages show what is held but save nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from guardian.admin import ReinforcedGuardedModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from accounts import services
from accounts.audit_trail import HistoryChangesDisplay
from accounts.models import ApiKey, Membership, Reseller, ResellerRoleGroup, User
from portal.admin_lists import BoundedModelMultipleChoiceField, SafeToFieldMixin

if TYPE_CHECKING:
    from django.template.response import _TemplateForResponseT


class HistoryAdmin(SafeToFieldMixin, SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose historical-version page can never write.

    simple-history still saves a POST to the version page even with
    SIMPLE_HISTORY_REVERT_DISABLED (it only hides the button), and for a view-only user that
    save writes the old values back to the live row. History is read-only here, for everyone.
    """

    # As ModelAdmin declares it, which the type checker cannot see through SimpleHistoryAdmin.
    object_history_template: ClassVar[_TemplateForResponseT | None] = (
        "admin/history/object_history.html"
    )
    object_history_list_template = "admin/history/object_history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return HistoryChangesDisplay(self.model, historical_record)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdminMixin:
    """Visible to anyone with the view permission; nobody adds, changes or deletes here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyObjectPermissionsMixin(ReinforcedGuardedModelAdminMixin):
    """guardian's object permission pages, for reading: every POST is refused. A role's
    permissions come from the membership, and a link's grants from the link's services, each
    with its audit event; a grant made here would bypass both."""

    def obj_perms_manage_view(self, request, object_pk):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().obj_perms_manage_view(request, object_pk)

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().obj_perms_manage_group_view(request, object_pk, group_id)


# The guardian groups the member and team services keep in step with their rows: a reseller's
# role groups (memberships) and its teams' groups (team members). Joined here, a user would hold
# what live links grant on customer accounts without a membership, a step-up or an audit event.
MANAGED_GROUPS = Q(reseller_role__isnull=False) | Q(team__isnull=False)


class PortalUserChangeForm(UserChangeForm):
    """The user admin's groups offer the platform's own groups (auditors) only: a reseller's
    role and team groups follow the memberships and team members and are kept as they are on
    every save."""

    groups = BoundedModelMultipleChoiceField(
        queryset=Group.objects.exclude(MANAGED_GROUPS),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple("groups", is_stacked=False),
        help_text="Platform groups (auditors). A reseller role is given on the reseller's "
        "members page, a team on the team's page.",
    )

    # Declared, so that the form refuses an impossible id on its own as well as in the admin.
    user_permissions = BoundedModelMultipleChoiceField(
        queryset=Permission.objects.select_related("content_type"),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple("user permissions", is_stacked=False),
        help_text="Specific permissions for this user.",
    )

    def clean_groups(self):
        kept = []
        if self.instance.pk:
            kept = list(self.instance.groups.filter(MANAGED_GROUPS))
        return [*self.cleaned_data["groups"], *kept]


@admin.register(User)
class UserAdmin(HistoryAdmin, DjangoUserAdmin):
    form = PortalUserChangeForm
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
    fields = readonly_fields = ("user", "role", "created_at")
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "reseller")


@admin.register(Reseller)
class ResellerAdmin(ReadOnlyObjectPermissionsMixin, HistoryAdmin):
    list_display = ["partner_id", "name", "site", "tier", "approval_policy", "status"]
    list_filter = ["status", "site", "tier", "approval_policy"]
    search_fields = ["partner_id", "name"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            # Suspending or closing a reseller suspends its links: through the service, never
            # as a plain field save.
            from linking.services import reseller_set_status

            status, obj.status = obj.status, form.initial["status"]
            super().save_model(request, obj, form, change)
            reseller_set_status(
                actor=request.user, reseller_id=obj.pk, status=status, reason="changed in the admin"
            )
            obj.status = status
        else:
            super().save_model(request, obj, form, change)
        # A reseller without its role groups cannot have members; repeating this is a no-op.
        services.reseller_ensure_role_groups(reseller=obj)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ["user", "reseller", "role", "created_at"]
    list_filter = ["role", "reseller"]
    list_select_related = ["user", "reseller"]
    search_fields = ["user__email", "user__username", "reseller__partner_id", "reseller__name"]
    readonly_fields = ["user", "reseller", "role", "created_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Read-only: admins of the reseller make and revoke keys on its API keys page (step-up,
    audit event). The hash of the secret is never shown."""

    list_display = ["prefix", "name", "reseller", "role", "created_by", "revoked_at"]
    list_filter = ["role", "reseller"]
    list_select_related = ["reseller", "created_by"]
    search_fields = ["prefix", "name", "reseller__partner_id", "reseller__name"]
    exclude = ["hashed_key"]
    readonly_fields = [
        "reseller",
        "name",
        "prefix",
        "role",
        "expires_at",
        "allowed_networks",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]


admin.site.unregister(Group)


def _otp_models() -> list:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import (
        WebAuthnAttestation,
        WebAuthnCredential,
        WebAuthnUserHandle,
    )

    return [TOTPDevice, StaticDevice, WebAuthnCredential, WebAuthnAttestation, WebAuthnUserHandle]


@admin.register(Group)
class GroupAdmin(SafeToFieldMixin, DjangoGroupAdmin):
    """Platform groups (auditors) as Django has them; a reseller's role or team group is
    read-only: renaming it, giving it model permissions or deleting it would change a role's or
    a team's access outside the member and team services."""

    def _is_managed_group(self, obj) -> bool:
        return obj is not None and Group.objects.filter(MANAGED_GROUPS, pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return not self._is_managed_group(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._is_managed_group(obj) and super().has_delete_permission(request, obj)


@admin.register(ResellerRoleGroup)
class ResellerRoleGroupAdmin(SafeToFieldMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["reseller", "role", "group"]
    list_filter = ["role"]
    list_select_related = ["reseller", "group"]
    search_fields = ["reseller__partner_id", "reseller__name", "group__name"]


# The audit pages register themselves; imported here so the admin's autodiscovery finds them.
from accounts import audit_admin  # noqa: E402,F401

# Second factors are not shown in the admin: an authenticator app's key and a recovery code are
# secrets, and a person's factors change only through their own page or an admin's reset
# (accounts.mfa), which end the sessions and are audited. Staff reset with `mfa_reset`.
for _otp_model in _otp_models():
    if admin.site.is_registered(_otp_model):
        admin.site.unregister(_otp_model)
