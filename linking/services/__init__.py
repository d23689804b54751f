"""Every write of the linking journey. The only place that moves a status.

Each service locks its row, checks permission and transition, changes fields, records the actor
and reason for the history, writes outbox rows and schedules work after commit.
"""

from linking.services._common import TOKEN_SALT, ChecksFailed
from linking.services.amend import link_amend_start, link_renew_start
from linking.services.batch import (
    batch_confirm,
    batch_retry_failed,
    batch_run,
    batch_upload,
)
from linking.services.consent import (
    consent_decide,
    consent_issue_token,
    consent_resolve,
    item_needs_confirmation,
)
from linking.services.expiry import (
    link_expire,
    link_expire_due,
    link_expiry_remind,
    link_expiry_remind_due,
)
from linking.services.links import link_activate, link_grants, link_sync_grants
from linking.services.presets import (
    link_request_apply_preset,
    preset_check,
    preset_create,
    preset_delete,
    preset_item_values,
    preset_resolve,
    preset_specs,
    preset_update,
)
from linking.services.refusals import refusal_record
from linking.services.reminders import (
    link_request_ids_due_approver_reminder,
    link_request_ids_due_customer_reminder,
    link_request_remind_approvers,
    link_request_remind_customer,
    link_request_resend,
)
from linking.services.requests import (
    approval_gap,
    link_request_approve,
    link_request_cancel,
    link_request_create_draft,
    link_request_create_submitted,
    link_request_dry_run,
    link_request_expire,
    link_request_reject,
    link_request_set_customer,
    link_request_set_details,
    link_request_set_scope,
    link_request_set_types,
    link_request_submit,
)
from linking.services.revocation import (
    billing_month_end,
    customer_set_status,
    link_end_effects,
    link_issue_withdrawal_token,
    link_issue_withdrawal_tokens,
    link_revoke,
    link_withdraw,
    link_withdrawal_resolve,
)
from linking.services.sweeps import link_request_expire_overdue
from linking.services.verification import (
    link_checklist,
    link_verify,
    link_verify_retry_in,
    verify_attempts,
    verify_retry_delay,
)

__all__ = [
    "TOKEN_SALT",
    "ChecksFailed",
    "batch_confirm",
    "batch_retry_failed",
    "batch_run",
    "batch_upload",
    "consent_decide",
    "consent_issue_token",
    "consent_resolve",
    "item_needs_confirmation",
    "link_activate",
    "link_amend_start",
    "link_expire",
    "link_expire_due",
    "link_expiry_remind",
    "link_expiry_remind_due",
    "link_renew_start",
    "link_grants",
    "link_sync_grants",
    "approval_gap",
    "link_request_approve",
    "refusal_record",
    "link_request_cancel",
    "link_request_create_draft",
    "link_request_create_submitted",
    "link_request_dry_run",
    "link_request_expire",
    "link_request_expire_overdue",
    "link_request_ids_due_approver_reminder",
    "link_request_ids_due_customer_reminder",
    "link_request_reject",
    "link_request_remind_approvers",
    "link_request_remind_customer",
    "link_request_resend",
    "link_request_set_customer",
    "link_request_set_details",
    "link_request_set_scope",
    "link_request_set_types",
    "link_request_submit",
    "link_checklist",
    "link_verify",
    "link_verify_retry_in",
    "verify_attempts",
    "verify_retry_delay",
    "billing_month_end",
    "customer_set_status",
    "link_end_effects",
    "link_issue_withdrawal_token",
    "link_issue_withdrawal_tokens",
    "link_revoke",
    "link_withdraw",
    "link_withdrawal_resolve",
    "link_request_apply_preset",
    "preset_check",
    "preset_create",
    "preset_delete",
    "preset_item_values",
    "preset_resolve",
    "preset_specs",
    "preset_update",
]
