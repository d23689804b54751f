"""The rules of each item (program, scope, what already exists) and the dry run of one request.

The same dry run serves the wizard (live), submit, approval and every later entry point."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from accounts.models import LinkType, Reseller, User
from linking.checks.accounts import check_actor, check_customer, check_reseller, find_customer
from linking.checks.catalog import Catalog
from linking.checks.policy import check_consent_days
from linking.checks.reasons import (
    MAX_DELEGATION_DAYS,
    MIN_DELEGATION_DAYS,
    ItemSpec,
    Reason,
    reason,
    type_label,
)
from linking.models import (
    AccessLevel,
    CustomerAccount,
    Link,
    RequestItem,
)


@dataclass
class CustomerContext:
    """What the item rules need to know about one customer: its regions, links, open items."""

    enabled_regions: set[str] = field(default_factory=set)
    live_links: dict[str, Link] = field(default_factory=dict)
    other_billing: bool = False
    open_items: dict[str, RequestItem] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        reseller: Reseller,
        enabled_regions: set[str],
        links: Iterable[Link],
        open_items: Iterable[RequestItem],
        exclude_request_id: int | None = None,
        amends_link_id: int | None = None,
    ) -> CustomerContext:
        ctx = cls(enabled_regions=enabled_regions)
        for link in links:
            # A delegation past its end date is over even before the sweep marks it expired.
            if link.has_ended:
                continue
            if link.reseller_id == reseller.pk:
                if link.pk == amends_link_id:
                    continue
                ctx.live_links[link.link_type] = link
            elif link.link_type == LinkType.BILLING:
                ctx.other_billing = True
        for item in open_items:
            if exclude_request_id and item.request_id == exclude_request_id:
                continue
            ctx.open_items[item.link_type] = item
        return ctx


def live_links_qs() -> QuerySet[Link]:
    """Links still holding their place, with the columns the item rules read."""
    return Link.objects.filter(status__in=Link.LIVE_STATUSES).only(
        "reseller_id", "customer_id", "link_type", "status", "ends_at"
    )


def open_items_qs(reseller: Reseller) -> QuerySet[RequestItem]:
    """The reseller's items of open requests, with their request."""
    return RequestItem.objects.filter(reseller=reseller, is_open=True).select_related("request")


def check_items(
    *,
    reseller: Reseller,
    customer: CustomerAccount | None,
    items: list[ItemSpec],
    exclude_request_id: int | None = None,
    amends_link_id: int | None = None,
) -> list[Reason]:
    """The rules of each item: program, scope against catalogs and account, existing links.

    `amends_link_id`: the link a change of scope or a renewal is for, which must not count as
    "a link already exists" against itself.
    """
    if not items:
        return [reason("LNK-V014")]
    ctx = CustomerContext()
    if customer is not None:
        ctx = CustomerContext.build(
            reseller=reseller,
            enabled_regions=set(customer.regions.values_list("code", flat=True)),
            links=live_links_qs().filter(customer=customer),
            open_items=open_items_qs(reseller).filter(customer=customer),
            exclude_request_id=exclude_request_id,
            amends_link_id=amends_link_id,
        )
    return item_reasons(
        reseller=reseller,
        customer=customer,
        items=items,
        catalog=Catalog.load(reseller),
        ctx=ctx,
    )


def item_reasons(
    *,
    reseller: Reseller,
    customer: CustomerAccount | None,
    items: list[ItemSpec],
    catalog: Catalog,
    ctx: CustomerContext,
) -> list[Reason]:
    """The item rules on facts already loaded: no query, so a batch can run them per row."""
    if not items:
        return [reason("LNK-V014")]
    reasons: list[Reason] = []
    allowed = set(reseller.allowed_link_types)
    account_id = customer.label if customer else ""
    for spec in items:
        label = type_label(spec.link_type)
        if spec.link_type not in allowed:
            reasons.append(reason("LNK-V009", item=spec.link_type, link_type=label))
            continue
        if spec.link_type in (LinkType.PROVISIONING, LinkType.DELEGATION):
            if not spec.services or not set(spec.services) <= catalog.services:
                reasons.append(reason("LNK-V015", item=spec.link_type, link_type=label))
            if not spec.regions or not set(spec.regions) <= catalog.regions:
                reasons.append(reason("LNK-V016", item=spec.link_type, link_type=label))
            elif customer is not None:
                for region in sorted(set(spec.regions) - ctx.enabled_regions):
                    reasons.append(
                        reason(
                            "LNK-V010", item=spec.link_type, region=region, account_id=account_id
                        )
                    )
        if spec.link_type == LinkType.DELEGATION:
            if spec.access_level not in AccessLevel.values:
                reasons.append(
                    reason("LNK-V018", item=spec.link_type, level=spec.access_level or "none")
                )
            days = spec.duration_days
            if days is None or not MIN_DELEGATION_DAYS <= days <= MAX_DELEGATION_DAYS:
                reasons.append(reason("LNK-V017", item=spec.link_type, days=days or 0))
        if customer is not None:
            reasons += _existing_reasons(spec.link_type, ctx, account_id)
    return reasons


def _existing_reasons(link_type: str, ctx: CustomerContext, account_id: str) -> list[Reason]:
    """What already exists with the customer for this type: another billing partner, a live
    link of ours (with the way to change it instead), a request still open."""
    label = type_label(link_type)
    reasons = []
    if link_type == LinkType.BILLING and ctx.other_billing:
        reasons.append(reason("LNK-V008", item=link_type, account_id=account_id))
    if link_type in ctx.live_links:
        reasons.append(
            reason(
                "LNK-V011",
                item=link_type,
                link_id=ctx.live_links[link_type].pk,
                link_type=label,
                account_id=account_id,
            )
        )
    if link_type in ctx.open_items:
        reasons.append(
            reason(
                "LNK-V012",
                item=link_type,
                link_type=label,
                account_id=account_id,
                reference=ctx.open_items[link_type].request.reference,
            )
        )
    return reasons


def check_customer_for(
    *,
    reseller: Reseller,
    raw_account_id: str,
    link_types: list[str],
    exclude_request_id: int | None = None,
) -> tuple[CustomerAccount | None, list[Reason]]:
    """The wizard's customer step: everything known once the account and the link types are
    chosen (the account itself, then what already exists with it for those types), so a
    request that cannot be submitted stops there and not at the review."""
    customer, reasons = find_customer(raw_account_id)
    if customer is None:
        return None, reasons
    reasons = check_customer(reseller, customer)
    if link_types:
        ctx = CustomerContext.build(
            reseller=reseller,
            enabled_regions=set(),
            links=live_links_qs().filter(customer=customer),
            open_items=open_items_qs(reseller).filter(customer=customer),
            exclude_request_id=exclude_request_id,
        )
        account_id = customer.label
        for link_type in [t for t in LinkType.values if t in link_types]:
            reasons += _existing_reasons(link_type, ctx, account_id)
    return customer, reasons


def dry_run(
    *,
    actor: User,
    reseller: Reseller,
    account_id: str,
    items: list[ItemSpec],
    consent_days: int | None = None,
    exclude_request_id: int | None = None,
    amends_link_id: int | None = None,
) -> tuple[CustomerAccount | None, list[Reason]]:
    """Every blocking reason at once, for the acting user, reseller, account and items."""
    reasons = check_reseller(reseller) + check_actor(actor, reseller)
    customer, found = find_customer(account_id)
    reasons += found
    if customer is not None:
        reasons += check_customer(reseller, customer)
    reasons += check_items(
        reseller=reseller,
        customer=customer,
        items=items,
        exclude_request_id=exclude_request_id,
        amends_link_id=amends_link_id,
    )
    reasons += check_consent_days(consent_days)
    return customer, reasons
