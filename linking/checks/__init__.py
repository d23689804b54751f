"""The eligibility rules. Each returns zero or more reasons; the dry run collects all of them.

One module per concern: `reasons` (what a rule returns, the item it judges), `accounts` (who
asks, the customer account), `catalog`, `items` (each item's rules and the dry run of one
request), `bulk` (the dry run of a batch file), `policy` (consent days, approval, step-up).
The names tests and tools use are re-exported here.
"""

from linking.checks.accounts import (
    check_actor,
    check_customer,
    check_reseller,
    find_customer,
    parse_account_id,
)
from linking.checks.bulk import DryRunRow, dry_run_many
from linking.checks.catalog import Catalog, remembered_catalog, sensitive_services
from linking.checks.items import check_customer_for, check_items, dry_run, item_reasons
from linking.checks.policy import (
    MAX_CONSENT_DAYS,
    check_consent_days,
    needs_approval,
    needs_step_up,
)
from linking.checks.reasons import (
    MAX_DELEGATION_DAYS,
    MIN_DELEGATION_DAYS,
    ItemSpec,
    Reason,
    reason,
)

__all__ = [
    "MAX_CONSENT_DAYS",
    "MAX_DELEGATION_DAYS",
    "MIN_DELEGATION_DAYS",
    "Catalog",
    "DryRunRow",
    "ItemSpec",
    "Reason",
    "check_actor",
    "check_consent_days",
    "check_customer",
    "check_customer_for",
    "check_items",
    "check_reseller",
    "dry_run",
    "dry_run_many",
    "find_customer",
    "item_reasons",
    "needs_approval",
    "needs_step_up",
    "parse_account_id",
    "reason",
    "remembered_catalog",
    "sensitive_services",
]
