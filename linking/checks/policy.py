"""The reseller's policies: the customer's time to decide, approval, step-up for sensitive
scopes."""

from __future__ import annotations

from accounts.models import LinkType, Reseller
from linking.checks.catalog import sensitive_services
from linking.checks.reasons import ItemSpec, Reason, reason
from linking.models import (
    AccessLevel,
)

MAX_CONSENT_DAYS = 30


def check_consent_days(consent_days: int | None) -> list[Reason]:
    """The customer's time to decide: 1 to 30 days (None: not given, nothing to check)."""
    if consent_days is not None and not 1 <= consent_days <= MAX_CONSENT_DAYS:
        return [reason("LNK-V022", days=consent_days, max_days=MAX_CONSENT_DAYS)]
    return []


def needs_approval(*, reseller: Reseller, items: list[ItemSpec]) -> bool:
    """The reseller's policy: does this scope need a second person before the customer sees it?"""
    policy = reseller.approval_policy
    if policy == Reseller.ApprovalPolicy.ALWAYS:
        return True
    if policy == Reseller.ApprovalPolicy.NEVER:
        return False
    sensitive = sensitive_services()
    for spec in items:
        if spec.link_type != LinkType.DELEGATION:
            return True
        if spec.access_level != AccessLevel.READ_ONLY or set(spec.services) & sensitive:
            return True
    return False


def needs_step_up(*, items: list[ItemSpec]) -> bool:
    """Approving this scope asks the approver's password again: manage delegation, or any
    sensitive service, grants enough that a left-open session must not approve it."""
    sensitive = sensitive_services()
    return any(
        (spec.link_type == LinkType.DELEGATION and spec.access_level == AccessLevel.MANAGE)
        or set(spec.services or []) & sensitive
        for spec in items
    )
