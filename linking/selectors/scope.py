"""What a customer's live links reach, as last read from the cloud: only the links whose
access the user holds, and of each only what it consents to now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from accounts.models import LinkType, User
from linking.models import CustomerAccount, Link, LinkScopeSchedule, LinkScopeSnapshot
from linking.models.scope import BILLING_BLOCK
from linking.permissions import customer_perms_held

# The services whose resources the provider layer can list, by catalogue code.
LISTABLE_SERVICES = ("ECS",)
SCOPE_LINK_TYPES = (LinkType.BILLING, LinkType.DELEGATION, LinkType.PROVISIONING)

# The customer-account permission a link grants, and that an operator must hold (through a
# role or a team) to see what the link reaches.
LINK_PERMISSION: dict[str, str] = {
    LinkType.BILLING: "linking.bill_customeraccount",
    LinkType.PROVISIONING: "linking.provision_customeraccount",
    LinkType.DELEGATION: "linking.delegate_read_customeraccount",
}


def scope_targets(link: Link) -> list[tuple[str, str]]:
    """The blocks of a link, as (service, region): the consented listable services in the
    consented regions; one billing block for billing. Nothing else is ever read or shown."""
    if link.link_type == LinkType.BILLING:
        return [(BILLING_BLOCK, "")]
    consented = {s.upper() for s in link.services or ()}
    services = [s for s in LISTABLE_SERVICES if s in consented]
    return [(service, region) for region in link.regions or () for service in services]


def unlisted_services(link: Link) -> list[str]:
    """Consented services the provider layer cannot list yet (shown as such, never read)."""
    if link.link_type == LinkType.BILLING:
        return []
    return [s for s in link.services or () if s.upper() not in LISTABLE_SERVICES]


def links_in_view(*, user: User, customer: CustomerAccount, links: list[Link]) -> list[Link]:
    """The live links of `links` whose access `user` holds on the customer (the object
    permission the link grants, through a role or a team): the only ones whose scope they see."""
    # Every permission at once (the same queries whichever links the customer has).
    held = customer_perms_held(user, customer)
    return [
        link
        for link in links
        if link.link_type in SCOPE_LINK_TYPES
        and link.is_granting
        and LINK_PERMISSION[link.link_type].split(".", 1)[-1] in held
    ]


def _money(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value not in (None, "") else None
    except InvalidOperation:
        return None


@dataclass
class Billing:
    """A billing link's block, with its amounts as numbers."""

    snapshot: LinkScopeSnapshot

    @property
    def spend(self) -> Decimal | None:
        return _money(self.snapshot.facts.get("spend"))

    @property
    def budget(self) -> Decimal | None:
        return _money(self.snapshot.facts.get("budget"))

    @property
    def remaining(self) -> Decimal | None:
        return _money(self.snapshot.facts.get("remaining"))

    @property
    def associated_at(self) -> datetime | None:
        value = self.snapshot.facts.get("associated_at")
        return datetime.fromisoformat(value) if value else None


@dataclass
class LinkScope:
    """What one link reaches: its blocks in the order of its consent, the blocks not read yet,
    the consented services the portal cannot list, and when it was (or is being) read."""

    link: Link
    blocks: list[LinkScopeSnapshot] = field(default_factory=list)
    not_read: list[tuple[str, str]] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    schedule: LinkScopeSchedule | None = None
    billing: Billing | None = None

    @property
    def reading(self) -> bool:
        return self.schedule is not None and self.schedule.reading


def link_scope_for_customer(
    *, user: User, customer: CustomerAccount, links: list[Link]
) -> list[LinkScope]:
    """The scope of each live link of `links` (the reseller's links on the customer) that
    `user` may see; two queries and the permission checks, whatever the number of blocks."""
    visible = links_in_view(user=user, customer=customer, links=links)
    if not visible:
        return []
    ids = [link.pk for link in visible]
    snapshots: dict[tuple[int, str, str], LinkScopeSnapshot] = {
        (s.link_id, s.service, s.region): s
        for s in LinkScopeSnapshot.objects.filter(link_id__in=ids)
    }
    schedules = {s.link_id: s for s in LinkScopeSchedule.objects.filter(link_id__in=ids)}
    scopes = []
    for link in visible:
        scope = LinkScope(link=link, unlisted=unlisted_services(link))
        scope.schedule = schedules.get(link.pk)
        for service, region in scope_targets(link):
            snapshot = snapshots.get((link.pk, service, region))
            if snapshot is None:
                scope.not_read.append((service, region))
            elif service == BILLING_BLOCK:
                scope.billing = Billing(snapshot)
            else:
                scope.blocks.append(snapshot)
        scopes.append(scope)
    return scopes
