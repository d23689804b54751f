"""The reseller's policies: the customer's time to decide, approval, step-up for sensitive
scopes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accounts.models import LinkType, Reseller
from linking.checks.catalog import sensitive_services
from linking.checks.reasons import ItemSpec, Reason, reason
from linking.models import (
    AccessLevel,
)

if TYPE_CHECKING:
    from linking.models import Link, LinkRequest

MAX_CONSENT_DAYS = 30


# --- the reseller's settings, as a request keeps them ----------------------------------------
# The one place the services read the reseller's governance settings (accounts.governance says
# what they are and their ranges). A request copies them when it is started, so a change on the
# Settings page applies to new requests only; a request older than the copy reads the reseller's.


def request_settings_snapshot(reseller: Reseller) -> dict[str, Any]:
    """The fields a new request copies from its reseller's settings."""
    return {
        "consent_days": reseller.consent_days,
        "approval_days": reseller.approval_days,
        "consent_reminders": reseller.consent_reminders,
        "approval_reminder_hours": reseller.approval_reminder_hours,
        "setup_window_days": reseller.setup_window_days,
    }


def request_approval_days(req: LinkRequest) -> int:
    """Days the request may wait for approval."""
    return req.approval_days if req.approval_days is not None else req.reseller.approval_days


def request_consent_reminders(req: LinkRequest) -> str:
    """When the customer is reminded (a schedule of portal.schedules)."""
    if req.consent_reminders is not None:
        return req.consent_reminders
    return req.reseller.consent_reminders


def request_approval_reminder_hours(req: LinkRequest) -> int:
    """Hours the request waits for approval before the approvers are reminded."""
    if req.approval_reminder_hours is not None:
        return req.approval_reminder_hours
    return req.reseller.approval_reminder_hours


def link_setup_window_days(link: Link) -> int:
    """Days the customer has for the cloud-side setup of the link: as the request that created
    or last changed it kept them, else the reseller's."""
    item = link.source_item
    days = item.request.setup_window_days if item is not None else None
    return days if days is not None else link.reseller.setup_window_days


def default_delegation_days(reseller: Reseller) -> int:
    """The duration a new delegation item starts with."""
    return reseller.delegation_days


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
