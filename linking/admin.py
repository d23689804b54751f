"""Admin: staff maintain the directory and catalogs; requests, links, consent evidence and the
outbox are read-only for everyone, because only the services may move them."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from accounts.admin import HistoryAdmin, ReadOnlyAdminMixin
from linking import identity
from linking.checks.reasons import Reason, reason
from linking.models import (
    Batch,
    BatchRow,
    ConsentRecord,
    CustomerAccount,
    DirectoryImport,
    Link,
    LinkRequest,
    LinkScopeSnapshot,
    Notification,
    Preset,
    Region,
    RequestItem,
    Service,
)
from linking.provenance import FactSource
from portal.admin_lists import (
    BoundedDateHierarchyMixin,
    BoundedModelMultipleChoiceField,
    SafeToFieldMixin,
)
from portal.identifiers import clean_identifier, visible

# A link's reference as the pages show it (LK-000123), or its bare number; at most nine digits,
# so the id always fits the database's integer.
_LINK_REFERENCE = re.compile(r"(?:LK-?)?0*(\d{1,9})", re.IGNORECASE)


@admin.register(Region)
class RegionAdmin(HistoryAdmin):
    list_display = ["code", "name", "site", "is_active"]
    list_filter = ["site", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Service)
class ServiceAdmin(HistoryAdmin):
    list_display = ["code", "name", "category", "sensitive", "is_active"]
    list_filter = ["sensitive", "is_active", "category"]
    search_fields = ["code", "name", "category"]


class CustomerAccountForm(forms.ModelForm):
    """The id and the name as `linking.identity` reads them: pasted forms accepted, refusals
    with their codes."""

    # Longer than the column: an id pasted grouped or as a UUID is normalised first.
    account_id = forms.CharField(max_length=80, help_text=identity.ACCOUNT_ID_HELP)

    class Meta:
        model = CustomerAccount
        fields = [
            "account_id",
            "account_name",
            "display_name",
            "contact_email",
            "site",
            "regions",
            "status",
            "is_partner",
        ]
        # Outside the admin too (formfield_overrides apply to the admin's forms only): an id
        # no row can have is an invalid choice, not SQLite's OverflowError.
        field_classes = {"regions": BoundedModelMultipleChoiceField}

    def _refused(self, refusal: Reason) -> forms.ValidationError:
        return forms.ValidationError(
            f"{refusal.message} {refusal.hint} ({refusal.code})", code=refusal.code
        )

    def clean_account_id(self) -> str:
        raw = self.cleaned_data.get("account_id", "")
        account_id, code = identity.parse_account_id(raw)
        if code:
            raise self._refused(reason(code, account_id=visible(raw)))
        return account_id

    def clean_account_name(self) -> str:
        raw = self.cleaned_data.get("account_name", "")
        name, code = identity.parse_account_name(raw)
        if code:
            raise self._refused(reason(code, account_name=visible(raw)))
        return name


@admin.register(CustomerAccount)
class CustomerAccountAdmin(HistoryAdmin):
    form = CustomerAccountForm
    list_display = [
        "account_id",
        "account_name",
        "display_name",
        "contact_email",
        "site",
        "status",
        "is_partner",
    ]
    list_filter = ["status", "site", "is_partner"]
    search_fields = ["^account_name", "display_name", "contact_email"]
    search_help_text = (
        "Account name (its start), display name or e-mail; or the start of an account id "
        "(at least 4 characters; case, spaces and dashes ignored)."
    )
    filter_horizontal = ["regions"]
    readonly_fields = [
        "verified_status",
        "status_source",
        "status_confirmed_at",
        "details_source",
        "details_confirmed_at",
        "created_at",
    ]

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        prefix = identity.account_id_prefix(search_term)
        if prefix:
            # The id as people paste it (upper case, grouped): its normal form, by its index.
            found = found | queryset.filter(account_id__startswith=prefix)
        return found, may_have_duplicates

    def save_model(self, request, obj, form, change):
        # What staff type here is staff's fact from now on (linking.provenance).
        now = timezone.now()
        if not change:
            obj.status_source = obj.details_source = FactSource.STAFF
            obj.status_confirmed_at = obj.details_confirmed_at = now
        elif {"account_name", "display_name", "contact_email"} & set(form.changed_data):
            obj.details_source, obj.details_confirmed_at = FactSource.STAFF, now
        # A status change suspends or resumes the customer's links: it goes through the service,
        # never as a plain field save.
        if change and "status" in form.changed_data:
            from linking.services import customer_set_status

            status, obj.status = obj.status, form.initial["status"]
            super().save_model(request, obj, form, change)
            customer_set_status(
                actor=request.user, customer_id=obj.pk, status=status, reason="changed in the admin"
            )
            obj.status = status
            return
        super().save_model(request, obj, form, change)


class RequestItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RequestItem
    fields = readonly_fields = (
        "link_type",
        "services",
        "regions",
        "access_level",
        "duration_days",
        "decision",
    )
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(LinkRequest)
class LinkRequestAdmin(BoundedDateHierarchyMixin, ReadOnlyAdminMixin, HistoryAdmin):
    list_display = [
        "reference",
        "reseller",
        "customer",
        "status",
        "initiator",
        "approver",
        "ticket_reference",
        "created_at",
    ]
    list_filter = ["status", "reseller"]
    list_select_related = ["reseller", "customer", "initiator", "approver"]
    search_fields = [
        "ticket_reference",
        "customer__account_id",
        "customer__account_name",
        "customer__display_name",
        "reseller__partner_id",
        "reseller__name",
        "initiator__email",
    ]
    date_hierarchy = "created_at"
    exclude = ["consent_token_hash"]
    inlines = [RequestItemInline]


@admin.register(RequestItem)
class RequestItemAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ["__str__", "reseller", "customer", "link_type", "decision", "is_open"]
    list_filter = ["link_type", "decision", "is_open"]
    list_select_related = ["request", "reseller", "customer"]
    search_fields = [
        "customer__account_id",
        "customer__account_name",
        "reseller__partner_id",
        "request__ticket_reference",
    ]


@admin.register(Link)
class LinkAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = [
        "reference",
        "reseller",
        "customer",
        "link_type",
        "status",
        "cleanup_status",
        "access_level",
        "over_privileged",
        "ends_at",
    ]
    # Auditors find the links whose cloud side grants more than consented (drift), and the
    # ended links whose cloud side is still reachable (clean-up).
    list_filter = ["status", "over_privileged", "cleanup_status", "link_type", "reseller"]
    list_select_related = ["reseller", "customer"]
    search_fields = [
        "customer__account_id",
        "customer__account_name",
        "customer__display_name",
        "reseller__partner_id",
        "source_item__request__ticket_reference",
    ]
    actions = ["resume_links"]

    def has_resume_permission(self, request) -> bool:
        return request.user.has_perm("linking.change_customeraccount")

    @admin.action(
        description="Resume the selected suspended links (their partner program is active)",
        permissions=["resume"],
    )
    def resume_links(self, request, queryset):
        # Rows stay read-only: resuming goes through the service, which refuses a link whose
        # reseller or customer account is still not active.
        from linking.services import link_resume
        from portal.errors import PortalError

        resumed = 0
        for link_id in queryset.filter(status=Link.Status.SUSPENDED).values_list("pk", flat=True):
            try:
                link_resume(actor=request.user, link_id=link_id, reason="resumed in the admin")
            except PortalError as error:
                self.message_user(
                    request, f"LK-{link_id:06d}: {error.as_text()}", level=messages.WARNING
                )
            else:
                resumed += 1
        self.message_user(request, f"{resumed} link(s) resumed.")


@admin.register(ConsentRecord)
class ConsentRecordAdmin(
    SafeToFieldMixin, BoundedDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    list_display = [
        "receipt_reference",
        "request",
        "link_type",
        "decision",
        "contact_email",
        "created_at",
    ]
    list_filter = ["decision", "link_type"]
    list_select_related = ["request", "item"]
    search_fields = ["receipt_reference", "contact_email", "request__ticket_reference"]
    date_hierarchy = "created_at"


@admin.register(LinkScopeSnapshot)
class LinkScopeSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What each live link reached when last read (linking.services.scope); workers write it."""

    list_display = ["link", "service", "region", "count", "error_code", "drift", "read_at"]
    list_filter = ["service", "drift"]
    list_select_related = ["link"]
    # A link's reference (LK-000123) is its id, not a column: found by get_search_results.
    search_fields = ["=region", "=error_code"]
    search_help_text = "A link's reference (LK-000123), a region or an error code."

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = _LINK_REFERENCE.fullmatch(clean_identifier(search_term))
        if match:
            found = found | queryset.filter(link_id=int(match[1]))
        return found, may_have_duplicates


@admin.register(Notification)
class NotificationAdmin(BoundedDateHierarchyMixin, ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ["kind", "to_email", "status", "attempts", "request", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["request", "link"]
    # A request id from a log line finds the e-mails that request wrote.
    search_fields = ["to_email", "subject", "request__ticket_reference", "=correlation_id"]
    date_hierarchy = "created_at"


@admin.register(Batch)
class BatchAdmin(BoundedDateHierarchyMixin, ReadOnlyAdminMixin, HistoryAdmin):
    list_display = [
        "reference",
        "reseller",
        "file_name",
        "status",
        "total_rows",
        "created_count",
        "failed_count",
        "uploaded_by",
        "created_at",
    ]
    list_filter = ["status", "reseller"]
    list_select_related = ["reseller", "uploaded_by"]
    search_fields = ["file_name", "sha256", "reseller__partner_id", "uploaded_by__email"]
    date_hierarchy = "created_at"


@admin.register(BatchRow)
class BatchRowAdmin(SafeToFieldMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "key", "account_id", "outcome", "request", "codes"]
    list_filter = ["outcome"]
    list_select_related = ["batch"]
    search_fields = ["key", "account_id"]
    raw_id_fields = ["batch", "request"]


@admin.register(DirectoryImport)
class DirectoryImportAdmin(BoundedDateHierarchyMixin, ReadOnlyAdminMixin, HistoryAdmin):
    list_display = [
        "reference",
        "file_name",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "uploaded_by",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]
    date_hierarchy = "created_at"


@admin.register(Preset)
class PresetAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Read-only: the reseller's admins manage presets on the portal's pages."""

    list_display = ["name", "reseller", "created_by", "updated_at"]
    list_filter = ["reseller"]
    list_select_related = ["reseller", "created_by"]
    search_fields = ["name", "description", "reseller__partner_id", "reseller__name"]


# The cloud connections and the webhooks register their admins in their own modules.
import linking.cloud.admin  # noqa: E402
import linking.webhooks.admin  # noqa: E402,F401
