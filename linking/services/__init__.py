"""Every write of the linking journey. The only place that moves a status.

Each service locks its row, checks permission and transition, changes fields, records the actor
and reason for the history, writes outbox rows and schedules work after commit.

Only the writes are exported here. Predicates (`can_*`) and helpers (dry runs, token
resolution, schedules) are imported from the module that defines them, beside their service.
The writes of batch linking and of consent live in `linking.batches.services` and
`linking.consent.services`; they stay reachable here (`services.batch_run`), loaded on first
use because those modules import the helpers of this package.
"""

from importlib import import_module

from linking.services.amend import link_amend_start, link_renew_start
from linking.services.decisions import (
    link_request_approve,
    link_request_cancel,
    link_request_expire,
    link_request_reject,
)
from linking.services.drift import link_reopen_setup
from linking.services.expiry import (
    link_expire,
    link_expire_due,
    link_expiry_remind,
    link_expiry_remind_due,
)
from linking.services.links import link_activate, link_sync_grants
from linking.services.presets import (
    link_request_apply_preset,
    preset_create,
    preset_delete,
    preset_update,
)
from linking.services.refusals import refusal_record
from linking.services.reminders import (
    link_request_remind_approvers,
    link_request_remind_customer,
    link_request_resend,
)
from linking.services.requests import (
    link_request_create_draft,
    link_request_create_submitted,
    link_request_set_customer,
    link_request_set_details,
    link_request_set_scope,
    link_request_set_types,
    link_request_submit,
)
from linking.services.revocation import (
    link_issue_withdrawal_token,
    link_issue_withdrawal_tokens,
    link_revoke,
    link_withdraw,
)
from linking.services.suspension import customer_set_status, link_resume, reseller_set_status
from linking.services.sweeps import link_request_expire_overdue
from linking.services.verification import link_verify

_ELSEWHERE = {
    "batch_confirm": "linking.batches.services",
    "batch_retry_failed": "linking.batches.services",
    "batch_run": "linking.batches.services",
    "batch_upload": "linking.batches.services",
    "consent_decide": "linking.consent.services",
    "consent_issue_token": "linking.consent.services",
}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "batch_confirm",
    "batch_retry_failed",
    "batch_run",
    "batch_upload",
    "consent_decide",
    "consent_issue_token",
    "customer_set_status",
    "link_activate",
    "link_amend_start",
    "link_checklist",
    "link_end_effects",
    "link_expire",
    "link_expire_due",
    "link_expiry_remind",
    "link_expiry_remind_due",
    "link_issue_withdrawal_token",
    "link_issue_withdrawal_tokens",
    "link_renew_start",
    "link_reopen_setup",
    "link_request_apply_preset",
    "link_request_approve",
    "link_request_cancel",
    "link_request_create_draft",
    "link_request_create_submitted",
    "link_request_expire",
    "link_request_expire_overdue",
    "link_request_reject",
    "link_request_remind_approvers",
    "link_request_remind_customer",
    "link_request_resend",
    "link_request_set_customer",
    "link_request_set_details",
    "link_request_set_scope",
    "link_request_set_types",
    "link_request_submit",
    "link_resume",
    "link_revoke",
    "link_sync_grants",
    "link_verify",
    "link_withdraw",
    "preset_create",
    "preset_delete",
    "preset_update",
    "refusal_record",
    "reseller_set_status",
]
