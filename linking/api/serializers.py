"""What the API reads and writes. Serializers validate and render only; the views call the
services. Every time is ISO 8601 in UTC (`2026-12-07T00:14:12Z`)."""

from __future__ import annotations

import datetime as dt

from rest_framework import serializers

from accounts.models import LinkType
from linking.checks.reasons import MAX_DELEGATION_DAYS, MIN_DELEGATION_DAYS
from linking.models import AccessLevel, LinkRequest

UTC = dt.UTC


class UTCDateTimeField(serializers.DateTimeField):
    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


# --- errors (for the schema; linking.api.errors builds them) -------------------------------


class ErrorEntrySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A code of the catalogue, e.g. LNK-V003.")
    stage = serializers.CharField()
    message = serializers.CharField()
    hint = serializers.CharField(help_text="What to do about it.")
    item = serializers.CharField(required=False, help_text="The link type it is about, if any.")
    field = serializers.CharField(required=False, help_text="The invalid field, if any.")


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    stage = serializers.CharField()
    message = serializers.CharField()
    hint = serializers.CharField()
    errors = ErrorEntrySerializer(many=True)


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    stage = serializers.CharField()
    title = serializers.CharField()
    message = serializers.CharField(source="message_template")
    hint = serializers.CharField(source="hint_template")


# --- customers ------------------------------------------------------------------------------


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account_id = serializers.CharField()
    account_name = serializers.CharField()
    display_name = serializers.CharField()
    site = serializers.CharField()
    status = serializers.CharField()
    is_partner = serializers.BooleanField()
    live_links = serializers.IntegerField(required=False)
    all_links = serializers.IntegerField(required=False)


# --- links ----------------------------------------------------------------------------------


class TeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    link_type = serializers.CharField()
    status = serializers.CharField(source="effective_status", help_text="As of now.")
    verification_status = serializers.CharField()
    customer_id = serializers.IntegerField()
    customer_account_id = serializers.CharField(source="customer.account_id")
    customer_name = serializers.CharField(source="customer.display_name")
    services = serializers.ListField(child=serializers.CharField())
    regions = serializers.ListField(child=serializers.CharField())
    access_level = serializers.CharField()
    starts_at = UTCDateTimeField(allow_null=True)
    ends_at = UTCDateTimeField(allow_null=True)
    created_at = UTCDateTimeField()
    teams = TeamSerializer(
        many=True,
        source="teams.all",
        help_text="Who acts on the customer through the link; empty: the operators.",
    )


class VerificationRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    trigger = serializers.CharField()
    attempt = serializers.IntegerField()
    outcome = serializers.CharField()
    checks = serializers.JSONField(help_text="Each check with its result and evidence.")
    partner_domain_id = serializers.CharField()
    cloud_calls = serializers.IntegerField()
    started_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(allow_null=True)


class LinkDetailSerializer(LinkSerializer):
    status_reason = serializers.CharField()
    waiting_on = serializers.CharField()
    setup_deadline = UTCDateTimeField(allow_null=True)
    verified_at = UTCDateTimeField(allow_null=True)
    revoked_at = UTCDateTimeField(allow_null=True)
    verification_runs = VerificationRunSerializer(many=True, source="verification_runs_list")


# --- presets and batches -------------------------------------------------------------------


class PresetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    items = serializers.JSONField(help_text="Link types with their scope.")
    consent_days = serializers.IntegerField(allow_null=True)
    updated_at = UTCDateTimeField()


class ApplyPresetSerializer(serializers.Serializer):
    preset_id = serializers.IntegerField(min_value=1, max_value=2**62)


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    file_name = serializers.CharField()
    status = serializers.CharField()
    warnings = serializers.JSONField()
    total_rows = serializers.IntegerField()
    valid_rows = serializers.IntegerField()
    invalid_rows = serializers.IntegerField()
    existing_rows = serializers.IntegerField()
    to_run = serializers.IntegerField(help_text="Rows queued in the current run.")
    processed = serializers.IntegerField(help_text="Rows of the current run done.")
    percent = serializers.IntegerField(help_text="Progress of the current run.")
    created_count = serializers.IntegerField()
    failed_count = serializers.IntegerField()
    created_at = UTCDateTimeField()
    confirmed_at = UTCDateTimeField(allow_null=True)
    finished_at = UTCDateTimeField(allow_null=True)


class BatchRowSerializer(serializers.Serializer):
    row_number = serializers.IntegerField()
    key = serializers.CharField()
    account_id = serializers.CharField()
    outcome = serializers.CharField()
    request_id = serializers.IntegerField(allow_null=True)
    errors = ErrorEntrySerializer(many=True, source="reasons", help_text="Every reason of the row.")


class BatchUploadSerializer(serializers.Serializer):
    file_name = serializers.CharField(max_length=200, default="batch.csv")
    csv = serializers.CharField(
        max_length=10 * 1024 * 1024,
        trim_whitespace=False,
        help_text="The file's text: the batch page's CSV columns (its template shows them).",
    )


# --- requests -------------------------------------------------------------------------------


class RequestRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField(source="effective_status", help_text="As of now.")
    waiting_on = serializers.CharField()
    link_types = serializers.SerializerMethodField()
    customer_account_id = serializers.CharField(
        source="customer.account_id", default=None, allow_null=True
    )
    customer_name = serializers.CharField(
        source="customer.display_name", default=None, allow_null=True
    )
    initiator = serializers.EmailField(source="initiator.email")
    ticket_reference = serializers.CharField()
    status_changed_at = UTCDateTimeField()
    created_at = UTCDateTimeField()

    def get_link_types(self, req: LinkRequest) -> list[str]:
        codes = getattr(req, "link_type_codes", None)
        if codes is not None:
            return [c for c in codes.split(",") if c]
        return [item.link_type for item in req.items.all()]


class ItemSerializer(serializers.Serializer):
    link_type = serializers.ChoiceField(choices=LinkType.choices)
    services = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=100
    )
    regions = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=100
    )
    access_level = serializers.ChoiceField(
        choices=AccessLevel.choices, required=False, default=AccessLevel.READ_ONLY
    )
    duration_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=90,
        min_value=MIN_DELEGATION_DAYS,
        max_value=MAX_DELEGATION_DAYS,
    )


class ItemOutSerializer(serializers.Serializer):
    link_type = serializers.CharField()
    services = serializers.ListField(child=serializers.CharField())
    regions = serializers.ListField(child=serializers.CharField())
    access_level = serializers.CharField()
    duration_days = serializers.IntegerField(allow_null=True)
    decision = serializers.CharField()


class RequestDetailSerializer(RequestRowSerializer):
    purpose = serializers.CharField()
    amends_link_id = serializers.IntegerField(allow_null=True)
    account_id = serializers.CharField(source="account_id_input")
    approver = serializers.EmailField(source="approver.email", default=None, allow_null=True)
    decision_reason = serializers.CharField()
    note_to_customer = serializers.CharField()
    consent_days = serializers.IntegerField()
    consent_email = serializers.CharField()
    consent_deadline = UTCDateTimeField(allow_null=True)
    approval_deadline = UTCDateTimeField(allow_null=True)
    submitted_at = UTCDateTimeField(allow_null=True)
    failure_code = serializers.CharField()
    items = ItemOutSerializer(many=True, source="items.all")
    teams = TeamSerializer(
        many=True,
        source="teams.all",
        help_text="The teams the delegation and provisioning links go to; empty: the operators.",
    )


class RequestCreateSerializer(serializers.Serializer):
    account_id = serializers.CharField(max_length=100)
    items = ItemSerializer(many=True, min_length=1, max_length=3)
    ticket_reference = serializers.CharField(
        max_length=80, required=False, default="", allow_blank=True
    )
    note_to_customer = serializers.CharField(
        max_length=2000, required=False, default="", allow_blank=True
    )
    consent_days = serializers.IntegerField(required=False, default=None, allow_null=True)
    teams = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=50,
        help_text="Ids of the reseller's teams (GET /teams/) the delegation and provisioning "
        "links go to; empty or absent: the operators.",
    )


class DryRunSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="True when nothing blocks the submit.")
    errors = ErrorEntrySerializer(many=True, help_text="Every blocking reason, with its code.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class AmendSerializer(serializers.Serializer):
    items = ItemSerializer(
        many=True,
        required=False,
        max_length=1,
        help_text="The new scope (the link's type); without it, the draft keeps the link's.",
    )
    teams = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=50,
        help_text="Ids of the reseller's teams (GET /teams/) the delegation and provisioning "
        "links go to; empty: the operators; absent: the link's teams.",
    )


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why; told to the customer.")
    confirm_reference = serializers.CharField(
        max_length=20, help_text="The link's reference (LK-…), as the page asks to type it."
    )


class ResendSerializer(serializers.Serializer):
    contact_email = serializers.EmailField(required=False, default="", allow_blank=True)
    extend_days = serializers.IntegerField(
        required=False, default=None, allow_null=True, min_value=1, max_value=30
    )


_PAGED: dict[str, type[serializers.Serializer]] = {}


def paged(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The page of a list endpoint (for the schema): rows and the links to go on."""
    name = "Paged" + item.__name__.removesuffix("Serializer")
    if name not in _PAGED:
        _PAGED[name] = type(
            f"{name}Serializer",
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(help_text="Counted up to 1,000."),
                "count_capped": serializers.BooleanField(help_text="More rows than counted."),
                "next": serializers.CharField(allow_null=True, help_text="The next page."),
                "previous": serializers.CharField(allow_null=True),
                "results": item(many=True),
            },
        )
    return _PAGED[name]
