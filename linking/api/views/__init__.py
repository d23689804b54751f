"""The endpoints of `/api/v1/`: one operation each, through the pages' selectors, `access_*`
functions and services, one module per concern. The key's role is checked before the object is
looked up (a missing role is a 403 even for another reseller's object, as on the pages);
another reseller's object is a 404.

Step-up: a page asks for the password again before approving a sensitive scope. A key cannot
type a password; approving is open only to keys with the approver role, and making such a key
needs the admin's password (the key page is behind the step-up), so a key that approves is
itself the fresh proof. See docs/api.md.
"""

from linking.api.views.batches import (
    batch_collection,
    batch_confirm,
    batch_detail,
    batch_row_list,
    preset_list,
)
from linking.api.views.catalogue import code_list, customer_detail, customer_list, team_list
from linking.api.views.links import link_amend, link_detail, link_list, link_renew, link_revoke
from linking.api.views.requests import (
    approval_queue,
    request_apply_preset,
    request_approve,
    request_cancel,
    request_collection,
    request_detail,
    request_dry_run,
    request_reject,
    request_resend,
    request_submit,
)

__all__ = [
    "approval_queue",
    "batch_collection",
    "batch_confirm",
    "batch_detail",
    "batch_row_list",
    "code_list",
    "customer_detail",
    "customer_list",
    "link_amend",
    "link_detail",
    "link_list",
    "link_renew",
    "link_revoke",
    "preset_list",
    "request_apply_preset",
    "request_approve",
    "request_cancel",
    "request_collection",
    "request_detail",
    "request_dry_run",
    "request_reject",
    "request_resend",
    "request_submit",
    "team_list",
]
