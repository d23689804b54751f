"""Links: created or amended by an accepted item, activated by applying their grants."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import LinkType, ResellerRoleGroup, Role
from linking.models import (
    AccessLevel,
    CustomerAccount,
    Link,
    LinkRequest,
    Notification,
    RequestItem,
)
from linking.services._common import _notify, _on_commit, _save

logger = logging.getLogger(__name__)


# Which customer-account permissions each link gives the reseller's role groups.
_VIEW_ROLES = [Role.ADMIN, Role.INITIATOR, Role.APPROVER, Role.VIEWER]
_OPERATE_ROLES = [Role.ADMIN, Role.INITIATOR]


def link_grants(link: Link) -> list[str]:
    grants = {
        LinkType.BILLING: ["bill_customeraccount"],
        LinkType.PROVISIONING: ["provision_customeraccount"],
        LinkType.DELEGATION: ["delegate_read_customeraccount"],
    }[link.link_type]
    if link.link_type == LinkType.DELEGATION and link.access_level == AccessLevel.MANAGE:
        grants = [*grants, "delegate_manage_customeraccount"]
    return grants


@transaction.atomic
def link_activate(*, link_id: int) -> Link | None:
    """Apply a link's grants and make it active. The activation task calls it; idempotent."""
    link = (
        Link.objects.select_for_update(of=("self",))
        .select_related("reseller", "customer", "source_item__request__initiator")
        .filter(pk=link_id)
        .first()
    )
    if link is None or link.status != Link.Status.ACTIVATING:
        return None
    customer = CustomerAccount.objects.get(pk=link.customer_id)
    if customer.status != CustomerAccount.Status.ACTIVE:
        link.status_reason = f"LNK-P001: account is {customer.get_status_display().lower()}"
        if link.source_item:
            req = link.source_item.request
            req.failure_stage, req.failure_code = "activation", "LNK-P001"
            _save(
                req,
                actor=None,
                reason="activation waits: account not active",
                fields=["failure_stage", "failure_code"],
            )
        _save(
            link,
            actor=None,
            reason="activation waits: account not active",
            fields=["status_reason"],
        )
        return link
    groups = {
        rg.role: rg.group
        for rg in ResellerRoleGroup.objects.filter(reseller_id=link.reseller_id).select_related(
            "group"
        )
    }
    for role in _VIEW_ROLES:
        assign_perm("linking.view_customeraccount", groups[role], customer)
    for perm in link_grants(link):
        for role in _OPERATE_ROLES:
            assign_perm(f"linking.{perm}", groups[role], customer)
    link.status = Link.Status.ACTIVE
    link.activated_at = timezone.now()
    link.status_reason = ""
    _save(
        link,
        actor=None,
        reason="activated: grants applied",
        fields=["status", "activated_at", "status_reason"],
    )
    if link.source_item:
        req = link.source_item.request
        _notify(Notification.Kind.LINK_ACTIVE, req.initiator.email, request=req, link=link)
    return link


def _link_upsert_from_item(req: LinkRequest, item: RequestItem) -> Link:
    """Create the link of an accepted item, or amend the one that exists for the same triple."""
    from linking.tasks import link_activate_task

    now = timezone.now()
    link = (
        Link.objects.select_for_update(of=("self",))
        .filter(reseller=req.reseller, customer=req.customer, link_type=item.link_type)
        .first()
    )
    reason = f"accepted in {req.reference}"
    if link is None:
        link = Link(reseller=req.reseller, customer=req.customer, link_type=item.link_type)
    else:
        reason = f"amended by {req.reference}"
    link.status = Link.Status.ACTIVATING
    link.services = item.services
    link.regions = item.regions
    link.access_level = item.access_level
    link.starts_at = now
    link.ends_at = now + timedelta(days=item.duration_days) if item.duration_days else None
    link.source_item = item
    link.status_reason = ""
    link._history_user = None
    link._change_reason = reason
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        # Another reseller became billing partner between the check and the decision.
        req.failure_stage, req.failure_code = "activation", "LNK-P002"
        _save(
            req,
            actor=None,
            reason="billing item could not be activated",
            fields=["failure_stage", "failure_code"],
        )
        return link
    _on_commit(link_activate_task, link.pk)
    return link
